"""Site health against the site's own history, the page guards for cut-short and mis-decoded
pages, DNS/TLS failure counting, settling runs of dead processes, and ``portal-archive check``."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler
from sqlalchemy import Engine
from twisted.internet.error import DNSLookupError
from twisted.web._newclient import ResponseNeverReceived

from archive.db import PROJECT_ROOT, session_factory
from archive.health import RunSummary, assess
from archive.models import CrawlRun
from archive.runstats import HOST as STAT_HOST
from archive.runstats import PID as STAT_PID
from archive.store import finish_run, start_run
from crawler.guards import CharsetRepairMiddleware, PageKind, classify, network_failure
from crawler.runs import DEAD_PROCESS, settle_dead_runs

URL = "https://minhlong.quangngai.gov.vn/web/minhlong/xem-chi-tiet/-/asset_publisher/Content/x?1"
ARTICLE = ("<html><head><title>Tin tức</title></head><body><h1>Quảng Ngãi đẩy mạnh phát triển</h1>"
           + "<p>Huyện Minh Long triển khai các biện pháp phòng chống dịch bệnh.</p>" * 30 + "</body></html>")


def run(seen: int = 20, *, status: str = "finished", fallbacks: int = 0, **counts: int) -> RunSummary:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    base = RunSummary(1, "quangngai", start, start + timedelta(minutes=2), status, status, 30, 0, 0, seen,
                      fallbacks, 0, seen, None, requests=40)
    return replace(base, **counts)


@pytest.mark.parametrize(("last", "previous", "reason"), [
    (run(4), [run(20), run(22), run(18)], "saw 4 articles, under half the usual 20"),
    (run(20, fallbacks=5), [run(20, fallbacks=0)] * 3, "5 of 20 articles read by the fallback extractor (usually 0%)"),
    (run(challenges=3), [], "3 challenge pages (bot shield)"),
    (run(truncated=1), [], "1 truncated pages"),
    (run(mis_decoded=2), [], "2 mis-decoded pages (wrong charset)"),
    (run(dns_errors=4), [], "4 DNS lookup failures"),
    (run(tls_errors=1), [], "1 TLS failures"),
    (run(failed_requests=12), [], "12 of 40 requests failed"),
])
def test_unhealthy_runs(last: RunSummary, previous: list[RunSummary], reason: str) -> None:
    health = assess(last, previous)
    assert health.state == "warning" and any(r.startswith(reason) for r in health.reasons), health.reasons


@pytest.mark.parametrize(("last", "previous"), [
    (run(4), [run(500), run(20)]),  # too little history: the first, full walk is not the norm
    (run(4), [run(8), run(9), run(7)]),  # a small site varies
    (run(12), [run(20), run(22), run(18)]),  # not under half
    (run(20, fallbacks=2), [run(20, fallbacks=1)] * 3),  # a spike needs 3 fallbacks
    (run(charset_repaired=5, failed_requests=8), []),  # repaired pages are stored right; 8 of 40 is a fifth
])
def test_healthy_runs(last: RunSummary, previous: list[RunSummary]) -> None:
    assert assess(last, previous).state == "ok"


def test_run_summary_reads_the_scrapy_stats(engine: Engine) -> None:
    with session_factory(engine).begin() as session:
        run_id = start_run(session, "quangngai", None).id
        finish_run(session, run_id, status="finished", reason="finished", counts={"pages": 5}, stats={
            "downloader/response_count": 9, "downloader/exception_count": 1,
            "downloader/response_status_count/503": 2, "archive/challenge": 1, "archive/dns_error": 1,
            "archive/truncated": 1, "archive/charset_repaired": 3})
        summary = RunSummary.of(session.get_one(CrawlRun, run_id))
    assert (summary.requests, summary.failed_requests, summary.dns_errors) == (10, 5, 1)
    assert (summary.challenges, summary.truncated, summary.charset_repaired) == (1, 1, 3)


# -- guards ---------------------------------------------------------------------------------


def response(body: bytes, content_type: str = "text/html; charset=utf-8") -> HtmlResponse:
    return HtmlResponse(URL, body=body, headers={"Content-Type": content_type}, request=Request(URL))


def test_a_page_cut_short_is_truncated_even_when_it_parses() -> None:
    page = ARTICLE.encode()
    assert classify(response(page)) is PageKind.ARTICLE
    assert classify(response(page[: len(page) * 2 // 3])) is PageKind.TRUNCATED


def test_utf8_declared_as_windows_1252_is_repaired_and_mojibake_refused() -> None:
    crawler = get_crawler()
    repair = CharsetRepairMiddleware(crawler)
    wrong = response(ARTICLE.encode(), "text/html; charset=iso-8859-1")
    assert "Quáº£ng" in wrong.text and classify(wrong) is PageKind.MIS_DECODED
    fixed = repair.process_response(wrong.request, wrong)
    assert "Quảng Ngãi" in fixed.text and classify(fixed) is PageKind.ARTICLE
    latin = response("<html><body><p>café</p></body></html>".encode("cp1252"), "text/html; charset=cp1252")
    assert repair.process_response(latin.request, latin) is latin  # really in its declared charset


def test_dns_and_tls_failures_are_told_apart() -> None:
    def wrapped(inner: BaseException) -> Exception:
        outer = RuntimeError("download failed")
        outer.__cause__ = inner
        return outer

    from OpenSSL import SSL
    from twisted.python.failure import Failure

    assert network_failure(wrapped(DNSLookupError("no such host"))) == "dns_error"
    assert network_failure(ResponseNeverReceived([Failure(SSL.Error("handshake"))])) == "tls_error"
    assert network_failure(wrapped(TimeoutError())) is None


# -- runs of dead processes, and `check` -------------------------------------------------------------


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_runs_of_dead_processes_are_settled(engine: Engine) -> None:
    here = socket.gethostname()
    with session_factory(engine).begin() as session:
        ids = []
        for pid, host in ((dead_pid(), here), (os.getpid(), here), (dead_pid(), "elsewhere")):
            run_ = start_run(session, "quangngai", None)
            run_.stats = {STAT_PID: pid, STAT_HOST: host}
            ids.append(run_.id)
    with session_factory(engine).begin() as session:
        assert settle_dead_runs(session) == ids[:1]
    with session_factory(engine).begin() as session:
        rows = [(r.status, r.finish_reason) for r in session.query(CrawlRun).order_by(CrawlRun.id)]
    assert rows == [("interrupted", DEAD_PROCESS), ("running", None), ("running", None)]


def portal_archive(db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    code = "import sys; from crawler.cli import main; sys.exit(main())"
    return subprocess.run([sys.executable, "-c", code, *args], check=False, cwd=PROJECT_ROOT, capture_output=True,
                          text=True, env={**os.environ, "DATABASE_URL": db_url}, timeout=60)


def test_check_exit_codes(engine: Engine, db_url: str) -> None:
    with session_factory(engine).begin() as session:
        for site, seen in (("quangngai", 5), ("quangngai_minhlong", 5), ("quangngai_minhlong", 0)):
            run_id = start_run(session, site, None).id
            finish_run(session, run_id, status="finished", reason="finished", counts={"pages": 3, "unchanged": seen},
                       stats={})
    assert portal_archive(db_url, "check", "quangngai").returncode == 0
    done = portal_archive(db_url, "check")
    assert done.returncode == 1
    assert done.stdout.strip() == "quangngai_minhlong: failing: saw no articles (earlier runs saw up to 5)"
    assert portal_archive(db_url, "check", "quangngai", "--json").stdout.count('"site"') == 1
    assert portal_archive("postgresql://nobody:secret@127.0.0.1:1/none", "check").returncode == 2
