"""Segments: which customers to invite to a survey, picked by behaviour (last purchase, spend over
the last year, one-time or repeat buyers), NPS history (the category of their latest answer),
channel opt-in, store and customer segment. Churned customers (a cancellation with no purchase
after it) are left out unless asked for. Reads only; inviting is
``surveys.services.distribution.create_invitations``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import (
    Count,
    DateTimeField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from engagement.customers.models import BehaviourRecord, BuiltinBehaviour, Customer
from surveys.models import Response, ResponseStatus

NEVER = "never"  # "NPS history": never answered a survey
SAMPLE_SIZE = 10


@dataclass(frozen=True)
class Segment:
    purchased_within_days: int | None = None
    no_purchase_for_days: int | None = None
    min_spend: int | None = None  # yen over the last 365 days
    max_spend: int | None = None
    buyers: str = ""  # "", "none", "one", "repeat"
    nps: tuple[str, ...] = field(default_factory=tuple)  # promoter/passive/detractor/never
    email_opt_in: bool = True
    store: str = ""
    segment: str = ""
    include_churned: bool = False


def _records(kind: str) -> QuerySet[BehaviourRecord]:
    return BehaviourRecord.objects.filter(customer=OuterRef("pk"), kind_id=kind)


def _latest(qs: QuerySet, column: str) -> Subquery:
    return Subquery(qs.order_by(f"-{column}").values(column)[:1])


def annotated(*, now: datetime | None = None) -> QuerySet[Customer]:
    """Customers with what the segment rules read: last purchase, yearly spend and purchase
    count, last cancellation, latest NPS category (subqueries: one row per customer)."""
    now = now or timezone.now()
    purchases = _records(BuiltinBehaviour.PURCHASE)
    year = purchases.filter(occurred_at__gte=now - timedelta(days=365))
    latest_response = Response.objects.filter(
        customer=OuterRef("pk"), status=ResponseStatus.COMPLETED
    ).order_by("-submitted_at", "-id")
    return Customer.objects.filter(forgotten_at__isnull=True).annotate(
        last_purchase_at=_latest(purchases, "occurred_at"),
        last_cancellation_at=_latest(_records(BuiltinBehaviour.CANCELLATION), "occurred_at"),
        spend_year=Coalesce(
            Subquery(
                year.order_by()
                .values("customer")
                .annotate(total=Sum("amount"))
                .values("total")[:1],
                output_field=IntegerField(),
            ),
            Value(0),
        ),
        purchase_count=Coalesce(
            Subquery(
                purchases.order_by().values("customer").annotate(n=Count("id")).values("n")[:1],
                output_field=IntegerField(),
            ),
            Value(0),
        ),
        last_nps=Subquery(latest_response.values("nps_category")[:1]),
        last_answered_at=Subquery(
            latest_response.values("submitted_at")[:1], output_field=DateTimeField()
        ),
    )


def churned_q() -> Q:
    """A cancellation and no purchase after the latest one."""
    return Q(last_cancellation_at__isnull=False) & (
        Q(last_purchase_at__isnull=True) | Q(last_purchase_at__lte=F("last_cancellation_at"))
    )


def customers_in(segment: Segment, *, now: datetime | None = None) -> QuerySet[Customer]:
    now = now or timezone.now()
    qs = annotated(now=now)
    if segment.purchased_within_days is not None:
        qs = qs.filter(last_purchase_at__gte=now - timedelta(days=segment.purchased_within_days))
    if segment.no_purchase_for_days is not None:
        qs = qs.filter(
            Q(last_purchase_at__isnull=True)
            | Q(last_purchase_at__lt=now - timedelta(days=segment.no_purchase_for_days))
        )
    if segment.min_spend is not None:
        qs = qs.filter(spend_year__gte=segment.min_spend)
    if segment.max_spend is not None:
        qs = qs.filter(spend_year__lte=segment.max_spend)
    if segment.buyers == "none":
        qs = qs.filter(purchase_count=0)
    elif segment.buyers == "one":
        qs = qs.filter(purchase_count=1)
    elif segment.buyers == "repeat":
        qs = qs.filter(purchase_count__gte=2)
    if segment.nps:
        wanted = Q(last_nps__in=[c for c in segment.nps if c != NEVER])
        if NEVER in segment.nps:
            wanted |= Q(last_nps__isnull=True)
        qs = qs.filter(wanted)
    if segment.email_opt_in:
        qs = qs.filter(contact_allowed=True, unsubscribed_at__isnull=True).exclude(email="")
    if segment.store:
        qs = qs.filter(
            Q(attributes__store=segment.store)
            | Exists(
                BehaviourRecord.objects.filter(
                    customer=OuterRef("pk"), attributes__store=segment.store
                )
            )
        )
    if segment.segment:
        qs = qs.filter(segment=segment.segment)
    if not segment.include_churned:
        qs = qs.exclude(churned_q())
    return qs


@dataclass
class Preview:
    count: int
    already_invited: int
    sample: list[Customer]


def preview(*, segment: Segment, survey_id: int, now: datetime | None = None) -> Preview:
    """How many customers the segment holds, how many of them are invited already, and a
    sample (the most recent buyers first)."""
    qs = customers_in(segment, now=now)
    return Preview(
        count=qs.count(),
        already_invited=qs.filter(invitations__survey_id=survey_id).count(),
        sample=list(qs.order_by(F("last_purchase_at").desc(nulls_last=True), "id")[:SAMPLE_SIZE]),
    )
