"""One customer's timeline: survey answers, feedback and behaviour in one list, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engagement.customers.models import BehaviourRecord, Customer
from engagement.platform.masking import mask_for

MAX_EVENTS = 500


@dataclass
class TimelineEvent:
    at: datetime
    kind: str  # "response", "feedback" or "behaviour"
    title: str
    detail: str
    data: dict[str, Any]


def customer_timeline(
    *, customer: Customer, user: Any, limit: int = MAX_EVENTS
) -> list[TimelineEvent]:
    """At most ``limit`` of each kind of event, merged by time (three queries); feedback only
    as far as ``user`` may see it (``engagement.platform.scope``), masked without personal-data
    access."""
    from surveys.models import Response, ResponseStatus
    from voc.models import FeedbackItem

    events: list[TimelineEvent] = []
    responses = (
        Response.objects.filter(
            customer=customer, status=ResponseStatus.COMPLETED, submitted_at__isnull=False
        )
        .select_related("survey", "survey__wave")
        .order_by("-submitted_at")[:limit]
    )
    for response in responses:
        events.append(
            TimelineEvent(
                at=response.submitted_at,
                kind="response",
                title=response.survey.title,
                detail=response.survey.wave.name,
                data={
                    "nps_score": response.nps_score,
                    "nps_category": response.get_nps_category_display(),
                    "csat": response.csat_score,
                    "awareness": response.awareness_index,
                    "touchpoint": response.get_touchpoint_display(),
                },
            )
        )
    feedback = (
        FeedbackItem.objects.visible_to(user)
        .filter(customer=customer)
        .select_related("topic")
        .order_by("-received_at")[:limit]
    )
    for item in feedback:
        events.append(
            TimelineEvent(
                at=item.received_at,
                kind="feedback",
                title=item.get_channel_display(),
                detail=mask_for(user, item.text, customer=customer),
                data={
                    "topic": item.topic.name if item.topic else "",
                    "sentiment": item.get_sentiment_display() if item.sentiment else "",
                },
            )
        )
    records = (
        BehaviourRecord.objects.filter(customer=customer)
        .select_related("kind")
        .order_by("-occurred_at", "-id")[:limit]
    )
    for record in records:
        events.append(
            TimelineEvent(
                at=record.occurred_at,
                kind="behaviour",
                title=record.kind.name,
                detail=record.get_touchpoint_display() if record.touchpoint else "",
                data={"amount": record.amount},
            )
        )
    events.sort(key=lambda event: event.at, reverse=True)
    return events
