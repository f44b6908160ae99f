"""Customers: their four values (DOMAIN.md section 2) and their timeline of behaviour.

The four values here are simple to-date scores computed in the database (kept for the
metrics and their tests); the values shown on the customer page, the dashboard, reports and the
API are the predicted and explained ones stored in ``CustomerValue`` (issue 19: README "Customer
values and the four aspects of engagement"):

- **CLV** (lifetime value, yen): the sum of the customer's purchase amounts (purchase,
  related-item purchase, premium-price purchase, upgrade) to date.
- **CRV** (referral value, yen): referrals × the average CLV of all customers with a purchase —
  what the referred customers are expected to bring.
- **CIV** (influence value, points): 5 per review/UGC, 1 per SNS like or comment, 2 per event or
  community participation.
- **CKV** (knowledge value, points): 5 per piece of feedback to the company.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Avg, Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from engagement.customers.models import BehaviourRecord, BuiltinBehaviour, Customer
from engagement.customers.selectors.outcomes import PURCHASE_KINDS

CIV_POINTS = {
    BuiltinBehaviour.REVIEW: 5,
    BuiltinBehaviour.SNS_ENGAGEMENT: 1,
    BuiltinBehaviour.EVENT: 2,
}
CKV_POINTS = {BuiltinBehaviour.FEEDBACK: 5}


def with_values(customers: QuerySet) -> QuerySet:
    """Customers annotated with ``clv``, ``referrals`` and the counts CIV and CKV are made of."""

    def count(kind: str) -> Count:
        return Count("behaviours", filter=Q(behaviours__kind_id=kind))

    return customers.annotate(
        clv=Coalesce(
            Sum("behaviours__amount", filter=Q(behaviours__kind_id__in=PURCHASE_KINDS)), 0
        ),
        referrals=count(BuiltinBehaviour.REFERRAL),
        reviews=count(BuiltinBehaviour.REVIEW),
        sns=count(BuiltinBehaviour.SNS_ENGAGEMENT),
        events=count(BuiltinBehaviour.EVENT),
        feedback=count(BuiltinBehaviour.FEEDBACK),
    )


def average_clv() -> float | None:
    """Average CLV over the customers with at least one purchase."""
    spend = (
        BehaviourRecord.objects.filter(kind_id__in=PURCHASE_KINDS)
        .order_by()
        .values("customer_id")
        .annotate(total=Coalesce(Sum("amount"), 0))
    )
    return spend.aggregate(average=Avg("total"))["average"]


def customer_values(*, customer: Customer, average: float | None = None) -> dict[str, Any]:
    """CLV, CRV, CIV and CKV of one customer (two queries)."""
    row = with_values(Customer.objects.filter(pk=customer.pk)).values(
        "clv", "referrals", "reviews", "sns", "events", "feedback"
    )[0]
    average = average_clv() if average is None else average
    return {
        "clv": row["clv"],
        "crv": round(row["referrals"] * average) if average is not None else None,
        "civ": row["reviews"] * CIV_POINTS[BuiltinBehaviour.REVIEW]
        + row["sns"] * CIV_POINTS[BuiltinBehaviour.SNS_ENGAGEMENT]
        + row["events"] * CIV_POINTS[BuiltinBehaviour.EVENT],
        "ckv": row["feedback"] * CKV_POINTS[BuiltinBehaviour.FEEDBACK],
        "counts": row,
    }
