"""What triage erases when a customer's personal data is deleted (``customer_forgotten``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.dispatch import receiver

from engagement.customers.models import Customer
from engagement.customers.services import customer_forgotten
from voc.triage.models import Reply


@receiver(customer_forgotten, dispatch_uid="triage-erase-replies")
def erase_replies(sender: Any, *, customer: Customer, now: datetime, **kwargs: Any) -> None:
    """Replies carry the customer's name and address; their state and dates stay."""
    Reply.objects.filter(item__customer=customer).update(
        subject="", body="", to_email="", updated_at=now
    )
