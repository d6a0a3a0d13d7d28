"""crawler.extract, which every family uses: signatures, captions, attachments, counters,
and text that sits beside paragraphs."""

from __future__ import annotations

import lxml.html
import pytest

from crawler.extract import (
    attachments,
    element_text,
    extract_body,
    images,
    is_attachment_url,
    signature,
    signature_text,
)

BASE = "https://portal.gov.vn/tin-tuc/bai-viet"
PARAGRAPH = (
    "<p>Ủy ban nhân dân xã tổ chức hội nghị tổng kết công tác năm 2023, triển khai nhiệm vụ năm 2024.</p>"
)


def el(markup: str) -> lxml.html.HtmlElement:
    return lxml.html.fragment_fromstring(markup, create_parent="div")


# -- signatures ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("last", "author"),
    [
        ('<p style="text-align: right;"><strong>Trần Thu Ngân</strong></p>', "Trần Thu Ngân"),
        ('<p style="text-align:right">Phòng Tài chính - Kế hoạch</p>', "Phòng Tài chính - Kế hoạch"),
        ('<p class="has-text-align-right"><strong>Minh Thư</strong></p>', "Minh Thư"),
        ('<p align="right"><b>Ngọc Lan</b></p>', "Ngọc Lan"),
        ('<div align="right"><p>Ban Dân tộc tỉnh</p></div>', "Ban Dân tộc tỉnh"),
        ("<p><strong>T.H</strong></p>", "T.H"),
        ("<p>P.L</p>", "P.L"),
        ("<p>Thị Thoang</p>", "Thị Thoang"),
        ('<p style="text-align:right"><em>Tin, ảnh: Văn Tâm</em></p>', "Văn Tâm"),
        ("<p>Tác giả: Lê Hoa</p>", "Lê Hoa"),
        ("<p>Bài và ảnh: Hữu Nghĩa</p>", "Hữu Nghĩa"),
    ],
)
def test_signature_is_the_author_and_leaves_the_text(last: str, author: str) -> None:
    body = extract_body(el(PARAGRAPH + last), BASE)
    assert body is not None
    assert body.author == author
    assert body.text == element_text(el(PARAGRAPH))


@pytest.mark.parametrize(
    "last",
    [
        "<p>Hội nghị kết thúc tốt đẹp.</p>",  # a sentence
        "<p>Thời gian tới, các ngành tiếp tục triển khai</p>",  # lower-case words, not set apart
        '<p style="text-align:right">Ngày 12/01/2024</p>',  # digits
        "<p>Ảnh: Đức Trung</p>",  # a photo credit
        "<p>Nguồn: Báo Quảng Ngãi</p>",  # a source line
    ],
)
def test_not_a_signature(last: str) -> None:
    body = extract_body(el(PARAGRAPH + last), BASE)
    assert body is not None and body.author == ""
    assert body.text.endswith(element_text(el(last)))


def test_signature_above_a_photo_credit_and_credit_stays_in_text() -> None:
    body = extract_body(
        el(
            PARAGRAPH
            + '<p style="text-align: right;"><strong>Hữu Nghĩa</strong></p><p><em>Ảnh: Đức Trung</em></p>'
        ),
        BASE,
    )
    assert body is not None
    assert body.author == "Hữu Nghĩa"
    assert body.text.endswith("\n\nẢnh: Đức Trung") and "Hữu Nghĩa" not in body.text


def test_signature_as_the_last_line_of_loose_text() -> None:
    body = extract_body(
        el("Sáng 4/1, hội nghị được tổ chức.<br><br>Các đại biểu thống nhất giải pháp.<br><br>P.V"), BASE
    )
    assert body is not None
    assert (body.author, body.text) == (
        "P.V",
        "Sáng 4/1, hội nghị được tổ chức.\n\nCác đại biểu thống nhất giải pháp.",
    )


def test_signature_text_needs_a_name_or_a_label() -> None:
    assert signature_text("Văn Tâm") == "Văn Tâm"
    assert signature_text("văn phòng huyện") is None
    assert signature_text("văn phòng huyện", set_apart=True) == "văn phòng huyện"
    assert signature(el('<p style="text-align:right">Hà Nội, ngày 12 tháng 3 năm 2024</p>')[0]) is None


# -- captions and images ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "markup",
    [
        '<figure class="image"><img src="/a.jpg"><figcaption>Quang cảnh hội nghị</figcaption></figure>',
        '<p style="text-align:center"><img src="/a.jpg"></p><p style="text-align:center"><em>Quang cảnh hội nghị</em></p>',
        '<p><img src="/a.jpg"><br><em>Quang cảnh hội nghị</em></p>',
        '<table class="image"><tr><td><img src="/a.jpg"></td></tr><tr><td>Quang cảnh hội nghị</td></tr></table>',
        '<div class="wp-caption"><img src="/a.jpg"><p class="wp-caption-text">Quang cảnh hội nghị</p></div>',
        '<div><img src="/a.jpg"></div><div class="chuthich">Quang cảnh hội nghị</div>',
        '<p><img src="/a.jpg" alt="Quang cảnh hội nghị"></p>',
    ],
)
def test_image_captions(markup: str) -> None:
    found = images(el(markup), BASE)
    assert [(i.url, i.caption) for i in found] == [("https://portal.gov.vn/a.jpg", "Quang cảnh hội nghị")]


def test_inline_data_images_are_skipped() -> None:
    assert images(el('<p><img src="data:image/png;base64,AAAA"><img src=""></p>'), BASE) == []


# -- attachments --------------------------------------------------------------------------------


def test_attachments_are_document_links_once_each_with_their_text() -> None:
    markup = (
        '<p>Tài liệu đính kèm: <a href="/documents/10181/1234567/KH-123-UBND.pdf/db995db5-ab8a">KH-123-UBND.pdf</a></p>'
        '<p><a href="/Upload/QD-12.DOCX">Quyết định số 12</a> <a href="/Upload/QD-12.DOCX">tải về</a></p>'
        '<p><a href="/tin-tuc/bai-khac.html">Bài khác</a> <a href="mailto:a@b.vn">a@b.vn</a> <a href="ftp://x/y.pdf">ftp</a></p>'
    )
    found = attachments(el(markup), BASE)
    assert [(a.url, a.title) for a in found] == [
        ("https://portal.gov.vn/documents/10181/1234567/KH-123-UBND.pdf/db995db5-ab8a", "KH-123-UBND.pdf"),
        ("https://portal.gov.vn/Upload/QD-12.DOCX", "Quyết định số 12"),
    ]


def test_is_attachment_url() -> None:
    assert is_attachment_url("https://x.vn/files/Bao-cao.xlsx?v=2")
    assert not is_attachment_url("https://x.vn/tin-tuc/bai-viet.aspx")
    assert not is_attachment_url("javascript:download('a.pdf')")


# -- counters and table data --------------------------------------------------------------------


def test_counter_lines_are_dropped_in_every_format() -> None:
    markup = "".join(
        f"<p>{line}</p>"
        for line in (
            "Lượt xem: 86",
            "Lượt đọc: 400",
            "Số lần xem: 1.234",
            "Đã xem: 400 lần",
            "Hits: 400",
            "Đang online: 9 • Hôm nay: 145 • Tất cả: 147690",
            "Số lượt truy cập: 3,038",
        )
    )
    assert element_text(el(PARAGRAPH + markup)) == element_text(el(PARAGRAPH))


def test_bare_numbers_in_a_table_are_data_not_counters() -> None:
    table = (
        "<table><tr><td>Huyện</td><td>Số hộ</td></tr><tr><td>Sơn Tây</td><td>1.234</td></tr>"
        "<tr><td>Trà Bồng</td><td>2 063</td></tr><tr><td>Tổng</td><td>96,450</td></tr></table>"
    )
    body = extract_body(el(PARAGRAPH + table), BASE)
    assert body is not None
    assert body.text.split("\n\n")[1:] == [
        "Huyện",
        "Số hộ",
        "Sơn Tây",
        "1.234",
        "Trà Bồng",
        "2 063",
        "Tổng",
        "96,450",
    ]


def test_a_sentence_mentioning_today_is_kept() -> None:
    assert (
        element_text(el("<p>Hôm nay, xã ra quân tổng vệ sinh môi trường.</p>"))
        == "Hôm nay, xã ra quân tổng vệ sinh môi trường."
    )


# -- text beside paragraphs ---------------------------------------------------------------------


def test_loose_text_beside_blocks_is_kept_in_order() -> None:
    body = extract_body(
        el("Sáng 4/1, hội nghị khai mạc.<br>Dòng thứ hai.<p>Đoạn giữa.</p>Đoạn cuối, không có thẻ p."), BASE
    )
    assert body is not None
    assert (
        body.text == "Sáng 4/1, hội nghị khai mạc.\nDòng thứ hai.\n\nĐoạn giữa.\n\nĐoạn cuối, không có thẻ p."
    )


def test_nothing_to_read_is_none() -> None:
    assert extract_body(el("<p>&nbsp;</p><p><br></p>"), BASE) is None


def test_body_html_keeps_links_absolute_and_drops_scripts() -> None:
    body = extract_body(
        el('<p onclick="x()">Xem <a href="/a.html" class="x">tại đây</a><script>alert(1)</script></p>'), BASE
    )
    assert body is not None
    assert body.html == '<div><p>Xem <a href="https://portal.gov.vn/a.html">tại đây</a></p></div>'
