"""What VoC tells the outside: ``feedback.created`` webhooks for new items, and topic spikes
(``topic.spike`` webhook and a Japanese chat alert). Recorded through
``engagement.integrations`` in the caller's transaction, sent through the outbox."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from engagement.integrations import services as integrations
from engagement.integrations.models import ChatKind, WebhookEvent
from voc.models import FeedbackItem, Topic

CHUNK = 1000
TOKYO_OFFSET = timedelta(hours=9)


def item_url(item_id: int) -> str:
    return settings.SITE_URL + reverse("admin:voc_feedbackitem_change", args=[item_id])


def item_payload(item: FeedbackItem) -> dict[str, Any]:
    return {
        "item_id": item.id,
        "channel": item.channel,
        "received_at": item.received_at,
        "text": item.text,
        "rating": item.rating,
        "customer_external_id": item.customer.external_id if item.customer_id else None,
        "response_id": item.response_id,
        "nps_category": item.nps_category or None,
        "team_id": item.team_id,
        "owner": item.owner.get_username() if item.owner_id else None,
        "state": item.state,
        "url": item_url(item.id),
    }


def announce_created(*, item_ids: Sequence[int]) -> int:
    """``feedback.created`` for each new item (nothing is read when no endpoint listens)."""
    if not item_ids or not integrations.subscribed_endpoints(WebhookEvent.FEEDBACK_CREATED):
        return 0
    count = 0
    ids = sorted(item_ids)
    for start in range(0, len(ids), CHUNK):
        items = (
            FeedbackItem.objects.filter(id__in=ids[start : start + CHUNK])
            .select_related("customer", "owner")
            .order_by("id")
        )
        count += integrations.emit_events(
            event=WebhookEvent.FEEDBACK_CREATED,
            events=[(f"feedback-{item.id}", item_payload(item)) for item in items],
        )
    return count


def detect_topic_spikes(
    *,
    now: datetime | None = None,
    min_items: int = 5,
    ratio: float = 3.0,
    baseline_days: int = 7,
) -> list[int]:
    """Topics with at least ``min_items`` items in the last 24 hours and ``ratio`` times their
    daily average of the ``baseline_days`` before: each announced once a day (Tokyo date).
    Returns the topic ids announced now."""
    now = now or timezone.now()
    day_ago = now - timedelta(days=1)
    baseline_start = day_ago - timedelta(days=baseline_days)
    rows = (
        FeedbackItem.objects.filter(
            topic__isnull=False,
            topic__is_active=True,
            topic__is_other=False,
            duplicate_of__isnull=True,
            received_at__gte=baseline_start,
            received_at__lt=now,
        )
        .values("topic_id")
        .annotate(
            recent=Count("id", filter=Q(received_at__gte=day_ago)),
            before=Count("id", filter=Q(received_at__lt=day_ago)),
        )
        .filter(recent__gte=min_items)
        .order_by("topic_id")
    )
    spiking = [
        row for row in rows if row["recent"] >= ratio * max(1.0, row["before"] / baseline_days)
    ]
    if not spiking:
        return []
    topics = Topic.objects.in_bulk([row["topic_id"] for row in spiking])
    day = (now + TOKYO_OFFSET).date().isoformat()
    announced = []
    for row in spiking:
        topic = topics[row["topic_id"]]
        baseline = round(row["before"] / baseline_days, 1)
        link = settings.SITE_URL + reverse("voc:topic", args=[topic.id])
        key = f"topic-spike-{topic.id}-{day}"
        integrations.emit_event(
            event=WebhookEvent.TOPIC_SPIKE,
            key=key,
            data={
                "topic_id": topic.id,
                "topic": topic.name,
                "items_last_24h": row["recent"],
                "baseline_per_day": baseline,
                "url": link,
            },
        )
        with translation.override(settings.LANGUAGE_CODE):
            text = _(
                "Topic spike: “%(topic)s” had %(count)s items in the last 24 hours "
                "(usually %(baseline)s a day)."
            ) % {"topic": topic.name, "count": f"{row['recent']:,}", "baseline": baseline}
        integrations.notify_chat(kind=ChatKind.TOPIC_SPIKE, key=key, text=text, link=link)
        announced.append(topic.id)
    return announced
