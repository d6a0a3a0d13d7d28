"""Identity learned from the portal, never assumed from a guess (docs/registry.md).

A family's identity parameters (vnPortal ``sname``/``sid``, Liferay's site name) decide which
articles a site claims. The registry marks each fact ``[E] <source>`` or ``[I] <reason>``;
an ``[I]`` value or a missing one is never trusted as a key. A spider with such a parameter
first reads the portal's home page, takes the parameters its own links carry
(:meth:`LearnsIdentity.identity_seen`, per family), and only then walks its listings:

* learned values replace the guesses for this crawl, are logged with the page they came
  from, and are kept in the run's stats (``archive/identity/<param>``,
  ``archive/identity/source``);
* a page that contradicts an ``[E]`` value stops the crawl before any article is fetched,
  with one line naming the site, both values and the page: the run fails with that line as
  its reason, which is what the site's health reports;
* a page that carries no identity at all stops the crawl the same way.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from typing import Any, ClassVar

import scrapy
from scrapy.exceptions import CloseSpider
from scrapy.http import Response

from crawler.extract import iter_links

logger = logging.getLogger(__name__)

STAT_PREFIX = "archive/identity/"
#: close reasons (crawl_run.reason starts with one of them)
CONTRADICTED = "identity contradicted"
UNKNOWN = "identity unknown"


def is_evidence(mark: str | None) -> bool:
    return bool(mark) and mark.lstrip().startswith("[E]")  # type: ignore[union-attr]


class LearnsIdentity:
    """Mixin for a family spider (before PortalSpider in the bases). The family names its
    ``identity_params`` and reads them off a page in :meth:`identity_seen`."""

    identity_params: ClassVar[tuple[str, ...]] = ()
    #: each registry fact's mark, ``{"sid": "[E] registry-evidence.md §1 …"}`` (set by the registry
    #: loader). A class written by hand declares no marks: its declared values count as evidence.
    facts: ClassVar[Mapping[str, str]] = {}
    #: what this crawl learned: ``{<param>: value, …, "source": <page or CDX query>}`` (None: nothing)
    learned_identity: dict[str, Any] | None = None
    name: str
    home_url: str

    def unproven_identity(self) -> list[str]:
        """The identity parameters to learn: missing, or marked ``[I]`` in the registry and not
        learned yet (this crawl, or an earlier one: :meth:`use_learned`)."""
        if self.__dict__.get("_identity_known"):
            return []
        return [
            param for param in self.identity_params
            if getattr(self, param, None) is None or (self.facts and not is_evidence(self.facts.get(param)))
        ]

    async def start(self) -> AsyncIterator[scrapy.Request]:
        if not self.unproven_identity():
            async for request in super().start():  # type: ignore[misc]
                yield request
            return
        yield self.listing_request(self.home_url, callback=self.learn_identity, dont_filter=True)  # type: ignore[attr-defined]

    def identity_from_urls(self, urls: Iterable[str]) -> dict[str, Any] | None:
        """The identity parameters most of these URLs on the site's own hosts carry; None if none."""
        raise NotImplementedError

    def identity_seen(self, response: Response) -> dict[str, Any] | None:
        """The identity parameters this site's own links carry on ``response``; None if none."""
        return self.identity_from_urls(iter_links(response, "a::attr(href)", response.url))

    def learn_identity(self, response: Response) -> Iterator[scrapy.Request]:
        self.adopt_identity(self.identity_seen(response), response.url)
        for url in self.start_page_urls():  # type: ignore[attr-defined]
            yield self.listing_request(url)  # type: ignore[attr-defined]

    def learn_from_captures(self, urls: Iterable[str], source: str) -> None:
        """A backfill (no live home page): learn from the URLs a web archive captured on the
        site's hosts (``source``: the CDX query), before any capture is fetched."""
        if self.unproven_identity():
            self.adopt_identity(self.identity_from_urls(urls), source)

    def adopt_identity(self, seen: dict[str, Any] | None, source: str) -> None:
        """Use what ``source`` shows, or stop the crawl if it shows nothing or contradicts evidence."""
        if not seen:
            self._stop(f"{UNKNOWN}: no link carries its {'/'.join(self.identity_params)}", source)
        assert seen is not None
        for param in self.identity_params:
            declared = getattr(self, param, None)
            if is_evidence(self.facts.get(param)) and str(declared).lower() != str(seen[param]).lower():
                self._stop(f"{CONTRADICTED}: {param} {seen[param]} on the portal, {declared} in the registry [E]",
                           f"{source}; the registry's source: {self.facts[param]}")
        stats = getattr(getattr(self, "crawler", None), "stats", None)
        for param in self.identity_params:
            setattr(self, param, seen[param])
            if stats is not None:
                stats.set_value(STAT_PREFIX + param, seen[param])
        if stats is not None:
            stats.set_value(STAT_PREFIX + "source", source)
        self.learned_identity = {**{p: seen[p] for p in self.identity_params}, "source": source}
        self._identity_known = True
        logger.info("%s: learned %s from %s", self.name,
                    ", ".join(f"{p}={seen[p]}" for p in self.identity_params), source)

    def use_learned(self, learned: Mapping[str, Any]) -> None:
        """Use what an earlier crawl learned (the site row's ``identity_learned``): no home page
        needed, and a backfill, which has none, keys its captures by it."""
        if not self.unproven_identity() or not all(learned.get(p) is not None for p in self.identity_params):
            return
        for param in self.identity_params:
            setattr(self, param, learned[param])
        self._identity_known = True
        logger.info("%s: using %s, learned from %s at %s", self.name,
                    ", ".join(f"{p}={learned[p]}" for p in self.identity_params), learned.get("source"),
                    learned.get("learned_at"))

    def _stop(self, reason: str, where: str) -> None:
        """Stop the crawl before any article: ``reason`` (short: it becomes the run's finish
        reason, which the site's health reports) is logged in one line with the site and the page."""
        logger.error("%s: %s (%s); nothing crawled, nothing stored", self.name, reason, where)
        stats = getattr(getattr(self, "crawler", None), "stats", None)
        if stats is not None:
            stats.inc_value("archive/errors")
        raise CloseSpider(reason[:100])  # crawl_run.finish_reason is VARCHAR(100)
