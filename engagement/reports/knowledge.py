"""CKV — the knowledge value of a customer (DOMAIN.md section 2): feedback that led somewhere.

Reports own it because it needs the improvement actions. Points per customer:

- 1 per feedback item (any channel) whose topic no action is linked to; 3 when an action is
  linked to its topic; 5 when that action shipped (the idea was adopted); 8 when the action was
  verified as improving the next wave (status "verified"). Each item counts once, at its best.
- 1 per completed survey answer (survey participation).
- 1 per "feedback to the company" behaviour record (feedback recorded in other systems).

``refresh_knowledge_values`` (command ``refresh_knowledge_values``, beat task
``reports.refresh_knowledge_values``) stores CKV and its parts in ``CustomerValue`` (three grouped
queries, merged by customer, written in chunks).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When

from engagement.customers.models import BehaviourRecord, BuiltinBehaviour
from engagement.customers.valuation import merge_by_customer, store_value_parts
from engagement.reports.models import ActionStatus, ImprovementAction
from surveys.models import Response, ResponseStatus
from voc.models import FeedbackItem

ITEM_POINTS = {"plain": 1, "linked": 3, "adopted": 5, "verified": 8}
ANSWER_POINTS = 1
FEEDBACK_RECORD_POINTS = 1


def _actions(*statuses: str) -> Exists:
    actions = ImprovementAction.objects.filter(topics=OuterRef("topic_id"))
    if statuses:
        actions = actions.filter(status__in=statuses)
    return Exists(actions)


def _items() -> QuerySet:
    tier = Case(
        When(_actions(ActionStatus.VERIFIED), then=Value(3)),
        When(_actions(ActionStatus.SHIPPED), then=Value(2)),
        When(_actions(), then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )
    return (
        FeedbackItem.objects.filter(customer__isnull=False)
        .annotate(tier=tier)
        .values("customer_id")
        .annotate(
            items=Count("id"),
            linked=Count("id", filter=Q(tier=1)),
            adopted=Count("id", filter=Q(tier=2)),
            verified=Count("id", filter=Q(tier=3)),
        )
        .order_by("customer_id")
    )


def _answers() -> QuerySet:
    return (
        Response.objects.filter(
            customer__isnull=False, status=ResponseStatus.COMPLETED, submitted_at__isnull=False
        )
        .values("customer_id")
        .annotate(answers=Count("id"))
        .order_by("customer_id")
    )


def _feedback_records() -> QuerySet:
    return (
        BehaviourRecord.objects.filter(kind_id=BuiltinBehaviour.FEEDBACK)
        .values("customer_id")
        .annotate(feedback_records=Count("id"))
        .order_by("customer_id")
    )


def knowledge_parts(row: dict[str, Any]) -> tuple[float, dict[str, int]]:
    """CKV and its parts from one merged row (see the module doc)."""
    parts = {
        key: int(row.get(key) or 0)
        for key in ("items", "linked", "adopted", "verified", "answers", "feedback_records")
    }
    plain = parts["items"] - parts["linked"] - parts["adopted"] - parts["verified"]
    value = (
        plain * ITEM_POINTS["plain"]
        + sum(parts[tier] * ITEM_POINTS[tier] for tier in ("linked", "adopted", "verified"))
        + parts["answers"] * ANSWER_POINTS
        + parts["feedback_records"] * FEEDBACK_RECORD_POINTS
    )
    return float(value), parts


def refresh_knowledge_values() -> int:
    """Store every customer's CKV and its parts; returns the number of customers with a CKV."""

    def rows() -> Iterator[tuple[int, float, dict[str, Any]]]:
        streams = (q.iterator(chunk_size=5000) for q in (_items(), _answers(), _feedback_records()))
        for row in merge_by_customer(*streams):
            value, parts = knowledge_parts(row)
            yield row["customer_id"], value, parts

    return store_value_parts(value_field="ckv", rows=rows())
