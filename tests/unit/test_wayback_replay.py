"""Reading replay answers: header sets as recorded from the Internet Archive (tests/fixtures/wayback/recorded.py)
and as pywb sends them."""

from __future__ import annotations

from datetime import UTC, datetime

from crawler.wayback_cdx import refusal
from crawler.wayback_replay import is_archived, read_replay, replay_parts, split_headers, without_default_port
from tests.fixtures.wayback import recorded

URL = "https://web.archive.org/web/20180808104500id_/https://www.epa.gov/ghgreporting/fact-sheet"


def ia_capture() -> dict[str, str]:
    headers = recorded.capture_headers("https://www.epa.gov/ghgreporting/fact-sheet", "20180808104500",
                                       "Wed, 08 Aug 2018 10:45:00 GMT", "https://web.archive.org")
    return {**headers, "Content-Type": "text/html; charset=utf-8", "x-archive-orig-server": "Apache",
            "X-Archive-Orig-Date": "Wed, 08 Aug 2018 10:45:00 GMT", "X-Archive-Orig-Content-Length": "40310"}


def test_a_capture_is_dated_by_memento_datetime() -> None:
    replay = read_replay(URL.replace("20180808104500", "20180808094144"), ia_capture())
    assert replay.captured_at == datetime(2018, 8, 8, 10, 45, tzinfo=UTC)
    assert replay.archived


def test_without_memento_datetime_the_served_urls_timestamp_dates_it() -> None:
    replay = read_replay(URL, {"Content-Type": "text/html"})
    assert replay.captured_at == datetime(2018, 8, 8, 10, 45, tzinfo=UTC)
    assert replay.original == "https://www.epa.gov/ghgreporting/fact-sheet" and not replay.archived


def test_the_portals_headers_are_the_orig_ones() -> None:
    portal, archive = split_headers(ia_capture())
    assert portal == {"Server": "Apache", "Date": "Wed, 08 Aug 2018 10:45:00 GMT", "Content-Length": "40310",
                      "Content-Type": "text/html; charset=utf-8"}
    assert {"Memento-Datetime", "X-Archive-Src", "Link", "Server", "Content-Security-Policy"} <= set(archive)


def test_pywb_headers_lose_only_the_archives_own() -> None:
    portal, archive = split_headers({"Content-Type": "text/html", "Server": "Apache-Coyote/1.1",
                                     "Memento-Datetime": "Thu, 01 Feb 2024 03:00:00 GMT", "Link": "<x>; rel=original"})
    assert portal == {"Content-Type": "text/html", "Server": "Apache-Coyote/1.1"}
    assert set(archive) == {"Memento-Datetime", "Link"}


def test_the_archives_own_answers_are_not_archived() -> None:
    status, headers, _ = recorded.nearest_redirect(URL, "20180808104500")
    assert status == 302 and not is_archived(headers)
    assert not is_archived({"Retry-After": "5", "Content-Type": "text/html"})  # the archive throttling
    assert is_archived({"memento-datetime": "Thu, 29 Jan 2015 03:49:04 GMT", "x-archive-orig-retry-after": "6"})


def test_replay_urls() -> None:
    assert replay_parts("http://127.0.0.1:8080/web/2015id_/http://a.gov.vn/x?1") == ("2015", "http://a.gov.vn/x?1")
    assert replay_parts("https://web.archive.org/web/20150101000000/a.gov.vn/x") == ("20150101000000",
                                                                                     "http://a.gov.vn/x")
    assert replay_parts("https://web.archive.org/cdx/search/cdx?url=a.gov.vn") is None
    assert without_default_port("http://www.zew.de:80/") == "http://www.zew.de/"
    assert without_default_port("https://a.vn:8443/x") == "https://a.vn:8443/x"


def test_refusals_say_why() -> None:
    status, _, body = recorded.BLOCKED_CDX
    assert refusal(status, body.decode()) == "HTTP 403, Blocked Site Error (the archive excludes the site)"
    assert refusal(502, "<html>\n<title>Bad gateway</title>") == "HTTP 502, <html>"
