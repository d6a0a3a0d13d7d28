"""Normalisation: the byte forms the portals send must collapse to one text."""

from __future__ import annotations

import html
import unicodedata

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from archive.normalise import (
    drop_volatile_lines,
    fold,
    is_volatile_line,
    join_paragraphs,
    normalise_line,
    normalise_text,
)
from tests.shared import seed

# Pieces that interact: entity fragments, characters that compose into ";",
# invisible characters, every kind of whitespace and line break, NFD marks.
TRICKY = [
    "&", "amp", "amp;", ";", "#", "x", "38", "lt", "hellip", "agrave", "&amp;", "&#769;", "&#x200b;",
    "&nbsp;", "&#10;", "&#13;", "&#133;", "\u037e", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff",
    "\u00ad", " ", "\u00a0", "\u2003", "\u202f", "\u3000", "\t", "\x0b", "\x0c", "\x1c", "\n", "\r",
    "\r\n", "\u2028", "\u2029", "\x85", "e", "o", "a", "\u0301", "\u0323", "\u031b", "\u0306", "Đ", "ơ",
]
tricky_text = st.lists(st.sampled_from(TRICKY) | st.text(max_size=3), max_size=30).map("".join)
any_text = tricky_text | st.text()

VIETNAMESE = (
    "aăâbcdđeêghiklmnoôơpqrstuưvxyAĂÂĐÊÔƠƯ"
    "àáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ"
)
vietnamese_text = st.text(alphabet=VIETNAMESE + " ,.:-/()\"'0123456789\n", max_size=200)


# normalise_text ---------------------------------------------------------------------------------


def test_nfd_and_nfc_give_the_same_text() -> None:
    nfc = unicodedata.normalize("NFC", "Sóc Trăng")
    nfd = unicodedata.normalize("NFD", "Sóc Trăng")
    assert (len(nfc.encode()), len(nfd.encode())) == (11, 13)
    assert normalise_text(nfd) == normalise_text(nfc) == nfc


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ng&agrave;y 08/7", "ngày 08/7"),
        ("Ban D&acirc;n v&#7853;n", "Ban Dân vận"),
        ("T&amp;amp;T", "T&T"),  # escaped twice by the template
        ("a&nbsp;&nbsp;b", "a b"),
        ("a\u00a0b\u2003c\u202fd\u205fe\u3000f\tg\x0bh\x0ci", "a b c d e f g h i"),
        ("Quảng\u200b Ngãi\ufeff", "Quảng Ngãi"),
        ("Sóc\u00adTrăng\u2060", "SócTrăng"),
        ("a   b  ", "a b"),
        ("  dòng 1  \n  dòng 2  ", "dòng 1\ndòng 2"),
        ("a\r\nb\rc\u2028d\u2029e\x85f", "a\nb\nc\nd\ne\nf"),
        ("đoạn 1\n\n\n\n   \n\u00a0\nđoạn 2", "đoạn 1\n\nđoạn 2"),
        ("đoạn 1\n\nđoạn 2", "đoạn 1\n\nđoạn 2"),
        ("\n\n  đầu \n\n", "đầu"),
        ("\u200b\u00a0\n\n", ""),
        ("", ""),
    ],
)
def test_normalise_text_examples(raw: str, expected: str) -> None:
    assert normalise_text(raw) == expected


def test_entities_forming_after_a_dropped_character_are_decoded() -> None:
    assert normalise_text("&am\u200bp;") == "&"
    assert normalise_text("&hellip\u037e") == "…"  # U+037E composes to ";" under NFC


def test_numeric_entity_marks_compose() -> None:
    assert normalise_text("Ph&#7893;") == normalise_text("Pho&#770;&#777;") == "Phổ"


@given(any_text)
@example("&amp;amp;amp;amp;amp;amp;amp;amp;amp;lt;")
@example("&hellip&#894;")
@example("&am\u200bp;lt;")
def test_normalise_text_is_idempotent(text: str) -> None:
    once = normalise_text(text)
    assert normalise_text(once) == once


@given(any_text)
def test_normalise_text_output_shape(text: str) -> None:
    out = normalise_text(text)
    assert out == unicodedata.normalize("NFC", out)
    assert out == out.strip()
    assert "\n\n\n" not in out and "  " not in out
    assert not any(ch.isspace() and ch not in " \n" for ch in out)
    assert not set(out) & set("\u200b\u200c\u200d\u2060\ufeff\u00ad")
    assert all(line == line.strip() for line in out.split("\n"))


@given(vietnamese_text)
def test_nfd_nfc_and_entities_are_invisible(text: str) -> None:
    expected = normalise_text(text)
    assert normalise_text(unicodedata.normalize("NFD", text)) == expected
    assert normalise_text(html.escape(text)) == expected
    assert normalise_text(text.encode("ascii", "xmlcharrefreplace").decode("ascii")) == expected


@given(vietnamese_text)
def test_invisible_and_whitespace_noise_is_invisible(text: str) -> None:
    noisy = text.replace(" ", "\u00a0 \u200b").replace("\n", " \u3000\r\n\u200b\t")
    assert normalise_text(noisy) == normalise_text(text)
    paragraphs = text.replace("\n", "\n\n")
    assert normalise_text(paragraphs.replace("\n\n", "\n \n\u00a0\n\r\n")) == normalise_text(paragraphs)


# normalise_line, join_paragraphs ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Tổng kết công tác\n dân vận \n\n năm 2023 ", "Tổng kết công tác dân vận năm 2023"),
        ("Trần&nbsp;Thu\u00a0Ngân", "Trần Thu Ngân"),
        ("\u200b", ""),
    ],
)
def test_normalise_line_examples(raw: str, expected: str) -> None:
    assert normalise_line(raw) == expected


@given(any_text)
def test_normalise_line_is_one_idempotent_line(text: str) -> None:
    line = normalise_line(text)
    assert "\n" not in line
    assert normalise_line(line) == line
    assert normalise_text(line) == line


def test_join_paragraphs() -> None:
    blocks = ["  Đoạn\u00a0một ", "\u200b", "", "Đoạn hai\r\ndòng hai", "\n\n"]
    assert join_paragraphs(blocks) == "Đoạn một\n\nĐoạn hai\ndòng hai"
    assert join_paragraphs([]) == ""
    assert join_paragraphs(iter(["a", "b"])) == "a\n\nb"


@given(st.lists(any_text, max_size=5))
def test_join_paragraphs_output_is_normalised(blocks: list[str]) -> None:
    joined = join_paragraphs(blocks)
    assert normalise_text(joined) == joined


# fold -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Đức Phổ", "duc pho"),
        ("QĐ-UBND", "qd-ubnd"),
        ("dân vận", "dan van"),
        ("ĐẢNG ỦY", "dang uy"),
        ("Người Ưu tú Ờ", "nguoi uu tu o"),
        ("Sóc Trăng", "soc trang"),
        ("\u00d0\u00f4ng Tháp", "dong thap"),  # Icelandic Ð typed for Đ
        ("Quảng Ngãi 2025", "quang ngai 2025"),
    ],
)
def test_fold_examples(raw: str, expected: str) -> None:
    assert fold(raw) == expected
    assert fold(unicodedata.normalize("NFD", raw)) == expected


@given(st.text())
def test_fold_is_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)


@given(st.text(alphabet=VIETNAMESE + " -"))
def test_fold_of_vietnamese_is_ascii(text: str) -> None:
    assert fold(text).isascii()


# volatile lines ---------------------------------------------------------------------------------

VOLATILE = [
    "Thống kê truy cập",
    "Đang online: 9",
    "Hôm nay: 145",
    "Trong tuần: 2 063",
    "Trong tuần: 2\u00a0063",
    "Tất cả: 147690",
    "• Tất cả: 86597862",
    "lượt truy cập",
    "Số lượt truy cập: 1127",
    "Tổng số lượt xem: 16620562",
    "Lượt xem: 400",
    "Lượt xem: 3,038",
    "111.497 lượt xem",
    "147.690",
    "2 063",
    "86",
    "  Hôm nay : 145  ",
    "HÔM NAY: 145",
    "Thống kê truy cập • Đang online: 9 • Hôm nay: 145 • Trong tuần: 2 063 • Tất cả: 147690",
    "Hôm qua: 1.024 | Trong tháng: 30.117",
]

NOT_VOLATILE = [
    "Hôm nay, UBND huyện tổ chức hội nghị sơ kết.",
    "Hôm nay: 145 hộ dân được hỗ trợ",
    "Tất cả 12 xã đều đạt chuẩn nông thôn mới.",
    "Lượt xem phim tăng mạnh trong năm",
    "Tổ chức tuyên truyền được 4.646 cuộc với 82.427 lượt người tham dự",
    "Điện thoại: 0299.3822339",
    "Ngày 17/01/2024",
    "5,2 tỷ đồng",
    "Trần Thu Ngân",
    "•",
    "",
]


@pytest.mark.parametrize("line", VOLATILE)
def test_volatile_lines(line: str) -> None:
    assert is_volatile_line(line)
    assert is_volatile_line(unicodedata.normalize("NFD", line))


@pytest.mark.parametrize("line", NOT_VOLATILE)
def test_not_volatile_lines(line: str) -> None:
    assert not is_volatile_line(line)


def test_drop_volatile_lines_keeps_paragraphs() -> None:
    text = (
        "Đoạn một\nHôm nay: 145\ndòng hai\n\nLượt xem: 400\n\n"
        "Đoạn hai. Hôm nay trời đẹp.\n\n111.497 lượt xem"
    )
    assert drop_volatile_lines(text) == "Đoạn một\ndòng hai\n\nĐoạn hai. Hôm nay trời đẹp."


def test_drop_volatile_lines_on_nfd_input() -> None:
    text = unicodedata.normalize("NFD", "Nội dung\n\nTổng số lượt xem: 16620562")
    assert drop_volatile_lines(text) == "Nội dung"


@given(any_text)
def test_drop_volatile_lines_is_normalised_and_idempotent(text: str) -> None:
    once = drop_volatile_lines(text)
    assert normalise_text(once) == once
    assert drop_volatile_lines(once) == once


def test_seed_counters_are_dropped_and_body_kept() -> None:
    minh_long = drop_volatile_lines(seed("quangngai_minhlong_2024-01.txt").read_text(encoding="utf-8"))
    assert minh_long.endswith("tuyên dương./.\n\nThị Thoang")
    chau_thanh = drop_volatile_lines(seed("soctrang_chauthanh_2021-07.txt").read_text(encoding="utf-8"))
    assert "86597862" not in chau_thanh and "lượt truy cập" not in chau_thanh
    assert "82.427 lượt người tham dự" in chau_thanh
