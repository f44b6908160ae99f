"""What surveys erase when a customer's personal data is deleted (``customer_forgotten``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.dispatch import receiver

from engagement.customers.models import Customer
from engagement.customers.services import customer_forgotten
from surveys.models import Answer


@receiver(customer_forgotten, dispatch_uid="surveys-erase-answer-text")
def erase_answer_text(sender: Any, *, customer: Customer, now: datetime, **kwargs: Any) -> None:
    """Free-text answers go; scores and categories stay, so aggregates stay right."""
    Answer.objects.filter(response__customer=customer).exclude(text="").update(
        text="", updated_at=now
    )
