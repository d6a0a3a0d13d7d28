"""Download the files an article links (decisions, plans: PDF, DOC, XLS), so
their digests enter the content hash and their bytes the archive; and, with
ARCHIVE_DOWNLOAD_IMAGES (off by default: images are most of a portal's bytes),
its images."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured

from archive import runstats
from archive.capture import ArticleCapture, AttachmentRef, Image
from crawler.config import archive_config

logger = logging.getLogger(__name__)


class AttachmentPipeline:
    def __init__(self, crawler: Crawler, maxsize: int, *, attachments: bool = True, images: bool = False) -> None:
        self.crawler = crawler
        self.maxsize = maxsize
        self.attachments = attachments
        self.images = images

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AttachmentPipeline:
        config = archive_config(crawler)
        if not (config.download_attachments or config.download_images):
            raise NotConfigured("ARCHIVE_DOWNLOAD_ATTACHMENTS and ARCHIVE_DOWNLOAD_IMAGES are off")
        return cls(crawler, config.attachment_maxsize, attachments=config.download_attachments,
                   images=config.download_images)

    async def process_item(self, item: Any) -> Any:
        if isinstance(item, ArticleCapture):
            for ref in item.attachments if self.attachments else ():
                await self._fetch(ref)
            for image in item.images if self.images else ():
                await self._fetch(image, kind="image")
        return item

    async def _fetch(self, ref: AttachmentRef | Image, kind: str = "attachment") -> None:
        assert self.crawler.engine and self.crawler.stats
        # No handle_httpstatus_all: it would stop RedirectMiddleware too, and a link to a download handler or an
        # http→https redirect is a file like any other. Redirects and retries follow the rules pages follow
        # (REDIRECT_MAX_TIMES, RETRY_TIMES); engine.download hands back any final status (no HttpError here).
        request = Request(ref.url, meta={"download_maxsize": self.maxsize})
        try:
            response = await self.crawler.engine.download_async(request)
        except IgnoreRequest as exc:
            ref.error = f"ignored: {exc}"
        except Exception as exc:  # network failures: recorded on the link, the article still stored
            ref.error = f"{type(exc).__name__}: {exc}"
        else:
            media_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
            if response.status == 200 and kind == "attachment" and _is_html_page(media_type, response.body):
                ref.error = "the server answered with an HTML page instead of the file"
            elif response.status == 200:
                ref.data = response.body
                ref.sha256 = hashlib.sha256(response.body).hexdigest()
                ref.size = len(response.body)
                ref.media_type = media_type
            else:
                ref.error = f"HTTP {response.status}"
        outcome = "ok" if ref.sha256 else "failed"
        self.crawler.stats.inc_value(runstats.stat(f"{kind}_{outcome}"))
        if ref.error:
            logger.warning("%s %s not downloaded: %s", kind.capitalize(), ref.url, ref.error)


def _is_html_page(media_type: str, body: bytes) -> bool:
    """An error or login page served at a document URL (attachment links are documents by construction)."""
    head = body[:512].lstrip().lower()
    return media_type.lower().startswith("text/html") or head.startswith((b"<!doctype html", b"<html"))
