"""The items spiders yield. They are the archive's own capture dataclasses, so
the store needs no conversion and the archive library no Scrapy import."""

from archive.capture import ArticleCapture as ArticleItem
from archive.capture import AttachmentRef, Image, RawPage

__all__ = ["ArticleItem", "AttachmentRef", "Image", "RawPage"]
