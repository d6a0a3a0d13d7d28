"""Text normalisation shared by extraction, storage, hashing and search.

The portals return one article in many byte forms a reader cannot tell apart, and
a content hash must change only when the words do:

* vnPortal and the newspaper CMS mix decomposed ("Unicode tổ hợp", NFD) and
  composed (NFC) Vietnamese: "Sóc Trăng" is 13 bytes in NFD and 11 in NFC.
* Templates leak HTML entities into text (``ng&agrave;y``), sometimes escaped
  twice (``&amp;agrave;``), so entities are decoded until none is left.
* WYSIWYG editors leave NBSP, zero-width spaces, soft hyphens, BOMs, ``\\r\\n``
  and runs of empty ``<p>`` between paragraphs.
* Visitor counters and view counts ("Hôm nay: 145", "111.497 lượt xem") change
  on every fetch and must never reach a content hash.

Search folds Vietnamese fully because SQLite FTS5's ``remove_diacritics``
leaves đ/Đ alone (checked on SQLite 3.40).

Everything here is meant for *text*; never run it over HTML markup, where
decoding ``&lt;`` would forge tags.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable

__all__ = [
    "drop_volatile_lines",
    "fold",
    "is_volatile_line",
    "join_paragraphs",
    "normalise_line",
    "normalise_text",
]

# Zero-width space/joiners, word joiner, BOM, soft hyphen: invisible in the browser,
# present or absent at the editor's whim.
_INVISIBLE_RE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_LINE_BREAK = re.compile("\r\n|[\r\u2028\u2029\x85]")
_BREAKS = ("\r", "\u2028", "\u2029", "\x85")
# Inside a line, every whitespace character Python knows (str.isspace): NBSP,
# U+2000-U+200A, U+202F, U+205F, U+3000, tab, VT, FF, U+001C-U+001F ... becomes one space.
_BLANK_LINES = re.compile(r"\n{3,}")


def normalise_text(text: str) -> str:
    """Multi-paragraph text as it is stored and hashed.

    Paragraphs are separated by exactly one blank line, a single line break
    inside a paragraph (a ``<br>``) is kept. Idempotent.
    """
    text = _decode(text)
    if any(brk in text for brk in _BREAKS):  # the regular expressions scan every character: skip them
        text = _LINE_BREAK.sub("\n", text)
    # str.split() splits on exactly the characters the regex \s matches (str.isspace)
    text = "\n".join(" ".join(line.split()) for line in text.split("\n"))
    if "\n\n\n" in text:
        text = _BLANK_LINES.sub("\n\n", text)
    return text.strip("\n")


def _decode(text: str) -> str:
    """Decode entities, drop invisible characters and compose (NFC) until nothing changes.

    One round is not enough for idempotence: ``&amp;amp;`` needs two, and
    dropping a zero-width space (``&am\\u200bp;``) or composing U+037E into ";"
    (``&hellip\\u037e``) can form a new entity. The loop ends: every entity is
    at least three characters and decodes to at most two code points whose NFD
    is shorter than the entity, so decoding and dropping strictly shorten the
    NFD form, which NFC leaves unchanged.
    """
    while True:
        unescaped = html.unescape(text) if "&" in text else text
        decoded = unicodedata.normalize("NFC", _INVISIBLE_RE.sub("", unescaped))
        if decoded == text:
            return decoded
        text = decoded


def normalise_line(text: str) -> str:
    """One-line text (title, author, caption): :func:`normalise_text`, then every
    whitespace run, line breaks included, becomes one space."""
    return " ".join(normalise_text(text).split())


def join_paragraphs(blocks: Iterable[str]) -> str:
    """Normalise each block, drop the empty ones, separate the rest by a blank line."""
    return "\n\n".join(p for p in map(normalise_text, blocks) if p)


# After casefold, Đ is đ; Icelandic ð (from Ð U+00D0, which legacy TCVN3/VNI
# converters and some keyboards emit instead of Đ U+0110) folds the same way.
# Exactly the characters of U+0300–U+036F that unicodedata.combining() calls marks (U+034F is not).
_COMBINING_BASIC = re.compile(
    "[" + "".join(re.escape(chr(c)) for c in range(0x300, 0x370) if unicodedata.combining(chr(c))) + "]"
)


def fold(text: str) -> str:
    """Accent-, đ- and case-insensitive form for Vietnamese search:
    ``fold("Đức Phổ") == "duc pho"``, ``fold("QĐ-UBND") == "qd-ubnd"``.

    Casefolding comes first so that marks it introduces (İ -> i + U+0307) are
    dropped too; this keeps fold idempotent.
    """
    decomposed = unicodedata.normalize("NFD", text.casefold())
    # Vietnamese in two passes (a crawl's hot path; str.replace beats translate() with a table)
    bare = _COMBINING_BASIC.sub("", decomposed).replace("đ", "d").replace("ð", "d")
    if not bare.isascii():  # marks outside U+0300–U+036F are rare: the exact, slow rule for them
        bare = "".join(ch for ch in bare if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", bare)


# Volatile page chrome, matched on folded text so NFD and any casing work.
# Numbers come grouped the way each portal prints them: 2 063, 111.497, 3,038.
_NUMBER = r"(?:\d{1,3}(?:[ .,]\d{3})+|\d+)"
_COUNTER_LABEL = (
    r"(?:thong ke truy cap|(?:tong so |tong |so )?luot (?:truy cap|xem)|tong truy cap"
    r"|(?:dang |khach )?online|dang truy cap|hom nay|hom qua|trong tuan|tuan nay|tuan truoc"
    r"|trong thang|thang nay|thang truoc|trong nam|nam nay|tat ca|luot doc|so lan xem|da xem|hits"
    r"|so nguoi online|truy cap hom nay)"
)
_LABEL_AFTER_NUMBER = r"(?:luot xem|luot doc|luot truy cap|lan|nguoi (?:dang )?online)"
_VOLATILE_SEGMENT = re.compile(
    rf"(?:[-*+>–]\s*)?(?:{_COUNTER_LABEL}\s*:?\s*{_NUMBER}?|{_NUMBER}(?:\s*{_LABEL_AFTER_NUMBER})?)"
)
# vnPortal prints its whole counter block on one line, bullet-separated:
# "Thống kê truy cập • Đang online: 9 • Hôm nay: 145 • Tất cả: 147690".
_SEGMENT_SPLIT = re.compile(r"\s*[•·|»]\s*")
# What a counter line (this module's labels and crawler/extract.py's) can start with, after
# bullets and dashes: a digit or the first word of a label. A prefix of only bullets may
# go on with anything, so it matches too (``$``). Tested against the full rule in
# tests/unit/test_normalise_reference.py.
_COUNTER_START = re.compile(
    r"[-*+>–•·|»\s]*(?:\d|thong|tong|so|luot|lan|dang|khach|online|hom|trong|tuan|thang|nam|tat|da|hits|truy|$)"
)
_START_SPAN = 64


def is_volatile_line(line: str) -> bool:
    """True when the whole line is a visitor counter or view count (a label with an
    optional number, a number with an optional label, or a bare number), possibly
    several of them separated by bullets. A sentence that merely mentions
    "hôm nay" is not volatile."""
    return volatile_folded(counter_candidate(normalise_line(line)))


def counter_candidate(line: str) -> str | None:
    """The folded form of a normalised line that may be a counter, None for one that
    cannot be: every counter starts with a label or a number, so most paragraphs
    are told apart by folding their first few words only."""
    if not _COUNTER_START.match(fold(line[:_START_SPAN])):
        return None
    return fold(line)


def volatile_folded(folded: str | None) -> bool:
    """:func:`is_volatile_line` of a line already normalised and folded (None: not a counter)."""
    if not folded:
        return False
    segments = [s for s in _SEGMENT_SPLIT.split(folded) if s]
    return bool(segments) and all(_VOLATILE_SEGMENT.fullmatch(s) for s in segments)


def drop_volatile_lines(text: str) -> str:
    """:func:`normalise_text` without the volatile lines; paragraphs stay paragraphs."""
    lines = normalise_text(text).split("\n")
    return normalise_text("\n".join(line for line in lines if not is_volatile_line(line)))
