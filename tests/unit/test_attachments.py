"""The attachment download never stores an error page as a document."""

from __future__ import annotations

import asyncio

import pytest
from scrapy.http import Response

from archive.capture import AttachmentRef
from crawler.pipelines.attachments import AttachmentPipeline


class FakeEngine:
    def __init__(self, response: Response) -> None:
        self.response = response

    async def download_async(self, request):  # type: ignore[no-untyped-def]
        return self.response


class FakeStats:
    def __init__(self) -> None:
        self.values: dict[str, int] = {}

    def inc_value(self, key: str, count: int = 1) -> None:
        self.values[key] = self.values.get(key, 0) + count


class FakeCrawler:
    def __init__(self, response: Response) -> None:
        self.engine = FakeEngine(response)
        self.stats = FakeStats()


URL = "https://h/documents/1/2/QD-12.pdf/uuid"


@pytest.mark.parametrize(
    ("status", "content_type", "body", "stored"),
    [
        (200, "application/pdf", b"%PDF-1.4 real", True),
        (200, "text/html; charset=utf-8", b"<html><body>Loi</body></html>", False),
        (200, "application/octet-stream", b"  <!DOCTYPE html><html>login</html>", False),
        (404, "application/pdf", b"", False),
    ],
    ids=["pdf", "html-content-type", "html-body", "404"],
)
def test_attachment_download(status: int, content_type: str, body: bytes, stored: bool) -> None:
    crawler = FakeCrawler(Response(URL, status=status, headers={"Content-Type": content_type}, body=body))
    ref = AttachmentRef(url=URL)
    asyncio.run(AttachmentPipeline(crawler, 1000)._fetch(ref))  # type: ignore[arg-type]
    assert (ref.sha256 is not None) is stored
    assert (ref.data == body) if stored else (ref.data is None and ref.error)


def test_images_are_downloaded_only_when_asked_and_stored_by_digest(sessions) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from archive.capture import Image
    from archive.models import Attachment, Content
    from tests.unit.test_store import capture, store

    jpeg = b"\xff\xd8\xff\xe0 a photo"
    crawler = FakeCrawler(Response("https://h/img.jpg", status=200, headers={"Content-Type": "image/jpeg"}, body=jpeg))
    off = AttachmentPipeline(crawler, 1000)  # type: ignore[arg-type]
    on = AttachmentPipeline(crawler, 1000, images=True)  # type: ignore[arg-type]
    cap = capture()
    cap.images = [Image(url="https://h/img.jpg", caption="Quang cảnh hội nghị")]
    asyncio.run(off.process_item(cap))
    assert cap.images[0].sha256 is None
    asyncio.run(on.process_item(cap))
    assert cap.images[0].data == jpeg
    store(sessions, cap)
    with sessions() as session:
        assert session.scalars(select(Attachment.data)).one() == jpeg
        assert session.scalars(select(Content.images)).one()[0]["sha256"] == cap.images[0].sha256
