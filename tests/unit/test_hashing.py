"""Content hashes: blind to how a portal encodes an article, sensitive to every word."""

from __future__ import annotations

import hashlib
import json
import unicodedata
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from archive.dates import VN_TZ
from archive.hashing import HASH_SCHEME, content_hash, sha256_hex
from archive.normalise import normalise_line, normalise_text

PDF = hashlib.sha256(b"%PDF-1.4 quyet dinh").hexdigest()
DOC = hashlib.sha256(b"\xd0\xcf\x11\xe0 TCVN3 bytes").hexdigest()

ARTICLE: dict[str, Any] = {
    "title": "Tổng kết công tác dân vận, quy chế dân chủ ở cơ sở năm 2023",
    "lead": "Chiều ngày 12/01/2023, Ban Thường vụ Huyện ủy tổ chức Hội nghị tổng kết.",
    "body_text": (
        "Trong năm qua, Ban Thường vụ Huyện ủy đã lãnh đạo.\n\n"
        "Hiện nay, đã và đang nhân rộng 30 mô hình."
    ),
    "author": "Thị Thoang",
    "published_at": datetime(2024, 1, 17, 8, 46, tzinfo=VN_TZ),
    "attachment_digests": [PDF, DOC],
}


def digest(**changes: Any) -> str:
    return content_hash(**{**ARTICLE, **changes})


VIETNAMESE = "aăâbcdđeêghiklmnoôơpqrstuưvxyĐàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ"
words = st.text(alphabet=VIETNAMESE, min_size=1, max_size=12)
vn_text = st.lists(words, min_size=1, max_size=30).map(" ".join)
vn_paragraphs = st.lists(vn_text, min_size=1, max_size=4).map("\n\n".join)
instants = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)
hex_digests = st.binary(max_size=8).map(lambda b: hashlib.sha256(b).hexdigest())


def test_shape_and_scheme() -> None:
    value = digest()
    assert len(value) == 64 and value == value.lower() and int(value, 16) >= 0
    assert HASH_SCHEME == "v1"


def test_sha256_hex() -> None:
    assert sha256_hex(b"") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_canonical_document() -> None:
    document = {
        "scheme": "v1",
        "title": ARTICLE["title"],
        "lead": ARTICLE["lead"],
        "body": ARTICLE["body_text"],
        "author": "Thị Thoang",
        "published_at": "2024-01-17T01:46:00Z",
        "attachments": sorted([PDF, DOC]),
    }
    canonical = json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    assert digest() == hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def test_nfd_article_hashes_like_nfc() -> None:
    nfd = {k: unicodedata.normalize("NFD", v) for k, v in ARTICLE.items() if isinstance(v, str)}
    assert nfd["title"] != ARTICLE["title"]
    assert digest(**nfd) == digest()


def test_entities_hash_like_decoded_text() -> None:
    assert digest(title="T&#7893;ng k&#7871;t c&ocirc;ng t&aacute;c d&acirc;n v&#7853;n, quy ch&#7871; "
                  "d&acirc;n ch&#7911; &#7903; c&#417; s&#7903; n&#259;m 2023") == digest()


def test_whitespace_and_invisible_noise_hash_alike() -> None:
    noisy_body = ARTICLE["body_text"].replace(" ", "\u00a0 \u200b").replace("\n\n", "\r\n \n\u3000\n\n\n")
    noisy_title = "  " + ARTICLE["title"].replace(" ", "\n\ufeff ") + "\u00ad "
    assert digest(body_text=noisy_body, title=noisy_title, author=" Thị\u00a0Thoang\n") == digest()


def test_hashing_stored_fields_gives_the_same_hash() -> None:
    raw = {
        **ARTICLE,
        "title": unicodedata.normalize("NFD", ARTICLE["title"]) + "&nbsp;",
        "body_text": "\u200b" + ARTICLE["body_text"].replace("\n\n", "\n\n\n\n"),
    }
    stored = {
        **raw,
        "title": normalise_line(raw["title"]),
        "lead": normalise_text(raw["lead"]),
        "body_text": normalise_text(raw["body_text"]),
        "author": normalise_line(raw["author"]),
    }
    assert content_hash(**stored) == content_hash(**raw) == digest()


@pytest.mark.parametrize(
    "changes",
    [
        {"title": ARTICLE["title"].replace("2023", "2024")},
        {"title": ARTICLE["title"].replace("dân vận", "dân vân")},
        {"lead": ARTICLE["lead"].replace("Chiều", "Sáng")},
        {"body_text": ARTICLE["body_text"].replace("30 mô hình", "31 mô hình")},
        {"body_text": ARTICLE["body_text"].replace("\n\n", " ")},  # paragraphs merged
        {"author": "Thị Thoàng"},
        {"author": ""},
        {"published_at": datetime(2024, 1, 17, 8, 47, tzinfo=VN_TZ)},
        {"published_at": datetime(2024, 1, 17, 8, 46, 1, tzinfo=VN_TZ)},
        {"published_at": None},
        {"attachment_digests": [PDF]},
        {"attachment_digests": [PDF, hashlib.sha256(b"other").hexdigest()]},
        {"attachment_digests": []},
    ],
)
def test_every_change_changes_the_hash(changes: dict[str, Any]) -> None:
    assert digest(**changes) != digest()


def test_same_instant_in_any_offset() -> None:
    local = datetime(2024, 1, 17, 8, 46, tzinfo=VN_TZ)
    assert digest(published_at=local.astimezone(UTC)) == digest()
    assert digest(published_at=local.replace(tzinfo=timezone(timedelta(hours=7)))) == digest()


def test_microseconds_are_dropped() -> None:
    assert digest(published_at=datetime(2024, 1, 17, 8, 46, 0, 999_999, tzinfo=VN_TZ)) == digest()


def test_naive_published_at_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        digest(published_at=datetime(2024, 1, 17, 8, 46))


def test_attachment_order_case_and_duplicates_do_not_matter() -> None:
    assert digest(attachment_digests=(d for d in [DOC.upper(), PDF, DOC, f" {PDF} "])) == digest()


def test_a_single_digest_string_is_refused() -> None:
    with pytest.raises(TypeError):
        digest(attachment_digests=PDF)


def test_lead_and_body_are_not_interchangeable() -> None:
    both = {"lead": "Đoạn mở đầu.", "body_text": "Nội dung chính."}
    moved = {"lead": "", "body_text": "Đoạn mở đầu.\n\nNội dung chính."}
    swapped = {"lead": "Nội dung chính.", "body_text": "Đoạn mở đầu."}
    assert len({digest(**both), digest(**moved), digest(**swapped)}) == 3
    assert digest(title="A", author="B") != digest(title="B", author="A")


@given(title=vn_text, body=vn_paragraphs, author=vn_text)
def test_nfd_and_entities_are_invariant(title: str, body: str, author: str) -> None:
    expected = digest(title=title, body_text=body, author=author)
    nfd = unicodedata.normalize("NFD", body)
    escaped = title.encode("ascii", "xmlcharrefreplace").decode("ascii")
    assert digest(title=escaped, body_text=nfd, author=unicodedata.normalize("NFD", author)) == expected


@given(body=vn_paragraphs, noise=st.sampled_from(["\u00a0", "\u200b", "  ", "\t", "\u3000", "\ufeff"]))
def test_noise_is_invariant(body: str, noise: str) -> None:
    noisy = noise + body.replace(" ", f" {noise}").replace("\n\n", f"\n{noise}\n\n\n") + noise
    assert digest(body_text=noisy) == digest(body_text=body)


@given(body=vn_paragraphs)
def test_stored_body_is_invariant(body: str) -> None:
    assert digest(body_text=normalise_text(body)) == digest(body_text=body)


@given(a=vn_text, b=vn_text, field=st.sampled_from(["title", "lead", "body_text", "author"]))
def test_different_words_give_different_hashes(a: str, b: str, field: str) -> None:
    assume(normalise_text(a) != normalise_text(b))
    assert digest(**{field: a}) != digest(**{field: b})


@given(instant=instants)
def test_offset_is_invariant(instant: datetime) -> None:
    assert digest(published_at=instant) == digest(published_at=instant.astimezone(VN_TZ))


@given(instant=instants, minutes=st.integers(min_value=1, max_value=60 * 24 * 365))
def test_different_minutes_differ(instant: datetime, minutes: int) -> None:
    assert digest(published_at=instant) != digest(published_at=instant + timedelta(minutes=minutes))


@given(digests=st.lists(hex_digests, min_size=1, max_size=5), data=st.data())
def test_attachment_order_is_invariant(digests: list[str], data: st.DataObject) -> None:
    shuffled = data.draw(st.permutations(digests + digests[:1]))
    assert digest(attachment_digests=shuffled) == digest(attachment_digests=digests)


@given(digests=st.lists(hex_digests, min_size=1, max_size=5), other=hex_digests)
def test_a_different_attachment_differs(digests: list[str], other: str) -> None:
    assume(other not in digests)
    assert digest(attachment_digests=digests[1:] + [other]) != digest(attachment_digests=digests)
