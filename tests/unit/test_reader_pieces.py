"""The pieces of the reader's pages that need no server: the safe stored page, months, charts."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from archive.reader import MonthCounts, PortalMonths, PortalSummary, month_of, month_range, previous_month
from crawler.reader import charts
from crawler.reader.raw import RAW_PAGE_POLICY, safe_page

PAGE = b"""<html><head><base href="https://x.gov.vn/"><link rel="stylesheet" href="https://x.gov.vn/a.css">
<meta http-equiv="refresh" content="0;url=https://x.gov.vn/"><style>@import url(https://x.gov.vn/b.css);
body { background: url('https://x.gov.vn/bg.png') }</style><script>alert(1)</script></head>
<body onload="go()"><p style="background-image:url(https://x.gov.vn/p.png)">\xc4\x90\xe1\xbb\xa9c Ph\xe1\xbb\x95</p>
<img src="https://x.gov.vn/a.jpg" srcset="https://x.gov.vn/a2.jpg 2x" alt="anh"><img src="data:image/gif;base64,R0lGOD">
<a href="/tin/1.html" onclick="x()">tin</a><a href="javascript:alert(1)">j</a><iframe src="https://x.gov.vn/f"></iframe>
<object data="https://x.gov.vn/o.swf"></object><video poster="https://x.gov.vn/v.jpg"></video>
<form action="https://x.gov.vn/s"><input type="image" src="https://x.gov.vn/i.png"></form></body></html>"""


def test_stored_page_keeps_its_text_and_loses_scripts_and_every_remote_load() -> None:
    page = safe_page(PAGE, {"Content-Type": "text/html; charset=utf-8"}, "https://x.gov.vn/a/b.html", "Bản lưu <1>")
    assert "Đức Phổ" in page and "Bản lưu &lt;1&gt;" in page
    for gone in ("<script", "alert(", "onload", "onclick", "javascript:", "<iframe", "<object", "<base", "<link",
                 "refresh", "<form", "@import"):
        assert gone not in page, gone
    loads = re.findall(r'\s(?:src|srcset|poster|href|data)="(https?://[^"]*)"', page) + re.findall(r"url\(([^)]*)\)", page)
    assert loads == ["https://x.gov.vn/tin/1.html"]  # a link is not a load; resolved, it says where it pointed
    assert 'src="data:image/gif' in page and 'alt="anh"' in page
    assert "default-src 'none'" in RAW_PAGE_POLICY and "sandbox" in RAW_PAGE_POLICY


def test_stored_page_is_decoded_by_its_own_charset() -> None:
    body = "<html><head><meta charset='windows-1258'></head><body>Thành Huê, Đà</body></html>".encode("cp1258")
    assert "Thành Huê, Đà" in safe_page(body, {}, "https://x.gov.vn/", "b")
    assert "Tiếng Việt" in safe_page("<p>Tiếng Việt</p>".encode(), {"content-type": "text/html; charset=utf-8"},
                                     "https://x.gov.vn/", "b")
    assert "b</div>" in safe_page(b"", {}, "https://x.gov.vn/", "b")


def test_months_are_vietnam_time_and_ranges_cross_years() -> None:
    assert month_of(datetime(2025, 6, 30, 17, 30, tzinfo=UTC)) == "2025-07"  # 00:30 on 1 July in Vietnam
    assert month_range("2024-11", "2025-02") == ["2024-11", "2024-12", "2025-01", "2025-02"]
    assert previous_month("2025-01") == "2024-12"
    assert MonthCounts({"2025-03": 1}, {"2025-06": 2}, {}, 0).months("2025-07") == month_range("2025-03", "2025-07")


def _portal(last_run: datetime | None, months: dict[str, int]) -> PortalMonths:
    summary = PortalSummary("s", "UBND huyện X", "Quảng Ngãi", None, "district", "active", 3, 3, last_run)
    return PortalMonths(summary, months)


def test_a_portal_is_silent_when_its_last_whole_month_before_its_latest_crawl_had_no_article() -> None:
    october = datetime(2025, 10, 1, tzinfo=UTC)
    assert _portal(october, {"2025-06": 2}).silent
    assert not _portal(october, {"2025-09": 1}).silent  # September is the last whole month
    assert not _portal(None, {"2025-01": 1}).silent  # never crawled: nobody knows
    assert not _portal(october, {}).silent


def test_timeline_draws_a_bar_per_month_with_a_count_and_marks_the_merger() -> None:
    months = month_range("2025-05", "2025-08")
    svg = str(charts.portal_timeline(
        months,
        charts.Series("published", "bài đăng", {"2025-05": 4, "2025-06": 2}),
        charts.Series("edits", "phiên bản sửa", {"2025-06": 1}),
        charts.Series("removals", "bài bị gỡ", {"2025-08": 3}),
    ))
    bars = re.findall(r'<rect class="bar (\w+)" data-month="([\d-]+)" data-count="(\d+)"[^>]*height="([\d.]+)"', svg)
    assert [(kind, month, count) for kind, month, count, _ in bars] == [
        ("published", "2025-05", "4"), ("published", "2025-06", "2"), ("edits", "2025-06", "1"),
        ("removals", "2025-08", "3"),
    ]
    heights = {(kind, month): float(h) for kind, month, _, h in bars}
    assert heights[("published", "2025-05")] == 2 * heights[("published", "2025-06")]
    assert '<g class="merger" data-month="2025-07">' in svg and "<script" not in svg
    assert "<title>05/2025: 4 bài đăng</title>" in svg


def test_text_in_charts_is_escaped() -> None:
    portal = PortalMonths(PortalSummary("s", "A <b> & B", "P", None, "district", "active", 1, 1, None),
                          {"2025-06": 1})
    svg = str(charts.province_chart(["2025-06", "2025-07"], [portal]))
    assert "A &lt;b&gt; &amp; B" in svg and "<b>" not in svg
