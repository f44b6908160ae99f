"""Filters for the analysis pages."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def scaled(value: float | None, factor: float) -> float | None:
    """``value × factor`` (shares as percentages); None stays None."""
    if value is None:
        return None
    return value * float(factor)
