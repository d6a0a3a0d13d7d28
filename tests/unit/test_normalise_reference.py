"""The fast paths in archive/normalise.py against the plain rules they replace.

Content hashes (scheme v1) are made of normalise_text/normalise_line output, and
counter lines are dropped from bodies by is_volatile_line: a "faster" version that
changed one character of output would split every stored article into a false new
version. The reference implementations below are the rules as first written
(slow and obvious); the shipped ones must agree with them on any text.
"""

from __future__ import annotations

import html
import re
import unicodedata

from hypothesis import example, given, settings
from hypothesis import strategies as st

from archive import normalise
from crawler import extract

_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
_LINE_BREAK = re.compile("\r\n|[\r\u2028\u2029\x85]")
_INLINE_SPACE = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def reference_normalise_text(text: str) -> str:
    while True:
        decoded = unicodedata.normalize("NFC", "".join(c for c in html.unescape(text) if c not in _INVISIBLE))
        if decoded == text:
            break
        text = decoded
    text = _LINE_BREAK.sub("\n", text)
    text = _INLINE_SPACE.sub(" ", text)
    text = "\n".join(line.strip(" ") for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", text).strip("\n")


def reference_fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", bare.replace("đ", "d").replace("ð", "d"))


def reference_is_volatile_line(line: str) -> bool:
    folded = reference_fold(" ".join(reference_normalise_text(line).split()))
    segments = [s for s in normalise._SEGMENT_SPLIT.split(folded) if s]
    return bool(segments) and all(normalise._VOLATILE_SEGMENT.fullmatch(s) for s in segments)


# Text shaped like the portals': Vietnamese in both normal forms, counters, entities,
# every kind of space and line break, bullets and the characters the fast paths test for.
_PIECES = st.sampled_from(
    [
        "Hôm nay", "hôm qua", "Lượt xem", "lượt truy cập", "Đang online", "Thống kê truy cập", "Tất cả",
        "Số lần xem", "Đã xem", "Hits", "Truy cập hôm nay", "lần", "Trong tuần", "Sóc Trăng", "Đức Phổ",
        "QĐ-UBND", "1.234", "2 063", "111.497", "3,038", "45", ":", " : ", "•", " · ", "|", "»", "-", "–",
        "*", ">", "&nbsp;", "&amp;", "&agrave;", "&#273;", "\u00a0", "\u200b", "\u00ad", "\r\n", "\r",
        "\n", "\n\n\n", "\u2028", "\x85", "\t", "\u3000", "\x1c", " ", "  ", "Ð", "İ", "ß", "\u0301",
        "\u0323", "ả", "a\u0309", "o\u031b\u0301",
    ]
)
_PORTAL_TEXT = st.lists(st.one_of(_PIECES, st.text(max_size=6)), max_size=24).map("".join)


@settings(max_examples=500)
@given(_PORTAL_TEXT)
@example("Hôm nay:\u00a0145 \u2022 Tất cả: 147.690")
def test_normalise_text_and_line_agree_with_the_reference(text: str) -> None:
    assert normalise.normalise_text(text) == reference_normalise_text(text)
    assert normalise.normalise_line(text) == " ".join(reference_normalise_text(text).split())


@settings(max_examples=500)
@given(_PORTAL_TEXT)
def test_fold_agrees_with_the_reference(text: str) -> None:
    assert normalise.fold(text) == reference_fold(text)


@settings(max_examples=500)
@given(_PORTAL_TEXT)
@example("- - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - Hôm nay: 5")
@example("&#72;ôm nay: 5")
@example("•\u00a0• Lượt xem: 1.234")
def test_volatile_lines_agree_with_the_reference(line: str) -> None:
    assert normalise.is_volatile_line(line) == reference_is_volatile_line(line)


def reference_is_counter(line: str) -> bool:
    if extract._BARE_NUMBER.fullmatch(line):
        return False
    if reference_is_volatile_line(line):
        return True
    folded = reference_fold(" ".join(reference_normalise_text(line).split()))
    segments = [s for s in extract._COUNTER_SPLIT.split(folded) if s]
    return bool(segments) and all(
        extract._EXTRA_COUNTER.fullmatch(s) or reference_is_volatile_line(s) for s in segments
    )


@settings(max_examples=500)
@given(_PORTAL_TEXT)
@example("Số người online: 9 • Lượt đọc: 400")
@example("Truy cập hôm nay: 145")
def test_counter_lines_agree_with_the_reference(line: str) -> None:
    assert extract._is_counter(line) == reference_is_counter(line)
