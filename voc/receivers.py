"""What VoC erases when a customer's personal data is deleted (``customer_forgotten``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.dispatch import receiver

from engagement.customers.models import Customer
from engagement.customers.services import customer_forgotten, customer_traces
from engagement.platform.erasure import scrub_rows
from voc.models import AnalysisRun, FeedbackItem, Topic


@receiver(customer_traces, dispatch_uid="voc-feedback-traces")
def feedback_traces(sender: Any, *, customer: Customer, **kwargs: Any) -> list[str]:
    texts: list[str] = []
    for text, aspects in (
        FeedbackItem.objects.filter(customer=customer).order_by("id").values_list("text", "aspects")
    ):
        texts.append(text)
        texts += [a.get("text", "") for a in aspects or [] if isinstance(a, dict)]
    return texts


@receiver(customer_forgotten, dispatch_uid="voc-erase-feedback-text")
def erase_feedback_text(
    sender: Any, *, customer: Customer, now: datetime, traces: list[str] = (), **kwargs: Any
) -> None:
    """The text and everything derived from it go (normalised text, tokens, clauses, the place
    among a topic's quotes); topic, sentiment and NPS category stay for the aggregates."""
    item_ids = set(FeedbackItem.objects.filter(customer=customer).values_list("id", flat=True))
    FeedbackItem.objects.filter(customer=customer).update(
        text="",
        normalized_text="",
        tokens=[],
        token_text="",
        aspects=[],
        external_id=None,
        attributes={},
        updated_at=now,
    )
    for topic in Topic.objects.filter(quote_ids__isnull=False).order_by("id"):
        kept = [quote for quote in topic.quote_ids or [] if quote not in item_ids]
        if kept != (topic.quote_ids or []):
            Topic.objects.filter(id=topic.id).update(quote_ids=kept, updated_at=now)
    scrub_rows(Topic.objects.all(), text_fields=["name"], traces=list(traces))
    scrub_rows(AnalysisRun.objects.all(), text_fields=["error"], traces=list(traces))
