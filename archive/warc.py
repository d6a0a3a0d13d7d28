"""The archive's raw pages as a WARC file, for any standard replay tool (pywb, the Wayback Machine).

Each snapshot becomes one WARC/1.0 ``response`` record: the original URL as
``WARC-Target-URI``, the fetch time as ``WARC-Date`` (for a page backfilled from a
web archive, its capture time), the status line and the stored headers, and the
stored body. Scrapy stored the body decoded, so ``Content-Encoding`` and
``Transfer-Encoding`` are dropped and ``Content-Length`` is the stored body's
length: a replay serves exactly the bytes the archive holds. A page backfilled
from a web archive names the capture it came from in ``WARC-Source-URI``.

Each file (attachment) an exported version links follows its page as a ``response``
record of its own, at the page's time, with ``WARC-Concurrent-To`` naming the page's
record: a replay of ``<page time>id_/<file URL>`` serves it, and a backfill from the
exported WARC gets back the same files. A file shared by many versions is written once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC
from http import HTTPStatus
from io import BytesIO
from typing import BinaryIO

from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import WARCWriter

from archive.webarchive import StoredFile, StoredPage

logger = logging.getLogger(__name__)

#: headers that describe the bytes on the wire, not the stored body
_WIRE_HEADERS = frozenset({"content-encoding", "transfer-encoding", "content-length"})
#: where a backfilled page was fetched from
SOURCE_HEADER = "WARC-Source-URI"


def write_warc(out: BinaryIO, pages: Iterable[StoredPage], *, filename: str, software: str,
               description: str = "") -> int:
    """Write a warcinfo record and one response record per page (gzipped per record); how many pages."""
    writer = WARCWriter(out, gzip=True, warc_version="WARC/1.0")
    info = {"software": software, "format": "WARC File Format 1.0", "description": description}
    writer.write_record(writer.create_warcinfo_record(filename, {k: v for k, v in info.items() if v}))
    count = 0
    for page in pages:
        record = _response_record(writer, page)
        writer.write_record(record)
        page_id = record.rec_headers.get_header("WARC-Record-ID")
        for file in page.files:
            writer.write_record(_file_record(writer, file, page, page_id))
        count += 1
    return count


def _response_record(writer: WARCWriter, page: StoredPage):  # type: ignore[no-untyped-def]  # warcio is untyped
    headers = [(k, v) for k, v in page.headers.items() if k.lower() not in _WIRE_HEADERS]
    headers.append(("Content-Length", str(len(page.body))))
    http_headers = StatusAndHeaders(_status_line(page.status), headers, protocol="HTTP/1.1")
    warc_headers = {"WARC-Date": datetime_to_iso_date(page.fetched_at.astimezone(UTC).replace(tzinfo=None))}
    if page.capture_url:
        warc_headers[SOURCE_HEADER] = page.capture_url
    return writer.create_warc_record(page.url, "response", payload=BytesIO(page.body), length=len(page.body),
                                     warc_headers_dict=warc_headers, http_headers=http_headers)


def _file_record(writer: WARCWriter, file: StoredFile, page: StoredPage, page_id: str):  # type: ignore[no-untyped-def]
    """A file the page links, as a response at the page's time, tied to the page's record
    (``WARC-Concurrent-To``): downloaded with the page, it is part of that capture."""
    headers = [("Content-Type", file.media_type or "application/octet-stream"), ("Content-Length", str(len(file.data)))]
    http_headers = StatusAndHeaders("200 OK", headers, protocol="HTTP/1.1")
    warc_headers = {"WARC-Date": datetime_to_iso_date(page.fetched_at.astimezone(UTC).replace(tzinfo=None)),
                    "WARC-Concurrent-To": page_id}
    return writer.create_warc_record(file.url, "response", payload=BytesIO(file.data), length=len(file.data),
                                     warc_headers_dict=warc_headers, http_headers=http_headers)


def _status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:  # a portal's own code
        return f"{status} Unknown"
