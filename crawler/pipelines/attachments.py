"""Download the files an article links (decisions, plans: PDF, DOC, XLS), so
their digests enter the content hash and their bytes the archive."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured

from archive.capture import ArticleCapture, AttachmentRef
from crawler.config import ArchiveConfig

logger = logging.getLogger(__name__)


class AttachmentPipeline:
    def __init__(self, crawler: Crawler, maxsize: int) -> None:
        self.crawler = crawler
        self.maxsize = maxsize

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AttachmentPipeline:
        config = ArchiveConfig.from_settings(crawler.settings)
        if not config.download_attachments:
            raise NotConfigured("ARCHIVE_DOWNLOAD_ATTACHMENTS is off")
        return cls(crawler, config.attachment_maxsize)

    async def process_item(self, item: Any) -> Any:
        if isinstance(item, ArticleCapture):
            for ref in item.attachments:
                await self._fetch(ref)
        return item

    async def _fetch(self, ref: AttachmentRef) -> None:
        assert self.crawler.engine and self.crawler.stats
        request = Request(ref.url, meta={"download_maxsize": self.maxsize, "handle_httpstatus_all": True})
        try:
            response = await self.crawler.engine.download_async(request)
        except IgnoreRequest as exc:
            ref.error = f"ignored: {exc}"
        except Exception as exc:  # network failures: recorded on the link, the article still stored
            ref.error = f"{type(exc).__name__}: {exc}"
        else:
            media_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
            if response.status == 200 and _is_html_page(media_type, response.body):
                ref.error = "the server answered with an HTML page instead of the file"
            elif response.status == 200:
                ref.data = response.body
                ref.sha256 = hashlib.sha256(response.body).hexdigest()
                ref.size = len(response.body)
                ref.media_type = media_type
            else:
                ref.error = f"HTTP {response.status}"
        outcome = "ok" if ref.sha256 else "failed"
        self.crawler.stats.inc_value(f"archive/attachment_{outcome}")
        if ref.error:
            logger.warning("Attachment %s not downloaded: %s", ref.url, ref.error)


def _is_html_page(media_type: str, body: bytes) -> bool:
    """An error or login page served at a document URL (attachment links are documents by construction)."""
    head = body[:512].lstrip().lower()
    return media_type.lower().startswith("text/html") or head.startswith((b"<!doctype html", b"<html"))
