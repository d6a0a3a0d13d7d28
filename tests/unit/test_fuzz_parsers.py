"""Random and malformed HTML through every family parser: it may find nothing, it may not crash.

Pages are real fixture pages cut short, with tags deleted or duplicated, bytes
flipped, encodings lied about, and pages built from random tag soup, each
served at a real article or listing URL of the spider's own fixture site.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scrapy.http import HtmlResponse, Request

from tests.golden import SITES, spider_for

TAGS = ["div", "p", "span", "a", "h1", "h3", "ul", "li", "table", "td", "strong", "em", "img", "br", "script", "form"]
CLASSES = ["asset-full-content", "journal-content-article", "header-title", "date-view", "date", "asset-content",
           "ArticleList", "ArticleContent", "Title", "PostDate", "title-detail", "article-content", "post-date",
           "asset-abstract", "asset-title", "lfr-pagination-buttons", "ButtonPage", "content", "item", "title"]


def fixture_pages() -> list[tuple[str, str, str, bytes]]:
    """(spider, kind, url, body) of every fixture page with a spider."""
    import json

    pages = []
    for manifest in sorted(SITES.glob("*/manifest.json")):
        for key, route in json.loads(manifest.read_text(encoding="utf-8"))["routes"].items():
            if route.get("spider") and route.get("kind") in ("article", "listing"):
                body = (manifest.parent / route["file"]).read_bytes()
                pages.append((route["spider"], route["kind"], f"https://{key}", body))
    return pages


PAGES = fixture_pages()
SPIDERS = sorted({spider for spider, *_ in PAGES})


def soup(draw: st.DrawFn) -> bytes:
    parts: list[str] = []
    for _ in range(draw(st.integers(0, 60))):
        tag = draw(st.sampled_from(TAGS))
        cls = draw(st.sampled_from(CLASSES))
        text = draw(st.text(max_size=40))
        closing = draw(st.booleans())
        href = draw(st.sampled_from(["", "?1", "javascript:__doPostBack('x','Page$2')", "//", "http://[bad", "#"]))
        parts.append(f'<{tag} class="{cls}" href="{href}" style="text-align:right">{text}' + (f"</{tag}>" if closing else ""))
    return "".join(parts).encode("utf-8", "surrogatepass") if parts else b""


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, str, str, bytes]:
    spider, kind, url, body = draw(st.sampled_from(PAGES))
    rng = random.Random(draw(st.integers(0, 2**32)))
    mode = draw(st.sampled_from(["truncate", "delete", "flip", "soup", "splice", "empty"]))
    if mode == "truncate":
        body = body[: rng.randrange(len(body) + 1)]
    elif mode == "delete":
        for _ in range(rng.randrange(1, 30)):
            start = rng.randrange(len(body) or 1)
            body = body[:start] + body[start + rng.randrange(1, 400):]
    elif mode == "flip":
        data = bytearray(body)
        for _ in range(rng.randrange(1, 200)):
            if data:
                data[rng.randrange(len(data))] = rng.randrange(256)
        body = bytes(data)
    elif mode == "soup":
        body = soup(draw)
    elif mode == "splice":
        other = draw(st.sampled_from(PAGES))[3]
        body = body[: rng.randrange(len(body) + 1)] + other[rng.randrange(len(other) + 1):]
    else:
        body = b""
    return spider, kind, url, body


def run(spider_name: str, kind: str, url: str, body: bytes, encoding: str) -> list[object]:
    spider = spider_for(spider_name)
    response = HtmlResponse(url, body=body, headers={"Content-Type": f"text/html; charset={encoding}"},
                            request=Request(url))
    callback = spider.parse_article if kind == "article" else spider.parse_listing
    return list(_drain(callback(response)))


def _drain(result: object) -> Iterator[object]:
    yield from (result or ())  # type: ignore[union-attr]


@pytest.mark.skipif(not PAGES, reason="no fixture pages")
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(page=mutated(), encoding=st.sampled_from(["utf-8", "windows-1258", "iso-8859-1", "utf-16", "bogus-charset"]))
def test_family_parsers_never_crash(page: tuple[str, str, str, bytes], encoding: str) -> None:
    spider, kind, url, body = page
    for output in run(spider, kind, url, body, encoding):
        assert output is not None


@pytest.mark.parametrize("spider", SPIDERS)
def test_every_spider_stores_nothing_from_an_empty_a_binary_or_a_bodiless_page(spider: str) -> None:
    url = next(u for s, k, u, _ in PAGES if s == spider and k == "article")
    for body in (b"", bytes(range(256)) * 40, b"<html><body><div class='journal-content-article'></div>"):
        assert run(spider, "article", url, body, "utf-8") == [], body[:60]
