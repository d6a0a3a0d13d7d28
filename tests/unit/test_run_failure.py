"""Silence is never success: a run Scrapy finished is failed when nothing answered, or a component said why."""

from __future__ import annotations

from archive.runstats import FAILURE, run_failure


def test_no_answer_at_all_is_a_failure_naming_what_failed() -> None:
    stats = {"downloader/exception_count": 6,
             "downloader/exception_type_count/twisted.internet.error.DNSLookupError": 6}
    assert run_failure(stats) == "fetched nothing: 6 DNSLookupError"


def test_only_error_answers_is_a_failure() -> None:
    stats = {"downloader/response_status_count/503": 4,
             "downloader/exception_type_count/twisted.internet.error.TimeoutError": 1}
    assert run_failure(stats) == "fetched nothing: 1 TimeoutError, 4 HTTP 503"


def test_no_request_at_all_is_a_failure() -> None:
    assert run_failure({}) == "fetched nothing: no request was made"


def test_one_normal_answer_is_not_silence() -> None:
    assert run_failure({"downloader/response_status_count/503": 4, "downloader/response_status_count/200": 1}) is None
    assert run_failure({"downloader/response_status_count/304": 9}) is None  # all not modified: answered


def test_a_recorded_failure_wins() -> None:
    reason = "CDX listing of a.gov.vn: HTTP 403, Blocked Site Error (the archive excludes the site)"
    assert run_failure({FAILURE: reason, "downloader/response_status_count/200": 3}) == reason
