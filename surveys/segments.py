"""Segments: which customers to invite to a survey, picked by behaviour (last purchase, spend over
the last year, one-time or repeat buyers), NPS history (the category of their latest answer),
channel opt-in (reachable on e-mail, LINE or SMS by the same rules as the sends), store (the
customer's own store or where they bought; and the store link they last answered through) and
customer segment. Churned customers (``engagement.customers.selectors.churn``: the latest
cancellation followed by neither a re-activation nor a purchase) are left out unless asked for.
Reads only; inviting is ``surveys.services.distribution.create_invitations``.
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
from engagement.customers.selectors import churn
from surveys.links import LinkSource, PublicLink
from surveys.models import DeliveryChannel, Response, ResponseStatus

NEVER = "never"  # "NPS history": never answered a survey
SAMPLE_SIZE = 10
ALL_CHANNELS = (DeliveryChannel.EMAIL.value, DeliveryChannel.LINE.value, DeliveryChannel.SMS.value)


@dataclass(frozen=True)
class Segment:
    purchased_within_days: int | None = None
    no_purchase_for_days: int | None = None
    min_spend: int | None = None  # yen over the last 365 days
    max_spend: int | None = None
    buyers: str = ""  # "", "none", "one", "repeat"
    nps: tuple[str, ...] = field(default_factory=tuple)  # promoter/passive/detractor/never
    # Reachable on at least one of these channels (contact allowed, not unsubscribed and: an
    # e-mail address / LINE linked and not blocked / SMS agreed, a number, not opted out);
    # empty: no channel condition.
    channels: tuple[str, ...] = ALL_CHANNELS
    store: str = ""
    answered_store: str = ""  # the store link (its code) the customer last answered through
    segment: str = ""
    include_churned: bool = False


def _records(kind: str) -> QuerySet[BehaviourRecord]:
    return BehaviourRecord.objects.filter(customer=OuterRef("pk"), kind_id=kind)


def _latest(qs: QuerySet, column: str) -> Subquery:
    return Subquery(qs.order_by(f"-{column}").values(column)[:1])


def annotated(*, now: datetime | None = None) -> QuerySet[Customer]:
    """Customers with what the segment rules read: last purchase, yearly spend and purchase
    count, churn standing, latest NPS category and the store of the latest answer's link
    (subqueries: one row per customer)."""
    now = now or timezone.now()
    purchases = _records(BuiltinBehaviour.PURCHASE)
    year = purchases.filter(occurred_at__gte=now - timedelta(days=365))
    latest_response = Response.objects.filter(
        customer=OuterRef("pk"), status=ResponseStatus.COMPLETED
    ).order_by("-submitted_at", "-id")
    return Customer.objects.filter(forgotten_at__isnull=True).annotate(
        last_purchase_at=_latest(purchases, "occurred_at"),
        standing=churn.standing(),
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
        last_answered_store=Subquery(
            latest_response.filter(public_link__source=LinkSource.STORE).values(
                "public_link__source_value"
            )[:1]
        ),
    )


def reachable_q(channels: tuple[str, ...]) -> Q:
    """Reachable on one of ``channels`` by the rules of ``sending.usable_channels``."""
    by_channel = {
        DeliveryChannel.EMAIL.value: ~Q(email=""),
        DeliveryChannel.LINE.value: ~Q(line_user_id="") & Q(line_blocked_at__isnull=True),
        DeliveryChannel.SMS.value: ~Q(phone="")
        & Q(sms_allowed=True, sms_opted_out_at__isnull=True),
    }
    any_of = Q(pk__in=[])
    for channel in channels:
        any_of |= by_channel[channel]
    return Q(contact_allowed=True, unsubscribed_at__isnull=True) & any_of


def answered_stores() -> list[str]:
    """The codes of every store link, for the 「回答した店舗」 choice (sorted)."""
    return list(
        PublicLink.objects.filter(source=LinkSource.STORE)
        .exclude(source_value="")
        .order_by("source_value")
        .values_list("source_value", flat=True)
        .distinct()
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
    if segment.channels:
        qs = qs.filter(reachable_q(segment.channels))
    if segment.store:
        qs = qs.filter(
            Q(attributes__store=segment.store)
            | Exists(
                BehaviourRecord.objects.filter(
                    customer=OuterRef("pk"), attributes__store=segment.store
                )
            )
        )
    if segment.answered_store:
        qs = qs.filter(last_answered_store=segment.answered_store)
    if segment.segment:
        qs = qs.filter(segment=segment.segment)
    if not segment.include_churned:
        qs = qs.filter(churn.not_churned_q())
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
