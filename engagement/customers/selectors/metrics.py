"""Engagement metrics over customers and their behaviour (DOMAIN.md section 3), in the database.

A period is ``[start, end)`` (datetimes); a segment, when given, restricts the customers. Every
rate comes as an ``Estimate`` (share 0–1 with its Wilson 95% interval, ``value`` None when the
denominator is 0 — "no data").

- **Repeat rate (001)**: customers who purchased in the period and had purchased before that
  (two or more purchases up to the period's end, one in it) ÷ cumulative new customers (customers
  signed up before the period's end; without a sign-up date, those with a purchase before it).
- **Repeat rate (002 variant)**: customers with 2+ purchases in the period ÷ customers with a
  purchase in the period.
- **Churn rate (001)**: customers active at the period's start who cancelled in the period ÷
  customers active at the period's start (signed up before it, and not cancelled before it unless
  re-activated after their last cancellation).
- **LTV (002)**: average purchase value × purchase frequency × retention period, where, for the
  period: average purchase value = spend ÷ purchases, frequency = purchases ÷ purchasing
  customers, retention period = 1 ÷ churn rate (expected lifetime, in periods of this length).
  No churn (or no purchases) → None.
- **Behaviour shares**: for each behaviour kind, customers with at least one record of it in the
  period ÷ customers signed up before the period's end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet, Sum

from engagement.customers.models import BehaviourKind, BehaviourRecord, BuiltinBehaviour, Customer
from engagement.customers.selectors.outcomes import PURCHASE_KINDS
from engagement.platform import statistics as metrics
from engagement.platform.statistics import Estimate


def _customers(segment: str = "") -> QuerySet:
    qs = Customer.objects.all()
    if segment:
        qs = qs.filter(segment=segment)
    return qs.order_by()


def _signed_up_before(end: datetime) -> Q:
    purchased_before = Exists(
        BehaviourRecord.objects.filter(
            customer_id=OuterRef("pk"), kind_id__in=PURCHASE_KINDS, occurred_at__lt=end
        )
    )
    return Q(signed_up_on__lt=end.date()) | (Q(signed_up_on__isnull=True) & purchased_before)


def repeat_rate(*, start: datetime, end: datetime, segment: str = "") -> Estimate:
    """001: repeat purchasers in the period ÷ cumulative new customers (see module doc)."""
    purchases = Q(behaviours__kind_id__in=PURCHASE_KINDS)
    sums = (
        _customers(segment)
        .filter(_signed_up_before(end))
        .annotate(
            in_period=Count(
                "behaviours",
                filter=purchases
                & Q(behaviours__occurred_at__gte=start, behaviours__occurred_at__lt=end),
            ),
            up_to_end=Count("behaviours", filter=purchases & Q(behaviours__occurred_at__lt=end)),
        )
        .aggregate(
            base=Count("pk"),
            repeaters=Count("pk", filter=Q(in_period__gte=1, up_to_end__gte=2)),
        )
    )
    return metrics.proportion(sums["repeaters"], sums["base"])


def repeat_rate_within_period(*, start: datetime, end: datetime, segment: str = "") -> Estimate:
    """002 variant: customers with 2+ purchases in the period ÷ purchasing customers."""
    sums = (
        _customers(segment)
        .annotate(
            purchases=Count(
                "behaviours",
                filter=Q(
                    behaviours__kind_id__in=PURCHASE_KINDS,
                    behaviours__occurred_at__gte=start,
                    behaviours__occurred_at__lt=end,
                ),
            )
        )
        .aggregate(
            purchasing=Count("pk", filter=Q(purchases__gte=1)),
            repeaters=Count("pk", filter=Q(purchases__gte=2)),
        )
    )
    return metrics.proportion(sums["repeaters"], sums["purchasing"])


def churn_rate(*, start: datetime, end: datetime, segment: str = "") -> Estimate:
    """001: cancellations in the period ÷ customers active at its start (see module doc)."""
    cancel = Q(behaviours__kind_id=BuiltinBehaviour.CANCELLATION)
    sums = (
        _customers(segment)
        .filter(_signed_up_before(start))
        .annotate(
            last_cancel=Max(
                "behaviours__occurred_at", filter=cancel & Q(behaviours__occurred_at__lt=start)
            ),
            last_reactivation=Max(
                "behaviours__occurred_at",
                filter=Q(
                    behaviours__kind_id=BuiltinBehaviour.REACTIVATION,
                    behaviours__occurred_at__lt=start,
                ),
            ),
            cancelled_in=Count(
                "behaviours",
                filter=cancel
                & Q(behaviours__occurred_at__gte=start, behaviours__occurred_at__lt=end),
            ),
        )
        .aggregate(
            active=Count(
                "pk",
                filter=Q(last_cancel__isnull=True) | Q(last_reactivation__gt=F("last_cancel")),
            ),
            churned=Count(
                "pk",
                filter=(Q(last_cancel__isnull=True) | Q(last_reactivation__gt=F("last_cancel")))
                & Q(cancelled_in__gte=1),
            ),
        )
    )
    return metrics.proportion(sums["churned"], sums["active"])


@dataclass(frozen=True)
class Ltv:
    value: float | None
    average_purchase_value: float | None
    purchase_frequency: float | None
    retention_periods: float | None
    purchases: int
    purchasing_customers: int
    churn: Estimate

    def as_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "average_purchase_value": self.average_purchase_value,
            "purchase_frequency": self.purchase_frequency,
            "retention_periods": self.retention_periods,
            "purchases": self.purchases,
            "purchasing_customers": self.purchasing_customers,
            "churn": self.churn.as_dict(),
        }


def ltv(*, start: datetime, end: datetime, segment: str = "") -> Ltv:
    """002: average purchase value × purchase frequency × retention period (see module doc)."""
    records = BehaviourRecord.objects.filter(
        kind_id__in=PURCHASE_KINDS, occurred_at__gte=start, occurred_at__lt=end
    )
    if segment:
        records = records.filter(customer__segment=segment)
    sums = records.order_by().aggregate(
        spend=Sum("amount"),
        purchases=Count("pk"),
        customers=Count("customer_id", distinct=True),
    )
    purchases, customers = sums["purchases"] or 0, sums["customers"] or 0
    churn = churn_rate(start=start, end=end, segment=segment)
    average = metrics.ratio(sums["spend"], purchases)
    frequency = metrics.ratio(purchases, customers)
    retention = metrics.ratio(1, churn.value)
    value = None
    if average is not None and frequency is not None and retention is not None:
        value = average * frequency * retention
    return Ltv(value, average, frequency, retention, purchases, customers, churn)


def behaviour_shares(*, start: datetime, end: datetime, segment: str = "") -> list[dict[str, Any]]:
    """Per behaviour kind: customers showing it in the period ÷ customers signed up by its end."""
    base = _customers(segment).filter(_signed_up_before(end)).count()
    records = BehaviourRecord.objects.filter(occurred_at__gte=start, occurred_at__lt=end)
    if segment:
        records = records.filter(customer__segment=segment)
    counts = dict(
        records.order_by()
        .values("kind_id")
        .annotate(customers=Count("customer_id", distinct=True))
        .values_list("kind_id", "customers")
    )
    return [
        {
            "kind": code,
            "name": name,
            "customers": counts.get(code, 0),
            "share": metrics.proportion(counts.get(code, 0), base),
        }
        for code, name in BehaviourKind.objects.order_by("code").values_list("code", "name")
    ]
