"""Erasure of what the upper layers hold about a forgotten customer (``customer_forgotten``).

The engagement core cannot import surveys or VoC; the dashboard app sits above both and erases
the free text (survey answers, feedback items and their analysis text) of a customer whose
personal data is deleted. Scores, categories, topics and sentiment stay, so aggregates stay right.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.dispatch import receiver

from engagement.models import Customer
from engagement.services import customer_forgotten


@receiver(customer_forgotten, dispatch_uid="dashboard-erase-customer-text")
def erase_customer_text(sender: Any, *, customer: Customer, now: datetime, **kwargs: Any) -> None:
    from surveys.models import Answer
    from voc.models import FeedbackItem

    Answer.objects.filter(response__customer=customer).exclude(text="").update(
        text="", updated_at=now
    )
    FeedbackItem.objects.filter(customer=customer).update(
        text="",
        normalized_text="",
        tokens=[],
        token_text="",
        external_id=None,
        attributes={},
        updated_at=now,
    )
