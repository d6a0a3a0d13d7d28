"""The fixture archive, the questions of docs/queries.md asked of it, and the CLI, on SQLite and PostgreSQL.

The archive is built by storing captures through archive.store (the path every
crawl takes), so it holds what the questions need whatever the fixture portals
hold: a Sóc Trăng district story about dân vận, an edit twelve days after
publication, a replaced PDF, a story on two portals, an article gone from its
portal, a failed crawl. Every SQL block of docs/queries.md is run on both
backends and its answer checked here.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import subprocess
import sys
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import bindparam, text

from archive.capture import ArticleCapture, AttachmentRef, RawPage, SiteInfo
from archive.db import PROJECT_ROOT, make_engine, session_factory, upgrade
from archive.store import ensure_site, finish_run, start_run, store_capture
from crawler.cli import main
from tests.pg import fresh_database

ICT = timezone(timedelta(hours=7))
DOCS = PROJECT_ROOT / "docs" / "queries.md"
CT = "https://soctrang.gov.vn/Default.aspx?sname=huyenchauthanh&sid=1308&pageid=27741&catid=64367"
CT_MOBILE = (
    "https://soctrang.gov.vn/mDefault.aspx?sname=huyenchauthanh&sid=1308&pageid=27741&catid=64367&id=7395"
)

SITES = {
    "soctrang": ("Cổng TTĐT tỉnh Sóc Trăng", "Sóc Trăng", "Cần Thơ", "province", "vnportal"),
    "soctrang_chauthanh": ("UBND huyện Châu Thành", "Sóc Trăng", "Cần Thơ", "district", "vnportal"),
    "soctrang_mytu": ("UBND huyện Mỹ Tú", "Sóc Trăng", "Cần Thơ", "district", "vnportal"),
    "soctrang_danvan": ("Ban Dân vận Tỉnh ủy Sóc Trăng", "Sóc Trăng", "Cần Thơ", "agency", "vnportal"),
    "baodongthap": ("Báo Đồng Tháp", "Đồng Tháp", "Đồng Tháp", "newspaper", "baodongthap"),
    "quangngai": ("Cổng TTĐT tỉnh Quảng Ngãi", "Quảng Ngãi", "Quảng Ngãi", "province", "liferay"),
    "quangngai_minhlong": ("UBND huyện Minh Long", "Quảng Ngãi", "Quảng Ngãi", "district", "liferay"),
}


def site_info(name: str) -> SiteInfo:
    display, province, after, level, family = SITES[name]
    return SiteInfo(
        name=name,
        display_name=display,
        province=province,
        level=level,
        family=family,
        home_url=f"https://{name}.example.gov.vn/",
        province_after_2025=after,
    )


@dataclass
class Story:
    """One article: its site, key, and the fetches that make its versions."""

    name: str
    site: str
    key: str
    url: str
    title: str
    published: datetime
    body: str
    lead: str = ""
    author: str = ""
    #: (seen at, changes to the capture) per fetch, in order
    fetches: list[tuple[datetime, dict[str, object]]] = field(default_factory=list)
    attachments: list[AttachmentRef] = field(default_factory=list)

    def captures(self) -> Iterator[ArticleCapture]:
        for seen, changes in self.fetches:
            values = {
                "title": self.title,
                "published_at": self.published,
                "body_text": self.body,
                "lead": self.lead,
                "author": self.author,
                "url": self.url,
                "attachments": list(self.attachments),
                **changes,
            }
            body = str(values["body_text"])
            yield ArticleCapture(
                site=self.site,
                source_key=self.key,
                body_html=f"<p>{body}</p>",
                page=RawPage(
                    url=str(values["url"]),
                    status=200,
                    headers={"Content-Type": "text/html"},
                    body=f"<html>{body}</html>".encode(),
                    fetched_at=seen,
                ),
                **values,  # type: ignore[arg-type]
            )


def at(text_: str) -> datetime:
    """'2021-07-08 10:15' in Vietnam time."""
    return datetime.strptime(text_, "%Y-%m-%d %H:%M").replace(tzinfo=ICT)


def pdf(data: bytes) -> AttachmentRef:
    return AttachmentRef(
        url="https://quangngai.gov.vn/documents/10181/1234567/KH-123-UBND.pdf/db995db5",
        title="KH-123-UBND.pdf",
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
        media_type="application/pdf",
    )


CT_DANVAN_BODY = (
    "Sáng ngày 08/7, Ban Dân vận Huyện ủy Châu Thành tổ chức hội nghị sơ kết công tác dân vận và quy chế "
    "dân chủ cơ sở 6 tháng đầu năm 2021.\n\n"
    "Trong 6 tháng đầu năm 2021, công tác dân vận của các cấp ủy đảng được tiếp tục đổi mới; tổ chức tuyên "
    "truyền được 4.646 cuộc với 82.427 lượt người tham dự.\n\n"
    "Bên cạnh đó, việc thực hiện quy chế dân chủ ở cơ sở cũng đạt nhiều kết quả quan trọng; các xã, thị trấn "
    "thực hiện đầy đủ các nội dung của Pháp lệnh 34/2007/PL-UBTVQH11.\n\n"
    "Phát biểu chỉ đạo tại hội nghị, đồng chí Phó trưởng Ban Dân vận Tỉnh ủy đề nghị tiếp tục nhân rộng "
    "các mô hình “Dân vận khéo” trên địa bàn huyện."
)
COVID_BODY = (
    "Trong hai ngày 01 và 02/9, Trung tâm Y tế huyện phối hợp các xã tổ chức tiêm vắc xin phòng Covid-19 "
    "cho hơn 3.000 người.\n\n"
    "Cán bộ y tế khéo léo sắp xếp các điểm tiêm; các tổ tự quản vận động người dân đến tiêm đúng giờ."
)
NHA_BODY = "Chiều 04/10, UBND huyện trao 20 căn nhà Đại đoàn kết cho hộ nghèo, mỗi căn trị giá 50 triệu đồng."
NTM_BODY = (
    "Ngày 14/8/2023, Đoàn kiểm tra của tỉnh làm việc với UBND huyện Minh Long về tiến độ thực hiện các "
    "chương trình mục tiêu quốc gia.\n\n"
    "Đến nay, huyện đã giải ngân được 62% kế hoạch vốn được giao."
)


def stories() -> list[Story]:
    d = lambda days: timedelta(days=days)  # noqa: E731
    ct_pub, plan_pub = at("2021-07-08 10:15"), at("2025-02-10 15:00")
    return [
        Story(
            "ct-danvan-2021",
            "soctrang_chauthanh",
            "1308/7395",
            f"{CT}&id=7395&catname=tin-tuc",
            "Châu Thành: Sơ kết công tác dân vận và quy chế dân chủ 6 tháng đầu năm 2021",
            ct_pub,
            CT_DANVAN_BODY,
            author="Trần Thu Ngân",
            fetches=[
                (ct_pub + timedelta(hours=2), {}),
                (ct_pub + d(12), {"body_text": CT_DANVAN_BODY.replace("4.646 cuộc", "4.656 cuộc")}),
                (
                    ct_pub + d(13),
                    {"body_text": CT_DANVAN_BODY.replace("4.646 cuộc", "4.656 cuộc"), "url": CT_MOBILE},
                ),
            ],
        ),
        Story(
            "mytu-danvan-kheo",
            "soctrang_mytu",
            "1310/812",
            "https://soctrang.gov.vn/Default.aspx?sid=1310&id=812",
            "Mỹ Tú ra mắt mô hình “Dân vận khéo” trong xây dựng nông thôn mới",
            at("2021-03-15 08:30"),
            "Ban Dân vận Huyện ủy Mỹ Tú ra mắt mô hình dân vận khéo "
            "“Chung tay làm đường giao thông nông thôn”.",
            fetches=[(at("2021-03-15 12:00"), {})],
        ),
        Story(
            "ct-danvan-2020",
            "soctrang_chauthanh",
            "1308/6120",
            f"{CT}&id=6120",
            "Châu Thành tổng kết công tác dân vận năm 2020",
            at("2020-12-28 16:00"),
            "Ban Dân vận Huyện ủy Châu Thành tổng kết công tác năm 2020, triển khai nhiệm vụ năm 2021.",
            fetches=[(at("2020-12-29 08:00"), {})],
        ),
        Story(
            "danvan-agency-2021",
            "soctrang_danvan",
            "1200/77",
            "https://danvan.soctrang.gov.vn/?id=77",
            "Tuyên dương 50 mô hình “Dân vận khéo” năm 2021",
            at("2021-05-20 09:00"),
            "Ban Dân vận Tỉnh ủy tuyên dương 50 mô hình dân vận khéo tiêu biểu năm 2021.",
            fetches=[(at("2021-05-20 10:00"), {})],
        ),
        Story(
            "ct-covid-2021",
            "soctrang_chauthanh",
            "1308/7702",
            f"{CT}&id=7702",
            "Châu Thành triển khai tiêm vắc xin phòng Covid-19 đợt 5",
            at("2021-09-02 14:00"),
            COVID_BODY,
            fetches=[
                (at("2021-09-02 15:00"), {}),
                (
                    at("2021-09-04 09:00"),
                    {"title": "Châu Thành triển khai tiêm vắc xin phòng Covid-19 đợt 6"},
                ),
            ],
        ),
        Story(
            "ct-nha-dai-doan-ket",
            "soctrang_chauthanh",
            "1308/7810",
            f"{CT}&id=7810",
            "Châu Thành trao 20 căn nhà Đại đoàn kết cho hộ nghèo",
            at("2021-10-05 09:00"),
            NHA_BODY,
            fetches=[(at("2021-10-05 11:00"), {})],
        ),
        Story(
            "st-nha-dai-doan-ket",
            "soctrang",
            "1/9001",
            "https://www.soctrang.gov.vn/Default.aspx?sid=1&id=9001",
            "Châu Thành trao 20 căn nhà Đại đoàn kết cho hộ nghèo",
            at("2021-10-05 09:00"),
            NHA_BODY,
            fetches=[(at("2021-10-06 09:00"), {})],
        ),
        Story(
            "bdt-danvan-2020",
            "baodongthap",
            "baodongthap/92711",
            "https://baodongthap.vn/chinh-tri/tiep-tuc-thuc-hien-tot-cong-tac-dan-van-92711.aspx",
            "Tiếp tục thực hiện tốt công tác dân vận, quy chế dân chủ cơ sở",
            at("2020-07-03 17:45"),
            "Chính quyền các cấp triển khai, thực hiện đồng bộ nội dung “Năm dân vận khéo” 2020 với nhiều "
            "mô hình hiệu quả.",
            lead="ĐTO - Sáng 3/7, Ban Dân vận Tỉnh ủy tổ chức Hội nghị sơ kết.",
            author="P.L",
            fetches=[
                (at("2020-07-03 18:00"), {}),
                (at("2020-07-05 08:00"), {"published_at": at("2020-07-04 08:00")}),
            ],
        ),
        Story(
            "qni-ducpho",
            "quangngai",
            "quangngai.gov.vn/portal-qni/4893302",
            "https://quangngai.gov.vn/web/portal-qni/xem-chi-tiet/-/asset_publisher/Content/thi-xa-uc-pho?4893302",
            unicodedata.normalize("NFD", "Thị xã Đức Phổ ra quân chống khai thác hải sản bất hợp pháp"),
            at("2023-03-10 09:20"),
            unicodedata.normalize(
                "NFD",
                "Sáng ngày 10/3, UBND thị xã Đức Phổ tổ chức Lễ ra quân tuyên truyền, "
                "kiểm tra tàu cá tại cảng Mỹ Á.",
            ),
            fetches=[(at("2023-03-10 12:00"), {})],
        ),
        Story(
            "qni-portal-rules",
            "quangngai",
            "quangngai.gov.vn/portal-qni/2104517",
            "https://quangngai.gov.vn/web/portal-qni/xem-chi-tiet/-/asset_publisher/Content/quy-inh?2104517",
            "Ban hành Quy định quản lý, vận hành Cổng thông tin điện tử tỉnh Quảng Ngãi",
            at("2019-01-22 10:00"),
            "Ngày 08/01/2019, UBND tỉnh ban hành Quyết định số 02/2019/QĐ-UBND về Quy định quản lý, vận hành "
            "Cổng thông tin điện tử tỉnh.",
            fetches=[(at("2019-01-22 11:00"), {})],
        ),
        Story(
            "qni-digital-plan",
            "quangngai",
            "quangngai.gov.vn/portal-qni/5362918",
            "https://quangngai.gov.vn/web/portal-qni/xem-chi-tiet/-/asset_publisher/Content/chuyen-oi-so?5362918",
            "Ban hành Kế hoạch chuyển đổi số tỉnh Quảng Ngãi năm 2025",
            plan_pub,
            "UBND tỉnh ban hành Kế hoạch số 123/KH-UBND về chuyển đổi số tỉnh Quảng Ngãi năm 2025.",
            attachments=[pdf(b"%PDF-1.4 plan v1")],
            fetches=[
                (plan_pub + timedelta(hours=1), {}),
                (plan_pub + d(38), {"attachments": [pdf(b"%PDF-1.4 plan v2, corrected")]}),
            ],
        ),
        Story(
            "ml-danvan-2023",
            "quangngai_minhlong",
            "minhlong.quangngai.gov.vn/minhlong/4790573",
            "https://minhlong.quangngai.gov.vn/web/minhlong/xem-chi-tiet/-/asset_publisher/Content/tong-ket?4790573",
            "Tổng kết công tác dân vận, quy chế dân chủ ở cơ sở, công tác tôn giáo năm 2023",
            at("2024-01-17 08:46"),
            "Chiều ngày 12/01/2023, Ban Thường vụ Huyện ủy tổ chức Hội nghị tổng kết công tác dân vận.\n\n"
            "Tiếp tục chỉ đạo đôn đốc việc triển khai thực hiện phong trào thi đua “Dân vận khéo” năm 2024.",
            author="Thị Thoang",
            fetches=[(at("2024-01-17 10:00"), {})],
        ),
        Story(
            "ml-handover",
            "quangngai_minhlong",
            "minhlong.quangngai.gov.vn/minhlong/5541880",
            "https://minhlong.quangngai.gov.vn/web/minhlong/xem-chi-tiet/-/asset_publisher/Content/ban-giao?5541880",
            "Huyện Minh Long hoàn thành bàn giao hồ sơ, tài sản cho các xã mới",
            at("2025-06-27 16:00"),
            "Huyện Minh Long đã bàn giao toàn bộ hồ sơ, tài liệu và tài sản cho các xã mới.",
            fetches=[(at("2025-06-28 08:00"), {})],
        ),
        Story(
            "ml-ntm-check",
            "quangngai_minhlong",
            "minhlong.quangngai.gov.vn/minhlong/5107301",
            "https://minhlong.quangngai.gov.vn/web/minhlong/xem-chi-tiet/-/asset_publisher/Content/kiem-tra?5107301",
            "Kiểm tra tiến độ thực hiện các chương trình mục tiêu quốc gia tại huyện Minh Long",
            at("2023-08-14 16:30"),
            NTM_BODY,
            fetches=[(at("2023-08-15 09:00"), {})],
        ),
        Story(
            "qni-ntm-check",
            "quangngai",
            "quangngai.gov.vn/portal-qni/5107261",
            "https://quangngai.gov.vn/web/portal-qni/xem-chi-tiet/-/asset_publisher/Content/kiem-tra?5107261",
            "Kiểm tra tiến độ thực hiện các chương trình mục tiêu quốc gia tại huyện Minh Long",
            at("2023-08-14 16:30"),
            NTM_BODY,
            fetches=[(at("2023-08-16 08:00"), {})],
        ),
    ]


#: the last crawl of these sites did not finish cleanly: (status, finish reason)
FAILED_LAST_RUNS = {
    "soctrang_mytu": ("failed", "HTTP 503 on every listing"),
    "quangngai_minhlong": ("timed_out", "closespider_timeout"),
}
GONE = ("ml-handover",)


def build_archive(url: str) -> dict[str, int]:
    """Build the fixture archive at ``url`` (an empty database); article ids by story name."""
    engine = make_engine(url)
    upgrade(engine)
    sessions = session_factory(engine)
    ids: dict[str, int] = {}
    with sessions.begin() as session:
        site_ids = {name: ensure_site(session, site_info(name)).id for name in SITES}
        runs = {
            name: start_run(session, name, site_id, at("2019-01-01 00:00")).id
            for name, site_id in site_ids.items()
        }
    for story in stories():
        for capture in story.captures():
            with sessions.begin() as session:
                ids[story.name] = store_capture(
                    session, capture, site_id=site_ids[story.site], run_id=runs[story.site]
                ).article_id
    with sessions.begin() as session:
        for run_id in runs.values():
            finish_run(session, run_id, status="finished", reason="finished", counts={}, stats={})
        for name, (status, reason) in FAILED_LAST_RUNS.items():
            run = start_run(session, name, site_ids[name], at("2025-07-02 06:00"))
            finish_run(session, run.id, status=status, reason=reason, counts={"errors": 3}, stats={})
        gone = text("UPDATE article SET status = 'gone' WHERE id IN :ids").bindparams(
            bindparam("ids", expanding=True)
        )
        session.execute(gone, {"ids": [ids[name] for name in GONE]})
    engine.dispose()
    return ids


@dataclass
class Archive:
    url: str
    ids: dict[str, int]
    backend: str


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def archive(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Archive]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('queries') / 'archive.sqlite3'}"
        yield Archive(url, build_archive(url), "sqlite")
        return
    with fresh_database(request.getfixturevalue("pg_admin_url")) as url:
        yield Archive(url, build_archive(url), "postgresql")


# ---------------------------------------------------------------- docs/queries.md

_QUESTION = re.compile(r"^### (\d+)\. (.+?)\n(.*?)```sql\n(.*?)```", re.S | re.M)
_BACKEND_BLOCK = re.compile(r"^#### (SQLite|PostgreSQL)\n.*?```sql\n(.*?)```", re.S | re.M)


def doc_questions() -> dict[int, tuple[str, str]]:
    return {int(m[1]): (m[2], m[4]) for m in _QUESTION.finditer(DOCS.read_text(encoding="utf-8"))}


def run_sql(url: str, sql: str) -> list[tuple[object, ...]]:
    """The rows of ``sql`` as a user's client would run it (no parameter parsing: LIKE '%…%' stays)."""
    engine = make_engine(url)
    try:
        connection = engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute(sql)
            return [tuple(normal(v) for v in row) for row in cursor.fetchall()]
        finally:
            connection.close()
    finally:
        engine.dispose()


_SQLITE_TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?")


def normal(value: object) -> object:
    """One spelling for both backends: timestamps as UTC 'YYYY-MM-DD HH:MM', numbers as float or int."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, str) and _SQLITE_TIME.fullmatch(value):
        return value[:16]
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def utc(local: str) -> str:
    return at(local).astimezone(UTC).strftime("%Y-%m-%d %H:%M")


CT_TITLE = "Châu Thành: Sơ kết công tác dân vận và quy chế dân chủ 6 tháng đầu năm 2021"
NTM_TITLE = "Kiểm tra tiến độ thực hiện các chương trình mục tiêu quốc gia tại huyện Minh Long"
NHA_TITLE = "Châu Thành trao 20 căn nhà Đại đoàn kết cho hộ nghèo"
PLAN_TITLE = "Ban hành Kế hoạch chuyển đổi số tỉnh Quảng Ngãi năm 2025"

Expected = Callable[[dict[str, int]], list[tuple[object, ...]]]
EXPECTED: dict[int, Expected] = {
    1: lambda ids: [
        (
            ids["mytu-danvan-kheo"],
            "soctrang_mytu",
            "2021-03-15",
            "Mỹ Tú ra mắt mô hình “Dân vận khéo” trong xây dựng nông thôn mới",
        ),
        (ids["ct-danvan-2021"], "soctrang_chauthanh", "2021-07-08", CT_TITLE),
    ],
    2: lambda ids: [
        (ids["ct-danvan-2021"], "soctrang_chauthanh", CT_TITLE, 2, 12.0, "body"),
        (ids["qni-digital-plan"], "quangngai", PLAN_TITLE, 2, 38.0, "attachments"),
    ],
    3: lambda ids: [
        (NHA_TITLE, 1, "soctrang_chauthanh", ids["ct-nha-dai-doan-ket"], utc("2021-10-05 11:00")),
        (NHA_TITLE, 2, "soctrang", ids["st-nha-dai-doan-ket"], utc("2021-10-06 09:00")),
        (NTM_TITLE, 1, "quangngai_minhlong", ids["ml-ntm-check"], utc("2023-08-15 09:00")),
        (NTM_TITLE, 2, "quangngai", ids["qni-ntm-check"], utc("2023-08-16 08:00")),
    ],
    4: lambda ids: [
        (ids["ct-danvan-2021"], 1, utc("2021-07-08 12:15"), utc("2021-07-08 12:15"), None),
        (ids["ct-danvan-2021"], 2, utc("2021-07-20 10:15"), utc("2021-07-21 10:15"), "body"),
    ],
    5: lambda ids: [
        (
            ids["ct-covid-2021"],
            "soctrang_chauthanh",
            "Châu Thành triển khai tiêm vắc xin phòng Covid-19 đợt 5",
            "Châu Thành triển khai tiêm vắc xin phòng Covid-19 đợt 6",
        ),
    ],
    6: lambda ids: [(ids["qni-digital-plan"], "quangngai", PLAN_TITLE, 1, 2, "KH-123-UBND.pdf")],
    7: lambda ids: [
        (
            ids["bdt-danvan-2020"],
            "baodongthap",
            utc("2020-07-03 17:45"),
            utc("2020-07-04 08:00"),
            "2020-07-04",
        ),
    ],
    8: lambda ids: [
        (
            "quangngai_minhlong",
            ids["ml-handover"],
            "Huyện Minh Long hoàn thành bàn giao hồ sơ, tài sản cho các xã mới",
            "2025-06-27",
            utc("2025-06-28 08:00"),
        ),
    ],
    9: lambda ids: [
        ("quangngai_minhlong", "timed_out", "closespider_timeout", 3, 2, 1),
        ("soctrang_mytu", "failed", "HTTP 503 on every listing", 3, 2, 1),
    ],
    10: lambda ids: [
        ("baodongthap", 2020, 1),
        ("quangngai", 2019, 1),
        ("quangngai", 2023, 2),
        ("quangngai", 2025, 1),
        ("quangngai_minhlong", 2023, 1),
        ("quangngai_minhlong", 2024, 1),
        ("quangngai_minhlong", 2025, 1),
        ("soctrang", 2021, 1),
        ("soctrang_chauthanh", 2020, 1),
        ("soctrang_chauthanh", 2021, 3),
        ("soctrang_danvan", 2021, 1),
        ("soctrang_mytu", 2021, 1),
    ],
    11: lambda ids: [
        (
            ids["qni-portal-rules"],
            "quangngai",
            "2019-01-22",
            "Ban hành Quy định quản lý, vận hành Cổng thông tin điện tử tỉnh Quảng Ngãi",
        ),
    ],
    12: lambda ids: [
        ("Cần Thơ", "soctrang_chauthanh", 4, "2020-12-28", "2021-10-05"),
        ("Cần Thơ", "soctrang_mytu", 1, "2021-03-15", "2021-03-15"),
        ("Quảng Ngãi", "quangngai_minhlong", 3, "2023-08-14", "2025-06-27"),
    ],
    13: lambda ids: [
        (ids["bdt-danvan-2020"], "baodongthap", 2, 0, 0, 1, 0),
        (ids["qni-digital-plan"], "quangngai", 2, 0, 0, 0, 1),
        (ids["ct-danvan-2021"], "soctrang_chauthanh", 2, 0, 1, 0, 0),
        (ids["ct-covid-2021"], "soctrang_chauthanh", 2, 1, 0, 0, 0),
    ],
}


def test_docs_ask_every_question_the_tests_check() -> None:
    questions = doc_questions()
    assert len(questions) >= 10
    assert sorted(questions) == sorted(EXPECTED), "docs/queries.md and EXPECTED disagree on the questions"


@pytest.mark.parametrize("number", sorted(EXPECTED))
def test_question_from_the_docs(archive: Archive, number: int) -> None:
    title, sql = doc_questions()[number]
    rows = run_sql(archive.url, sql)
    assert rows, f"question {number} ({title}) found nothing"
    assert rows == EXPECTED[number](archive.ids), f"question {number}: {title}"


def test_backend_specific_full_text_search_from_the_docs(archive: Archive) -> None:
    blocks = dict(_BACKEND_BLOCK.findall(DOCS.read_text(encoding="utf-8")))
    sql = blocks["SQLite" if archive.backend == "sqlite" else "PostgreSQL"]
    rows = run_sql(archive.url, sql)
    assert [row[0] for row in rows] == [archive.ids["qni-ducpho"]]


# ---------------------------------------------------------------- the CLI


def cli(
    archive: Archive, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *argv: str
) -> str:
    monkeypatch.setenv("DATABASE_URL", archive.url)
    code = main(list(argv))
    out = capsys.readouterr()
    assert code == 0, out.err
    return out.out


def test_cli_search_finds_vietnamese_without_accents(archive, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    out = cli(archive, monkeypatch, capsys, "search", "duc", "pho")
    assert "Thị xã **Đức Phổ** ra quân" in unicodedata.normalize("NFC", out)
    found = json.loads(
        cli(
            archive,
            monkeypatch,
            capsys,
            "search",
            "dan van",
            "--province",
            "soc trang",
            "--since",
            "2021",
            "--until",
            "2021",
            "--json",
        )
    )
    assert {r["site"] for r in found["results"]} == {"soctrang_chauthanh", "soctrang_mytu", "soctrang_danvan"}
    assert all(r["published_at"].startswith("2021-") for r in found["results"])
    top = found["results"][0]
    assert top["snippet"][slice(*top["highlights"][0])].casefold() == "dân vận"


def test_cli_search_site_filter_and_phrase(archive, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    found = json.loads(
        cli(archive, monkeypatch, capsys, "search", '"dân vận khéo"', "--site", "baodongthap", "--json")
    )
    assert [r["article_id"] for r in found["results"]] == [archive.ids["bdt-danvan-2020"]]
    assert "no article matches" in cli(
        archive, monkeypatch, capsys, "search", '"dan van kheo"', "--site", "quangngai"
    )


def test_cli_history_by_id_and_by_any_url(archive, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    article_id = archive.ids["ct-danvan-2021"]
    by_url = cli(archive, monkeypatch, capsys, "history", CT_MOBILE)
    assert by_url == cli(archive, monkeypatch, capsys, "history", str(article_id))
    assert f"article {article_id} · soctrang_chauthanh" in by_url and f"also seen at {CT_MOBILE}" in by_url
    assert re.search(
        r"^\s+2\s+20/07/2021 10:15\s+21/07/2021 10:15\s+08/07/2021 10:15\s+\d+\s+body$", by_url, re.M
    )
    versions = json.loads(cli(archive, monkeypatch, capsys, "history", str(article_id), "--json"))[0][
        "versions"
    ]
    assert [(v["version"], v["changes"]) for v in versions] == [(1, None), (2, "body")]


def test_cli_diff_shows_the_changed_words(archive, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    out = cli(archive, monkeypatch, capsys, "diff", str(archive.ids["ct-danvan-2021"]))
    assert "version 1 → version 2" in out
    assert "được 4.[-646-]{+656+} cuộc" in out and "⋯ 1 unchanged paragraph ⋯" in out
    colored = cli(
        archive, monkeypatch, capsys, "diff", str(archive.ids["qni-digital-plan"]), "1", "2", "--color=always"
    )
    assert "\x1b[31m  - KH-123-UBND.pdf" in colored and "\x1b[32m  + KH-123-UBND.pdf" in colored


def test_cli_export_jsonl_and_csv(archive, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    lines = cli(archive, monkeypatch, capsys, "export", "--site", "quangngai").splitlines()
    rows = [json.loads(line) for line in lines]
    assert len(rows) == 4 and {r["site"] for r in rows} == {"quangngai"}
    plan = next(r for r in rows if r["article_id"] == archive.ids["qni-digital-plan"])
    assert (plan["version"], plan["attachments"], plan["published_at"]) == (2, 1, "2025-02-10T08:00:00+00:00")
    table = list(csv.DictReader(io.StringIO(cli(archive, monkeypatch, capsys, "export", "--format", "csv"))))
    assert len(table) == len(stories()) and table[0]["body_text"]


def test_cli_errors_are_one_line(archive, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DATABASE_URL", archive.url)
    assert main(["history", "https://nowhere.example/"]) == 2
    assert main(["search", "x", "--site", "no_such_site"]) == 2
    assert main(["search", "-only -excluded"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 3 and all(line.startswith("error: ") for line in err)


# ---------------------------------------------------------------- the benchmark, tiny


def test_search_bench_runs_at_tiny_size(db_url: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.search_bench", "--articles", "300", "--db-url", db_url, "--json"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert report["articles"] == 300 and len(report["queries"]) >= 15
    assert 0 < report["p50_ms"] <= report["p95_ms"]
    assert all(q["results"] > 0 for q in report["queries"] if q["expect_results"])
