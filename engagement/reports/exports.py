"""Exports of a report's topic table and quotes: CSV (UTF-8 with BOM, or cp932) and Excel.

Built from the stored snapshot only, so an export of a past report is what the report showed.
No personal data is in a snapshot (quotes are masked when the report is computed). Every text
cell that a spreadsheet could run as a formula (starting with =, +, -, @, a tab or a carriage
return) is prefixed with an apostrophe; numbers are written as numbers.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from engagement.customers.models import Touchpoint
from engagement.platform.formatting import reference_label
from engagement.platform.spreadsheets import cell as csv_cell
from engagement.platform.spreadsheets import neutralise
from voc.impact import PROBLEM, REFERENCE, STRENGTH, UNRANKED, TopicEffect

CSV_ENCODINGS = ("utf-8-sig", "cp932")


def _touchpoint_label(code: str) -> str:
    try:
        return str(Touchpoint(code).label)
    except ValueError:
        return code


def topic_groups(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The snapshot's topics as the ranking's groups: each row is the stored dict (``data``)
    and the ``TopicEffect`` rebuilt from it (``effect``), so pages and exports print the very
    figures the topics were ranked by."""
    titles = {
        PROBLEM: _("Problems"),
        STRENGTH: _("Strengths"),
        REFERENCE: _("Reference values (too few customers to rank)"),
        UNRANKED: _("Not ranked"),
    }
    groups: dict[str, list[dict[str, Any]]] = {key: [] for key in titles}
    for topic in data.get("topics", []):
        if "effect" not in topic:  # a snapshot from before the ranking by effect
            continue
        groups[topic["kind"]].append({"data": topic, "effect": TopicEffect.from_dict(topic)})
    return [{"key": key, "title": titles[key], "rows": rows} for key, rows in groups.items()]


def topic_headers() -> list[str]:
    return [
        _("Group"),
        _("Rank"),
        _("Topic"),
        _("Net behaviour effect (points)"),
        _("CI low"),
        _("CI high"),
        _("q (Benjamini–Hochberg)"),
        _("Churn difference (points)"),
        _("Repeat difference (points)"),
        _("NPS difference (points)"),
        _("Customers who raised it"),
        _("Other customers"),
        _("Churn rate (%)"),
        _("Churn rate of others (%)"),
        _("Repeat rate (%)"),
        _("Repeat rate of others (%)"),
        _("NPS of raisers"),
        _("NPS of others"),
        _("Average spend (yen)"),
        _("Average spend of others (yen)"),
        _("Volume"),
        _("Share (%)"),
        _("Previous period volume"),
        _("Trend (%)"),
        _("Promoters"),
        _("Passives"),
        _("Detractors"),
        _("Positive"),
        _("Neutral"),
        _("Negative"),
        _("Touchpoints"),
        _("Improvement actions"),
    ]


def topic_row(row: dict[str, Any], title: str) -> list[Any]:
    topic, effect = row["data"], row["effect"]
    return [
        title,
        effect.rank if effect.rank is not None else effect.kind_label,
        effect.name,
        effect.effect.value,
        effect.effect.low,
        effect.effect.high,
        effect.q_value,
        effect.churn_diff.value,
        effect.repeat_diff.value,
        effect.nps_diff.value,
        effect.customers,
        effect.other_customers,
        effect.churn_rate,
        effect.churn_rate_others,
        effect.repeat_rate,
        effect.repeat_rate_others,
        effect.nps,
        effect.nps_others,
        effect.spend,
        effect.spend_others,
        effect.items,
        topic["share"],
        topic["previous_volume"],
        topic["trend_pct"],
        effect.promoters,
        effect.passives,
        effect.detractors,
        effect.positive,
        effect.neutral,
        effect.negative,
        "、".join(
            f"{_touchpoint_label(tp['code'])} ({tp['count']})" for tp in topic["touchpoints"]
        ),
        "、".join(f"{action['title']} ({action['status']})" for action in topic["actions"]),
    ]


def topic_rows(data: dict[str, Any]) -> list[tuple[dict[str, Any], list[Any]]]:
    return [
        (row["data"], topic_row(row, group["title"]))
        for group in topic_groups(data)
        for row in group["rows"]
    ]


def quote_headers() -> list[str]:
    return [_("Rank"), _("Topic"), _("Quote"), _("Sentiment"), _("NPS category"), _("Date")]


def quote_rows(data: dict[str, Any]) -> list[list[Any]]:
    return [
        [
            topic.get("rank") or "",
            topic["name"],
            quote["text"],
            quote["sentiment"],
            quote["nps_category"],
            quote["received_on"],
        ]
        for topic in data.get("topics", [])
        for quote in topic["quotes"]
    ]


def report_csv(data: dict[str, Any], *, encoding: str = "utf-8-sig") -> bytes:
    """One row a topic, with its quotes in the last columns."""
    if encoding not in CSV_ENCODINGS:
        raise ValueError(encoding)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    quote_columns = [_("Quote %(number)d") % {"number": n} for n in range(1, 6)]
    writer.writerow([neutralise(h) for h in topic_headers() + quote_columns])
    for topic, values in topic_rows(data):
        quotes = [quote["text"] for quote in topic["quotes"]][:5]
        quotes += [""] * (5 - len(quotes))
        row = values + quotes
        writer.writerow([csv_cell(value) for value in row])
    # cp932 cannot encode every character (e.g. emoji): those become "?" rather than failing.
    return buffer.getvalue().encode(encoding, errors="replace")


def summary_rows(data: dict[str, Any]) -> list[list[Any]]:
    """The report's headline as (label, value) rows: the period, its filters, the response
    count and the NPS with its n (``surveys.figures``: what the dashboard and the topic list
    show for the same filters)."""
    params, totals = data.get("params", {}), data.get("totals", {})
    nps = totals.get("nps") or {}
    small = nps.get("small_sample") and nps.get("n")
    return [
        [_("Period"), f"{params.get('period_start', '')} – {params.get('period_end', '')}"],
        [_("filters"), params.get("filters", "")],
        [_("Responses"), totals.get("responses")],
        ["NPS", nps.get("nps")],
        ["n", nps.get("n")],
        [_("CI low"), nps.get("ci_low")],
        [_("CI high"), nps.get("ci_high")],
        [_("Small sample"), reference_label(nps["n"]) if small else ""],
        [_("Feedback items"), totals.get("items")],
    ]


def report_xlsx(data: dict[str, Any]) -> bytes:
    """Three sheets: the topic table, the quotes (one a row), and the summary (the period, the
    filters, responses and NPS with its n)."""
    workbook = Workbook()
    topics_sheet = workbook.active
    topics_sheet.title = _("Topics")[:31]
    topics_sheet.append([neutralise(h) for h in topic_headers()])
    for _topic, values in topic_rows(data):
        topics_sheet.append([neutralise(value) for value in values])
    quotes_sheet = workbook.create_sheet(_("Quotes")[:31])
    quotes_sheet.append([neutralise(h) for h in quote_headers()])
    for row in quote_rows(data):
        quotes_sheet.append([neutralise(value) for value in row])
    summary_sheet = workbook.create_sheet(_("Summary")[:31])
    summary_sheet.append([neutralise(_("Item")), neutralise(_("Value"))])
    for row in summary_rows(data):
        summary_sheet.append([neutralise(value) for value in row])
    summary_sheet.column_dimensions["A"].width = 24
    summary_sheet.column_dimensions["B"].width = 40
    for sheet in (topics_sheet, quotes_sheet, summary_sheet):
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, str):
                    # Text stays text: openpyxl would otherwise treat "=…" as a formula.
                    cell.data_type = "s"
                    cell.alignment = Alignment(wrap_text=len(cell.value) > 40, vertical="top")
    quotes_sheet.column_dimensions["C"].width = 80
    topics_sheet.column_dimensions["B"].width = 30
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()
