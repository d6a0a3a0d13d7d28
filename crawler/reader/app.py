"""The reader's pages of ``portal-archive browse``: a small Starlette app over the archive.

An article with its versions, texts, diffs, files, copies and removals; a
portal's timeline; a province's portals month by month; search. The answers come
from archive/ (queries, search, diff, reader); this module only turns requests
into calls and answers into pages. Everything it serves is its own (templates,
one stylesheet, one icon; no script at all), so the pages work offline, and a
Content-Security-Policy says so to the browser.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

from markupsafe import Markup, escape
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from archive.diff import ICT, diff_versions
from archive.models import SITE_LEVELS
from archive.normalise import fold
from archive.queries import latest_version, parse_when, site_ids, version_text
from archive.reader import (
    MERGER_MONTH,
    article_record,
    attachment_file,
    month_of,
    month_range,
    portal_record,
    portal_summaries,
    province_names,
    province_portals,
    raw_page,
    recent_articles,
)
from archive.search import SearchFilters, SearchQueryError, search
from crawler.reader import charts
from crawler.reader.raw import RAW_PAGE_POLICY, safe_page
from crawler.reader.words import (
    EVENTS,
    FIELD_NAMES,
    HEALTH_STATES,
    LEVELS,
    RUN_STATUSES,
    SITE_STATUSES,
    SOURCES,
    changes,
)

logger = logging.getLogger(__name__)

HERE = Path(__file__).parent
#: the reader's own pages: only what this app serves, no script, the stored page in a frame
PAGE_POLICY = (
    "default-src 'self'; script-src 'none'; object-src 'none'; img-src 'self' data:; "
    "frame-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'"
)
SEARCH_LIMIT = 50
_CAPTURE_STAMP = re.compile(r"/(\d{14})(?:[a-z]{2}_)?/")
T = TypeVar("T")


@dataclass(frozen=True)
class ReaderConfig:
    """What the pages need to know of where they are served."""

    #: Datasette's page of the archive database (SQLite only), e.g. ``/datasette/archive``
    datasette: str | None = None


class BadRequest(HTTPException):
    def __init__(self, detail: str) -> None:
        super().__init__(400, detail)


class NotFound(HTTPException):
    def __init__(self, detail: str) -> None:
        super().__init__(404, detail)


# ---------------------------------------------------------------- formatting for templates


def vn_time(value: datetime | None, fmt: str = "%d/%m/%Y %H:%M") -> str:
    return value.astimezone(ICT).strftime(fmt) if value else "—"


def vn_date(value: datetime | None) -> str:
    return vn_time(value, "%d/%m/%Y")


def marked(value: str, spans: list[tuple[int, int]]) -> Markup:
    """``value`` with the search matches in ``<mark>``, escaped."""
    out, at = [], 0
    for start, end in spans:
        out += [escape(value[at:start]), Markup("<mark>"), escape(value[start:end]), Markup("</mark>")]
        at = end
    return Markup("").join([*out, escape(value[at:])])


def capture_stamp(url: str) -> str:
    """The 14-digit timestamp of a web-archive capture URL (``…/web/20250611020000id_/…``), else the URL."""
    match = _CAPTURE_STAMP.search(url)
    return match[1] if match else url


def paragraphs(value: str) -> list[str]:
    return [p for p in value.split("\n\n") if p.strip()]


def _templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    env = templates.env
    env.filters.update(
        vn_time=vn_time,
        vn_date=vn_date,
        paragraphs=paragraphs,
        capture_stamp=capture_stamp,
        quote=lambda v: quote(str(v)),
    )
    env.globals.update(
        marked=marked,
        LEVELS=LEVELS,
        SOURCES=SOURCES,
        HEALTH_STATES=HEALTH_STATES,
        RUN_STATUSES=RUN_STATUSES,
        SITE_STATUSES=SITE_STATUSES,
        FIELD_NAMES=FIELD_NAMES,
        EVENTS=EVENTS,
        changes=changes,
        month_label=charts._month_label,
    )
    return templates


# ---------------------------------------------------------------- the app


class Reader:
    """What every page needs: the archive to read, the templates, where the pages are served."""

    def __init__(self, engine: Engine, config: ReaderConfig) -> None:
        self.engine, self.config, self.templates = engine, config, _templates()

    def read(self, work: Callable[[Session], T]) -> T:
        with Session(self.engine) as session:
            return work(session)

    def page(self, request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
        context = {"datasette": self.config.datasette, **context}
        return self.templates.TemplateResponse(request, name, context, status_code=status)


def create_app(engine: Engine, config: ReaderConfig | None = None) -> Starlette:
    """The reader's pages over the archive at ``engine`` (a reader engine: archive.queries.reader_engine)."""
    routes = [
        Route("/", home, name="home"),
        Route("/article/{article_id:int}", article, name="article"),
        Route("/article/{article_id:int}/raw/{number:int}", stored_page, name="raw"),
        Route("/attachment/{sha256:str}", attachment, name="attachment"),
        Route("/portal/{name:str}", portal, name="portal"),
        Route("/province/{name:str}", province, name="province"),
        Route("/search", search_page, name="search"),
        Route("/favicon.ico", favicon),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(SecurityHeaders)],
        exception_handlers={404: not_found, HTTPException: http_error, Exception: server_error},
    )
    app.state.reader = Reader(engine, config or ReaderConfig())
    return app


def _reader(request: Request) -> Reader:
    reader: Reader = request.app.state.reader
    return reader


def home(request: Request) -> Response:
    def work(session: Session) -> dict[str, Any]:
        portals = portal_summaries(session)
        return {"portals": portals, "provinces": province_names(session), "recent": recent_articles(session)}

    reader = _reader(request)
    return reader.page(request, "home.html", reader.read(work))


def article(request: Request) -> Response:
    reader, article_id = _reader(request), request.path_params["article_id"]
    return reader.page(request, "article.html", reader.read(lambda s: _article_context(s, article_id, request)))


def stored_page(request: Request) -> Response:
    article_id, number = request.path_params["article_id"], request.path_params["number"]
    stored = _reader(request).read(lambda s: raw_page(s, article_id, number))
    if stored is None:
        raise NotFound(f"Không lưu trang gốc của phiên bản {number} bài {article_id}.")
    where = "kho lưu trữ web" if stored.source != "live" else "cổng"
    banner = (
        f"Trang gốc đã lưu từ {where} lúc {vn_time(stored.fetched_at)} (giờ Việt Nam): {stored.url}. "
        "Đã bỏ script và mọi tài nguyên tải từ xa."
    )
    html = safe_page(stored.body, stored.headers, stored.url, banner)
    return HTMLResponse(html, headers={"Content-Security-Policy": RAW_PAGE_POLICY})


def attachment(request: Request) -> Response:
    sha256 = request.path_params["sha256"].lower()
    found = _reader(request).read(lambda s: attachment_file(s, sha256))
    if found is None:
        raise NotFound("Không có tệp đính kèm này trong kho.")
    name = found.first_url.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0] or sha256
    return Response(
        found.data,
        media_type=found.media_type or "application/octet-stream",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


def portal(request: Request) -> Response:
    reader, name = _reader(request), request.path_params["name"]
    return reader.page(request, "portal.html", reader.read(lambda s: _portal_context(s, name)))


def province(request: Request) -> Response:
    reader, name = _reader(request), request.path_params["name"]
    return reader.page(request, "province.html", reader.read(lambda s: _province_context(s, name)))


def search_page(request: Request) -> Response:
    reader = _reader(request)
    return reader.page(request, "search.html", reader.read(lambda s: _search_context(s, request)))


def favicon(request: Request) -> Response:
    return Response((HERE / "static" / "icon.svg").read_bytes(), media_type="image/svg+xml")


_ERROR_TITLES = {400: "Yêu cầu không hợp lệ", 404: "Không tìm thấy", 405: "Phương thức không được phép"}


async def not_found(request: Request, exc: Exception) -> Response:
    detail = exc.detail if isinstance(exc, HTTPException) and exc.status_code == 404 else None
    context = {"status": 404, "title": _ERROR_TITLES[404], "detail": detail or "Không có trang nào ở địa chỉ này."}
    return _reader(request).page(request, "error.html", context, 404)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    context = {"status": exc.status_code, "title": _ERROR_TITLES.get(exc.status_code, "Lỗi"), "detail": exc.detail}
    return _reader(request).page(request, "error.html", context, exc.status_code)


async def server_error(request: Request, exc: Exception) -> Response:
    logger.exception("reader page %s failed", request.url.path, exc_info=exc)
    detail = "Trang này gặp lỗi; chi tiết có trong nhật ký của browse."
    context = {"status": 500, "title": "Lỗi máy chủ", "detail": detail}
    return _reader(request).page(request, "error.html", context, 500)


class SecurityHeaders:
    """The page policy on every answer that does not bring a stricter one of its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                if b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", PAGE_POLICY.encode()))
                headers += [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer")]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


# ---------------------------------------------------------------- page contexts


def _int_param(request: Request, name: str) -> int | None:
    value = request.query_params.get(name, "").strip()
    if not value:
        return None
    if not value.isdigit():
        raise BadRequest(f"Tham số {name}={value!r} phải là số nguyên dương.")
    return int(value)


def _article_context(session: Session, article_id: int, request: Request) -> dict[str, Any]:
    record = article_record(session, article_id)
    if record is None:
        raise NotFound(f"Kho không có bài số {article_id}.")
    latest = latest_version(session, article_id)
    shown = _int_param(request, "v") or latest
    old = _int_param(request, "a") or max(latest - 1, 1)
    new = _int_param(request, "b") or latest
    for number in (shown, old, new):
        if not 1 <= number <= latest:
            raise BadRequest(f"Bài {article_id} có các phiên bản 1 đến {latest}; không có phiên bản {number}.")
    diff = diff_versions(version_text(session, article_id, old), version_text(session, article_id, new))
    return {
        "record": record,
        "entry": record.history,
        "latest": latest,
        "shown": version_text(session, article_id, shown),
        "shown_number": shown,
        "old": old,
        "new": new,
        "diff": diff if old != new else None,
        "source": record.sources.get(shown),
    }


def _portal_context(session: Session, name: str) -> dict[str, Any]:
    record = portal_record(session, name)
    if record is None:
        raise NotFound(f"Kho không có cổng {name!r}.")
    counts = record.months
    last_run = record.runs[0].started_at if record.runs else None
    months = counts.months(MERGER_MONTH, *([month_of(last_run)] if last_run else []))
    chart = charts.portal_timeline(
        months,
        charts.Series("published", "bài đăng", counts.published),
        charts.Series("edits", "phiên bản sửa", counts.edits),
        charts.Series("removals", "bài bị gỡ", counts.removals),
    )
    province = record.site.province_after_2025 or record.site.province
    return {"record": record, "site": record.site, "chart": chart, "province": province,
            "last_published": max(counts.published) if counts.published else None}


def _province_context(session: Session, name: str) -> dict[str, Any]:
    portals = province_portals(session, name)
    if portals is None:
        raise NotFound(f"Kho không có cổng nào thuộc tỉnh {name!r}.")
    months_seen = [m for p in portals for m in p.published]
    last_runs = [p.site.last_run_at for p in portals if p.site.last_run_at]
    end = max([*months_seen, MERGER_MONTH, *(month_of(t) for t in last_runs)])
    months = month_range(min([*months_seen, MERGER_MONTH]), end)
    ordered = sorted(portals, key=lambda p: (p.last or "", p.site.display_name))
    wanted = fold(name).strip()
    site = portals[0].site
    name = site.province if fold(site.province) == wanted else (site.province_after_2025 or site.province)
    return {"name": name, "portals": ordered, "chart": charts.province_chart(months, ordered)}


def _search_context(session: Session, request: Request) -> dict[str, Any]:
    params = request.query_params
    form = {key: params.get(key, "").strip() for key in ("q", "province", "level", "site", "since", "until")}
    context: dict[str, Any] = {
        "form": form,
        "portals": portal_summaries(session),
        "provinces": province_names(session),
        "levels": SITE_LEVELS,
        "hits": None,
    }
    if form["level"] and form["level"] not in SITE_LEVELS:
        raise BadRequest(f"Cấp {form['level']!r} không có; chọn một trong: {', '.join(SITE_LEVELS)}.")
    try:
        since = parse_when(form["since"]) if form["since"] else None
        until = parse_when(form["until"], end=True) if form["until"] else None
    except ValueError:
        raise BadRequest("Ngày phải viết YYYY, YYYY-MM hoặc YYYY-MM-DD (ví dụ 2021-07).") from None
    if not form["q"]:
        return context
    try:
        ids = site_ids(session, [form["site"]] if form["site"] else (), form["province"] or None,
                       form["level"] or None)
    except LookupError as exc:
        raise BadRequest(f"Bộ lọc không khớp với cổng nào trong kho ({exc}).") from None
    try:
        context["hits"] = search(session, form["q"], SearchFilters(ids, since, until), limit=SEARCH_LIMIT)
    except SearchQueryError:
        raise BadRequest("Câu tìm kiếm không có từ nào để tìm (một từ bị loại bằng dấu - không đủ).") from None
    return context
