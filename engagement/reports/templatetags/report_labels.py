"""Labels for the codes stored in report snapshots (translated when the page is rendered)."""

from __future__ import annotations

from typing import Any

from django import template

from engagement.customers.models import Touchpoint
from engagement.reports.models import ActionStatus
from surveys.models import NpsCategory
from voc.models import Channel, Sentiment

register = template.Library()


def _label(choices: Any, value: Any) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return "" if value is None else str(value)


@register.filter
def touchpoint_label(value: str) -> str:
    return _label(Touchpoint, value)


@register.filter
def action_status_label(value: str) -> str:
    return _label(ActionStatus, value)


@register.filter
def nps_category_label(value: str) -> str:
    return _label(NpsCategory, value) if value else "—"


@register.filter
def sentiment_label(value: str) -> str:
    return _label(Sentiment, value) if value else "—"


@register.filter
def channel_label(value: str) -> str:
    return _label(Channel, value)


@register.filter
def signed(value: Any) -> str:
    """+1.5 / −2.0 / — (no data)."""
    if value is None or value == "":
        return "—"
    number = float(value)
    return f"+{number:g}" if number > 0 else f"{number:g}"


@register.filter
def no_data(value: Any) -> Any:
    return "—" if value is None or value == "" else value
