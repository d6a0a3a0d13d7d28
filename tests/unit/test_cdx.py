"""Reading CDX answers (the Internet Archive's JSON, pywb's JSON lines) and building CDX queries."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit

import pytest

from crawler.wayback import retry_after
from crawler.wayback_cdx import CdxError, cdx_day, cdx_query_url, parse_cdx

URL = "https://minhlong.quangngai.gov.vn/web/minhlong/xem-chi-tiet/-/asset_publisher/Content/x?4790573"
IA = [
    ["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length"],
    ["vn,gov,quangngai,minhlong)/x?4790573", "20240201030000", URL, "text/html", "200", "AAA", "12510"],
    ["vn,gov,quangngai,minhlong)/x?4790573", "20241201020000", URL, "text/html", "200", "BBB", "12511"],
]


def test_internet_archive_array_of_arrays() -> None:
    page = parse_cdx(json.dumps(IA))
    assert page.resume_key is None and page.skipped == 0
    assert [c.timestamp for c in page.captures] == ["20240201030000", "20241201020000"]
    first = page.captures[0]
    assert (first.original, first.mimetype, first.statuscode, first.digest) == (URL, "text/html", "200", "AAA")
    assert first.captured_at == datetime(2024, 2, 1, 3, 0, tzinfo=UTC)
    assert first.replay_url("https://web.archive.org/web/") == f"https://web.archive.org/web/20240201030000id_/{URL}"


def test_internet_archive_resume_key_ends_a_page() -> None:
    page = parse_cdx(json.dumps([*IA, [], ["vn,gov,quangngai)/x 20241201020000"]]))
    assert len(page.captures) == 2 and page.resume_key == "vn,gov,quangngai)/x 20241201020000"


@pytest.mark.parametrize("answer", ["", "  \n", "[]", "[]\n"])
def test_empty_answers(answer: str) -> None:
    page = parse_cdx(answer)
    assert page.captures == [] and page.resume_key is None and page.skipped == 0


def test_internet_archive_rows_of_the_wrong_length_are_skipped_and_counted() -> None:
    page = parse_cdx(json.dumps([*IA, ["only", "three", "fields"], ["x", "not-a-time", URL, "text/html", "200", "C", "1"]]))
    assert len(page.captures) == 2 and page.skipped == 2


def test_pywb_json_lines_with_its_own_field_names() -> None:
    lines = "\n".join(json.dumps(row) for row in (
        {"urlkey": "k", "timestamp": "20240201030000", "url": URL, "mime": "text/html", "status": "200",
         "digest": "AAA", "length": "3051", "offset": "0", "filename": "a.warc.gz"},
        {"urlkey": "k", "timestamp": "20250629050000", "original": URL, "mimetype": "text/html",
         "statuscode": "404", "digest": "BBB"},
    ))
    page = parse_cdx(lines + "\n")
    assert [(c.original, c.statuscode, c.mimetype) for c in page.captures] == [
        (URL, "200", "text/html"), (URL, "404", "text/html")]


def test_malformed_json_lines_are_skipped_and_counted() -> None:
    good = json.dumps({"timestamp": "20240201030000", "url": URL, "mime": "text/html", "status": "200"})
    page = parse_cdx("\n".join([good, "{not json", '["a list"]', '{"timestamp": "2024"}', good]))
    assert len(page.captures) == 2 and page.skipped == 3


@pytest.mark.parametrize("answer", ["<html><body>Bad gateway</body></html>", "[[1, 2", '{"a": 1}\n{"b": 2}'])
def test_an_answer_nothing_can_be_read_from_is_a_clear_error(answer: str) -> None:
    with pytest.raises(CdxError, match="CDX answer"):
        parse_cdx(answer)


def test_the_query_asks_for_html_pages_with_status_200_on_the_domain() -> None:
    url = cdx_query_url("https://web.archive.org/cdx/search/cdx", "minhlong.quangngai.gov.vn", since="20150101",
                        until="20250630", limit=5000, resume_key="k 1")
    params = parse_qsl(urlsplit(url).query)
    assert ("matchType", "domain") in params and ("collapse", "digest") in params
    assert ("filter", "statuscode:200") in params and ("filter", "mimetype:text/html") in params
    assert ("from", "20150101") in params and ("to", "20250630") in params and ("resumeKey", "k 1") in params


def test_days() -> None:
    assert cdx_day("2015-01-01") == "20150101" and cdx_day("2025") == "2025" and cdx_day(None) is None
    for bad in ("yesterday", "2015-02-30", "2015-1-1"):
        with pytest.raises(ValueError):
            cdx_day(bad)


def test_retry_after_in_seconds_or_as_a_date() -> None:
    now = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
    assert retry_after(b"30", now) == 30
    assert retry_after(b"Wed, 01 Jan 2025 12:01:00 GMT", now) == 60
    assert retry_after(b"Wed, 01 Jan 2025 11:00:00 GMT", now) == 0
    assert retry_after(None, now) is None and retry_after(b"soon", now) is None
