"""What a web archive holds under a domain, and what it says about the registry.

``portal-archive discover DOMAIN [--cdx URL] [--json]`` lists, from a Wayback-compatible CDX
server, every host under ``DOMAIN`` and the sub-sites its captured article URLs name (vnPortal
``sname``/``sid`` pairs, Liferay site names), each with its number of captured article URLs and
its first and last capture dates; then marks each registry entry on the domain: **confirmed**
(the captures show its identity), **contradicted** (they show another), or **unknown** (they
say nothing about it). This is how an ``[I]`` of the registry becomes an ``[E]``: the capture is
the evidence (docs/registry.md).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from crawler.families.liferay import article_ref, liferay_site
from crawler.families.newspaper import era_of
from crawler.families.vnportal import article_ids
from crawler.registry import Entry, load_registry
from crawler.wayback_cdx import CdxCapture, CdxError, cdx_query_url, parse_cdx, refusal

#: CDX pages read at most (each ``limit`` captures): a domain's index is read in full up to this
MAX_PAGES = 200
TIMEOUT = 30.0


class DiscoverError(RuntimeError):
    """The CDX server cannot be read: the message is one line."""


@dataclass
class Seen:
    """Article URLs captured for one host or sub-site."""

    articles: set[str] = field(default_factory=set)
    first: datetime | None = None
    last: datetime | None = None
    hosts: set[str] = field(default_factory=set)

    def add(self, capture: CdxCapture, host: str, *, article: bool = True) -> None:
        if article:
            self.articles.add(capture.original)
        self.hosts.add(host)
        at = capture.captured_at
        self.first = at if self.first is None or at < self.first else self.first
        self.last = at if self.last is None or at > self.last else self.last

    def as_dict(self) -> dict[str, object]:
        return {"articles": len(self.articles), "first": _day(self.first), "last": _day(self.last),
                "hosts": sorted(self.hosts)}


@dataclass
class Discovery:
    domain: str
    captures: int = 0
    hosts: dict[str, Seen] = field(default_factory=dict)
    vnportal: dict[tuple[str, int], Seen] = field(default_factory=dict)
    liferay: dict[str, Seen] = field(default_factory=dict)  # site name, or "@<host>" for a virtual host

    def add(self, capture: CdxCapture) -> None:
        """Count a capture for its host; an article URL also for the sub-site it names."""
        self.captures += 1
        url = capture.original
        host = (urlsplit(url).hostname or "").lower().removeprefix("www.")
        ids = article_ids(url)
        if ids is not None and ids.sid is not None:
            self.vnportal.setdefault(((ids.sname or "").lower(), int(ids.sid)), Seen()).add(capture, host)
        elif ids is None and article_ref(url) is not None:
            site = liferay_site(url) or f"@{host}"  # "@host": a virtual host's own pages
            self.liferay.setdefault(site, Seen()).add(capture, host)
        article = ids is not None or article_ref(url) is not None or era_of(url) is not None
        self.hosts.setdefault(host, Seen()).add(capture, host, article=article)


def read_cdx(cdx: str, domain: str, *, limit: int = 5000, opener: urllib.request.OpenerDirector | None = None
             ) -> Iterator[CdxCapture]:
    """Every capture the CDX server lists under ``domain`` (its pages followed), or
    :class:`DiscoverError` with one line."""
    opener = opener or urllib.request.build_opener(urllib.request.ProxyHandler({}))
    resume: str | None = None
    for _ in range(MAX_PAGES):
        url = cdx_query_url(cdx, domain, since=None, until=None, limit=limit, resume_key=resume)
        try:
            with opener.open(url, timeout=TIMEOUT) as answer:
                text = answer.read().decode("utf-8", errors="replace")
        except urllib.error.HTTPError as exc:
            body = exc.read().decode("utf-8", errors="replace") if exc.fp else ""
            raise DiscoverError(f"the CDX server {cdx} refused the listing of {domain}: "
                                f"{refusal(exc.code, body)}") from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            raise DiscoverError(f"the CDX server {cdx} cannot be reached: {reason}") from None
        try:
            page = parse_cdx(text)
        except CdxError as exc:
            raise DiscoverError(f"the CDX server {cdx} answered something else than a CDX listing: {exc}") from None
        yield from page.captures
        if not page.resume_key:
            return
        resume = page.resume_key


def discover(captures: Iterable[CdxCapture], domain: str) -> Discovery:
    found = Discovery(domain)
    for capture in captures:
        found.add(capture)
    return found


# -- the registry, held against what the captures show --------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    site: str
    verdict: str  # "confirmed" | "contradicted" | "unknown"
    why: str


def on_domain(entry: Entry, domain: str) -> bool:
    hosts = [h.removeprefix("www.") for h in entry.facts["hosts"]]
    own = [entry.facts.get("domain") or "", *hosts]
    return any(h == domain or h.endswith("." + domain) for h in own if h)


def judge(entry: Entry, found: Discovery) -> Verdict:
    facts = entry.facts
    if entry.family == "vnportal":
        return _judge_vnportal(entry, found)
    if entry.family.startswith("liferay") and facts.get("liferay_site"):
        site = str(facts["liferay_site"]).lower()
        own = {h.removeprefix("www.") for h in facts["hosts"]}
        if site in found.liferay:
            seen = found.liferay[site]
            return Verdict(entry.name, "confirmed", f"/web/{site}/: {len(seen.articles)} article URLs captured")
        named = sorted(s for s, seen in found.liferay.items() if not s.startswith("@") and seen.hosts & own)
        if named:
            return Verdict(entry.name, "contradicted",
                           f"its hosts' article URLs name /web/{named[0]}/, the registry says {site}")
    hosts = {h.removeprefix("www.") for h in facts["hosts"]}
    articles = sum(len(found.hosts[h].articles) for h in hosts if h in found.hosts)
    if articles:
        return Verdict(entry.name, "confirmed", f"{articles} article URLs captured on its hosts")
    return Verdict(entry.name, "unknown", "no captured article URL names it")


def _judge_vnportal(entry: Entry, found: Discovery) -> Verdict:
    sname, sid = str(entry.facts["sname"]).lower(), entry.facts.get("sid")
    by_sid = {pair[1]: pair for pair in found.vnportal}
    snames = {pair for pair in found.vnportal if pair[0] == sname}
    if sid is not None and sid in by_sid:
        seen_sname = by_sid[sid][0]
        if seen_sname and seen_sname != sname:
            return Verdict(entry.name, "contradicted",
                           f"sid {sid} is captured as {seen_sname}, the registry says {sname}")
        return Verdict(entry.name, "confirmed",
                       f"{sname}/{sid}: {len(found.vnportal[by_sid[sid]].articles)} article URLs captured")
    if snames:
        other = sorted(snames)[0]
        if sid is not None:
            return Verdict(entry.name, "contradicted",
                           f"{sname} is captured with sid {other[1]}, the registry says {sid}")
        return Verdict(entry.name, "unknown", f"the registry has no sid; the captures show {sname}/{other[1]}")
    return Verdict(entry.name, "unknown", "no captured article URL names its sname or sid")


def verdicts(found: Discovery) -> list[Verdict]:
    return [judge(entry, found) for name, entry in sorted(load_registry().items()) if on_domain(entry, found.domain)]


# -- output ----------------------------------------------------------------------------------------------


def as_json(found: Discovery, judged: list[Verdict]) -> str:
    return json.dumps({
        "domain": found.domain,
        "captures": found.captures,
        "hosts": {host: seen.as_dict() for host, seen in sorted(found.hosts.items())},
        "vnportal": [{"sname": s, "sid": i, **seen.as_dict()} for (s, i), seen in sorted(found.vnportal.items())],
        "liferay": [{"site": s if not s.startswith("@") else None, **seen.as_dict()}
                    for s, seen in sorted(found.liferay.items())],
        "registry": [{"site": v.site, "verdict": v.verdict, "why": v.why} for v in judged],
    }, ensure_ascii=False, indent=1)


def as_text(found: Discovery, judged: list[Verdict]) -> Iterator[str]:
    yield f"{found.domain}: {found.captures} captures"
    yield "hosts:"
    for host, seen in sorted(found.hosts.items()):
        yield f"  {host}  {len(seen.articles)} article URLs  {_span(seen)}"
    if found.vnportal:
        yield "vnPortal sub-sites (sname/sid):"
        for (sname, sid), seen in sorted(found.vnportal.items(), key=lambda item: item[0][1]):
            hosts = ", ".join(sorted(seen.hosts))
            yield f"  {sname or '?'}/{sid}  {len(seen.articles)} article URLs  {_span(seen)}  on {hosts}"
    if found.liferay:
        yield "Liferay sites:"
        for site, seen in sorted(found.liferay.items()):
            name = f"(virtual host {site[1:]})" if site.startswith("@") else f"/web/{site}/"
            yield f"  {name}  {len(seen.articles)} article URLs  {_span(seen)}  on {', '.join(sorted(seen.hosts))}"
    yield "registry:"
    for v in judged:
        yield f"  {v.site}: {v.verdict} ({v.why})"


def _span(seen: Seen) -> str:
    return f"{_day(seen.first)} … {_day(seen.last)}" if seen.first else "no capture dates"


def _day(at: datetime | None) -> str | None:
    return at.date().isoformat() if at else None
