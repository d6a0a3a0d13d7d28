"""Error, soft-404 and challenge pages are recognised; real articles are not mistaken for them."""

from __future__ import annotations

import pytest
from scrapy.http import HtmlResponse, Request

from crawler.guards import PageKind, classify
from tests.golden import cases, parse

URL = "https://quangngai.gov.vn/web/portal-qni/xem-chi-tiet/-/asset_publisher/Content/x?123"
CHROME = "<nav>" + " ".join(f"<a href='/m{i}'>Mục {i}</a>" for i in range(40)) + "</nav>"


def page(body: str, title: str = "Cổng thông tin", status: int = 200, **meta: object) -> HtmlResponse:
    html = f"<html><head><title>{title}</title></head><body>{CHROME}{body}</body></html>"
    return HtmlResponse(URL, status=status, body=html.encode(), encoding="utf-8", request=Request(URL, meta=meta))


@pytest.mark.parametrize(
    ("response", "kind"),
    [
        (page("<h1>Không tìm thấy</h1><p>Trang bạn yêu cầu không có.</p>"), PageKind.NOT_FOUND),
        (page("<div class='portlet-msg-error'>Bài viết không tồn tại hoặc đã bị xóa.</div>"), PageKind.NOT_FOUND),
        (page("<p>x</p>", title="404 Not Found"), PageKind.NOT_FOUND),
        (page("<p>gone</p>", status=410), PageKind.NOT_FOUND),
        (page("<p>Checking your browser before accessing quangngai.gov.vn.</p>", title="Just a moment..."),
         PageKind.CHALLENGE),
        (page("<h1>Server Error in '/' Application.</h1><h2>Runtime Error</h2>"), PageKind.ERROR),
        (page("<p>Service Unavailable</p>", status=503), PageKind.ERROR),
    ],
    ids=["soft404-heading", "soft404-message", "404-title", "410", "challenge", "aspnet-error", "503"],
)
def test_pages_that_are_not_articles(response: HtmlResponse, kind: PageKind) -> None:
    assert classify(response) is kind


def test_redirect_of_an_article_to_the_home_page_means_gone() -> None:
    home = "https://quangngai.gov.vn/web/portal-qni/trang-chu"
    response = HtmlResponse(home, body=b"<html><body><p>Trang chu</p></body></html>",
                            request=Request(home, meta={"redirect_urls": [URL]}))
    assert classify(response) is PageKind.NOT_FOUND


def test_an_article_about_something_that_does_not_exist_is_an_article() -> None:
    body = "<h1>Xử lý doanh nghiệp không tồn tại tại địa chỉ đăng ký</h1>" + "<p>Nội dung bài viết dài.</p>" * 200
    assert classify(page(body)) is PageKind.ARTICLE


@pytest.mark.parametrize("case", list(cases()), ids=lambda c: c.id)
def test_every_fixture_article_page_is_an_article(case) -> None:  # type: ignore[no-untyped-def]
    if not parse(case)["items"]:
        pytest.skip("a page without an article")
    body = case.file.read_bytes()
    url = f"https://{case.key}"
    assert classify(HtmlResponse(url, body=body, headers={"Content-Type": case.content_type},
                                 request=Request(url))) is PageKind.ARTICLE
