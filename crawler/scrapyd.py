"""Crawls dispatched to Scrapyd nodes instead of local processes (docs/scale-out.md).

The crawl service keeps its schedules, limits, status and health; only where a crawl runs
changes. Each crawl becomes one Scrapyd job (``schedule.json``) on the least busy node that
answers, is followed with ``listjobs.json`` and stopped with ``cancel.json`` (SIGTERM first,
so Scrapy records its run, SIGKILL after ``--kill-after``). Every node writes into the same
archive (``DATABASE_URL`` in the node's environment), and the crawl's own lease
(crawler/lease.py) keeps one crawl per site across all of them.

A node that stops answering is not given up at once: its crawl may still be running and
renewing its lease. The job counts as lost only when the site's lease is no longer held by
it (expired, or taken over), and its run is then recorded as interrupted.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from crawler import lease

logger = logging.getLogger(__name__)

#: the project name the nodes know this project by ([settings] in their scrapyd.conf)
DEFAULT_PROJECT = "portal_archive"
#: what poll() answers for a job whose node is gone and whose lease is no longer held
LOST = -1
#: seconds to wait for a node's answer
TIMEOUT = 10.0


class NodeUnreachable(RuntimeError):
    """A Scrapyd node did not answer, or answered with an error."""


@dataclass(frozen=True)
class ScrapydNode:
    url: str  # http://host:6800, no trailing slash
    project: str = DEFAULT_PROJECT

    def _call(self, path: str, params: list[tuple[str, str]], *, post: bool) -> dict[str, Any]:
        query = urllib.parse.urlencode(params)
        url, data = (f"{self.url}/{path}", query.encode()) if post else (f"{self.url}/{path}?{query}", None)
        try:
            with urllib.request.urlopen(url, data=data, timeout=TIMEOUT) as answer:
                body = json.loads(answer.read().decode("utf-8"))
        except (OSError, ValueError) as exc:  # refused, reset, timed out, not JSON
            raise NodeUnreachable(f"Scrapyd node {self.url}: {exc}") from None
        if not isinstance(body, dict) or body.get("status") != "ok":
            message = body.get("message", body) if isinstance(body, dict) else body
            raise NodeUnreachable(f"Scrapyd node {self.url}: {message}")
        result: dict[str, Any] = body
        return result

    def load(self) -> int:
        """Jobs running or waiting on the node (``daemonstatus.json``)."""
        status = self._call("daemonstatus.json", [], post=False)
        return int(status.get("running", 0)) + int(status.get("pending", 0))

    def schedule(self, spider: str, job: str, settings: list[str], args: dict[str, str]) -> None:
        params = [("project", self.project), ("spider", spider), ("jobid", job)]
        params += [("setting", setting) for setting in settings] + sorted(args.items())
        self._call("schedule.json", params, post=True)

    def job_state(self, job: str) -> str | None:
        """"pending", "running" or "finished"; None when the node does not know the job."""
        jobs = self._call("listjobs.json", [("project", self.project)], post=False)
        for state in ("pending", "running", "finished"):
            if any(entry.get("id") == job for entry in jobs.get(state, [])):
                return state
        return None

    def cancel(self, job: str, signal: str) -> None:
        self._call("cancel.json", [("project", self.project), ("job", job), ("signal", signal)], post=True)

    def log_url(self, spider: str, job: str) -> str:
        return f"{self.url}/logs/{self.project}/{spider}/{job}.log"

    def log_tail(self, spider: str, job: str) -> str:
        try:
            with urllib.request.urlopen(self.log_url(spider, job), timeout=TIMEOUT) as answer:
                lines = answer.read().decode("utf-8", errors="replace").strip().splitlines()
        except OSError:
            return ""
        return lines[-1].strip() if lines else ""


class ScrapydJob:
    """One crawl as a Scrapyd job, with the interface of a local crawl process (crawler/service.py)."""

    def __init__(self, node: ScrapydNode, site: str, job: str, sessions: sessionmaker[Session]) -> None:
        self.node, self.site, self.job, self.sessions = node, site, job, sessions
        #: what the run row's log_path holds: the node's log of the job
        self.label = node.log_url(site, job)
        self._unreachable_logged = False

    def poll(self) -> int | None:
        """None while the job waits or runs; 0 when it ended; EX_TEMPFAIL when it was refused
        for the site's lease; LOST when its node is gone and so is its lease."""
        try:
            state = self.node.job_state(self.job)
        except NodeUnreachable as exc:
            if not self._unreachable_logged:
                logger.warning("%s: %s; waiting for the crawl's lease to tell", self.site, exc)
                self._unreachable_logged = True
            return LOST if self._lease_gone() else None
        self._unreachable_logged = False
        if state == "finished":
            return lease.EX_TEMPFAIL if "is being crawled by" in self.last_line() else 0
        if state is None:  # the node restarted and forgot it (its queue is not kept)
            return LOST if self._lease_gone() else None
        return None

    def _lease_gone(self) -> bool:
        with self.sessions() as session:
            holder = lease.current_holder(session.connection(), self.site)
        return holder is None or self.job not in holder.holder

    def terminate(self) -> None:
        self._cancel("TERM")  # Scrapy closes the spider and records its run

    def kill(self) -> None:
        self._cancel("KILL")

    def _cancel(self, signal: str) -> None:
        try:
            self.node.cancel(self.job, signal)
        except NodeUnreachable as exc:
            logger.warning("%s: could not stop job %s: %s", self.site, self.job, exc)

    def last_line(self) -> str:
        return self.node.log_tail(self.site, self.job)

    def outcome(self, returncode: int) -> tuple[str, str]:
        if returncode == LOST:
            reason = f"Scrapyd node {self.node.url} gone; its crawl no longer holds the lease"
            return "interrupted", reason[:100]
        return "failed", f"Scrapyd job {self.job} ended without finishing its run"[:100]

    def discard_log(self) -> None:
        """The node keeps its own logs (``jobs_to_keep``)."""


class ScrapydDispatcher:
    """Chooses a node for each crawl and schedules it there."""

    def __init__(self, nodes: list[ScrapydNode], sessions: sessionmaker[Session]) -> None:
        if not nodes:
            raise ValueError("no Scrapyd node given")
        self.nodes, self.sessions = nodes, sessions

    def least_busy(self) -> ScrapydNode:
        loads: list[tuple[int, int, ScrapydNode]] = []
        problems = []
        for order, node in enumerate(self.nodes):
            try:
                loads.append((node.load(), order, node))
            except NodeUnreachable as exc:
                problems.append(str(exc))
        if not loads:
            raise NodeUnreachable("no Scrapyd node answers: " + "; ".join(problems))
        return min(loads, key=lambda entry: entry[:2])[2]

    def start(self, site: str, settings: list[str], args: dict[str, str]) -> ScrapydJob:
        node = self.least_busy()
        job = uuid.uuid4().hex
        crawl = ScrapydJob(node, site, job, self.sessions)
        node.schedule(site, job, [*settings, f"ARCHIVE_LOG_PATH={crawl.label}"], args)
        logger.info("%s: Scrapyd job %s on %s", site, job, node.url)
        return crawl
