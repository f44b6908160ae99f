"""What customers did after a moment: behaviour outcomes of a group after an anchor time.

The linkage primitive of the product ("what they said → what they did"). The anchors are, e.g.,
survey responses (anchor = ``submitted_at``) or feedback items (anchor = ``received_at``). For each
anchor, the customer's behaviour records in the window ``(anchor, anchor + window_days]`` decide:

- churn: at least one cancellation (``cancellation``);
- repeat purchase: at least one purchase of any purchase kind (``purchase``, ``related_purchase``,
  ``premium_purchase``, ``upgrade``) — the anchor customers already are customers, so any purchase
  after the anchor is a repeat purchase;
- spend: the sum of ``amount`` (yen) of those purchases, 0 when none (the mean is over all anchors);
- referral: at least one ``referral``; review: at least one ``review``.

Units are anchors (a customer who answered two surveys counts twice). Anchors without a customer
(anonymous answers) or without a time are left out. With a QuerySet everything is one aggregate
query (``EXISTS``/correlated ``SUM`` per anchor over the ``(customer, occurred_at)`` index); with an
iterable of ``(customer_id, anchor_at)`` pairs the records are read in one query and combined in
Python (meant for small explicit lists).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import (
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce

from engagement.customers.models import BehaviourRecord, BuiltinBehaviour
from engagement.platform import statistics as metrics
from engagement.platform.statistics import Difference, Estimate

DEFAULT_WINDOW_DAYS = 90
PURCHASE_KINDS = (
    BuiltinBehaviour.PURCHASE,
    BuiltinBehaviour.RELATED_PURCHASE,
    BuiltinBehaviour.PREMIUM_PURCHASE,
    BuiltinBehaviour.UPGRADE,
)
CHURN_KINDS = (BuiltinBehaviour.CANCELLATION,)
REFERRAL_KINDS = (BuiltinBehaviour.REFERRAL,)
REVIEW_KINDS = (BuiltinBehaviour.REVIEW,)

PROPORTIONS = ("churn", "repeat", "referral", "review")
FLAG_KINDS = {
    "churn": CHURN_KINDS,
    "repeat": PURCHASE_KINDS,
    "referral": REFERRAL_KINDS,
    "review": REVIEW_KINDS,
}


@dataclass(frozen=True)
class Outcomes:
    """Behaviour after the anchors: four shares and the mean spend, each with n and a 95% CI."""

    n: int
    window_days: int
    churn: Estimate
    repeat: Estimate
    spend: Estimate
    referral: Estimate
    review: Estimate

    def as_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "window_days": self.window_days,
            **{name: getattr(self, name).as_dict() for name in (*PROPORTIONS, "spend")},
        }

    @classmethod
    def empty(cls, *, window_days: int) -> Outcomes:
        """No customers: every rate and mean is "no data"."""
        return cls.from_sums(
            n=0,
            churn=0,
            repeat=0,
            referral=0,
            review=0,
            spend_sum=0,
            spend_sq=0,
            window_days=window_days,
        )

    @classmethod
    def from_sums(
        cls,
        *,
        n: int | None,
        churn: int | None,
        repeat: int | None,
        referral: int | None,
        review: int | None,
        spend_sum: float | None,
        spend_sq: float | None,
        window_days: int,
    ) -> Outcomes:
        n = int(n or 0)
        return cls(
            n=n,
            window_days=window_days,
            churn=metrics.proportion(churn, n),
            repeat=metrics.proportion(repeat, n),
            spend=metrics.mean_from_moments(spend_sum, spend_sq, n),
            referral=metrics.proportion(referral, n),
            review=metrics.proportion(review, n),
        )


def compare_outcomes(a: Outcomes, b: Outcomes) -> dict[str, Difference]:
    """``a − b`` for each outcome, with 95% intervals (Newcombe for shares, Welch for spend)."""
    result = {
        name: metrics.proportion_difference(getattr(a, name), getattr(b, name))
        for name in PROPORTIONS
    }
    result["spend"] = metrics.mean_difference(a.spend, b.spend)
    return result


def _window_records(customer_field: str, anchor_field: str, window: timedelta) -> QuerySet:
    return BehaviourRecord.objects.filter(
        customer_id=OuterRef(customer_field),
        occurred_at__gt=OuterRef(anchor_field),
        occurred_at__lte=OuterRef(anchor_field) + window,
    )


def annotate_outcomes(
    anchors: QuerySet,
    *,
    window_days: int = DEFAULT_WINDOW_DAYS,
    customer_field: str = "customer_id",
    anchor_field: str = "submitted_at",
    keep_unanchored: bool = False,
) -> QuerySet:
    """The anchors with ``_churn``, ``_repeat``, ``_referral``, ``_review`` flags and ``_spend``.

    With ``keep_unanchored`` the rows without a customer or time stay (their flags are false);
    count the anchors with ``Q(**anchored_filter(...))``.
    """
    window = timedelta(days=window_days)
    records = _window_records(customer_field, anchor_field, window)
    spend = Subquery(
        records.filter(kind_id__in=PURCHASE_KINDS, amount__isnull=False)
        .order_by()
        .values("customer_id")
        .annotate(total=Sum("amount"))
        .values("total")[:1]
    )
    if not keep_unanchored:
        anchors = anchors.filter(**anchored_filter(customer_field, anchor_field))
    return anchors.annotate(
        **{
            f"_{name}": Exists(records.filter(kind_id__in=kinds))
            for name, kinds in FLAG_KINDS.items()
        },
        _spend=Cast(Coalesce(spend, Value(0)), FloatField()),
    )


def anchored_filter(customer_field: str, anchor_field: str) -> dict[str, bool]:
    return {f"{customer_field}__isnull": False, f"{anchor_field}__isnull": False}


def outcome_sums() -> dict[str, Any]:
    """Aggregates of the annotated flags: counts of each outcome, spend sum and sum of squares."""
    return {
        **{name: Count("pk", filter=Q(**{f"_{name}": True})) for name in PROPORTIONS},
        "spend_sum": Sum("_spend"),
        "spend_sq": Sum(F("_spend") * F("_spend")),
    }


def _aggregates() -> dict[str, Any]:
    return {
        "n": Count("pk"),
        **{name: Count("pk", filter=Q(**{f"_{name}": True})) for name in PROPORTIONS},
        "spend_sum": Sum("_spend"),
        "spend_sq": Sum(F("_spend") * F("_spend")),
    }


def behaviour_outcomes(
    *,
    anchors: QuerySet | Iterable[tuple[int, datetime]],
    window_days: int = DEFAULT_WINDOW_DAYS,
    customer_field: str = "customer_id",
    anchor_field: str = "submitted_at",
) -> Outcomes:
    """Outcomes of all the anchors together (one query for a QuerySet)."""
    if not isinstance(anchors, QuerySet):
        return _outcomes_of_pairs(list(anchors), window_days=window_days)
    annotated = annotate_outcomes(
        anchors, window_days=window_days, customer_field=customer_field, anchor_field=anchor_field
    )
    sums = annotated.order_by().aggregate(**_aggregates())
    return Outcomes.from_sums(**sums, window_days=window_days)


def behaviour_outcomes_by(
    *,
    anchors: QuerySet,
    group_by: str,
    window_days: int = DEFAULT_WINDOW_DAYS,
    customer_field: str = "customer_id",
    anchor_field: str = "submitted_at",
) -> dict[Any, Outcomes]:
    """Outcomes per value of ``group_by`` (a field or annotation of the anchors), one query."""
    annotated = annotate_outcomes(
        anchors, window_days=window_days, customer_field=customer_field, anchor_field=anchor_field
    )
    rows = annotated.order_by().values(group_by).annotate(**_aggregates()).order_by(group_by)
    result = {}
    for row in rows:
        key = row.pop(group_by)
        result[key] = Outcomes.from_sums(**row, window_days=window_days)
    return result


def _outcomes_of_pairs(pairs: list[tuple[int, datetime]], *, window_days: int) -> Outcomes:
    pairs = [(customer_id, at) for customer_id, at in pairs if customer_id and at]
    if not pairs:
        return Outcomes.empty(window_days=window_days)
    window = timedelta(days=window_days)
    kinds = {kind for group in FLAG_KINDS.values() for kind in group}
    records_by_customer: dict[int, list[tuple[datetime, str, int | None]]] = defaultdict(list)
    records = BehaviourRecord.objects.filter(
        customer_id__in={customer_id for customer_id, _ in pairs},
        kind_id__in=kinds,
        occurred_at__gt=min(at for _, at in pairs),
        occurred_at__lte=max(at for _, at in pairs) + window,
    ).values_list("customer_id", "occurred_at", "kind_id", "amount")
    for customer_id, occurred_at, kind, amount in records.order_by():
        records_by_customer[customer_id].append((occurred_at, kind, amount))
    counts = dict.fromkeys(PROPORTIONS, 0)
    spend_sum = spend_sq = 0.0
    for customer_id, at in pairs:
        inside = [
            (kind, amount)
            for occurred_at, kind, amount in records_by_customer[customer_id]
            if at < occurred_at <= at + window
        ]
        for name, group in FLAG_KINDS.items():
            if any(kind in group for kind, _ in inside):
                counts[name] += 1
        spend = float(sum(amount or 0 for kind, amount in inside if kind in PURCHASE_KINDS))
        spend_sum += spend
        spend_sq += spend * spend
    return Outcomes.from_sums(
        n=len(pairs), **counts, spend_sum=spend_sum, spend_sq=spend_sq, window_days=window_days
    )


# --- outcomes of a population of customers, in total and per group, in one statement ---------

GROUP_SUM_KEYS = ("n", "churn", "repeat", "churn_repeat", "spend_sum", "spend_sq")


def _first_anchor(
    anchors: QuerySet, *, customer_field: str, anchor_field: str, window_days: int
) -> QuerySet:
    window = timedelta(days=window_days)
    return (
        anchors.filter(**anchored_filter(customer_field, anchor_field))
        .order_by()
        .values(customer_field)
        .annotate(
            anchor_at=Min(anchor_field),
            anchor_until=Min(
                ExpressionWrapper(F(anchor_field) + window, output_field=DateTimeField())
            ),
        )
        .values(customer_field, "anchor_at", "anchor_until")
    )


OUTCOME_AGGREGATES = (
    "COUNT(*), SUM(o.churn), SUM(o.rep), SUM(o.churn * o.rep), SUM(o.spend), SUM(o.spend * o.spend)"
)


def window_outcomes_sql(anchors: str) -> tuple[str, list[Any]]:
    """SQL of one row per customer of the relation ``anchors`` (columns ``customer_id``,
    ``anchor_at``, ``anchor_until``): ``churn`` and ``rep`` (0/1) and ``spend`` in the window
    ``(anchor_at, anchor_until]``, with its parameters. A join over the ``(customer_id,
    occurred_at)`` index, one range scan per customer (not a subquery per outcome)."""
    from django.db import connection

    records = connection.ops.quote_name(BehaviourRecord._meta.db_table)
    churn_kinds = ", ".join(["%s"] * len(CHURN_KINDS))
    purchase_kinds = ", ".join(["%s"] * len(PURCHASE_KINDS))
    all_kinds = ", ".join(["%s"] * (len(CHURN_KINDS) + len(PURCHASE_KINDS)))
    sql = (
        f"SELECT a.customer_id AS customer_id, "  # noqa: S608 (fixed identifiers only)
        f"MAX(CASE WHEN b.kind_id IN ({churn_kinds}) THEN 1 ELSE 0 END) AS churn, "
        f"MAX(CASE WHEN b.kind_id IN ({purchase_kinds}) THEN 1 ELSE 0 END) AS rep, "
        f"CAST(COALESCE(SUM(CASE WHEN b.kind_id IN ({purchase_kinds}) THEN b.amount END), 0) "
        f"AS DOUBLE PRECISION) AS spend "
        f"FROM {anchors} a LEFT JOIN {records} b ON b.customer_id = a.customer_id "
        f"AND b.occurred_at > a.anchor_at AND b.occurred_at <= a.anchor_until "
        f"AND b.kind_id IN ({all_kinds}) GROUP BY a.customer_id"
    )
    params = [*CHURN_KINDS, *PURCHASE_KINDS, *PURCHASE_KINDS, *CHURN_KINDS, *PURCHASE_KINDS]
    return sql, params


def window_bounds(field: str, *, window_days: int) -> dict[str, Any]:
    """Annotations ``_at`` and ``_until`` (the anchor and the end of its window) for ``field``."""
    return {
        "_at": F(field),
        "_until": ExpressionWrapper(
            F(field) + timedelta(days=window_days), output_field=DateTimeField()
        ),
    }


def execute_analytic(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    """Run one large read-only aggregate statement and return its rows."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The plan's cost estimate triggers JIT compilation, which costs more than the query;
            # parallel workers cost more to start than they save on a query of this size.
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
            # Sorts and hashes of a few hundred thousand narrow rows fit in memory (the 4 MB
            # default spills them to disk).
            cursor.execute("SET LOCAL work_mem = '64MB'")
            # Row estimates of grouped CTEs are the planner's default (200), which makes it pick
            # a nested loop of one index probe per customer; a hash join reads the behaviour
            # records once (measured faster from 10k responses up).
            cursor.execute("SET LOCAL enable_nestloop = off")
        cursor.execute(sql, params)
        return cursor.fetchall()


def population_outcome_sums(
    *,
    anchors: Iterable[tuple[QuerySet, str]],
    pairs: QuerySet,
    group_field: str,
    window_days: int = DEFAULT_WINDOW_DAYS,
) -> tuple[dict[str, float], dict[Any, dict[str, float]]]:
    """Churn, repeat purchase and spend of a population of customers, in total and per group.

    ``anchors`` are ``(queryset, time field)`` pairs whose rows have a ``customer_id``: the
    population is every customer in any of them, anchored at their earliest time; the outcomes
    are those of the window ``(anchor, anchor + window_days]`` (as in ``annotate_outcomes``).
    ``pairs`` yields ``(group_field, customer_id)`` rows: a customer belongs to a group when a
    pair names them (customers outside the population are ignored).

    Returns the sums ``GROUP_SUM_KEYS`` (``churn_repeat`` counts customers with both, for the
    variance of churn − repeat) for the whole population and for each group. One statement:
    each customer's window is read once with one index range scan over
    ``(customer_id, occurred_at)`` (a join, not one correlated subquery per outcome).
    """
    from django.core.exceptions import EmptyResultSet
    from django.db import connection

    parts, params = [], []
    for queryset, anchor_field in anchors:
        first = _first_anchor(
            queryset,
            customer_field="customer_id",
            anchor_field=anchor_field,
            window_days=window_days,
        )
        try:
            sql, part_params = first.query.sql_with_params()
        except EmptyResultSet:
            continue
        parts.append(f"SELECT * FROM ({sql}) AS part")  # noqa: S608 (ORM-built SQL)
        params.extend(part_params)
    empty = dict.fromkeys(GROUP_SUM_KEYS, 0.0)
    try:
        pairs_sql, pairs_params = (
            pairs.order_by().values(group_field, "customer_id").distinct().query.sql_with_params()
        )
    except EmptyResultSet:
        pairs_sql, pairs_params = "", ()
    if not parts:
        return empty, {}
    quote = connection.ops.quote_name
    outcome_sql, outcome_params = window_outcomes_sql("a")
    aggregates = OUTCOME_AGGREGATES
    # Every identifier is quoted or fixed; every value is a parameter.
    sql = (
        f"WITH a AS (SELECT customer_id, MIN(anchor_at) AS anchor_at, "  # noqa: S608
        f"MIN(anchor_until) AS anchor_until FROM ({' UNION ALL '.join(parts)}) AS u "
        f"GROUP BY customer_id), o AS ({outcome_sql}) "
        f"SELECT 1, NULL, {aggregates} FROM o"
    )
    kind_params = outcome_params
    all_params: list[Any] = [*params, *kind_params]
    if pairs_sql:
        sql += (
            f" UNION ALL SELECT 0, p.{quote(group_field)}, {aggregates} "  # noqa: S608
            f"FROM ({pairs_sql}) AS p INNER JOIN o ON o.customer_id = p.customer_id "
            f"GROUP BY p.{quote(group_field)}"
        )
        all_params.extend(pairs_params)
    rows = execute_analytic(sql, all_params)

    def sums(row: tuple[Any, ...]) -> dict[str, float]:
        return {key: float(value or 0) for key, value in zip(GROUP_SUM_KEYS, row, strict=True)}

    total = next((sums(row[2:]) for row in rows if row[0] == 1), empty)
    groups = {row[1]: sums(row[2:]) for row in rows if row[0] == 0}
    return total, groups
