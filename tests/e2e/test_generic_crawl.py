"""The generic spider: ``scrapy crawl generic -a start_url=… -a article_pattern=…`` over the four
"unknown portal" fixture sites (tests/fixtures/sites/generic), through the mirror, into SQLite
and PostgreSQL; plus its arguments, URL identity and listing rules without a crawl."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse, Request

from archive.db import PROJECT_ROOT
from spiders.generic import GenericArgumentError, GenericSpider, canonical_url
from tests.e2e.crawling import crawl, last_run, query, scalar
from tests.fixtures.server import FixtureServer
from tests.fixtures.sites.generic import expected
from tests.fixtures.sites.generic.articles import ARTICLES, PORTALS, Portal
from tests.fixtures.sites.generic.build import listing_path

GENERIC = Path(__file__).parents[1] / "fixtures" / "sites" / "generic"
ROUTES = json.loads((GENERIC / "manifest.json").read_text(encoding="utf-8"))["routes"]


@pytest.fixture(scope="module")
def portals() -> Iterator[FixtureServer]:
    with FixtureServer(GENERIC) as server:
        yield server


def arguments(portal: Portal, *extra: str) -> tuple[str, ...]:
    return (
        "-a",
        f"start_url=https://{portal.host}{portal.start_path}",
        "-a",
        f"article_pattern={portal.article_pattern}",
        "-a",
        f"site={portal.site}",
        *extra,
    )


def utc(value: object) -> str:
    """A stored timestamp as UTC ISO text: SQLite gives naive UTC text, PostgreSQL an aware datetime."""
    stamp = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return (stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)).isoformat()


def test_every_portal_crawls_then_recrawls_without_new_versions(portals: FixtureServer, db_url: str) -> None:
    for portal in PORTALS.values():
        result = crawl("generic", portals.url, db_url, *arguments(portal))
        assert result.returncode == 0, result.log[-3000:]
        run = last_run(db_url, portal.site)
        count = sum(1 for a in ARTICLES if a.portal == portal.key)
        assert run["status"] == "finished" and run["errors"] == 0, result.log[-3000:]
        assert run["new_articles"] == run["new_versions"] == count, result.log[-3000:]
        assert run["fallbacks"] == 0  # no family selectors fell back: no health warning for these sites
        assert portals.hits(portal.host + listing_path(portal, 2)) >= 1  # the oldest article is only there

    sites = query(db_url, "SELECT name, display_name, level, family, home_url FROM site ORDER BY name")
    assert sites == sorted(
        (p.site, p.host, "other", "generic", f"https://{p.host}/") for p in PORTALS.values()
    )
    stored = query(
        db_url, "SELECT source_key, title, author, published_at, extraction, version FROM article_current"
    )
    want = [expected.expected(a) for a in ARTICLES]
    assert sorted(
        (key, title, author, utc(when), extraction, version)
        for key, title, author, when, extraction, version in stored
    ) == sorted((w["key"], w["title"], w["author"], utc(w["published_at"]), "fallback", 1) for w in want)

    for portal in PORTALS.values():
        again = crawl("generic", portals.url, db_url, *arguments(portal, "-a", "depth=full"))
        run = last_run(db_url, portal.site)
        assert (run["new_articles"], run["new_versions"], run["errors"]) == (0, 0, 0), again.log[-3000:]


def test_edit_tracking_links_and_attachments(portals: FixtureServer, db_url: str) -> None:
    table = PORTALS["tablelayout"]
    assert crawl("generic", portals.url, db_url, *arguments(table)).returncode == 0
    keys = [k for (k,) in query(db_url, "SELECT source_key FROM article")]
    assert len(keys) == 3 and not any("#" in k or "utm_" in k or "fbclid" in k for k in keys)

    briefing = next(a for a in ARTICLES if a.name == "tl-briefing")
    route = table.host + briefing.path
    page = (GENERIC / ROUTES[route]["file"]).read_bytes()
    portals.override(
        route, page.replace("an toàn, tiết kiệm.".encode(), "an toàn, lành mạnh, tiết kiệm.".encode())
    )
    try:
        crawl("generic", portals.url, db_url, *arguments(table, "-a", "depth=full"))
    finally:
        portals.restore(route)
    assert last_run(db_url, table.site)["new_versions"] == 1
    assert query(db_url, "SELECT title_changed, body_changed FROM article_changes") == [(0, 1)]

    sharepoint = PORTALS["sharepoint"]
    assert crawl("generic", portals.url, db_url, *arguments(sharepoint)).returncode == 0
    pdf = next(k for k, r in ROUTES.items() if r["kind"] == "file" and k.startswith(sharepoint.host))
    stored = query(db_url, "SELECT data FROM attachment WHERE first_url = :u", u=f"https://{pdf}")
    assert stored and bytes(stored[0][0]) == (GENERIC / ROUTES[pdf]["file"]).read_bytes()
    assert scalar(db_url, "SELECT count(*) FROM snapshot") == scalar(db_url, "SELECT count(*) FROM version")


def test_missing_arguments_fail_with_one_line_saying_what_to_pass(tmp_path: Path) -> None:
    argv = [sys.executable, "-m", "scrapy", "crawl", "generic", "-a", "start_url=https://x.gov.vn/tin-tuc"]
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'a.sqlite3'}", "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        argv, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 2
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert (
        len(errors) == 1 and "-a article_pattern=" in errors[0] and "Usage: scrapy crawl generic" in errors[0]
    )
    assert "Traceback" not in done.stderr


# -- without a crawl ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "complaint"),
    [
        ({}, "-a start_url="),
        ({"start_url": "dongson.thanhhoa.gov.vn/portal"}, "http(s) URL"),
        ({"start_url": "https://x.vn/"}, "-a article_pattern="),
        ({"start_url": "https://x.vn/", "article_pattern": "(unclosed"}, "not a regular expression"),
        ({"start_url": "https://x.vn/", "article_pattern": "/tin/", "max_pages": "0"}, "max_pages"),
        ({"start_url": "https://x.vn/", "article_pattern": "/tin/", "site": "Thanh Hoa"}, "site must be"),
    ],
)
def test_bad_arguments_say_what_to_pass(arguments: dict[str, str], complaint: str) -> None:
    with pytest.raises(GenericArgumentError, match="Usage: scrapy crawl generic") as raised:
        GenericSpider(**arguments)
    assert complaint in str(raised.value)


def test_site_is_named_per_portal() -> None:
    spider = GenericSpider(
        start_url="https://Dongson.ThanhHoa.gov.vn/portal/Pages/Tin-tuc.aspx", article_pattern="/Pages/"
    )
    assert spider.name == "generic_dongson_thanhhoa_gov_vn"
    info = spider.site_info()
    assert (info.name, info.level, info.family, info.home_url) == (
        spider.name,
        "other",
        "generic",
        "https://dongson.thanhhoa.gov.vn/",
    )
    assert (
        GenericSpider(start_url="https://x.vn/", article_pattern="a", site="thanhhoa_dongson")
        .site_info()
        .name
        == "thanhhoa_dongson"
    )


def test_source_key_is_the_canonical_url_without_scheme() -> None:
    spider = GenericSpider(start_url="https://x.vn/tin-tuc", article_pattern="/bai/")
    url = "http://X.vn:80/bai/1.html?id=5&utm_source=zalo&b=2&fbclid=IwAR0&a=1#binhluan"
    assert canonical_url(url) == "http://x.vn/bai/1.html?a=1&b=2&id=5"
    assert (
        spider.source_key(url)
        == spider.source_key("https://x.vn/bai/1.html?b=2&a=1&id=5")
        == "x.vn/bai/1.html?a=1&b=2&id=5"
    )
    long_key = spider.source_key("https://x.vn/" + "tin-dai-" * 60 + ".html")
    assert long_key is not None and len(long_key) == 300
    assert long_key != spider.source_key("https://x.vn/" + "tin-dai-" * 60 + "-2.html")


def test_listing_follows_articles_and_its_own_pager_only() -> None:
    spider = GenericSpider(
        start_url="https://x.vn/tin-tuc/", article_pattern=r"/\d{4}/\d{2}/\d{2}/[^/]+/$", max_pages="2"
    )
    html = """<a href="/2024/03/05/bai-mot/#comments">1</a> <a href="https://x.vn/2024/03/06/bai-hai/?utm_source=fb">2</a>
    <a href="https://khac.vn/2024/03/07/bai-ba/">other host</a> <a href="/tin-tuc/page/2/">2</a> <a href="/tin-tuc/page/3/">3</a>
    <a href="/thong-bao/page/2/">another listing</a> <a href="/gioi-thieu/">about</a>"""
    response = HtmlResponse(
        "https://x.vn/tin-tuc/",
        body=html.encode(),
        encoding="utf-8",
        request=Request("https://x.vn/tin-tuc/"),
    )
    list(spider.start_page_urls())
    requests = list(spider.parse_listing(response))
    kinds = [(r.meta["archive_kind"], r.url) for r in requests]
    assert kinds == [
        ("article", "https://x.vn/2024/03/05/bai-mot/"),
        ("article", "https://x.vn/2024/03/06/bai-hai/"),
        ("listing", "https://x.vn/tin-tuc/page/2/"),
    ]  # max_pages=2: the start page and page 2
    assert requests[0].meta["archive_source_key"] == "x.vn/2024/03/05/bai-mot/"
