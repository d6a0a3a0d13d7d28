"""Word-level diffs of two versions of an article."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from archive.diff import (
    AttachmentText,
    Block,
    Segment,
    VersionText,
    diff_versions,
    paragraph_diff,
    render_diff,
    render_segments,
    word_diff,
)

ICT = timezone(timedelta(hours=7))
P1 = "Sáng ngày 08/7, Ban Dân vận Huyện ủy Châu Thành tổ chức hội nghị."
P2 = "Tổ chức tuyên truyền được 4.646 cuộc với 82.427 lượt người tham dự."
P3 = "Phát biểu chỉ đạo tại hội nghị, đồng chí Phó trưởng Ban đề nghị tiếp tục."


def version(number: int, body: str, **changes: object) -> VersionText:
    values: dict[str, object] = {
        "title": "Sơ kết công tác dân vận",
        "lead": "",
        "author": "Trần Thu Ngân",
        "published_at": datetime(2021, 7, 8, 10, 15, tzinfo=ICT),
        "attachments": (),
    }
    return VersionText(number=number, body_text=body, **{**values, **changes})  # type: ignore[arg-type]


def test_word_diff_keeps_whole_words_and_punctuation_apart() -> None:
    assert word_diff("được 4.646 cuộc", "được 4.656 cuộc") == [
        Segment("equal", "được 4."),
        Segment("delete", "646"),
        Segment("insert", "656"),
        Segment("equal", " cuộc"),
    ]
    assert word_diff("Ban Dân vận", "Ban Dân vận") == [Segment("equal", "Ban Dân vận")]
    assert word_diff("", "mới") == [Segment("insert", "mới")]


def test_unchanged_paragraphs_are_folded_away() -> None:
    old = "\n\n".join([P1, P2, P3])
    new = "\n\n".join([P1, P2.replace("4.646", "4.656"), P3, "Đoạn mới thêm vào."])
    blocks = paragraph_diff(old, new)
    assert blocks[0] == Block(unchanged=1)
    assert "".join(s.text for s in blocks[1].segments if s.op != "insert") == P2
    assert blocks[2] == Block(unchanged=1)
    assert blocks[3].segments == (Segment("insert", "Đoạn mới thêm vào."),)


def test_render_marks_changes_in_plain_text_and_colour() -> None:
    segments = word_diff("đợt 5", "đợt 6")
    assert render_segments(segments, color=False) == "đợt [-5-]{+6+}"
    assert render_segments(segments, color=True) == "đợt \x1b[31m5\x1b[0m\x1b[32m6\x1b[0m"


def test_version_diff_covers_title_date_body_and_attachments() -> None:
    pdf1 = AttachmentText("https://h/documents/KH.pdf", "KH.pdf", "a" * 64)
    pdf2 = AttachmentText("https://h/documents/KH.pdf", "KH.pdf", "b" * 64)
    old = version(1, "\n\n".join([P1, P2]), attachments=(pdf1,))
    new = version(
        2,
        "\n\n".join([P1, P2.replace("4.646", "4.656")]),
        title="Sơ kết công tác dân vận 2021",
        published_at=datetime(2021, 7, 9, 8, 0, tzinfo=ICT),
        attachments=(pdf2,),
    )
    diff = diff_versions(old, new)
    assert set(diff.fields) == {"title", "published"} and set(diff.texts) == {"body"}
    assert (diff.removed_attachments, diff.added_attachments) == ([pdf1], [pdf2])
    out = render_diff(diff)
    assert out.splitlines()[:3] == [
        "version 1 → version 2",
        "title: Sơ kết công tác dân vận{+ 2021+}",
        "published: [-08/07/2021 10:15-]{+09/07/2021 08:00+}",
    ]
    assert "  ⋯ 1 unchanged paragraph ⋯" in out and "  Tổ chức tuyên truyền được 4.[-646-]{+656+} cuộc" in out
    assert f"  - KH.pdf <https://h/documents/KH.pdf> ({'a' * 12})" in out
    assert f"  + KH.pdf <https://h/documents/KH.pdf> ({'b' * 12})" in out


def test_identical_versions_say_so() -> None:
    same = version(1, P1)
    assert not diff_versions(same, same).changed
    assert render_diff(diff_versions(same, same)).endswith("no difference a reader would see\n")


def test_an_attachment_that_never_downloaded_is_labelled() -> None:
    missing = AttachmentText("https://h/documents/x.doc", "x.doc", None)
    diff = diff_versions(version(1, P1), version(2, P1, attachments=(missing,)))
    assert diff.added_attachments == [missing]
    assert "(not downloaded)" in render_diff(diff)
