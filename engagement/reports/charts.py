"""Charts drawn on the server as inline SVG: no script, no CDN, and they print as vectors.

Each chart is built from a stored snapshot, has a <title> for screen readers, and its numbers
are also shown in the report's tables.
"""

from __future__ import annotations

from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

COLOURS = {
    "uplift": "#b42318",
    "churn": "#f79009",
    "promoter": "#12b76a",
    "passive": "#98a2b3",
    "detractor": "#d92d20",
    "before": "#98a2b3",
    "after": "#0b5cad",
}
LABEL_WIDTH = 200
BAR_AREA = 380
ROW = 26


def _shorten(text: str, limit: int = 16) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _legend(items: list[tuple[str, str]], y: int) -> str:
    parts, x = [], LABEL_WIDTH
    for colour, label in items:
        parts.append(
            f'<rect x="{x}" y="{y}" width="12" height="12" fill="{colour}"/>'
            f'<text x="{x + 16}" y="{y + 11}" font-size="12">{escape(label)}</text>'
        )
        x += 20 + 13 * len(label)
    return "".join(parts)


def impact_bars(topics: list[Any], *, limit: int = 10) -> SafeString:
    """Horizontal bars: each ranked problem's net behaviour effect (points), its 95% interval
    as a whisker, and the number printed beside it (the number it was ranked by)."""
    shown = topics[:limit]
    if not shown:
        return mark_safe("")
    top = max((max(t.effect.high or 0, t.effect.value or 0) for t in shown), default=0) or 1.0
    height = ROW * len(shown) + 40
    width = LABEL_WIDTH + BAR_AREA + 70
    rows = []
    for index, topic in enumerate(shown):
        y = index * ROW + 4
        value = max(0.0, topic.effect.value or 0.0)
        w_value = BAR_AREA * value / top
        whisker = ""
        if topic.effect.low is not None and topic.effect.high is not None:
            x1 = LABEL_WIDTH + BAR_AREA * max(0.0, topic.effect.low) / top
            x2 = LABEL_WIDTH + BAR_AREA * max(0.0, topic.effect.high) / top
            whisker = (
                f'<line x1="{x1:.1f}" y1="{y + 9}" x2="{x2:.1f}" y2="{y + 9}" '
                f'stroke="#101828" stroke-width="1.5"/>'
            )
        label_x = LABEL_WIDTH + BAR_AREA * max(value, topic.effect.high or 0) / top + 6
        rows.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 15}" text-anchor="end" font-size="13">'
            f"{topic.rank}. {escape(_shorten(topic.name))}</text>"
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{w_value:.1f}" height="18" '
            f'fill="{COLOURS["uplift"]}"/>{whisker}'
            f'<text x="{label_x:.1f}" y="{y + 14}" font-size="12">{topic.effect.value}</text>'
        )
    legend = _legend(
        [(COLOURS["uplift"], _("Net behaviour effect (points)"))], ROW * len(shown) + 16
    )
    title = escape(_("Net behaviour effect by topic (points)"))
    return mark_safe(  # noqa: S308 (every text is escaped above)
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{title}</title>{"".join(rows)}{legend}</svg>'
    )


def nps_mix_bars(topics: list[Any], *, limit: int = 10) -> SafeString:
    """100% stacked bars: promoters, passives and detractors among each topic's scored items."""
    shown = [t for t in topics[:limit]]
    if not shown:
        return mark_safe("")
    height = ROW * len(shown) + 40
    width = LABEL_WIDTH + BAR_AREA + 20
    rows = []
    for index, topic in enumerate(shown):
        y = index * ROW + 4
        mix = {
            "promoter": topic.promoters,
            "passive": topic.passives,
            "detractor": topic.detractors,
        }
        scored = mix["promoter"] + mix["passive"] + mix["detractor"]
        rows.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 15}" text-anchor="end" font-size="13">'
            f"{topic.rank}. {escape(_shorten(topic.name))}</text>"
        )
        if not scored:
            rows.append(
                f'<text x="{LABEL_WIDTH}" y="{y + 14}" font-size="12">{escape(_("no data"))}</text>'
            )
            continue
        x = float(LABEL_WIDTH)
        for key in ("detractor", "passive", "promoter"):
            w = BAR_AREA * mix[key] / scored
            rows.append(
                f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="18" fill="{COLOURS[key]}"/>'
            )
            x += w
    legend = _legend(
        [
            (COLOURS["detractor"], _("Detractors")),
            (COLOURS["passive"], _("Passives")),
            (COLOURS["promoter"], _("Promoters")),
        ],
        ROW * len(shown) + 16,
    )
    title = escape(_("NPS category mix by topic"))
    return mark_safe(  # noqa: S308 (every text is escaped above)
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{title}</title>{"".join(rows)}{legend}</svg>'
    )


def before_after_bars(pairs: list[tuple[str, float | None, float | None]]) -> SafeString:
    """Grouped bars (before, after) for a few measures on a common 0–100 scale."""
    if not pairs:
        return mark_safe("")
    height = len(pairs) * (ROW * 2 + 8) + 40
    width = LABEL_WIDTH + BAR_AREA + 70
    rows = []
    for index, (label, before, after) in enumerate(pairs):
        y = index * (ROW * 2 + 8) + 4
        rows.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 20}" text-anchor="end" font-size="13">'
            f"{escape(label)}</text>"
        )
        for offset, (value, colour) in enumerate(
            ((before, COLOURS["before"]), (after, COLOURS["after"]))
        ):
            yy = y + offset * (ROW - 4)
            if value is None:
                rows.append(
                    f'<text x="{LABEL_WIDTH}" y="{yy + 14}" font-size="12">'
                    f"{escape(_('no data'))}</text>"
                )
                continue
            w = BAR_AREA * min(100.0, abs(value)) / 100
            rows.append(
                f'<rect x="{LABEL_WIDTH}" y="{yy}" width="{w:.1f}" height="18" '
                f'fill="{colour}"/><text x="{LABEL_WIDTH + w + 6:.1f}" y="{yy + 14}" '
                f'font-size="12">{value}</text>'
            )
    legend = _legend(
        [(COLOURS["before"], _("Before")), (COLOURS["after"], _("After"))],
        len(pairs) * (ROW * 2 + 8) + 12,
    )
    title = escape(_("Before and after"))
    return mark_safe(  # noqa: S308 (every text is escaped above)
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="100%" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{title}</title>{"".join(rows)}{legend}</svg>'
    )
