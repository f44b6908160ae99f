"""Churned: the one rule every invitation path reads (segments, distribution's hold reasons).

A customer is churned when their latest cancellation is followed by neither a re-activation nor
a purchase. Computed as the kind of their latest record among cancellation, re-activation and
purchase (one indexed subquery per customer: ``behaviour_cust_kind_time``).
"""

from __future__ import annotations

from django.db.models import OuterRef, Q, Subquery

from engagement.customers.models import BehaviourRecord, BuiltinBehaviour

STANDING_KINDS = (
    BuiltinBehaviour.CANCELLATION,
    BuiltinBehaviour.REACTIVATION,
    BuiltinBehaviour.PURCHASE,
)


def standing(customer_ref: str = "pk") -> Subquery:
    """The kind of the customer's latest cancellation, re-activation or purchase (None if none);
    ``customer_ref`` is the outer query's path to the customer id."""
    latest = (
        BehaviourRecord.objects.filter(
            customer_id=OuterRef(customer_ref), kind_id__in=STANDING_KINDS
        )
        .order_by("-occurred_at", "-id")
        .values("kind_id")[:1]
    )
    return Subquery(latest)


def churned_q(annotation: str = "standing") -> Q:
    """True where the ``standing`` annotation says churned."""
    return Q(**{annotation: BuiltinBehaviour.CANCELLATION})


def not_churned_q(annotation: str = "standing") -> Q:
    """The complement of ``churned_q``, customers with no such record included."""
    return Q(**{f"{annotation}__isnull": True}) | ~Q(**{annotation: BuiltinBehaviour.CANCELLATION})


def is_churned(standing_kind: str | None) -> bool:
    return standing_kind == BuiltinBehaviour.CANCELLATION
