"""Writes of the dashboard: rebuilding the daily summaries (``DailyRollup``).

The rebuild is set-based: three grouped aggregate queries (responses by NPS score, responses by
awareness band, feedback items by topic), each computing the behaviour outcomes in the database
(``engagement.customers.selectors.outcomes.annotate_outcomes``) and written with ``INSERT …
SELECT`` (no
row passes through Python, memory stays flat), inside one transaction: readers see the old
summaries until the new ones are complete.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from engagement.customers.models import Customer
from engagement.customers.selectors.outcomes import (
    DEFAULT_WINDOW_DAYS,
    annotate_outcomes,
    outcome_sums,
)
from engagement.dashboard.models import DailyRollup, RollupKind, RollupRun
from engagement.platform import outbox

TOKYO = ZoneInfo("Asia/Tokyo")
BAND_EDGES = (20, 40, 60, 80)


def awareness_band(field: str = "awareness_index") -> Case:
    """0: <20, 1: 20–40, 2: 40–60, 3: 60–80, 4: ≥80 (index 0–100)."""
    return Case(
        *[When(**{f"{field}__lt": edge}, then=Value(band)) for band, edge in enumerate(BAND_EDGES)],
        default=Value(len(BAND_EDGES)),
        output_field=IntegerField(),
    )


def _responses(window_days: int) -> QuerySet:
    from surveys.models import Response, ResponseStatus

    return annotate_outcomes(
        Response.objects.filter(status=ResponseStatus.COMPLETED, submitted_at__isnull=False),
        window_days=window_days,
        keep_unanchored=True,
    )


def _response_measures() -> dict[str, Any]:
    return {
        "n": Count("pk"),
        "anchors": Count("pk", filter=Q(customer_id__isnull=False)),
        **outcome_sums(),
    }


INDEX_MEASURES = {
    "csat_n": Count("csat_score"),
    "csat_sum": Sum("csat_score"),
    "empathy_n": Count("empathy_index"),
    "empathy_sum": Sum("empathy_index"),
    "attachment_n": Count("attachment_index"),
    "attachment_sum": Sum("attachment_index"),
    "awareness_n": Count("awareness_index"),
    "awareness_sum": Sum("awareness_index"),
}
ALL_MEASURES = (
    "n",
    "negative",
    *INDEX_MEASURES,
    "anchors",
    "churn",
    "repeat",
    "referral",
    "review",
    "spend_sum",
    "spend_sq",
)
KEYS = ("day", "survey_id", "wave_id", "touchpoint", "segment", "key", "category")


def _insert_select(kind: str, grouped: QuerySet, measures: list[str]) -> int:
    """``INSERT INTO dailyrollup … SELECT`` the grouped query: no row passes through Python."""
    table = connection.ops.quote_name(DailyRollup._meta.db_table)
    quote = connection.ops.quote_name
    inner, params = grouped.query.sql_with_params()
    missing = [name for name in ALL_MEASURES if name not in measures]
    columns = ["kind", *KEYS, *measures, *missing]
    select = [
        "%s",
        *(quote(f"k_{name}") for name in KEYS),
        *(f"COALESCE({quote(name)}, 0)" for name in measures),
        *("0" for _name in missing),
    ]
    sql = (
        # Only quoted identifiers of our own model and Django's compiled SQL; values are params.
        f"INSERT INTO {table} ({', '.join(quote(c) for c in columns)}) "  # noqa: S608
        f"SELECT {', '.join(select)} FROM ({inner}) AS grouped"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [kind, *params])
        return max(cursor.rowcount, 0)


def _keys(
    *, day: str, survey: str, wave: str, key: Any, category: Any, segment: str
) -> dict[str, Any]:
    return {
        "k_day": TruncDate(day, tzinfo=TOKYO),
        "k_survey_id": F(survey),
        "k_wave_id": F(wave),
        "k_touchpoint": F("touchpoint"),
        "k_segment": Coalesce(segment, Value("")),
        "k_key": key,
        "k_category": category,
    }


def _key_names() -> list[str]:
    return [f"k_{name}" for name in KEYS]


TEMP_TABLE = "dashboard_refresh_responses"


def _response_rows(window_days: int) -> int:
    """NPS and band summaries from one evaluation of the outcomes per response.

    The per-response keys and outcome flags go to a temporary table once; the two summaries are
    grouped from it (the outcome subqueries, the expensive part, run once per response).
    """
    per_response = (
        _responses(window_days)
        .annotate(
            **_keys(
                day="submitted_at",
                survey="survey_id",
                wave="survey__wave_id",
                key=F("nps_score"),
                category=Value(""),
                segment="customer__segment",
            ),
            k_band=awareness_band(),
        )
        .order_by()
        .values(
            *_key_names(),
            "k_band",
            "customer_id",
            "csat_score",
            "empathy_index",
            "attachment_index",
            "awareness_index",
            "_churn",
            "_repeat",
            "_referral",
            "_review",
            "_spend",
        )
    )
    inner, params = per_response.query.sql_with_params()
    quote = connection.ops.quote_name
    table = quote(DailyRollup._meta.db_table)
    temp = quote(TEMP_TABLE)

    def flag(name: str) -> str:
        return f"SUM(CASE WHEN {quote(name)} THEN 1 ELSE 0 END)"

    measures = {
        "n": "COUNT(*)",
        "anchors": f"COUNT({quote('customer_id')})",
        "churn": flag("_churn"),
        "repeat": flag("_repeat"),
        "referral": flag("_referral"),
        "review": flag("_review"),
        "spend_sum": f"COALESCE(SUM({quote('_spend')}), 0)",
        "spend_sq": f"COALESCE(SUM({quote('_spend')} * {quote('_spend')}), 0)",
    }
    indices = {
        "csat_n": f"COUNT({quote('csat_score')})",
        "csat_sum": f"COALESCE(SUM({quote('csat_score')}), 0)",
        **{
            f"{name}_{part}": (
                f"COUNT({quote(name + '_index')})"
                if part == "n"
                else f"COALESCE(SUM({quote(name + '_index')}), 0)"
            )
            for name in ("empathy", "attachment", "awareness")
            for part in ("n", "sum")
        },
    }
    keys = ["k_day", "k_survey_id", "k_wave_id", "k_touchpoint", "k_segment"]
    count = 0
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {temp}")
        cursor.execute(f"CREATE TEMPORARY TABLE {temp} AS {inner}", params)
        for kind, key, where, extra in (
            (RollupKind.NPS, "k_key", "", indices),
            (RollupKind.BAND, "k_band", f"WHERE {quote('awareness_index')} IS NOT NULL", {}),
        ):
            chosen = {**measures, **extra}
            missing = [name for name in ALL_MEASURES if name not in chosen]
            columns = [
                "kind", "day", "survey_id", "wave_id", "touchpoint", "segment", "key",
                "category", *chosen, *missing,
            ]  # fmt: skip
            group = ", ".join(quote(k) for k in [*keys, key])
            select = ", ".join(["%s", group, "''", *chosen.values(), *("0" for _name in missing)])
            cursor.execute(
                # Only quoted identifiers and fixed SQL fragments; the kind is a parameter.
                f"INSERT INTO {table} ({', '.join(quote(c) for c in columns)}) "  # noqa: S608
                f"SELECT {select} FROM {temp} {where} GROUP BY {group}",
                [kind],
            )
            count += max(cursor.rowcount, 0)
        cursor.execute(f"DROP TABLE {temp}")
    return count


def _topic_rows(window_days: int) -> int:
    from voc.models import FeedbackItem, Sentiment

    grouped = (
        annotate_outcomes(
            FeedbackItem.objects.filter(topic__isnull=False),
            window_days=window_days,
            anchor_field="received_at",
            keep_unanchored=True,
        )
        .annotate(
            **_keys(
                day="received_at",
                survey="response__survey_id",
                wave="response__survey__wave_id",
                key=F("topic_id"),
                category=F("nps_category"),
                segment="customer__segment",
            )
        )
        .order_by()
        .values(*_key_names())
        .annotate(
            **_response_measures(),
            negative=Count("pk", filter=Q(sentiment=Sentiment.NEGATIVE)),
        )
    )
    return _insert_select(RollupKind.TOPIC, grouped, [*_response_measures(), "negative"])


def refresh_rollups(
    *, now: datetime | None = None, window_days: int = DEFAULT_WINDOW_DAYS
) -> RollupRun:
    """Rebuild every daily summary from the responses, feedback and behaviour records."""
    started = time.monotonic()
    now = now or timezone.now()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Per-row subqueries are cheap; JIT compiling the big plan costs seconds for nothing.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
        run = RollupRun.objects.create(started_at=now, window_days=window_days)
        DailyRollup.objects.all().delete()
        count = _response_rows(window_days) + _topic_rows(window_days)
        run.segments = sorted(
            Customer.objects.exclude(segment="")
            .order_by()
            .values_list("segment", flat=True)
            .distinct()
        )
        run.finished_at = timezone.now()
        run.rows = count
        run.seconds = round(time.monotonic() - started, 3)
        run.save()
    return run


def request_refresh(*, now: datetime | None = None) -> None:
    """Queue a rebuild (once per ten minutes: a pending request is not queued twice, and a
    failed one does not block the next period's)."""
    now = now or timezone.now()
    with transaction.atomic():
        outbox.enqueue(
            task_name="dashboard.refresh_rollups",
            kwargs={},
            dedup_key=f"dashboard-refresh-{int(now.timestamp()) // 600}",
        )
