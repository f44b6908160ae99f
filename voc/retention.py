"""Retention of free-text feedback: older than the period, the text is erased (issue 18).

As when a customer is forgotten: text, analysis text, source id and attributes go; the item with
its channel, dates, topic, sentiment and NPS category stays, so topic counts do not change.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from engagement.audit.models import DataKind
from engagement.audit.retention import register
from voc.models import FeedbackItem


def _old(cutoff: datetime) -> QuerySet[FeedbackItem]:
    return FeedbackItem.objects.filter(received_at__lt=cutoff).exclude(text="")


def count_old_feedback_text(cutoff: datetime) -> int:
    return _old(cutoff).count()


def erase_old_feedback_text(cutoff: datetime) -> int:
    return _old(cutoff).update(
        text="",
        normalized_text="",
        tokens=[],
        token_text="",
        external_id=None,
        attributes={},
        updated_at=timezone.now(),
    )


register(
    kind=DataKind.FEEDBACK_TEXT,
    name="feedback_texts_erased",
    count=count_old_feedback_text,
    apply=erase_old_feedback_text,
)
