"""The shared analysis filters (``surveys.filters``) applied to feedback items.

The period is the item's ``received_at``; segment, store, touchpoint and NPS band are read on the
item and its customer; wave, survey, link and URL parameters only exist on survey answers, so an
item from support, a review or SNS drops out once one of them is set.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from surveys.filters import AnalysisFilters, narrow, responses
from voc.models import FeedbackItem


def feedback_items(
    filters: AnalysisFilters, *, user: Any = None, base: QuerySet[FeedbackItem] | None = None
) -> QuerySet[FeedbackItem]:
    """Feedback items (``base``, or those ``user`` may see, or all) narrowed by the filters:
    what the dashboard, the topic list and the reports count topics over."""
    if base is None:
        base = FeedbackItem.objects.all() if user is None else FeedbackItem.objects.visible_to(user)
    return narrow(base, filters, at="received_at", response="response__").order_by()


def survey_items(filters: AnalysisFilters, *, user: Any) -> QuerySet[FeedbackItem]:
    """Feedback items the user may see on the responses the filters select (comments on survey
    answers only: the comparison of two waves)."""
    return (
        FeedbackItem.objects.visible_to(user)
        .filter(response__in=responses(filters, user=user).values("pk"))
        .order_by()
    )
