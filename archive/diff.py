"""A readable, word-level diff of two versions of an article.

Portal edits are small: a corrected figure, a name, a replaced PDF. So the
body is first aligned by paragraph, unchanged paragraphs are folded away, and
only the paragraphs that changed are compared word by word. Rendering marks
deletions ``[-like this-]`` and insertions ``{+like this+}`` (as ``git diff
--word-diff`` does), or in red and green on a terminal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from difflib import SequenceMatcher
from typing import Literal

Op = Literal["equal", "delete", "insert"]
ICT = timezone(timedelta(hours=7), "ICT")
# Words, runs of punctuation and runs of spaces are the units a reader sees change.
_TOKEN = re.compile(r"\w+|[^\w\s]+|\s+")
_RED, _GREEN, _DIM, _BOLD, _RESET = "\x1b[31m", "\x1b[32m", "\x1b[2m", "\x1b[1m", "\x1b[0m"


@dataclass(frozen=True)
class AttachmentText:
    url: str
    title: str = ""
    sha256: str | None = None  # None: the file never downloaded

    def label(self) -> str:
        digest = self.sha256[:12] if self.sha256 else "not downloaded"
        return f"{self.title or self.url} <{self.url}> ({digest})"


@dataclass(frozen=True)
class VersionText:
    """What a reader reads in one version."""

    number: int
    title: str
    lead: str = ""
    body_text: str = ""
    author: str = ""
    published_at: datetime | None = None
    attachments: tuple[AttachmentText, ...] = ()
    seen_at: datetime | None = None


@dataclass(frozen=True)
class Segment:
    op: Op
    text: str


@dataclass(frozen=True)
class Block:
    """Part of a multi-paragraph field: ``unchanged`` paragraphs folded away, or changed text."""

    unchanged: int = 0
    segments: tuple[Segment, ...] = ()


@dataclass
class VersionDiff:
    old: VersionText
    new: VersionText
    #: one-line fields (title, author, published) that changed: name -> segments
    fields: dict[str, list[Segment]] = field(default_factory=dict)
    #: multi-paragraph fields (lead, body) that changed: name -> blocks
    texts: dict[str, list[Block]] = field(default_factory=dict)
    removed_attachments: list[AttachmentText] = field(default_factory=list)
    added_attachments: list[AttachmentText] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.fields or self.texts or self.removed_attachments or self.added_attachments)


def word_diff(old: str, new: str) -> list[Segment]:
    """``old`` -> ``new`` as equal/delete/insert segments of whole words."""
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    segments: list[Segment] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            _append(segments, "equal", "".join(a[i1:i2]))
            continue
        _append(segments, "delete", "".join(a[i1:i2]))
        _append(segments, "insert", "".join(b[j1:j2]))
    return segments


def _append(segments: list[Segment], op: Op, value: str) -> None:
    if not value:
        return
    if segments and segments[-1].op == op:
        segments[-1] = Segment(op, segments[-1].text + value)
    else:
        segments.append(Segment(op, value))


def paragraph_diff(old: str, new: str) -> list[Block]:
    """Paragraph-aligned diff: unchanged runs counted, changed runs diffed word by word."""
    a, b = _paragraphs(old), _paragraphs(new)
    blocks: list[Block] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            blocks.append(Block(unchanged=i2 - i1))
        else:
            blocks.append(Block(segments=tuple(word_diff("\n\n".join(a[i1:i2]), "\n\n".join(b[j1:j2])))))
    return blocks


def _paragraphs(value: str) -> list[str]:
    return [p for p in value.split("\n\n") if p.strip()]


def diff_versions(old: VersionText, new: VersionText) -> VersionDiff:
    diff = VersionDiff(old, new)
    for name, a, b in (("title", old.title, new.title), ("author", old.author, new.author)):
        if a != b:
            diff.fields[name] = word_diff(a, b)
    if old.published_at != new.published_at:  # a date reads best whole
        diff.fields["published"] = [
            Segment("delete", _when(old.published_at)),
            Segment("insert", _when(new.published_at)),
        ]
    for name, a, b in (("lead", old.lead, new.lead), ("body", old.body_text, new.body_text)):
        if a != b:
            diff.texts[name] = paragraph_diff(a, b)
    old_keys = {(x.url, x.sha256) for x in old.attachments}
    new_keys = {(x.url, x.sha256) for x in new.attachments}
    diff.removed_attachments = [x for x in old.attachments if (x.url, x.sha256) not in new_keys]
    diff.added_attachments = [x for x in new.attachments if (x.url, x.sha256) not in old_keys]
    return diff


def _when(value: datetime | None) -> str:
    return value.astimezone(ICT).strftime("%d/%m/%Y %H:%M") if value else "(no date)"


# ---------------------------------------------------------------- rendering


def render_segments(segments: list[Segment], color: bool) -> str:
    out = []
    for seg in segments:
        if seg.op == "equal":
            out.append(seg.text)
        elif color:
            out.append(f"{_RED if seg.op == 'delete' else _GREEN}{seg.text}{_RESET}")
        else:
            out.append(f"[-{seg.text}-]" if seg.op == "delete" else f"{{+{seg.text}+}}")
    return "".join(out)


def render_diff(diff: VersionDiff, color: bool = False) -> str:
    """The diff as text a person reads top to bottom."""
    style = (lambda code, s: f"{code}{s}{_RESET}") if color else (lambda code, s: s)
    lines = [style(_BOLD, f"version {diff.old.number} → version {diff.new.number}") + _seen(diff)]
    if not diff.changed:
        return "\n".join([*lines, "no difference a reader would see"]) + "\n"
    for name, segments in diff.fields.items():
        lines.append(f"{style(_BOLD, name + ':')} {render_segments(segments, color)}")
    for name, blocks in diff.texts.items():
        lines.append(style(_BOLD, f"{name}:"))
        for block in blocks:
            if block.unchanged:
                noun = "paragraph" if block.unchanged == 1 else "paragraphs"
                lines.append(style(_DIM, f"  ⋯ {block.unchanged} unchanged {noun} ⋯"))
            else:
                rendered = render_segments(list(block.segments), color)
                lines.extend(("  " + line).rstrip() for line in rendered.split("\n"))
    if diff.removed_attachments or diff.added_attachments:
        lines.append(style(_BOLD, "attachments:"))
        lines.extend(style(_RED, f"  - {x.label()}") for x in diff.removed_attachments)
        lines.extend(style(_GREEN, f"  + {x.label()}") for x in diff.added_attachments)
    return "\n".join(lines) + "\n"


def _seen(diff: VersionDiff) -> str:
    if diff.old.seen_at is None or diff.new.seen_at is None:
        return ""
    return f" (first seen {_when(diff.old.seen_at)} and {_when(diff.new.seen_at)}, ICT)"
