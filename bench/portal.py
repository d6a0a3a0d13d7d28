"""Synthetic portals of N articles, rendered on the fly from a seed and served through the
fixture server's mirror addressing (tests/fixtures/server.py, code routes).

The markup is the fixture families' own: this module imports their templates and renderers
(tests/fixtures/sites/<family>/build.py) and only invents the articles. Pages are padded to
realistic sizes with page chrome the spiders never read (see :func:`pad`), and carry the
fixture server's volatile counters, so two fetches of one page never match byte for byte.

``revision`` lets a benchmark edit the portal between crawls: at revision r > 0 a stable
share of the articles (``edit_share``) carries one more paragraph, a real edit.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, Protocol, overload
from urllib.parse import parse_qs

from bench.text import Writer
from tests.fixtures.server import FixtureServer, key_for

HTML = "text/html; charset=utf-8"
START = datetime(2015, 3, 2, 8, 0)
END = datetime(2025, 6, 27, 16, 0)  # district portals stopped publishing around 30 June 2025


@dataclass(frozen=True)
class Shape:
    """Sizes of what the portal serves (uniform between the bounds, per page)."""

    page_kb: tuple[int, int] = (30, 120)
    body_kb: tuple[float, float] = (1.5, 12.0)
    attachment_every: int = 8  # one article in N links a PDF
    attachment_kb: tuple[int, int] = (20, 160)
    image_share: float = 0.7  # articles with 1-3 captioned images


class Portal(Protocol):
    family: str
    spider: str
    spider_class: str
    n: int
    revision: int
    edit_share: float
    #: pages the archive's first crawl fetches to learn the site's identity (registry [I] values)
    identity_pages: int

    def install(self, server: FixtureServer) -> None: ...
    def listing_pages(self) -> int: ...
    def attachments(self) -> int: ...
    def start_url(self) -> str: ...
    def home_url(self) -> str: ...
    def article_url(self, serial: int) -> str: ...
    def attachment_url(self, serial: int) -> str: ...
    def has_attachment(self, serial: int) -> bool: ...
    def render(self, kind: str, number: int) -> bytes: ...


def fill_counters(page: bytes, serial: int) -> bytes:
    """The fixture server's volatile tokens, filled as it would (for pages used in-process)."""
    for token, value in (
        (b"__VISITS__", f"{102_063 + 7 * serial:,}".replace(",", " ")),
        (b"__TOTAL__", str(16_620_562 + 13 * serial)),
        (b"__ONLINE__", str(9 + serial % 50)),
        (b"__VIEWS__", str(20 + serial % 400)),
    ):
        page = page.replace(token, value.encode("ascii"))
    return page


def _published(serial: int, n: int, rng: random.Random) -> datetime:
    span = (END - START).total_seconds()
    at = START + timedelta(seconds=span * serial / max(n - 1, 1))
    return at.replace(hour=rng.randint(7, 17), minute=rng.randint(0, 59))


def edited(serial: int, revision: int, share: float) -> bool:
    """Whether ``revision`` edits this article: a stable pseudo-random share of all articles."""
    return revision > 0 and (serial * 2654435761 + revision * 40503) % 1000 < share * 1000


# [R] bench-only chrome: the weight of a Liferay 6.2 page is mostly inline portlet scripts and
# side portlets ("Liên kết website"). The spiders never read it; it is here so pages have the
# sizes (30-120 KB) and the compression ratio of real pages, with ids that vary per block.
_SCRIPT = (
    "<script type=\"text/javascript\">\n// <![CDATA[\nAUI().use('aui-base', 'liferay-menu', "
    "'liferay-notice', "
    "function(A) "
    "{{(function() {{Liferay.Portlet.onLoad({{canEditTitle: false, columnPos: {pos}, isStatic: 'end', "
    "namespacedId: 'p_p_id_{pid}_', portletId: '{pid}', refreshURL: '\\x2fc\\x2fportal\\x2frender_portlet"
    "\\x3fp_l_id\\x3d{plid}\\x26p_p_id\\x3d{pid}\\x26p_p_lifecycle\\x3d0\\x26p_t_lifecycle\\x3d0\\x26p_p_state"
    "\\x3dnormal\\x26p_p_mode\\x3dview\\x26p_p_col_id\\x3dcolumn-{col}\\x26p_p_col_pos\\x3d{pos}\\x26p_p_isolated"
    "\\x3d1\\x26t\\x3d{t}'}});}})();}});\n// ]]>\n</script>\n"
)
_LINK = '<option value="https://{host}.quangngai.gov.vn/web/{host}/trang-chu?t={t}">{name} ({n})</option>\n'
_LINK_NAMES = (
    "Sở Tài chính",
    "Sở Kế hoạch và Đầu tư",
    "Sở Nội vụ",
    "Sở Tư pháp",
    "Sở Y tế",
    "Sở Giáo dục và Đào tạo",
    "Sở Nông nghiệp và Phát triển nông thôn",
    "Sở Thông tin và Truyền thông",
    "Ban Dân tộc tỉnh",
    "Huyện Sơn Hà",
    "Huyện Ba Tơ",
    "Huyện Trà Bồng",
    "Huyện Nghĩa Hành",
    "Thị xã Đức Phổ",
)


def _chrome_block(rng: random.Random) -> str:
    if rng.random() < 0.7:
        pid = f"{rng.choice(('56', '101', '73', '141'))}_INSTANCE_{rng.getrandbits(40):x}"
        return _SCRIPT.format(
            pos=rng.randint(0, 9),
            pid=pid,
            plid=rng.randint(10**5, 10**6),
            col=rng.randint(1, 3),
            t=rng.getrandbits(42),
        )
    return (
        '<select class="lien-ket-website">\n'
        + "".join(
            _LINK.format(
                host=f"x{rng.getrandbits(20):x}", t=rng.getrandbits(40), name=name, n=rng.randint(1, 999)
            )
            for name in rng.sample(_LINK_NAMES, 6)
        )
        + "</select>\n"
    )


# [R] bench-only chrome of an ASP.NET WebForms (vnPortal) page: script resources, partial-page
# update scripts and sidebar link lists, outside the article the spider reads.
_ASPNET_SCRIPT = (
    '<script src="/WebResource.axd?d={d}&amp;t={t}" type="text/javascript"></script>\n'
    '<script type="text/javascript">\n//<![CDATA[\nSys.WebForms.PageRequestManager._initialize('
    "'ctl00$ScriptManager1', 'aspnetForm', ['tctl00$ContentPlaceHolder1$ctl{n:02d}$UpdatePanel{m}',"
    "'ctl00_ContentPlaceHolder1_ctl{n:02d}_UpdatePanel{m}'], [], [], 90, 'ctl00');\n"
    '$create(Sys.UI._Timer, {{"enabled":true,"interval":{interval},"uniqueID":"ctl00$Timer{m}"}}, '
    'null, null, $get("ctl00_Timer{m}"));\n//]]>\n</script>\n'
)


def _aspnet_block(rng: random.Random) -> str:
    if rng.random() < 0.7:
        return _ASPNET_SCRIPT.format(
            d=f"{rng.getrandbits(180):x}",
            t=rng.getrandbits(60),
            n=rng.randint(0, 40),
            m=rng.randint(1, 9),
            interval=rng.randint(1, 60) * 1000,
        )
    links = "".join(
        f'<li><a href="/Default.aspx?sname=x{rng.getrandbits(16):x}&amp;sid={rng.randint(1000, 1400)}">'
        f"{name}</a></li>"
        for name in rng.sample(_LINK_NAMES, 6)
    )
    return f'<div class="Box"><h3>Liên kết website</h3><ul class="Links">{links}</ul></div>\n'


# Made once: choosing blocks from a pool keeps rendering cheap (the server must not be what
# limits a crawl), and a pool this large keeps repeats within zlib's 32 KB window rare.
_POOLS = {
    family: [
        (block, len(block.encode("utf-8"))) for block in map(make, [random.Random(i) for i in range(3000)])
    ]
    for family, make in (("liferay", _chrome_block), ("vnportal", _aspnet_block))
}


def pad(
    page: str, target_bytes: int, rng: random.Random, before: str = "</body>", family: str = "liferay"
) -> str:
    """Insert chrome before ``before`` until the page is about ``target_bytes`` long."""
    pool = _POOLS[family]
    blocks: list[str] = []
    size = len(page.encode("utf-8"))
    while size < target_bytes:
        block, length = pool[rng.randrange(len(pool))]
        blocks.append(block)
        size += length
    head, sep, tail = page.rpartition(before)
    return head + "".join(blocks) + sep + tail


def pdf_file(rng: random.Random, size: int) -> bytes:
    """A PDF of about ``size`` bytes whose content stream is binary, as compressed streams are (an
    all-ASCII file would be sniffed as text by Scrapy and charset-detected; real files are not)."""
    stream = rng.randbytes(size)
    return (
        b"%%PDF-1.5\n%%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
        b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
        b"3 0 obj\n<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream\nendobj\n"
        b"trailer\n<< /Root 1 0 R >>\n%%%%EOF\n" % (len(stream), stream)
    )


class LazyArticles(Sequence[Any]):
    """The portal's articles, newest first, made when asked for (the renderers slice and index it)."""

    def __init__(self, n: int, make: Callable[[int], Any], position: Callable[[Any], int]) -> None:
        self.n, self.make, self.position = n, make, position

    def __len__(self) -> int:
        return self.n

    @overload
    def __getitem__(self, i: int) -> Any: ...
    @overload
    def __getitem__(self, i: slice) -> list[Any]: ...
    def __getitem__(self, i: int | slice) -> Any:
        if isinstance(i, slice):
            return [self.make(j) for j in range(*i.indices(self.n))]
        if not -self.n <= i < self.n:
            raise IndexError(i)
        return self.make(i % self.n)

    def index(self, value: Any, start: int = 0, stop: int | None = None) -> int:
        return self.position(value)


class LiferayPortal:
    """A Liferay district portal in the fixture markup (Minh Long's host), crawled by quangngai_minhlong."""

    family = "liferay"
    identity_pages = 1  # the home page: the registry marks Minh Long's Liferay site name [I]
    spider = "quangngai_minhlong"
    spider_class = "spiders.quangngai.QuangNgaiMinhLongSpider"

    def __init__(self, n: int, *, seed: int = 2025, shape: Shape = Shape(), edit_share: float = 0.1) -> None:
        from tests.fixtures.sites.liferay import build

        self.build = build
        self.site = build.SITES["minhlong"]
        self.n, self.seed, self.shape, self.edit_share = n, seed, shape, edit_share
        self.revision = 0
        self.head = lru_cache(maxsize=4096)(self._head)
        self.full = lru_cache(maxsize=256)(self._full)
        self.listing = LazyArticles(n, lambda i: self.head(n - 1 - i), lambda a: n - 1 - self._serial(a))

    # -- articles: serial 0 is the oldest ------------------------------------------------

    def article_id(self, serial: int) -> int:
        return 1_800_000 + 37 * serial

    def _serial(self, article: Any) -> int:
        return (article.article_id - 1_800_000) // 37

    def _head(self, serial: int) -> Any:
        """Title, date and summary only: what listings and "Tin liên quan" show."""
        from tests.fixtures.sites.liferay.articles import Article

        w = Writer(self.seed * 1_000_003 + serial)
        published = _published(serial, self.n, w.rng)
        title = w.title(published.year)
        lead = w.paragraph()
        summary = lead if len(lead) <= 200 else lead[: lead.rfind(" ", 0, 200)] + "..."
        return Article(
            name=f"bench-{serial}",
            site=self.site.key,
            article_id=self.article_id(serial),
            title=title,
            date=published.strftime("%d/%m/%Y %H:%M"),
            body=(lead,),
            signature="",
            summary=summary,
        )

    def _full(self, serial: int, revision: int) -> Any:
        from dataclasses import replace

        from tests.fixtures.sites.liferay.articles import Attachment, Img

        head = self.head(serial)
        w = Writer(self.seed * 7_000_003 + serial)
        paragraphs = w.paragraphs(int(w.rng.uniform(*self.shape.body_kb) * 1024))
        body: list[Any] = [head.body[0], *paragraphs]
        if w.rng.random() < self.shape.image_share:
            for k in range(w.rng.randint(1, 3)):
                at = w.rng.randint(1, len(body))
                body.insert(
                    at, Img(folder=4_700_000 + serial, file=f"IMG_{serial}_{k}.jpg", caption=w.caption())
                )
        if self.has_attachment(serial):
            body.append(
                Attachment(
                    folder=4_900_000 + serial, file=self.attachment_file(serial), type="application/pdf"
                )
            )
        if edited(serial, revision, self.edit_share):
            body.insert(
                len(body) // 2, f"Cập nhật lần {revision}: {Writer(serial * 31 + revision).paragraph()}"
            )
        return replace(head, body=tuple(body), signature=w.signature())

    def has_attachment(self, serial: int) -> bool:
        return serial % self.shape.attachment_every == 3

    def attachment_file(self, serial: int) -> str:
        return f"KH-{self.article_id(serial)}-UBND.pdf"

    # -- serving --------------------------------------------------------------------------

    def listing_pages(self) -> int:
        return -(-self.n // self.build.PER_PAGE)

    def attachments(self) -> int:
        return sum(1 for s in range(self.n) if self.has_attachment(s))

    def routes(self) -> dict[str, tuple[str, int]]:
        b, site = self.build, self.site
        routes: dict[str, tuple[str, int]] = {f"{site.host}/robots.txt": ("robots", 0)}
        for number in range(1, self.listing_pages() + 1):
            routes[key_for(b.route_key(site, b.listing_path(site, number)))] = ("listing", number)
        first = b.LISTING_PATH.format(site=site.site) + "?" + b.PAGE_QUERY.format(per_page=b.PER_PAGE, page=1)
        routes[key_for(b.route_key(site, first))] = ("listing", 1)
        # The registry marks Minh Long's Liferay site name [I]: the spider learns it from the home
        # page's /web/<site>/ links before it walks the listings, as on the fixture portal.
        routes[key_for(f"{site.host}/")] = ("listing", 1)
        for serial in range(self.n):
            head = self.head(serial)
            routes[key_for(b.route_key(site, b.article_path(head)))] = ("article", serial)
            if self.has_attachment(serial):
                att = self._full(serial, 0).body[-1]
                routes[key_for(b.route_key(site, b.attachment_path(head, att)))] = ("file", serial)
        return routes

    def install(self, server: FixtureServer) -> None:
        routes = self.routes()

        def answer(method: str, key: str, body: bytes, headers: Any) -> tuple[int, dict[str, str], bytes]:
            kind, number = routes[key]
            return 200, {"Content-Type": self.content_type(kind)}, self.render(kind, number)

        for key in routes:
            server.route(key, answer)

    def content_type(self, kind: str) -> str:
        return {"robots": "text/plain; charset=utf-8", "file": "application/pdf"}.get(kind, HTML)

    def render(self, kind: str, number: int) -> bytes:
        b, site = self.build, self.site
        rng = random.Random(f"{self.seed}/{kind}/{number}")
        target = rng.randint(*self.shape.page_kb) * 1024
        if kind == "robots":
            return b.ROBOTS.encode("ascii")
        if kind == "listing":
            page = b.render_listing(site, self.listing, number, self.listing_pages())
        elif kind == "article":
            page = b.render_article(site, self.full(number, self.revision), self.listing)
        else:
            return pdf_file(rng, rng.randint(*self.shape.attachment_kb) * 1024)
        return pad(page, target, rng).encode("utf-8")

    def start_url(self) -> str:
        return f"https://{self.site.host}{self.build.LISTING_PATH.format(site=self.site.site)}"

    def home_url(self) -> str:
        return f"https://{self.site.host}/"

    def article_url(self, serial: int) -> str:
        return f"https://{self.site.host}{self.build.article_path(self.head(serial))}"

    def attachment_url(self, serial: int) -> str:
        att = self._full(serial, 0).body[-1]
        return f"https://{self.site.host}{self.build.attachment_path(self.head(serial), att)}"


class VnPortalPortal:
    """A vnPortal district sub-site in the fixture markup (Châu Thành on www.soctrang.gov.vn), crawled by
    soctrang_chauthanh. Listing pages after the first are ASP.NET postbacks, answered by viewstate."""

    family = "vnportal"
    identity_pages = 0  # Châu Thành's sname/sid are [E] in the registry
    spider = "soctrang_chauthanh"
    spider_class = "spiders.soctrang.SocTrangChauThanhSpider"

    def __init__(self, n: int, *, seed: int = 2018, shape: Shape = Shape(), edit_share: float = 0.1) -> None:
        from tests.fixtures.sites.vnportal import articles, build

        self.build, self.articles = build, articles
        self.portal = build.PORTALS[self.spider]
        self.sub = build.SUBSITES[self.portal.sname]
        self.link = articles.Link(spider=self.spider, form="query", host=self.portal.host, href="root")
        self.n, self.seed, self.shape, self.edit_share = n, seed, shape, edit_share
        self.revision = 0
        self.head = lru_cache(maxsize=4096)(self._head)
        self.full = lru_cache(maxsize=256)(self._full)
        self.items = LazyArticles(n, lambda i: (self.head(n - 1 - i), self.link), lambda item: 0)

    def article_id(self, serial: int) -> int:
        return 400_000 + 13 * serial

    def _head(self, serial: int) -> Any:
        w = Writer(self.seed * 1_000_003 + serial)
        published = _published(serial, self.n, w.rng)
        return self.articles.Article(
            name=f"bench-{serial}",
            sname=self.sub.sname,
            article_id=self.article_id(serial),
            title=w.title(published.year),
            date=published.strftime("%d/%m/%Y %H:%M"),
            body=(w.paragraph(),),
            signature="",
            links=(self.link,),
        )

    def _full(self, serial: int, revision: int) -> Any:
        from dataclasses import replace

        A = self.articles
        head = self.head(serial)
        w = Writer(self.seed * 7_000_003 + serial)
        body: list[Any] = [head.body[0], *w.paragraphs(int(w.rng.uniform(*self.shape.body_kb) * 1024))]
        if w.rng.random() < self.shape.image_share:
            for k in range(w.rng.randint(1, 3)):
                body.insert(
                    w.rng.randint(1, len(body)), A.Img(file=f"IMG_{serial}_{k}.jpg", caption=w.caption())
                )
        if self.has_attachment(serial):
            body.append(
                A.Attachment(
                    url=self._attachment_path(serial), label=f"Kế hoạch số {serial}", type="application/pdf"
                )
            )
        if edited(serial, revision, self.edit_share):
            body.insert(
                len(body) // 2, f"Cập nhật lần {revision}: {Writer(serial * 31 + revision).paragraph()}"
            )
        return replace(head, body=tuple(body), signature=w.signature())

    def has_attachment(self, serial: int) -> bool:
        return serial % self.shape.attachment_every == 3

    def _attachment_path(self, serial: int) -> str:
        return f"/SiteFolders/{self.sub.sname}/{self.sub.sid}/files/KH-{self.article_id(serial)}-UBND.pdf"

    def listing_pages(self) -> int:
        return -(-self.n // self.build.PER_PAGE)

    def attachments(self) -> int:
        return sum(1 for s in range(self.n) if self.has_attachment(s))

    def start_url(self) -> str:
        return f"https://{self.portal.host}{self.build.listing_path(self.portal, 0)}"

    def home_url(self) -> str:
        return f"https://{self.portal.host}/"

    def article_url(self, serial: int) -> str:
        return f"https://{self.portal.host}{self.build.article_path(self.head(serial), self.link)}"

    def attachment_url(self, serial: int) -> str:
        return f"https://{self.portal.host}{self._attachment_path(serial)}"

    def install(self, server: FixtureServer) -> None:
        host = self.portal.host
        listing_key = key_for(host + self.build.listing_path(self.portal, 0))
        states = {
            self.build.viewstate(f"{host}{self.build.listing_path(self.portal, 0)}#{number}"): number
            for number in range(1, self.listing_pages() + 1)
        }
        routes: dict[str, tuple[str, int]] = {f"{host}/robots.txt": ("robots", 0)}
        for serial in range(self.n):
            routes[key_for(self.article_url(serial))] = ("article", serial)
            if self.has_attachment(serial):
                routes[key_for(self.attachment_url(serial))] = ("file", serial)

        def listing(method: str, key: str, body: bytes, headers: Any) -> tuple[int, dict[str, str], bytes]:
            number = 1
            if method == "POST":
                form = {k: v[-1] for k, v in parse_qs(body.decode("ascii", "replace")).items()}
                current = states.get(form.get("__VIEWSTATE", ""))
                number = int(form.get("__EVENTARGUMENT", "Page$0").partition("$")[2] or 0)
                if current is None or not 1 <= number <= self.listing_pages():
                    return 500, {"Content-Type": HTML}, b"<h1>Server Error in '/' Application.</h1>"
            return 200, {"Content-Type": HTML}, self.render("listing", number)

        def answer(method: str, key: str, body: bytes, headers: Any) -> tuple[int, dict[str, str], bytes]:
            kind, number = routes[key]
            return 200, {"Content-Type": _TYPES.get(kind, HTML)}, self.render(kind, number)

        server.route(listing_key, listing)
        for key in routes:
            server.route(key, answer)

    def render(self, kind: str, number: int) -> bytes:
        b = self.build
        rng = random.Random(f"{self.seed}/{kind}/{number}")
        target = rng.randint(*self.shape.page_kb) * 1024
        if kind == "robots":
            return b.ROBOTS.encode("ascii")
        if kind == "file":
            return pdf_file(rng, rng.randint(*self.shape.attachment_kb) * 1024)
        if kind == "listing":
            page = b.render_listing(self.portal, 0, self.items, number, self.listing_pages())
        else:
            serial = number
            others = [(self.head((serial - k) % self.n), self.link) for k in (1, 2, 3)]
            page = b.render_article(self.full(serial, self.revision), self.link, others)
        return pad(page, target, rng, family="vnportal").encode("utf-8")


_TYPES = {"robots": "text/plain; charset=utf-8", "file": "application/pdf"}
FAMILIES: dict[str, Callable[..., Portal]] = {"liferay": LiferayPortal, "vnportal": VnPortalPortal}
