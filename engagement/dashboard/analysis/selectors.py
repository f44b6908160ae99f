"""Reads of the analysis pages besides the figures: saved views."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from engagement.dashboard.models import SavedView


def saved_views_for(user: Any, page: str) -> list[SavedView]:
    """The user's own views of ``page`` and those colleagues shared, by name."""
    return list(
        SavedView.objects.filter(Q(owner=user) | Q(shared=True), page=page)
        .select_related("owner")
        .order_by("name", "id")
    )
