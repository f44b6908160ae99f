"""What surveys erase when a customer's personal data is deleted (``customer_forgotten``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.dispatch import receiver

from engagement.customers.models import Customer
from engagement.customers.services import customer_forgotten, customer_traces
from engagement.platform.erasure import scrub_rows
from surveys.models import Answer, Delivery


@receiver(customer_traces, dispatch_uid="surveys-answer-traces")
def answer_traces(sender: Any, *, customer: Customer, **kwargs: Any) -> list[str]:
    return list(
        Answer.objects.filter(response__customer=customer)
        .exclude(text="")
        .order_by("id")
        .values_list("text", flat=True)
    )


@receiver(customer_forgotten, dispatch_uid="surveys-erase-answer-text")
def erase_answer_text(
    sender: Any, *, customer: Customer, now: datetime, traces: list[str] = (), **kwargs: Any
) -> None:
    """Free-text answers go; scores and categories stay, so aggregates stay right."""
    Answer.objects.filter(response__customer=customer).exclude(text="").update(
        text="", updated_at=now
    )
    # Failed sends may quote the address.
    scrub_rows(Delivery.objects.all(), text_fields=["error"], traces=list(traces))
