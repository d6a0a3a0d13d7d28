"""Mirror support: crawl a local copy of a portal while recording the portal's URLs.

With ``-a mirror=http://127.0.0.1:8000`` a request for
``https://minhlong.quangngai.gov.vn/web/minhlong/…?123`` goes on the wire as
``http://127.0.0.1:8000/minhlong.quangngai.gov.vn/web/minhlong/…?123`` (the
layout ``wget --mirror`` writes), and the response comes back to the spider
and the archive under the portal URL. Tests and the offline demo use this.
"""

from __future__ import annotations

import logging
import socket
from urllib.parse import urljoin, urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response

from crawler.config import archive_config
from crawler.families.base import META_ORIGINAL, META_VIA

logger = logging.getLogger(__name__)

#: META_VIA of a request rewritten to the mirror
VIA = "mirror"



def to_mirror(mirror: str, url: str) -> str:
    parts = urlsplit(url)
    query = f"?{parts.query}" if parts.query else ""
    return f"{mirror.rstrip('/')}/{parts.netloc}{parts.path or '/'}{query}"


def from_mirror(mirror: str, url: str, scheme: str) -> str | None:
    """The portal URL behind a mirror URL, or None if ``url`` is not on the mirror."""
    base = mirror.rstrip("/") + "/"
    if not url.startswith(base):
        return None
    return f"{scheme}://{url[len(base):]}"


def mirror_problem(mirror: str, what: str = "mirror") -> str | None:
    """What is wrong with a mirror URL (or a web archive's, ``what``) as written, None if nothing:
    checked before a crawl starts."""
    try:
        parts = urlsplit(mirror)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number in range
    except ValueError as exc:
        return f"{what} {mirror!r} is not a URL ({exc})"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{what} {mirror!r} is not an http:// or https:// URL with a host, like http://127.0.0.1:8000"
    if parts.query or parts.fragment:
        return f"{what} {mirror!r} has a query or fragment; give its root, like http://127.0.0.1:8000"
    return None


def mirror_unreachable(mirror: str, what: str = "mirror", timeout: float = 10.0) -> str | None:
    """Why the mirror (or a web archive, ``what``) cannot be reached, None if it accepts a connection:
    a crawl of a mirror that is down would fetch nothing and, page by page, fill its log with errors."""
    if problem := mirror_problem(mirror, what):
        return problem
    parts = urlsplit(mirror)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname, port), timeout=timeout):
            return None
    except OSError as exc:
        return f"{what} {mirror} cannot be reached: {exc.strerror or exc}"


class MirrorMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> MirrorMiddleware:
        return cls(crawler)

    @property
    def mirror(self) -> str | None:
        spider = self.crawler.spider
        return getattr(spider, "mirror", None) or archive_config(self.crawler).mirror

    def process_request(self, request: Request) -> Request | None:
        mirror = self.mirror
        # A request that already stands for a portal URL (a web archive's) is not the mirror's. A redirect
        # of a mirrored request carries the old META_ORIGINAL but a portal URL (the Location, read back as
        # the portal's): it is mirrored again, or it would leave for the real portal.
        via = request.meta.get(META_VIA)
        if not mirror or request.url.startswith(mirror.rstrip("/") + "/") or (via is not None and via != VIA):
            return None
        # The original request already passed the offsite and robots.txt checks
        # under its portal URL; the rewritten one must not be judged again.
        return request.replace(
            url=to_mirror(mirror, request.url),
            meta={**request.meta, META_ORIGINAL: request.url, META_VIA: VIA, "allow_offsite": True,
                  "dont_obey_robotstxt": True},
            dont_filter=True,
        )

    def process_response(self, request: Request, response: Response) -> Response:
        original = request.meta.get(META_ORIGINAL)
        mirror = self.mirror
        if not original or not mirror or request.meta.get(META_VIA) != VIA:
            return response
        scheme = urlsplit(original).scheme
        location = response.headers.get(b"Location")
        if location is not None:
            absolute = urljoin(response.url, location.decode("latin-1"))
            portal = from_mirror(mirror, absolute, scheme) or absolute
            response.headers[b"Location"] = portal.encode("latin-1", "replace")
        return response.replace(url=original)
