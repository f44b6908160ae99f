"""Writes of the customer values owned by the core: predicted CLV and CRV.

``refresh_customer_values`` (command ``refresh_customer_values``, beat task
``engagement.refresh_customer_values``) streams the purchase summaries (one aggregate query),
fits BG/NBD + Gamma-Gamma on a random sample of at most ``FIT_SAMPLE`` customers, scores every
customer in chunks and upserts ``CustomerValue`` rows; then CRV = the sum of the predicted CLV of
the customers each customer referred (referral records with ``attributes.referred_customer`` =
the referred customer's ``external_id``), in one grouped query. Memory: five float arrays per
customer with a purchase (40 bytes each) plus one chunk of rows.
"""

from __future__ import annotations

import heapq
import json
import time
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.db.models import Count, OuterRef, Q, Subquery, Sum
from django.db.models.fields.json import KT
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from engagement.customers import clv
from engagement.customers.models import (
    BehaviourRecord,
    BuiltinBehaviour,
    CustomerValue,
    ValueModelFit,
)
from engagement.customers.selectors.values import purchase_summaries
from engagement.platform.errors import InvalidInput

# Sent after CLV and CRV are stored (no kwargs): the upper layers refresh the values they own
# (the dashboard CIV, reports CKV) and return how many customers they scored.
customer_values_refreshed = Signal()

FIT_SAMPLE = 50_000
# A weak pull of the log-parameters towards 0 (see clv.fit_bgnbd): on the CDNOW sample it moves
# the fitted parameters by less than 0.01 (a = 0.788 instead of 0.793); on a dozen clockwork
# customers it keeps them (and hyp2f1) finite.
PENALIZER = 3e-5
WRITE_CHUNK = 5_000
WEEK_SECONDS = 7 * 24 * 3600
REFERRED_KEY = "referred_customer"
CLV_FIELDS = [
    "repeat_purchases",
    "recency_weeks",
    "age_weeks",
    "mean_amount",
    "past_spend",
    "p_alive",
    "expected_purchases",
    "expected_spend",
    "clv",
    "clv_at",
]


@dataclass(frozen=True)
class RefreshResult:
    fit: ValueModelFit | None
    customers: int
    referrers: int
    others: dict[str, int]


def refresh_customer_values(
    *,
    as_of: datetime | None = None,
    horizon_months: int = 12,
    monthly_discount_rate: float = 0.01,
    fit_sample: int = FIT_SAMPLE,
    seed: int = 0,
) -> RefreshResult:
    """Fit the CLV models on the purchases before ``as_of`` (now), store every customer's
    predicted CLV and probability alive, then every referrer's CRV. With too few repeat
    purchases to fit, CLV is cleared (``None``: no data) and CRV is 0."""
    if not 1 <= horizon_months <= 120 or not 0 <= monthly_discount_rate < 1 or fit_sample < 100:
        raise InvalidInput(
            _(
                "The horizon must be 1 to 120 months, the monthly discount rate at least 0 and "
                "below 1, and the fit sample at least 100 customers."
            )
        )
    started = time.perf_counter()
    now = timezone.now()
    as_of = as_of or now
    ids, x, t_x, age, mean, spend = (
        array("q"),
        array("d"),
        array("d"),
        array("d"),
        array("d"),
        array("q"),
    )
    for row in purchase_summaries(as_of=as_of):
        ids.append(row.customer_id)
        x.append(row.purchase_days - 1)
        t_x.append((row.last - row.first).total_seconds() / WEEK_SECONDS)
        age.append((as_of - row.first).total_seconds() / WEEK_SECONDS)
        mean.append(row.spend / row.purchase_days)
        spend.append(row.spend)
    xs, t_xs, ages, means = (np.frombuffer(a, dtype=float) for a in (x, t_x, age, mean))
    n = len(ids)
    try:
        purchase, spend_model, fitted_on = _fit(xs, t_xs, ages, means, fit_sample, seed)
    except clv.ModelFitError:
        purchase = spend_model = None
        fitted_on = 0
    with transaction.atomic():
        fit = None
        if purchase is not None and spend_model is not None:
            for start in range(0, n, WRITE_CHUNK):
                end = min(start + WRITE_CHUNK, n)
                _store_chunk(
                    ids[start:end], xs[start:end], t_xs[start:end], ages[start:end],
                    means[start:end], spend[start:end], purchase, spend_model, horizon_months,
                    monthly_discount_rate, now,
                )  # fmt: skip
            fit = ValueModelFit.objects.create(
                as_of=as_of,
                customers=n,
                fitted_on=fitted_on,
                params={"bgnbd": purchase.as_dict(), "gamma_gamma": spend_model.as_dict()},
                horizon_months=horizon_months,
                monthly_discount_rate=monthly_discount_rate,
                seconds=round(time.perf_counter() - started, 3),
            )
        # Customers scored before but without purchases now (records deleted) have no CLV.
        CustomerValue.objects.filter(clv_at__isnull=False).exclude(clv_at=now).update(
            clv=None, p_alive=None, expected_purchases=None, expected_spend=None, clv_at=None
        )
        referrers = _store_referral_values()
    others = {
        str(name): int(count)
        for _receiver, answer in customer_values_refreshed.send(sender=RefreshResult)
        if answer
        for name, count in answer.items()
    }
    return RefreshResult(fit=fit, customers=n, referrers=referrers, others=others)


def _fit(
    x: np.ndarray, t_x: np.ndarray, age: np.ndarray, mean: np.ndarray, sample: int, seed: int
) -> tuple[clv.BgNbdParams, clv.GammaGammaParams, int]:
    if x.size > sample:
        pick = np.random.default_rng(seed).choice(x.size, size=sample, replace=False)
        x, t_x, age, mean = x[pick], t_x[pick], age[pick], mean[pick]
    # Times to the day (the model's grain: purchase days); identical summaries are then fitted
    # once with their count, which makes the fit's cost nearly independent of the sample size.
    rows, counts = np.unique(
        np.column_stack([x, np.round(t_x * 7) / 7, np.round(age * 7) / 7]),
        axis=0,
        return_counts=True,
    )
    purchase = clv.fit_bgnbd(
        rows[:, 0], rows[:, 1], rows[:, 2], weights=counts, penalizer=PENALIZER
    )
    return purchase, clv.fit_gamma_gamma(x, mean, penalizer=PENALIZER), int(x.size)


def _store_chunk(
    ids,
    x,
    t_x,
    age,
    mean,
    spend,
    purchase,
    spend_model,
    months,
    rate,
    now,
) -> None:
    expected, value = clv.predicted_clv(
        purchase, spend_model, x, t_x, age, mean, months=months, monthly_discount_rate=rate
    )
    alive = clv.probability_alive(purchase, x, t_x, age)
    per_purchase = clv.expected_spend(spend_model, x, mean)

    def finite(values: np.ndarray, i: int, digits: int) -> float | None:
        number = float(values[i])
        return round(number, digits) if np.isfinite(number) else None

    rows = [
        {
            "customer_id": ids[i],
            "repeat_purchases": int(x[i]),
            "recency_weeks": round(float(t_x[i]), 3),
            "age_weeks": round(float(age[i]), 3),
            "mean_amount": round(float(mean[i]), 1),
            "past_spend": int(spend[i]),
            "p_alive": finite(alive, i, 4),
            "expected_purchases": finite(expected, i, 4),
            "expected_spend": finite(per_purchase, i, 1),
            "clv": finite(value, i, 1),
            "clv_at": now,
        }
        for i in range(len(ids))
    ]
    upsert_values(rows, CLV_FIELDS)


def _store_referral_values() -> int:
    """CRV of every referrer: referrals, referred customers found, the sum of their CLV."""
    referred_clv = CustomerValue.objects.filter(
        customer__external_id=OuterRef("referred_id")
    ).values("clv")[:1]
    rows = (
        BehaviourRecord.objects.filter(kind_id=BuiltinBehaviour.REFERRAL)
        .annotate(referred_id=KT(f"attributes__{REFERRED_KEY}"))
        .annotate(referred_clv=Subquery(referred_clv))
        .values("customer_id")
        .annotate(
            referrals=Count("id"),
            found=Count("id", filter=Q(referred_clv__isnull=False)),
            value=Sum("referred_clv"),
        )
        .order_by("customer_id")
    )
    CustomerValue.objects.filter(Q(referrals__gt=0) | Q(crv__gt=0)).update(
        referrals=0, referred_customers=0, crv=0
    )
    objs: list[dict[str, Any]] = []
    count = 0
    for row in rows.iterator(chunk_size=WRITE_CHUNK):
        objs.append(
            {
                "customer_id": row["customer_id"],
                "referrals": row["referrals"],
                "referred_customers": row["found"],
                "crv": round(float(row["value"] or 0), 1),
            }
        )
        count += 1
        if len(objs) >= WRITE_CHUNK:
            _upsert_referrals(objs)
            objs = []
    _upsert_referrals(objs)
    return count


def _upsert_referrals(rows: list[dict[str, Any]]) -> None:
    upsert_values(rows, ["referrals", "referred_customers", "crv"])


def describe(result: RefreshResult) -> str:
    """One line for the command and the logs."""
    if result.fit is None:
        line = _(
            "Too few repeat purchases to fit the CLV model: %(n)s customers with a purchase."
        ) % {"n": result.customers}
    else:
        line = _(
            "Predicted CLV for %(n)s customers (model fitted on %(sample)s) and referral value "
            "for %(referrers)s referrers in %(seconds)s s."
        ) % {
            "n": result.customers,
            "sample": result.fit.fitted_on,
            "referrers": result.referrers,
            "seconds": result.fit.seconds,
        }
    others = [
        _("%(value)s for %(n)s customers.") % {"value": name, "n": count}
        for name, count in sorted(result.others.items())
    ]
    return " ".join([line, *others])


def merge_by_customer(*streams: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Merge rows ordered by ``customer_id`` from several grouped queries into one dict per
    customer (bounded memory: one row per stream at a time)."""
    merged = heapq.merge(*streams, key=lambda row: row["customer_id"])
    current: dict[str, Any] | None = None
    for row in merged:
        if current is not None and current["customer_id"] != row["customer_id"]:
            yield current
            current = None
        current = {**(current or {}), **row}
    if current is not None:
        yield current


def store_value_parts(
    *,
    value_field: str,
    rows: Iterable[tuple[int, float, dict[str, Any]]],
    now: datetime | None = None,
) -> int:
    """Replace one of the point values (``civ`` or ``ckv``) and its parts for every customer:
    customers not in ``rows`` go back to 0. Used by the upper layers that compute them."""
    if value_field not in ("civ", "ckv"):
        raise ValueError(value_field)
    parts_field, at_field = f"{value_field}_parts", f"{value_field}_at"
    now = now or timezone.now()
    count = 0
    with transaction.atomic():
        chunk: list[dict[str, Any]] = []
        for customer_id, value, parts in rows:
            chunk.append(
                {
                    "customer_id": customer_id,
                    value_field: round(value, 2),
                    parts_field: parts,
                    at_field: now,
                }
            )
            count += 1
            if len(chunk) >= WRITE_CHUNK:
                upsert_values(chunk, [value_field, parts_field, at_field])
                chunk = []
        upsert_values(chunk, [value_field, parts_field, at_field])
        CustomerValue.objects.filter(**{f"{at_field}__isnull": False}).exclude(
            **{at_field: now}
        ).update(**{value_field: 0, parts_field: {}, at_field: None})
    return count


def upsert_values(rows: list[dict[str, Any]], fields: list[str]) -> None:
    """Insert or update ``CustomerValue`` rows (dicts with ``customer_id``), changing only
    ``fields`` on existing rows. PostgreSQL: one ``INSERT … SELECT FROM unnest(…) ON CONFLICT``
    per chunk (a parameter per column, not per value); elsewhere ``bulk_create``."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        CustomerValue.objects.bulk_create(
            [CustomerValue(**row) for row in rows],
            update_conflicts=True,
            unique_fields=["customer"],
            update_fields=fields,
        )
        return
    columns, selects, casts, values, constants = [], [], [], [], []
    for field in CustomerValue._meta.concrete_fields:
        name = field.attname
        column = connection.ops.quote_name(field.column)
        columns.append(column)
        db_type = field.db_type(connection)
        if field.get_internal_type() == "JSONField":
            if name not in rows[0]:
                selects.append("%s::jsonb")
                constants.append(json.dumps(field.get_default()))
                continue
            # Parts are few (only customers with the activity): let psycopg adapt the list.
            selects.append(f"u.{column}")
            casts.append("%s::text[]::jsonb[]")
            values.append([json.dumps(row[name], ensure_ascii=False) for row in rows])
            continue
        if name not in rows[0]:
            selects.append(f"%s::{db_type}")
            constants.append(field.get_default())
            continue
        first = rows[0][name]
        if name != "customer_id" and all(row[name] == first for row in rows):
            selects.append(f"%s::{db_type}")
            constants.append(first)
            continue
        # Numbers as one array literal: far cheaper than adapting a list value by value.
        selects.append(f"u.{column}")
        casts.append(f"%s::text::{db_type}[]")
        values.append(
            "{" + ",".join("NULL" if row[name] is None else str(row[name]) for row in rows) + "}"
        )
    updates = ", ".join(
        f"{q} = EXCLUDED.{q}"
        for q in (
            connection.ops.quote_name(CustomerValue._meta.get_field(f).column) for f in fields
        )
    )
    table = connection.ops.quote_name(CustomerValue._meta.db_table)
    unnested = [s.removeprefix("u.") for s in selects if s.startswith("u.")]
    # Parameters in the order they appear: the constants in the select list, then the arrays.
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 (quoted names only)
        f"SELECT {', '.join(selects)} FROM unnest({', '.join(casts)}) AS u({', '.join(unnested)}) "
        f"ON CONFLICT ({connection.ops.quote_name('customer_id')}) DO UPDATE SET {updates}"
    )
    values = constants + values
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
