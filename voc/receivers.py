"""What VoC erases when a customer's personal data is deleted (``customer_forgotten``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.dispatch import receiver

from engagement.customers.models import Customer
from engagement.customers.services import customer_forgotten
from voc.models import FeedbackItem


@receiver(customer_forgotten, dispatch_uid="voc-erase-feedback-text")
def erase_feedback_text(sender: Any, *, customer: Customer, now: datetime, **kwargs: Any) -> None:
    """The text and its analysis text go; topic, sentiment and NPS category stay."""
    FeedbackItem.objects.filter(customer=customer).update(
        text="",
        normalized_text="",
        tokens=[],
        token_text="",
        external_id=None,
        attributes={},
        updated_at=now,
    )
