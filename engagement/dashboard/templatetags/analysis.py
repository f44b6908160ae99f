"""Filters for the analysis pages."""

from __future__ import annotations

from typing import Any

from django import template

from engagement.dashboard.analysis.selectors import saved_views_for

register = template.Library()


@register.simple_tag(takes_context=True)
def saved_views(context: Any, page: str) -> list[Any]:
    """The saved views of ``page`` the user may open (the list every filtered page shows, the
    topic list and the reports too, which cannot import the dashboard)."""
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return []
    return saved_views_for(request.user, page)


@register.filter
def scaled(value: float | None, factor: float) -> float | None:
    """``value × factor`` (shares as percentages); None stays None."""
    if value is None:
        return None
    return value * float(factor)
