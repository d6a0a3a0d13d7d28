"""An attachment link that redirects (a download handler, http→https) is followed, as a page is:
the file is archived; a redirect loop is given up after Scrapy's redirect limit."""

from __future__ import annotations

import hashlib

from tests.e2e.crawling import crawl, query
from tests.fixtures.server import FixtureServer
from tests.fixtures.wayback import FILE, LIFERAY

SITE = "quangngai_minhlong"
HANDLER = "https://minhlong.quangngai.gov.vn/c/document_library/get_file?uuid=00a673ce&groupId=20182"
DOC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 Danh sach ho ngheo 2023"


def test_a_redirected_attachment_is_archived(db_url: str) -> None:
    with FixtureServer(LIFERAY) as portal:
        portal.route(FILE, lambda *_: (302, {"Location": HANDLER}, b""))
        portal.route(HANDLER, lambda *_: (200, {"Content-Type": "application/msword"}, DOC))
        result = crawl(SITE, portal.url, db_url)
        assert portal.hits(HANDLER) == 1, result.log[-3000:]
    assert result.returncode == 0, result.log[-3000:]
    rows = query(db_url, "SELECT ca.url, a.sha256 FROM content_attachment ca JOIN attachment a "
                         "ON a.id = ca.attachment_id WHERE ca.url = :u", u=FILE)
    assert rows == [(FILE, hashlib.sha256(DOC).hexdigest())], result.log[-3000:]


def test_an_attachment_redirect_loop_is_given_up(db_url: str) -> None:
    with FixtureServer(LIFERAY) as portal:
        portal.route(FILE, lambda *_: (302, {"Location": HANDLER}, b""))
        portal.route(HANDLER, lambda *_: (302, {"Location": FILE}, b""))
        result = crawl(SITE, portal.url, db_url, "-s", "REDIRECT_MAX_TIMES=4")
        assert portal.hits(HANDLER) <= 3, result.log[-3000:]
    assert result.returncode == 0, result.log[-3000:]
    assert query(db_url, "SELECT attachment_id FROM content_attachment WHERE url = :u", u=FILE) == [(None,)]
    assert "not downloaded" in result.log
