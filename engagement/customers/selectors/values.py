"""Reads for the customer values: the purchase summaries the CLV models are fitted on, and the
stored values (``CustomerValue``) of one customer.

A purchase summary is, per customer with a purchase before ``as_of``: purchase days (several
purchases on one day are one transaction, as in the BG/NBD paper), the first and last purchase
time and the total spend — one aggregate query, streamed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Max, Min, Sum
from django.db.models.functions import Coalesce, TruncDate

from engagement.customers.models import BehaviourRecord, Customer, CustomerValue, ValueModelFit
from engagement.customers.selectors.outcomes import PURCHASE_KINDS


@dataclass(frozen=True)
class PurchaseSummary:
    customer_id: int
    purchase_days: int
    first: datetime
    last: datetime
    spend: int


def purchase_summaries(*, as_of: datetime, chunk_size: int = 20_000) -> Iterator[PurchaseSummary]:
    """Per-customer purchase summaries up to ``as_of`` (one query, ordered by customer id)."""
    rows = (
        BehaviourRecord.objects.filter(kind_id__in=PURCHASE_KINDS, occurred_at__lt=as_of)
        .annotate(day=TruncDate("occurred_at"))
        .values("customer_id")
        .annotate(
            days=Count("day", distinct=True),
            first=Min("occurred_at"),
            last=Max("occurred_at"),
            spend=Coalesce(Sum("amount"), 0),
        )
        .order_by("customer_id")
        .values_list("customer_id", "days", "first", "last", "spend")
    )
    for customer_id, days, first, last, spend in rows.iterator(chunk_size=chunk_size):
        yield PurchaseSummary(customer_id, days, first, last, int(spend))


def customer_value(*, customer: Customer) -> CustomerValue | None:
    """The stored values of one customer (None before the first refresh)."""
    return CustomerValue.objects.filter(customer=customer).first()


def latest_fit() -> ValueModelFit | None:
    return ValueModelFit.objects.order_by("-created_at", "-id").first()
