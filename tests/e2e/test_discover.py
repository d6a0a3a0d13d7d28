"""``portal-archive discover`` against a real pywb serving captures of several Sóc Trăng sub-sites:
hosts, sub-sites with counts and dates, and each registry entry confirmed, contradicted or unknown."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from archive.db import PROJECT_ROOT
from tests.fixtures.wayback import Capture, Pywb, write_warc

T1 = datetime(2019, 3, 4, 5, 0, 0, tzinfo=UTC)
T2 = datetime(2022, 7, 1, 2, 0, 0, tzinfo=UTC)
T3 = datetime(2025, 6, 20, 9, 0, 0, tzinfo=UTC)
PROVINCE = "https://soctrang.gov.vn/ubnd-stg/4/469/54333/375630/Tin-huyen/Ngay-hoi.aspx"
CAPTURES = [
    (PROVINCE, T1),
    (PROVINCE.replace("https://", "https://www."), T3),  # www.: the same host
    ("https://soctrang.gov.vn/huyenculaodung/1310/33463/62110/300489/tiem-nang/cu-lao-dung.aspx", T2),
    ("https://myxuyen.soctrang.gov.vn/huyenmyxuyen/1306/1335/1460/291230/Tin/tom-lua.aspx", T1),
    ("https://myxuyen.soctrang.gov.vn/Default.aspx?sname=huyenmyxuyen&sid=1306&pageid=1335&catid=1460&id=287066", T3),
    ("https://danvan.soctrang.gov.vn/bandanvan/1295/32443/55080/360944/dan-van-kheo/dvk.aspx", T2),
    # Ngã Năm's pages show another sid than the registry's evidence (1311)
    ("https://nganam.soctrang.gov.vn/txnganam/1399/33531/56250/285777/Dieu-kien/Nga-Nam.aspx", T2),
    ("https://duaghengo.soctrang.gov.vn/92_hinh-anh/364_du-lich.html", T2),  # not vnPortal, not an article
]


def html(url: str) -> bytes:
    return f"<html><head><title>{url}</title></head><body><p>{url}</p></body></html>".encode()


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pywb]:
    warc = tmp_path_factory.mktemp("warc") / "soctrang.warc.gz"
    with warc.open("wb") as out:
        write_warc(out, [Capture(url, at, html(url)) for url, at in CAPTURES])
    with Pywb(warc) as pywb:
        yield pywb


def discover(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "crawler.cli", "discover", *args], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=120, env={**os.environ})


def test_discover_lists_sub_sites_and_judges_the_registry(archive: Pywb) -> None:
    done = discover("soctrang.gov.vn", "--cdx", f"{archive.base}/cdx", "--json")
    assert done.returncode == 0, done.stderr[-2000:]
    found = json.loads(done.stdout)
    assert found["captures"] == len(CAPTURES)
    assert found["hosts"]["soctrang.gov.vn"]["articles"] == 3  # two province URLs (www. or not), Cù Lao Dung
    assert found["hosts"]["duaghengo.soctrang.gov.vn"]["articles"] == 0
    pairs = {(s["sname"], s["sid"]): (s["articles"], s["first"], s["last"]) for s in found["vnportal"]}
    assert pairs == {
        ("ubnd-stg", 4): (2, "2019-03-04", "2025-06-20"),
        ("huyenculaodung", 1310): (1, "2022-07-01", "2022-07-01"),
        ("huyenmyxuyen", 1306): (2, "2019-03-04", "2025-06-20"),
        ("bandanvan", 1295): (1, "2022-07-01", "2022-07-01"),
        ("txnganam", 1399): (1, "2022-07-01", "2022-07-01"),
    }
    verdicts = {v["site"]: (v["verdict"], v["why"]) for v in found["registry"]}
    assert verdicts["soctrang"][0] == verdicts["soctrang_culaodung"][0] == verdicts["soctrang_danvan"][0] == "confirmed"
    assert verdicts["soctrang_nganam"] == ("contradicted", "txnganam is captured with sid 1399, the registry says 1311")
    assert verdicts["soctrang_myxuyen"] == ("unknown", "the registry has no sid; the captures show huyenmyxuyen/1306")
    assert verdicts["soctrang_kesach"][0] == "unknown"
    assert not any(site.startswith(("dongthap", "quangngai")) for site in verdicts)


def test_discover_text(archive: Pywb) -> None:
    done = discover("soctrang.gov.vn", "--cdx", f"{archive.base}/cdx")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "  huyenmyxuyen/1306  2 article URLs  2019-03-04 … 2025-06-20  on myxuyen.soctrang.gov.vn" in done.stdout
    assert "  soctrang_nganam: contradicted (txnganam is captured with sid 1399, the registry says 1311)" in done.stdout


class _Refusing(BaseHTTPRequestHandler):
    """A CDX server that refuses, as the Internet Archive does for an excluded site."""

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        body = b"<html><body>org.archive.wayback.exception.AdministrativeAccessControlException: Blocked Site Error</body></html>"
        self.send_response(403)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_unreachable_or_refusing_cdx_is_one_line_exit_2() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Refusing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        refused = discover("soctrang.gov.vn", "--cdx", f"http://127.0.0.1:{server.server_port}/cdx")
    finally:
        server.shutdown()
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr.strip().splitlines() == [
        f"error: the CDX server http://127.0.0.1:{server.server_port}/cdx refused the listing of soctrang.gov.vn: "
        "HTTP 403, Blocked Site Error (the archive excludes the site)"]
    gone = discover("soctrang.gov.vn", "--cdx", "http://127.0.0.1:9/cdx")
    assert gone.returncode == 2 and gone.stdout == ""
    assert gone.stderr.strip().splitlines() == ["error: the CDX server http://127.0.0.1:9/cdx cannot be reached: "
                                                "[Errno 111] Connection refused"]
