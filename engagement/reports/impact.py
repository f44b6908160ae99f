"""What a VoC topic costs: behaviour of the customers who raised it, and the impact score.

Behaviour afterwards uses the dashboard's linkage primitive
(``engagement.customers.selectors.outcomes``: churn, repeat purchase, spend, referral and review
within
``window_days`` after an anchor, with Wilson/Newcombe/Welch 95% intervals). Here the unit is a
*customer*: their anchor is their first feedback item in scope. The customer outcomes are a
derived table joined with the distinct (topic, customer) pairs, so every topic's sums come from
one SQL statement, whatever the number of items or topics. Customers who raised a topic are
compared with the customers in scope who did not (the totals minus the topic's).

The impact score ("engagement cost", in points) ranks topics by what they cost, not by volume::

    impact = NPS uplift if resolved + excess churn

- NPS uplift if resolved = the points the company NPS would gain if the topic's detractors were
  passives = detractor respondents who raised the topic ÷ all respondents × 100.
- excess churn = max(0, churn rate of raisers − churn rate of the others) × raisers ÷ customers
  in scope × 100: the share of the customer base lost beyond what was expected.

A small topic of angry customers who then cancel outranks a large topic of mild comments,
whose raisers are mostly passives or promoters and churn no more than anyone else.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import Case, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When

from engagement.customers.selectors.outcomes import (
    DEFAULT_WINDOW_DAYS,
    Outcomes,
    annotate_outcomes,
    compare_outcomes,
)

FLAGS = ("churn", "repeat", "referral", "review")
SUM_KEYS = ("n", *FLAGS, "spend_sum", "spend_sq")


def customer_outcomes(*, items: QuerySet, window_days: int = DEFAULT_WINDOW_DAYS) -> QuerySet:
    """One row per customer with an item in ``items``: their first item (the anchor), with the
    primitive's outcome flags as 0/1 and ``_spend``.

    The anchor is a real column (the first item's ``received_at``), so each outcome is one
    indexed look-up per customer.
    """
    earlier = items.filter(customer_id=OuterRef("customer_id")).filter(
        Q(received_at__lt=OuterRef("received_at"))
        | Q(received_at=OuterRef("received_at"), id__lt=OuterRef("id"))
    )
    first_items = items.filter(customer__isnull=False).exclude(Exists(earlier))
    annotated = annotate_outcomes(
        first_items,
        window_days=window_days,
        customer_field="customer_id",
        anchor_field="received_at",
    )
    flags = {
        f"{name}_flag": Case(
            When(**{f"_{name}": True}, then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        )
        for name in FLAGS
    }
    return annotated.annotate(**flags).order_by()


def _sums(rows: list[tuple[Any, ...]]) -> dict[Any, dict[str, float]]:
    return {
        row[0]: {key: float(value or 0) for key, value in zip(SUM_KEYS, row[1:], strict=True)}
        for row in rows
    }


def group_sums(
    *, items: QuerySet, group_field: str, window_days: int = DEFAULT_WINDOW_DAYS
) -> tuple[dict[str, float], dict[Any, dict[str, float]]]:
    """Outcome sums for all customers in ``items`` and per value of ``group_field``.

    Two SQL statements whatever the number of items or groups.
    """
    outcomes = customer_outcomes(items=items, window_days=window_days).values(
        "customer_id", *(f"{name}_flag" for name in FLAGS), "_spend"
    )
    pairs = (
        items.filter(customer__isnull=False)
        .exclude(**{f"{group_field}__isnull": True})
        .order_by()
        .values(group_field, "customer_id")
        .distinct()
    )
    try:
        outcome_sql, outcome_params = outcomes.query.sql_with_params()
        pairs_sql, pairs_params = pairs.query.sql_with_params()
    except EmptyResultSet:  # e.g. an empty list of topics: nothing to count
        return dict.fromkeys(SUM_KEYS, 0.0), {}
    aggregates = ", ".join(
        ["COUNT(*)"]
        + [f"SUM(o.{name}_flag)" for name in FLAGS]
        + ["SUM(o._spend)", "SUM(o._spend * o._spend)"]
    )
    # One statement: the customer outcomes are computed once (a CTE used twice is
    # materialised) and give the total row (is_total = 1) and one row per group.
    sql = (
        f"WITH o AS ({outcome_sql}) "  # noqa: S608 (ORM-built SQL and fixed column names)
        f"SELECT 1, NULL, {aggregates} FROM o "
        f"UNION ALL SELECT 0, p.{group_field}, {aggregates} FROM ({pairs_sql}) p "
        f"INNER JOIN o ON o.customer_id = p.customer_id GROUP BY p.{group_field}"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The planner's cost estimate for the correlated look-ups is high enough to trigger
            # JIT compilation, which takes longer than the query itself (measured: 5.8 s of 9 s).
            cursor.execute("SET LOCAL jit = off")
        cursor.execute(sql, (*outcome_params, *pairs_params))
        rows = cursor.fetchall()
    total = _sums([row[1:] for row in rows if row[0] == 1]).get(None) or dict.fromkeys(
        SUM_KEYS, 0.0
    )
    groups = _sums([row[1:] for row in rows if row[0] == 0])
    return total, groups


def outcomes_of(sums: dict[str, float], *, window_days: int) -> Outcomes:
    return Outcomes.from_sums(**{key: sums[key] for key in SUM_KEYS}, window_days=window_days)


def _estimate(estimate: Any, *, percent: bool) -> dict[str, Any] | None:
    if estimate.value is None:
        return None
    scale = 100 if percent else 1
    digits = 2 if percent else 1
    return {
        "n": estimate.n,
        "count": estimate.count,
        "rate" if percent else "mean": round(estimate.value * scale, digits),
        "ci_low": round(estimate.low * scale, digits) if estimate.low is not None else None,
        "ci_high": round(estimate.high * scale, digits) if estimate.high is not None else None,
    }


def _difference(difference: Any, *, percent: bool) -> dict[str, Any] | None:
    if difference.value is None:
        return None
    scale = 100 if percent else 1
    return {
        "diff": round(difference.value * scale, 2),
        "ci_low": round(difference.low * scale, 2) if difference.low is not None else None,
        "ci_high": round(difference.high * scale, 2) if difference.high is not None else None,
        "significant": difference.significant,
    }


def compare(
    group: dict[str, float], total: dict[str, float], *, window_days: int = DEFAULT_WINDOW_DAYS
) -> dict[str, Any]:
    """Raisers versus the other customers in scope, with 95% intervals (JSON-ready)."""
    others_sums = {key: total[key] - group[key] for key in SUM_KEYS}
    raisers = outcomes_of(group, window_days=window_days)
    others = outcomes_of(others_sums, window_days=window_days)
    diff = compare_outcomes(raisers, others)
    return {
        "customers": raisers.n,
        "other_customers": others.n,
        "churn": _estimate(raisers.churn, percent=True),
        "churn_others": _estimate(others.churn, percent=True),
        "churn_diff": _difference(diff["churn"], percent=True),
        "repeat": _estimate(raisers.repeat, percent=True),
        "repeat_others": _estimate(others.repeat, percent=True),
        "repeat_diff": _difference(diff["repeat"], percent=True),
        "spend": _estimate(raisers.spend, percent=False),
        "spend_others": _estimate(others.spend, percent=False),
        "spend_diff": _difference(diff["spend"], percent=False),
    }


def excess_churn_points(group: dict[str, float], total: dict[str, float]) -> float:
    n, n_total = group["n"], total["n"]
    n_other = n_total - n
    if n <= 0 or n_total <= 0:
        return 0.0
    rate = group["churn"] / n
    rate_other = (total["churn"] - group["churn"]) / n_other if n_other > 0 else 0.0
    return max(0.0, rate - rate_other) * n / n_total * 100


def nps_uplift_points(*, detractors: int, respondents: int) -> float | None:
    """Points the NPS would gain if these detractors were passives."""
    if respondents <= 0:
        return None
    return detractors / respondents * 100


def impact_score(*, nps_uplift: float | None, excess_churn: float) -> float:
    return round((nps_uplift or 0.0) + excess_churn, 2)
