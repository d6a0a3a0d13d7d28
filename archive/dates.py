"""Publication dates as the portals print them.

Every portal writes Asia/Ho_Chi_Minh wall time, day first, in its own layout:

=========================  =============================================
Báo Đồng Tháp (ASP.NET)    ``Cập nhật ngày: 03/07/2020 17:45:55``
Báo Đồng Tháp 2025-26      ``Thứ Sáu, 29/08/2025, 09:51 (GMT+7)``
Liferay article            ``17/01/2024 08:46    86`` (86 is the view count)
Liferay listing            ``03/04/2020 | 10:36 PM``
Báo Sóc Trăng              ``09:19 04/01/2017`` (time before the date)
SharePoint-style           ``Đăng ngày 17 - 05 - 2024``
Joomla, WordPress          ``12 Tháng 3 2024``, ``17 Tháng Năm, 2024``
Official letters           ``ngày 5 tháng Ba năm 2024``
=========================  =============================================

A month may be named by number or word ("Ba", "Mười Hai", "Giêng", "Chạp");
those layouts are read on folded text, so "thang" without marks works too.

Body text names dates without a year ("Sáng ngày 08/7"); those are never taken.
A candidate is a date together with the time that touches it; if any part is
out of range (31/02, 25:61, year outside 1990-2100) the whole candidate is
skipped and the search goes on after it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

from archive.normalise import fold, normalise_line

__all__ = ["VN_TZ", "parse_vn_datetime", "to_utc"]

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
_YEARS = range(1990, 2101)

_DMY = r"(?<!\d)(?P<d>\d{1,2})\s*(?P<sep>[/.\-–])\s*(?P<m>\d{1,2})\s*(?P=sep)\s*(?P<y>\d{4})(?!\d)"
# "17:45:55", "09:51", "10:36 PM", "17h45"; the view count after a Liferay time is not a second.
_TIME = (
    r"(?<![\d:])(?P<H>\d{1,2})[:hH](?P<M>\d{2})(?::(?P<S>\d{2}))?(?!\d)"
    r"(?:\s*(?P<ap>[AaPp])\.?[Mm]\b\.?)?"
)
_GMT = r"(?:\s*\(?\s*(?P<gmt>(?:GMT|UTC)(?:\s*[+-]\s*\d{1,2}(?::?\d{2})?)?)\s*\)?)?"
_GLUE = r"\s*[,|\-–]?\s*"

_PATTERNS = (
    # ISO 8601 and its space-separated cousin: the year comes first, so no ambiguity.
    re.compile(
        r"(?<!\d)(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?!\d)"
        r"(?:[Tt ](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:[.,]\d+)?)?(?!\d)"
        r"(?P<iso>Z|[+-]\d{2}:?\d{2})?)?"
    ),
    re.compile(rf"{_DMY}(?:{_GLUE}(?:lúc\s*)?{_TIME}{_GMT})?"),
    re.compile(rf"{_TIME}{_GLUE}(?:(?:ngày|Ngày)\s*)?{_DMY}{_GMT}"),
)
_MONTH_NAMES = {
    "gieng": 1, "mot": 1, "hai": 2, "ba": 3, "tu": 4, "bon": 4, "nam": 5, "sau": 6,
    "bay": 7, "tam": 8, "chin": 9, "muoi": 10, "muoi mot": 11, "muoi hai": 12, "chap": 12
}
# Searched in the folded text, which is lowercase: only the time and the offset ignore case.
# "năm" is both May and the year's label: May only before a comma or that label ("17 Tháng Năm,
# 2024"), since news prose says "8 tháng năm 2025" for the first eight months of 2025.
_NAMED = re.compile(
    r"(?<!\d)(?P<d>\d{1,2})\s*thang\s*"
    r"(?P<m>\d{1,2}|muoi mot|muoi hai|muoi|mot|gieng|hai|ba|tu|bon|nam(?=\s*(?:,|nam))|sau|bay|tam|chin|chap)"
    rf"\s*(?:,|nam)?\s*(?P<y>\d{{4}})(?!\d)(?:{_GLUE}(?:luc\s*)?(?i:{_TIME}{_GMT}))?"
)
_OFFSET = re.compile(r"([+-])\s*(\d{1,2})(?::?(\d{2}))?")


def parse_vn_datetime(text: str) -> datetime | None:
    """The first valid date(-time) in ``text`` as an aware datetime in :data:`VN_TZ`.

    Day first always; a date alone means midnight; an explicit offset
    (``GMT+7``, ``+07:00``, ``Z``) is honoured, otherwise the time is
    Vietnamese wall time. Returns None when no candidate is valid.
    """
    text = normalise_line(text)  # NFD input, entities, NBSP between date and time
    folded = fold(text)
    if len(folded) != len(text):  # a rare character folded to two ("ß"): positions would not agree
        folded = ""
    pos = 0
    while match := _next_candidate(text, folded, pos):
        if (found := _build(match)) is not None:
            return found
        pos = match.end()
    return None


def to_utc(dt: datetime) -> datetime:
    """The same instant in UTC; a naive datetime is refused because nobody can
    tell whether it was Vietnamese wall time or UTC already."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"naive datetime {dt.isoformat()} has no time zone; attach one (portals use VN_TZ)")
    return dt.astimezone(UTC)


def _next_candidate(text: str, folded: str, pos: int) -> re.Match[str] | None:
    """The leftmost match of any layout at or after ``pos`` (month names in ``folded``,
    which has the same positions); layouts cannot start at the same character, so ties do not arise."""
    found = [m for p in _PATTERNS if (m := p.search(text, pos))]
    if named := _NAMED.search(folded, pos):
        found.append(named)
    return min(found, key=lambda m: m.start(), default=None)


def _build(match: re.Match[str]) -> datetime | None:
    g = match.groupdict()
    try:
        year = int(g["y"])
        if year not in _YEARS:
            return None
        hour = _hour(g["H"], g.get("ap"))
        zone = _zone(g.get("gmt") or g.get("iso"))
        minute, second = int(g["M"] or 0), int(g["S"] or 0)
        stamp = datetime(year, _month(g["m"]), int(g["d"]), hour, minute, second, tzinfo=zone)
    except ValueError:
        return None
    return stamp.astimezone(VN_TZ)


def _month(month: str) -> int:
    return int(month) if month.isdigit() else _MONTH_NAMES[month]


def _hour(hour: str | None, meridiem: str | None) -> int:
    """24-hour clock; a Liferay "12:xx AM" is just after midnight, "12:xx PM" just after noon."""
    if hour is None:
        return 0
    value = int(hour)
    if meridiem is None:
        return value
    if not 1 <= value <= 12:
        raise ValueError(f"{value} is not a 12-hour clock hour")
    return value % 12 + (12 if meridiem in "Pp" else 0)


def _zone(offset: str | None) -> tzinfo:
    """VN_TZ unless the text states an offset: "GMT+7", "UTC", "+07:00", "+0700", "Z"."""
    if offset is None:
        return VN_TZ
    signed = _OFFSET.search(offset)
    if signed is None:  # "Z", "GMT", "UTC"
        return UTC
    sign, hours, minutes = signed.groups()
    delta = timedelta(hours=int(hours), minutes=int(minutes or 0))
    if delta > timedelta(hours=14) or int(minutes or 0) >= 60:
        raise ValueError(f"offset {offset!r} is out of range")
    return timezone(-delta if sign == "-" else delta)
