"""A portal answering with error, soft-404 or challenge pages never blanks an article."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.crawling import crawl, last_run, query
from tests.fixtures.server import FixtureServer

LIFERAY = Path(__file__).parents[1] / "fixtures" / "sites" / "liferay"
SITE = "quangngai"
SOFT_404 = "<html><head><title>Cổng TTĐT</title></head><body><h1>Không tìm thấy</h1><p>Bài viết không tồn tại.</p></body></html>"
CHALLENGE = "<html><head><title>Just a moment...</title></head><body><p>Checking your browser before accessing.</p></body></html>"
ASPNET = "<html><head><title>Runtime Error</title></head><body><h1>Server Error in '/' Application.</h1></body></html>"


def test_error_pages_are_not_versions(db_url: str) -> None:
    with FixtureServer(LIFERAY) as portal:
        assert crawl(SITE, portal.url, db_url).returncode == 0
        versions = query(db_url, "SELECT count(*) FROM version")[0][0]
        articles = [k for k in portal.keys(kind="article", spider=SITE)]
        for key, html in zip(articles, (SOFT_404, CHALLENGE, ASPNET), strict=False):
            portal.override(key, html.encode())
        portal.route(articles[3], lambda *a: (503, {"Content-Type": "text/html"}, b"<h1>Service Unavailable</h1>"))
        result = crawl(SITE, portal.url, db_url, "-a", "depth=full", "-s", "RETRY_TIMES=0")
    assert result.returncode == 0, result.log[-2000:]
    assert last_run(db_url, SITE)["new_versions"] == 0
    assert query(db_url, "SELECT count(*) FROM version")[0][0] == versions
    stats = query(db_url, "SELECT stats FROM crawl_run ORDER BY id DESC LIMIT 1")[0][0]
    stats = stats if isinstance(stats, dict) else json.loads(stats)
    assert (stats.get("archive/not_found"), stats.get("archive/challenge"), stats.get("archive/error_page")) == (1, 1, 1)
