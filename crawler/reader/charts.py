"""Server-rendered SVG charts for the reader's pages: no script, no library, nothing remote.

Every bar is a ``<rect>`` carrying its month (``data-month``) and count
(``data-count``) with a ``<title>`` a person sees on hover, so a test (or a
screen reader) reads the same numbers the bars draw. Sizes are in viewBox units;
the page scales the chart to its column and scrolls it sideways on a phone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from archive.reader import MERGER_MONTH, PortalMonths

LEFT, RIGHT, TOP = 44, 16, 34
PLOT = 840  # width of the months, whatever their number: text keeps one size on every chart
AXIS = 24  # room under a panel for the year labels
MAX_BAR = 28
MERGER_LABEL = "1/7/2025: sáp nhập tỉnh, bỏ cấp huyện"


@dataclass(frozen=True)
class Series:
    name: str  # css class: published, edits, removals
    label: str  # what a reader reads in the legend and the tooltips ("bài đăng")
    counts: dict[str, int]


def _step(months: int) -> float:
    return PLOT / max(months, 1)


def _month_label(month: str) -> str:
    year, number = month.split("-")
    return f"{number}/{year}"


def _x_axis(months: Sequence[str], x0: float, step: float, y: float) -> list[str]:
    parts = [f'<line class="axis" x1="{x0}" y1="{y}" x2="{x0 + step * len(months):.1f}" y2="{y}"/>']
    every = 1 if step * 12 >= 34 else (2 if step * 24 >= 34 else 5)
    for i, month in enumerate(months):
        year, number = month.split("-")
        if number == "01" or i == 0:
            x = x0 + i * step
            parts.append(f'<line class="tick" x1="{x:.1f}" y1="{y}" x2="{x:.1f}" y2="{y + 4}"/>')
            if int(year) % every == 0 or i == 0:
                below = 30 if step >= 30 else 16
                parts.append(f'<text class="year" x="{x + 2:.1f}" y="{y + below}">{year}</text>')
        if step >= 30:  # room to name every month
            parts.append(f'<text class="month" x="{x0 + (i + 0.5) * step:.1f}" y="{y + 16}" '
                         f'text-anchor="middle">{int(number)}</text>')
    return parts


def _merger(months: Sequence[str], x0: float, step: float, top: float, bottom: float) -> list[str]:
    if MERGER_MONTH not in months:
        return []
    x = x0 + months.index(MERGER_MONTH) * step
    return [
        f'<g class="merger" data-month="{MERGER_MONTH}">',
        f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{bottom}"/>',
        f'<text x="{x:.1f}" y="{top - 6}" text-anchor="{"end" if x > LEFT + PLOT / 2 else "start"}">'
        f"{escape(MERGER_LABEL)}</text>",
        f"<title>{escape(MERGER_LABEL)}</title></g>",
    ]


def bar_panel(months: Sequence[str], series: Sequence[Series], title: str, top: float, height: float) -> list[str]:
    """One panel of bars, side by side when there are several series; its parts of an SVG."""
    step = _step(len(months))
    peak = max([n for s in series for n in s.counts.values()] + [1])
    base = top + height
    parts = [f'<text class="panel-title" x="{LEFT}" y="{top - 8}">{escape(title)}</text>',
             f'<text class="peak" x="{LEFT - 4}" y="{top + 4}" text-anchor="end">{peak}</text>',
             f'<line class="grid" x1="{LEFT}" y1="{top}" x2="{LEFT + step * len(months):.1f}" y2="{top}"/>',
             f'<text class="peak" x="{LEFT - 4}" y="{base}" text-anchor="end">0</text>']
    width = min(step * 0.8, MAX_BAR) / len(series)
    pad = (step - width * len(series)) / 2
    for i, month in enumerate(months):
        for j, s in enumerate(series):
            count = s.counts.get(month, 0)
            if not count:
                continue
            h = max(1.5, height * count / peak)
            x = LEFT + i * step + pad + j * width
            parts.append(
                f'<rect class="bar {s.name}" data-month="{month}" data-count="{count}" x="{x:.1f}" '
                f'y="{base - h:.1f}" width="{width:.1f}" height="{h:.1f}">'
                f"<title>{_month_label(month)}: {count} {escape(s.label)}</title></rect>"
            )
    return parts + _x_axis(months, LEFT, step, base)


def _svg(width: float, height: float, label: str, parts: list[str], css_class: str) -> Markup:
    head = (
        f'<svg class="chart {css_class}" viewBox="0 0 {width:.0f} {height:.0f}" role="img" '
        f'aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg" data-width="{width:.0f}">'
    )
    return Markup(head + "".join(parts) + "</svg>")


def portal_timeline(months: Sequence[str], published: Series, edits: Series, removals: Series) -> Markup:
    """Articles published per month above; edits and removals per month below; the merger marked."""
    if not months:
        return Markup("")
    step = _step(len(months))
    width = LEFT + step * len(months) + RIGHT
    first_top, first_h = TOP + 22, 150
    second_top, second_h = first_top + first_h + AXIS + 40, 70
    parts = bar_panel(months, [published], "Bài đăng mỗi tháng (theo ngày đăng)", first_top, first_h)
    parts += bar_panel(months, [edits, removals], "Sửa đổi và gỡ bỏ mỗi tháng (theo ngày lưu trữ ghi nhận)",
                       second_top, second_h)
    bottom = second_top + second_h
    parts += _merger(months, LEFT, step, TOP, bottom)
    return _svg(width, bottom + AXIS + 20, "Dòng thời gian của cổng", parts, "timeline")


def province_chart(months: Sequence[str], portals: Sequence[PortalMonths]) -> Markup:
    """One strip per portal, a cell per month shaded by its articles; the last month it published
    is outlined and named, so the month each portal went silent shows at a glance."""
    if not months or not portals:
        return Markup("")
    step = _step(len(months))
    row = 44
    width = LEFT + step * len(months) + RIGHT
    parts: list[str] = []
    for r, portal in enumerate(portals):
        top = TOP + r * row
        peak = max(portal.published.values(), default=1)
        last = portal.last
        silent = portal.silent
        note = (f"bài cuối {_month_label(last)}" if silent else "vẫn đăng bài") if last else "chưa có bài có ngày"
        parts.append(
            f'<g class="portal-row{" silent" if silent else ""}" data-site="{escape(portal.site.name)}" '
            f'data-last="{last or ""}">'
            f'<text class="row-label" x="{LEFT}" y="{top + 12}">{escape(portal.site.display_name)} · {note}</text>'
        )
        parts.append(f'<rect class="strip" x="{LEFT}" y="{top + 17}" width="{step * len(months):.1f}" height="18"/>')
        for i, month in enumerate(months):
            count = portal.published.get(month, 0)
            if not count:
                continue
            shade = 0.25 + 0.75 * count / peak
            last_class = " last" if month == last else ""
            parts.append(
                f'<rect class="cell{last_class}" data-month="{month}" data-count="{count}" '
                f'x="{LEFT + i * step:.1f}" y="{top + 17}" width="{max(step - 0.5, 1):.1f}" height="18" '
                f'fill-opacity="{shade:.2f}"><title>{escape(portal.site.display_name)}, {_month_label(month)}: '
                f"{count} bài đăng</title></rect>"
            )
        parts.append("</g>")
    bottom = TOP + len(portals) * row
    parts += _x_axis(months, LEFT, step, bottom)
    parts += _merger(months, LEFT, step, TOP - 6, bottom)
    return _svg(width, bottom + AXIS + 20, "Bài đăng mỗi tháng của các cổng trong tỉnh", parts, "province")
