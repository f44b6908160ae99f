"""Template filters for numbers and dates (``{% load formatting %}``): ``yen``, ``count``,
``percent``, ``ratio``, ``number``, ``jdate``, ``jdatetime``, ``short_date``,
``short_datetime`` and ``reference_label``, all from ``engagement.platform.formatting``."""

from __future__ import annotations

from typing import Any

from django import template

from engagement.platform import formatting

register = template.Library()


@register.filter
def yen(value: Any) -> str:
    return formatting.yen(value)


@register.filter
def count(value: Any) -> str:
    return formatting.count(value)


@register.filter
def percent(value: Any, decimals: int = 1) -> str:
    return formatting.percent(value, int(decimals))


@register.filter
def ratio(value: Any, decimals: int = 1) -> str:
    return formatting.ratio(value, int(decimals))


@register.filter
def number(value: Any, decimals: Any = None) -> Any:
    return formatting.number(value, None if decimals in (None, "") else int(decimals))


@register.filter
def jdate(value: Any) -> str:
    return formatting.date(value)


@register.filter
def jdatetime(value: Any) -> str:
    return formatting.datetime(value)


@register.filter
def short_date(value: Any) -> str:
    return formatting.short_date(value)


@register.filter
def short_datetime(value: Any) -> str:
    return formatting.short_datetime(value)


@register.filter
def reference_label(n: Any) -> str:
    return formatting.reference_label(n)


@register.simple_tag
def small_sample_minimum() -> int:
    """The one small-sample threshold of every page (``statistics.SMALL_SAMPLE``)."""
    from engagement.platform.statistics import SMALL_SAMPLE

    return SMALL_SAMPLE
