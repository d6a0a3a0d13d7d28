"""A small archive for the reader's pages, built through the archive's own store functions.

Three portals of Quảng Ngãi: the province portal (still publishing in
September 2025), the Minh Long district portal (last article June 2025, then
silent after the 1 July 2025 merger, redirected to the province portal) and the
Sơn Hà district portal (silent since January 2025). It holds:

* an article edited twice, whose first version came from a web archive (a
  Wayback capture older than the live fetches) and whose raw page carries a
  script, a remote stylesheet and a remote image;
* an article gone from its portal (three failed checks over eight days, declared
  gone at the end of a run: an ``article_event``);
* a story on two portals (the same content under two articles);
* an article whose attached PDF was replaced.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from archive.capture import ArticleCapture, AttachmentRef, RawPage
from archive.db import make_engine, session_factory, upgrade
from archive.removal import GonePolicy, declare_gone, record_missing
from archive.store import SiteInfo, ensure_site, finish_run, start_run, store_capture

ICT = timezone(timedelta(hours=7))
PROVINCE, MINHLONG, SONHA = "qng_tinh", "qng_minhlong", "qng_sonha"
WAYBACK = "http://127.0.0.1:9/web/20250611020000id_/"

SITES = [
    SiteInfo(PROVINCE, "Cổng TTĐT tỉnh Quảng Ngãi", "Quảng Ngãi", "province", "liferay",
             "https://quangngai.gov.vn/", "Quảng Ngãi"),
    SiteInfo(MINHLONG, "UBND huyện Minh Long", "Quảng Ngãi", "district", "liferay",
             "https://minhlong.quangngai.gov.vn/", "Quảng Ngãi", status="redirected",
             successor_url="https://quangngai.gov.vn/", successor_name=PROVINCE),
    SiteInfo(SONHA, "UBND huyện Sơn Hà", "Quảng Ngãi", "district", "liferay",
             "https://sonha.quangngai.gov.vn/", "Quảng Ngãi"),
]

EDITED_BODY = (
    "Sáng ngày 10/6, Ban Dân vận Huyện ủy Minh Long tổ chức hội nghị sơ kết công tác dân vận 6 tháng đầu năm.\n\n"
    "Trong 6 tháng, các cấp ủy tổ chức tuyên truyền được 4.646 cuộc với 82.427 lượt người tham dự.\n\n"
    "Việc thực hiện quy chế dân chủ ở cơ sở đạt nhiều kết quả quan trọng.\n\n"
    "Hội nghị đề nghị tiếp tục nhân rộng các mô hình “Dân vận khéo” trên địa bàn huyện."
)
EDITED_BODY_V2 = EDITED_BODY.replace("4.646 cuộc", "4.656 cuộc")
EDITED_TITLE = "Minh Long sơ kết công tác dân vận 6 tháng đầu năm 2025"
EDITED_TITLE_V3 = "Minh Long sơ kết công tác dân vận và quy chế dân chủ 6 tháng đầu năm 2025"
SHARED_TITLE = "Minh Long bàn giao hồ sơ cho các xã mới"
SHARED_BODY = "Huyện Minh Long đã bàn giao toàn bộ hồ sơ, tài liệu và tài sản cho các xã mới."
PLAN_TITLE = "Ban hành Kế hoạch chuyển đổi số tỉnh Quảng Ngãi năm 2025"
PDF_V1, PDF_V2 = b"%PDF-1.4 ke hoach v1", b"%PDF-1.4 ke hoach v2, da sua"
RAW_PAGE = (
    "<html><head><title>{title}</title>"
    '<link rel="stylesheet" href="https://minhlong.quangngai.gov.vn/theme/main.css">'
    '<script src="https://minhlong.quangngai.gov.vn/js/tracker.js"></script>'
    "<script>document.title = 'đã chạy script';</script></head>"
    '<body onload="alert(1)"><div class="header" style="background:url(https://minhlong.quangngai.gov.vn/bg.png)">'
    "UBND huyện Minh Long</div>"
    '<h1 class="title">{title}</h1><img src="https://minhlong.quangngai.gov.vn/anh/hoi-nghi.jpg" alt="Ảnh hội nghị">'
    "<div class=\"content\">{paragraphs}</div>"
    '<a href="/tin-tuc">Tin tức</a><iframe src="https://www.youtube.com/embed/x"></iframe></body></html>'
)


def at(value: str) -> datetime:
    """'2025-06-10 09:00' in Vietnam time."""
    return datetime.strptime(value, "%Y-%m-%d %H:%M").replace(tzinfo=ICT)


def pdf(data: bytes) -> AttachmentRef:
    return AttachmentRef(
        url="https://quangngai.gov.vn/documents/10181/KH-88-UBND.pdf", title="KH-88-UBND.pdf",
        sha256=hashlib.sha256(data).hexdigest(), data=data, media_type="application/pdf",
    )


@dataclass(frozen=True)
class Fetch:
    site: str
    key: str
    url: str
    title: str
    published: datetime
    body: str
    seen: datetime
    source: str = "live"
    attachments: tuple[AttachmentRef, ...] = ()

    def capture(self) -> ArticleCapture:
        paragraphs = "".join(f"<p>{p}</p>" for p in self.body.split("\n\n"))
        html = RAW_PAGE.format(title=self.title, paragraphs=paragraphs)
        wayback = self.source == "wayback"
        return ArticleCapture(
            site=self.site, url=self.url, source_key=self.key, title=self.title, published_at=self.published,
            body_text=self.body, body_html=paragraphs, attachments=list(self.attachments),
            page=RawPage(url=self.url, status=200, headers={"Content-Type": "text/html; charset=utf-8"},
                         body=html.encode(), fetched_at=self.seen, source=self.source,
                         capture_url=WAYBACK + self.url if wayback else None),
        )


def _fetches() -> dict[str, list[Fetch]]:
    ml = "https://minhlong.quangngai.gov.vn/web/minhlong/xem-chi-tiet/-/asset_publisher/Content/"
    qn = "https://quangngai.gov.vn/web/portal-qni/xem-chi-tiet/-/asset_publisher/Content/"
    sh = "https://sonha.quangngai.gov.vn/web/sonha/xem-chi-tiet/-/asset_publisher/Content/"
    edited = (MINHLONG, "minhlong/6001", ml + "so-ket-dan-van?6001")
    plan = (PROVINCE, "portal-qni/7001", qn + "chuyen-doi-so?7001")
    return {
        "edited": [
            Fetch(*edited, EDITED_TITLE, at("2025-06-10 09:00"), EDITED_BODY, at("2025-06-20 08:00")),
            Fetch(*edited, EDITED_TITLE, at("2025-06-10 09:00"), EDITED_BODY_V2, at("2025-06-25 08:00")),
            # Stored last, dated first: the web archive's capture becomes version 1.
            Fetch(*edited, EDITED_TITLE, at("2025-06-10 09:00"), EDITED_BODY.replace(" trên địa bàn huyện", ""),
                  at("2025-06-11 09:00"), source="wayback"),
            Fetch(*edited, EDITED_TITLE_V3, at("2025-06-10 09:00"), EDITED_BODY_V2, at("2025-06-28 08:00")),
        ],
        "removed": [Fetch(MINHLONG, "minhlong/6002", ml + "hop-bao?6002", "Họp báo tháng 6 của huyện Minh Long",
                          at("2025-06-20 15:00"), "Chiều 20/6, UBND huyện Minh Long tổ chức họp báo định kỳ.",
                          at("2025-06-21 08:00"))],
        "shared-district": [Fetch(MINHLONG, "minhlong/5001", ml + "ban-giao?5001", SHARED_TITLE,
                                  at("2025-03-05 10:00"), SHARED_BODY, at("2025-03-05 12:00"))],
        "shared-province": [Fetch(PROVINCE, "portal-qni/5002", qn + "ban-giao?5002", SHARED_TITLE,
                                  at("2025-03-05 10:00"), SHARED_BODY, at("2025-03-06 09:00"))],
        "plan": [
            Fetch(*plan, PLAN_TITLE, at("2025-05-12 14:00"), "UBND tỉnh ban hành Kế hoạch số 88/KH-UBND.",
                  at("2025-05-12 16:00"), attachments=(pdf(PDF_V1),)),
            Fetch(*plan, PLAN_TITLE, at("2025-05-12 14:00"), "UBND tỉnh ban hành Kế hoạch số 88/KH-UBND.",
                  at("2025-05-20 16:00"), attachments=(pdf(PDF_V2),)),
        ],
        "province-sept": [Fetch(PROVINCE, "portal-qni/8001", qn + "xa-moi?8001",
                                "Các xã mới của tỉnh Quảng Ngãi đi vào hoạt động ổn định",
                                at("2025-09-15 08:00"), "Sau ba tháng, các xã mới đã hoạt động ổn định.",
                                at("2025-09-15 10:00"))],
        "sonha-nov": [Fetch(SONHA, "sonha/3001", sh + "mua-lu?3001", "Sơn Hà khắc phục hậu quả mưa lũ",
                            at("2024-11-20 08:00"), "Huyện Sơn Hà huy động lực lượng khắc phục hậu quả mưa lũ.",
                            at("2024-11-20 10:00"))],
        "sonha-jan": [Fetch(SONHA, "sonha/3002", sh + "tet?3002", "Sơn Hà chăm lo Tết cho người nghèo",
                            at("2025-01-15 08:00"), "Huyện Sơn Hà trao 500 suất quà Tết cho hộ nghèo.",
                            at("2025-01-15 10:00"))],
    }


def build_reader_archive(url: str) -> dict[str, int]:
    """Build the archive at ``url`` (an empty database); article ids by story name."""
    engine = make_engine(url)
    upgrade(engine)
    sessions = session_factory(engine)
    with sessions.begin() as session:
        site_ids = {info.name: ensure_site(session, info).id for info in SITES}
        runs = {name: start_run(session, name, site_id, at("2025-01-01 00:00")).id for name, site_id in site_ids.items()}
    ids: dict[str, int] = {}
    for story, fetches in _fetches().items():
        for fetch in fetches:
            with sessions.begin() as session:
                result = store_capture(session, fetch.capture(), site_id=site_ids[fetch.site], run_id=runs[fetch.site])
                ids[story] = result.article_id
    with sessions.begin() as session:
        for run_id in runs.values():
            counts = {"pages": 12, "new_articles": 3, "new_versions": 5}
            finish_run(session, run_id, status="finished", reason="finished", counts=counts, stats={})
        for day in ("2025-07-05 08:00", "2025-07-09 08:00", "2025-07-13 08:00"):
            assert record_missing(session, site_ids[MINHLONG], "minhlong/6002", at(day))
        run = start_run(session, MINHLONG, site_ids[MINHLONG], at("2025-07-15 08:00"))
        assert declare_gone(session, site_ids[MINHLONG], at("2025-07-15 09:00"), GonePolicy(), run.id) == 1
        finish_run(session, run.id, status="finished", reason="finished", counts={"pages": 3, "unchanged": 2},
                   stats={})
        failed = start_run(session, MINHLONG, site_ids[MINHLONG], at("2025-10-01 06:00"))
        finish_run(session, failed.id, status="failed", reason="HTTP 503 on every listing",
                   counts={"errors": 4}, stats={})
        for name in (PROVINCE, SONHA):
            last = start_run(session, name, site_ids[name], at("2025-10-01 06:00"))
            finish_run(session, last.id, status="finished", reason="finished", counts={"pages": 20, "unchanged": 4},
                       stats={})
    engine.dispose()
    return ids
