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
from engagement.platform.spreadsheets import neutralise

CSV_ENCODINGS = ("utf-8-sig", "cp932")


def _touchpoint_label(code: str) -> str:
    try:
        return str(Touchpoint(code).label)
    except ValueError:
        return code


def _rate(summary: dict[str, Any] | None) -> Any:
    return summary["rate"] if summary else None


def _mean(summary: dict[str, Any] | None) -> Any:
    return summary["mean"] if summary else None


def _interval(summary: dict[str, Any] | None) -> str:
    if not summary:
        return ""
    return f"[{summary['ci_low']}, {summary['ci_high']}]"


def topic_headers() -> list[str]:
    return [
        _("Rank"),
        _("Topic"),
        _("Impact (points)"),
        _("NPS uplift if resolved (points)"),
        _("Excess churn (points)"),
        _("Volume"),
        _("Share (%)"),
        _("Previous period volume"),
        _("Trend (%)"),
        _("Promoters"),
        _("Passives"),
        _("Detractors"),
        _("Topic NPS"),
        _("Positive"),
        _("Neutral"),
        _("Negative"),
        _("Customers who raised it"),
        _("Churn rate (%)"),
        _("Churn rate of others (%)"),
        _("Churn difference (points) [95% CI]"),
        _("Repeat rate (%)"),
        _("Repeat rate of others (%)"),
        _("Average spend (yen)"),
        _("Average spend of others (yen)"),
        _("Touchpoints"),
        _("Improvement actions"),
    ]


def topic_row(topic: dict[str, Any]) -> list[Any]:
    behaviour = topic["behaviour"]
    churn_diff = behaviour.get("churn_diff")
    return [
        topic["rank"],
        topic["name"],
        topic["impact"],
        topic["nps_uplift"],
        topic["excess_churn"],
        topic["volume"],
        topic["share"],
        topic["previous_volume"],
        topic["trend_pct"],
        topic["nps_mix"]["promoter"],
        topic["nps_mix"]["passive"],
        topic["nps_mix"]["detractor"],
        topic["topic_nps"],
        topic["sentiment"]["positive"],
        topic["sentiment"]["neutral"],
        topic["sentiment"]["negative"],
        behaviour["customers"],
        _rate(behaviour.get("churn")),
        _rate(behaviour.get("churn_others")),
        f"{churn_diff['diff']} {_interval(churn_diff)}" if churn_diff else "",
        _rate(behaviour.get("repeat")),
        _rate(behaviour.get("repeat_others")),
        _mean(behaviour.get("spend")),
        _mean(behaviour.get("spend_others")),
        "、".join(
            f"{_touchpoint_label(tp['code'])} ({tp['count']})" for tp in topic["touchpoints"]
        ),
        "、".join(f"{action['title']} ({action['status']})" for action in topic["actions"]),
    ]


def quote_headers() -> list[str]:
    return [_("Rank"), _("Topic"), _("Quote"), _("Sentiment"), _("NPS category"), _("Date")]


def quote_rows(data: dict[str, Any]) -> list[list[Any]]:
    return [
        [
            topic["rank"],
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
    for topic in data.get("topics", []):
        quotes = [quote["text"] for quote in topic["quotes"]][:5]
        quotes += [""] * (5 - len(quotes))
        row = topic_row(topic) + quotes
        writer.writerow(["" if value is None else neutralise(value) for value in row])
    # cp932 cannot encode every character (e.g. emoji): those become "?" rather than failing.
    return buffer.getvalue().encode(encoding, errors="replace")


def report_xlsx(data: dict[str, Any]) -> bytes:
    """Two sheets: the topic table, and the quotes (one a row)."""
    workbook = Workbook()
    topics_sheet = workbook.active
    topics_sheet.title = _("Topics")[:31]
    topics_sheet.append([neutralise(h) for h in topic_headers()])
    for topic in data.get("topics", []):
        topics_sheet.append([neutralise(value) for value in topic_row(topic)])
    quotes_sheet = workbook.create_sheet(_("Quotes")[:31])
    quotes_sheet.append([neutralise(h) for h in quote_headers()])
    for row in quote_rows(data):
        quotes_sheet.append([neutralise(value) for value in row])
    for sheet in (topics_sheet, quotes_sheet):
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
