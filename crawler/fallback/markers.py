"""What chrome, titles, dates and bylines look like to the generic extractor: every word,
tag and pattern it reads, in one place ([E] marks what a real portal showed)."""

from __future__ import annotations

import re

from lxml.html import HtmlElement

from crawler.extract import DROP_TAGS

MIN_BODY_CHARS = 80
MIN_PARAGRAPH_CHARS = 25
# Chrome: words of a class/id token (split at - and _), compounds found inside a token, tags, roles.
# Strong words never name a wrapper of the article; weak ones sometimes do ("content-sidebar-wrap").
STRONG_WORDS = frozenset(
    "footer copyright comment comments respond reply related breadcrumb breadcrumbs share "
    "sharing social sharedaddy counter visitor visitors weblink weblinks".split()
)
WEAK_WORDS = frozenset(
    "nav navbar navigation menu menubar mainmenu megamenu submenu sidebar widget widgets header masthead "
    "banner topbar toolbar print tags keywords pager paging pagination pagenav search login statistic "
    "statistics weather advert ads quangcao popup modal cookie rating vote gotop backtotop subscribe "
    "newsletter marquee slider carousel hotline moduletable".split()
)
CHROME_COMPOUNDS = tuple(
    "lienquan tinkhac tinmoi xemnhieu docnhieu binhluan ykien gopy chiase thongke truycap lienket timkiem "
    "dangnhap duongdan thoitiet othernews".split()
)
CHROME_TAGS = frozenset("nav aside footer header menu marquee select button".split())
CHROME_ROLES = frozenset("navigation banner contentinfo complementary search menu menubar".split())
HEADER_WORDS = frozenset("header masthead banner topbar".split())  # chrome that may hold the article's title
# WordPress and Joomla put taxonomy classes on the article element itself: "tag-nong-thon-moi".
TAXONOMY_TOKEN = re.compile(r"^(?:tag|category|categories|post|type|status|format)-")
# ASP.NET (vnPortal, SharePoint) wraps the whole page in a <form>: only its fields are skipped.
SKIP_TAGS = DROP_TAGS - {"form"}
POSITIVE_HINT = re.compile(
    r"article|entry|content|detail|chitiet|chi-tiet|noidung|noi-dung|journal|fulltext|"
    r"itembody|articlebody|ms-rtestate|story|post-body|news-body",
    re.IGNORECASE,
)
NEGATIVE_HINT = re.compile(r"hidden|meta|date|author|footnote|promo|sponsor|extra", re.IGNORECASE)
TITLE_HINT = re.compile(r"title|tieu-?de|headline|heading|subject", re.IGNORECASE)
AUTHOR_HINT = re.compile(r"author|tac-?gia|signature|chu-?ky|nguoi-?viet|byline", re.IGNORECASE)
HEADING_WEIGHT = {"h1": 3.0, "h2": 2.0, "h3": 1.5, "h4": 1.0, "h5": 0.5, "h6": 0.5}
P_LIKE = frozenset("p li dd dt blockquote pre figcaption".split())
# Folded section labels: never a title; in a body, where the chrome begins.
SECTION_LABELS = frozenset(
    "tin lien quan|cac tin lien quan|bai viet lien quan|tin khac|cac tin khac|tin moi|tin moi nhat|"
    "tin cung chuyen muc|tin da dua|cac tin da dua|xem them|binh luan|y kien ban doc|gui y kien|"
    "gui binh luan|de lai mot binh luan|chia se|tin tuc|tin tuc - su kien|thong ke truy cap|"
    "lien ket website|van ban moi|tin noi bat|tin xem nhieu".split("|")
)
CHROME_LINES = re.compile(
    r"^[<«‹\s]*(?:tro ve|quay lai|ve dau trang|len dau trang|in bai|in trang|ban in|gui email|"
    r"gui bai|chia se|share|tweet|luu bai|bai truoc|bai sau|tin truoc|tin sau)"
)
META_LABEL = re.compile(
    r"dang ngay|ngay dang|ngay cap nhat|cap nhat|ngay ban hanh|thoi gian|ngay|luc|gio|luot xem|"
    r"so lan xem|luot doc|tac gia|nguoi dang|nguoi viet|viet boi|dang boi|danh muc|chuyen muc|chi tiet|"
    r"posted on|published|gmt|utc|thu (?:hai|ba|tu|nam|sau|bay)|chu nhat|thu|thang|nam|am|pm"
)
# Every portal footer opens with its owner [E]: "Cơ quan chủ quản: UBND tỉnh Sóc Trăng - Điện thoại: …".
FOOTER_LINE = re.compile(
    r"[@©\s]*(?:co quan chu quan|don vi quan ly|giay phep|ban quyen|copyright|ghi ro nguon|"
    r"chiu trach nhiem noi dung|dia chi|dien thoai|email)\b"
)
DATE_LABEL = re.compile(r"(?:ngay dang|dang ngay|ngay cap nhat|cap nhat|ngay)\b")
CMS_USERS = frozenset("admin|administrator|super user|quan tri|quan tri vien|webmaster|editor".split("|"))
# [E] Báo Đồng Tháp puts a bare video URL above the lead.
MEDIA_LINE = re.compile(r"https?://\S+\.(?:mp4|flv|wmv|webm|avi|mov|mp3|m4a)", re.IGNORECASE)
_DATE_TOKEN = re.compile(r"\d{1,4}\s*[/.\-–:hH]\s*\d{1,2}(?:\s*[/.\-–:]\s*\d{1,4})?")
DATE_META = (
    "//meta[@property='article:published_time']/@content",
    "//meta[@itemprop='datePublished']/@content",
    "//*[@itemprop='datePublished']/@datetime",
    "//meta[@name='pubdate' or @name='publishdate']/@content",
    "//meta[@name='dc.date.issued' or @name='DC.date.issued' or @name='date']/@content",
)


def _attrs(el: HtmlElement) -> str:
    return f"{el.get('class') or ''} {el.get('id') or ''} {el.get('itemprop') or ''}".lower()
