"""The crawler–archive contract: the statistics a crawl writes, and "did the site answer normally".

A crawl counts what happened in Scrapy's stats collector under ``archive/<outcome>``
(plus Scrapy's own ``downloader/*`` counts); the pipeline copies the whole collector
into ``crawl_run.stats`` when the run ends. Everything that later reads a run —
removal (crawler/removal.py), the incremental walk (crawler/incremental.py), health
(archive/health.py, ``portal-archive status`` and ``check``) and the ``site_health``
SQL view (migration 0008, held equal to :func:`answered_normally` by
tests/e2e/test_site_health_view.py on both backends) — reads these names and this rule,
so a stat renamed here is renamed for all of them.

"Answered normally" (docs/reliability.md): the run finished, at least one page answered
200, and at most a fifth of its requests failed — 5xx, network errors, and pages refused
as not articles (challenge, server-error, truncated and mis-decoded pages). Only such a
run may declare articles gone: a portal down, shielded or mid-migration must not turn
into hundreds of removed articles.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

PREFIX = "archive/"


def stat(name: str) -> str:
    """The stat key of an outcome named at run time (a store outcome, a page kind, ``attachment_ok``)."""
    return PREFIX + name


# -- what the pipeline and the run bookkeeping write ---------------------------------------
RUN_ID = stat("run_id")
#: the crawl process's pid and host, so a dead crawl can be told from a live one
PID, HOST = stat("pid"), stat("host")
#: every capture stored as a new article or a new version
VERSIONS_ADDED = stat("versions_added")
#: a new version whose content another article already holds (a republished story)
DUPLICATE_CONTENT = stat("duplicate_content")
#: an item or spider callback that raised
ERRORS = stat("errors")
#: why a run failed although Scrapy finished it (a web-archive listing refused: crawler/wayback.py)
FAILURE = stat("failure")
#: where the run read the portal from: "wayback" for a web-archive backfill (crawler/wayback.py); else unset
SOURCE = stat("source")
WAYBACK = "wayback"
#: captures a backfill skipped as already recorded: articles it saw, as an incremental walk's "not due"
ALREADY_RECORDED = stat("wayback_already_recorded")
#: crawl_run.finish_reason's length (the whole reason stays in the log and in ``FAILURE``)
REASON_LENGTH = 100

# -- what the spiders count ----------------------------------------------------------------
#: an article read by the generic extractor because the family selectors found no body
FALLBACK = stat("fallback")
#: an article page with no body either way: nothing stored
NO_BODY = stat("no_body")
#: an article page whose identity (``source_key``) the family could not read
NO_ID = stat("no_id")
#: pages a script builds, rendered in Chromium: timed out, or no browser installed (crawler/chromium.py)
BROWSER_TIMEOUT = stat("browser_timeout")
BROWSER_MISSING = stat("browser_missing")

# -- what the page guards count (crawler/guards.py: one per refused page kind) --------------
CHALLENGE = stat("challenge")
ERROR_PAGE = stat("error_page")
TRUNCATED = stat("truncated")
MIS_DECODED = stat("mis_decoded")
CHARSET_REPAIRED = stat("charset_repaired")
DNS_ERROR = stat("dns_error")
TLS_ERROR = stat("tls_error")
#: pages refused as not articles that count as failed requests
REFUSED_PAGES = (CHALLENGE, ERROR_PAGE, TRUNCATED, MIS_DECODED)

# -- what the incremental walk counts -------------------------------------------------------
SKIPPED_NOT_DUE = stat("skipped_not_due")
NOT_MODIFIED = stat("not_modified")
LISTING_STOPPED = stat("listing_stopped")
RECHECK_SCHEDULED = stat("recheck_scheduled")

# -- what removal counts ----------------------------------------------------------------------
MISSING_CHECK = stat("missing_check")
SITE_REDIRECTED = stat("site_redirected")
DECLARED_GONE = stat("declared_gone")

# -- Scrapy's own stats the rules read ---------------------------------------------------------
PAGES = "response_received_count"
RESPONSES = "downloader/response_count"
EXCEPTIONS = "downloader/exception_count"
STATUS_PREFIX = "downloader/response_status_count/"
STATUS_OK = STATUS_PREFIX + "200"
EXCEPTION_TYPE_PREFIX = "downloader/exception_type_count/"
RETRY_GAVE_UP = "retry/max_reached"

#: stats of a run that may have missed listing pages or articles (gave up after retries, refused pages)
INCOMPLETE_MARKS = (RETRY_GAVE_UP, *REFUSED_PAGES)

#: crawl_run columns and the stats they are read from (``new_article``/``unchanged`` are store outcomes)
RUN_COUNTS = {
    "pages": PAGES,
    "new_articles": stat("new_article"),
    "new_versions": VERSIONS_ADDED,
    "unchanged": stat("unchanged"),
    "duplicates": DUPLICATE_CONTENT,
    "fallbacks": FALLBACK,
    "errors": ERRORS,
}
#: a run's status from Scrapy's finish reason; any other reason is ``failed``
RUN_STATUS = {"finished": "finished", "shutdown": "interrupted", "closespider_timeout": "timed_out"}
#: more than this share of a run's requests failing: the site did not answer normally
MAX_FAILED_SHARE = 0.2


def run_status(reason: str) -> str:
    return RUN_STATUS.get(reason, "failed")


def count(stats: Mapping[str, Any], key: str) -> int:
    return int(stats.get(key) or 0)


@dataclass(frozen=True)
class Requests:
    """A run's requests as its stats tell: made, answered 200, failed."""

    total: int
    ok: int
    failed: int

    @classmethod
    def of(cls, stats: Mapping[str, Any]) -> Requests:
        exceptions = count(stats, EXCEPTIONS)
        server_errors = sum(int(v or 0) for k, v in stats.items() if k.startswith(STATUS_PREFIX + "5"))
        refused = sum(count(stats, key) for key in REFUSED_PAGES)
        return cls(count(stats, RESPONSES) + exceptions, count(stats, STATUS_OK), exceptions + server_errors + refused)

    @property
    def too_many_failed(self) -> bool:
        return too_many_failed(self.failed, self.total)


def too_many_failed(failed: int, total: int) -> bool:
    return failed > MAX_FAILED_SHARE * total


def answered_normally(status: str, stats: Mapping[str, Any]) -> bool:
    """The rule of the module docstring, for a run's status (``finished``, ``failed`` ...) and its stats."""
    requests = Requests.of(stats)
    return status == "finished" and requests.ok > 0 and not requests.too_many_failed


def run_failure(stats: Mapping[str, Any]) -> str | None:
    """Why a run Scrapy ended as ``finished`` failed all the same, or None. Silence is never success:
    a failure a component recorded (``FAILURE``), or no answer at all (DNS failures, refused
    connections, every answer an error: no 2xx or 3xx). A run of 304s did fetch."""
    if reason := stats.get(FAILURE):
        return str(reason)
    statuses = {key[len(STATUS_PREFIX):]: int(value or 0) for key, value in stats.items()
                if key.startswith(STATUS_PREFIX)}
    if any(status[:1] in "23" for status in statuses):
        return None
    failures = [f"{value} {key.rsplit('.', 1)[-1]}" for key, value in sorted(stats.items())
                if key.startswith(EXCEPTION_TYPE_PREFIX)]
    failures += [f"{value} HTTP {status}" for status, value in sorted(statuses.items())]
    return "fetched nothing: " + (", ".join(failures) if failures else "no request was made")


def incomplete(status: str, stats: Mapping[str, Any]) -> bool:
    """A run that may have left listing pages or articles unseen: it did not finish, or gave up on pages."""
    return status != "finished" or any(stats.get(mark) for mark in INCOMPLETE_MARKS)
