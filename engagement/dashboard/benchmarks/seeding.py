"""Bench data on the configured database: surveys, responses, behaviour records, feedback.

``seed(responses=N)`` seeds N survey responses (N/2 customers answering two waves), 5 × N
behaviour records and feedback items for a fifth of the responses (PostgreSQL: ``COPY``;
otherwise ``bulk_create`` in batches). Bench data is tagged with ``PREFIX`` in its ids and names.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Iterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

TOKYO = ZoneInfo("Asia/Tokyo")
PREFIX = "bench-"
WAVES = 4
WAVE_DAYS = 45
SEGMENTS = ("一般", "プレミアム", "法人", "学生")
TOUCHPOINTS = ("sns", "web", "app", "store", "email", "call_center")
TOPICS = (
    "配送の遅れ",
    "アプリの使いにくさ",
    "店舗スタッフの対応",
    "価格",
    "ポイント還元",
    "解約手続き",
    "品質",
    "サポートの待ち時間",
    "品揃え",
    "キャンペーン",
)
FEEDBACK_SHARE = 5  # one response in five has a feedback item


# --- seeding ------------------------------------------------------------------------------------


def _defaults(model: Any, now: datetime) -> dict[str, Any]:
    values = {}
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            values[field.attname] = now
        else:
            values[field.attname] = field.get_default()
    return values


def _insert(model: Any, fields: list[str], rows: Iterable[tuple[Any, ...]], now: datetime) -> int:
    """Insert rows (``fields`` given per row, the other columns take their defaults)."""
    from django.db import connection

    defaults = _defaults(model, now)
    concrete = [f for f in model._meta.concrete_fields]
    columns = [f for f in concrete if f.attname in fields or not f.primary_key]
    position = {name: i for i, name in enumerate(fields)}
    json_fields = {f.attname for f in concrete if f.get_internal_type() == "JSONField"}
    count = 0
    if connection.vendor == "postgresql":
        names = ", ".join(connection.ops.quote_name(f.column) for f in columns)
        with connection.cursor() as cursor:
            raw = cursor.cursor
            sql = f"COPY {connection.ops.quote_name(model._meta.db_table)} ({names}) FROM STDIN"
            with raw.copy(sql) as copy:
                for row in rows:
                    values = []
                    for f in columns:
                        value = (
                            row[position[f.attname]]
                            if f.attname in position
                            else defaults[f.attname]
                        )
                        if f.attname in json_fields:
                            value = json.dumps(value, ensure_ascii=False)
                        values.append(value)
                    copy.write_row(values)
                    count += 1
            table = model._meta.db_table
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), "  # noqa: S608 (quoted name)
                f"(SELECT COALESCE(MAX(id), 1) FROM {connection.ops.quote_name(table)}))",
                [table],
            )
        return count
    batch = []
    for row in rows:
        values = dict(defaults)
        values.update(zip(fields, row, strict=True))
        batch.append(model(**values))
        if len(batch) >= 5000:
            model.objects.bulk_create(batch)
            count += len(batch)
            batch = []
    model.objects.bulk_create(batch)
    return count + len(batch)


def _next_id(model: Any) -> int:
    from django.db.models import Max

    return (model.objects.aggregate(m=Max("id"))["m"] or 0) + 1


def clear() -> None:
    from engagement.customers.models import BehaviourRecord, Customer
    from engagement.dashboard.models import DailyRollup
    from surveys.models import Response, Survey, Wave
    from voc.models import FeedbackItem, Topic

    DailyRollup.objects.all().delete()
    FeedbackItem.objects.filter(customer__external_id__startswith=PREFIX).delete()
    BehaviourRecord.objects.filter(customer__external_id__startswith=PREFIX).delete()
    Response.objects.filter(survey__slug__startswith=PREFIX).delete()
    Customer.objects.filter(external_id__startswith=PREFIX).delete()
    Survey.objects.filter(slug__startswith=PREFIX).delete()
    Wave.objects.filter(name__startswith=PREFIX).delete()
    Topic.objects.filter(name__startswith=PREFIX).delete()


def _score(rng: random.Random) -> int:
    return min(10, max(0, round(rng.gauss(7, 2.4))))


def seed(*, responses: int, seed_value: int) -> dict[str, int]:
    """Seed ``responses`` responses, 5× behaviour records and feedback; returns the counts."""
    from django.db import transaction

    from engagement.customers.models import BehaviourRecord, Customer
    from engagement.customers.services import ensure_builtin_behaviour_kinds
    from surveys.models import Response, Survey, Wave
    from surveys.scoring import nps_category
    from voc.models import FeedbackItem, Topic

    ensure_builtin_behaviour_kinds()
    rng = random.Random(seed_value)
    now = datetime.now(tz=TOKYO)
    start = date(2025, 1, 6)
    customers = max(1, (responses + 1) // 2)
    with transaction.atomic():
        waves = [
            Wave.objects.create(
                name=f"{PREFIX}{2025 + i // 2}年{'上' if i % 2 == 0 else '下'}期",
                starts_on=start + timedelta(days=182 * i),
                ends_on=start + timedelta(days=182 * i + WAVE_DAYS),
            )
            for i in range(WAVES)
        ]
        surveys = [
            Survey.objects.create(
                title=f"ベンチマーク調査 {wave.name}",
                slug=f"{PREFIX}{i}",
                brand_name="ベンチ",
                wave=wave,
                status="closed",
            )
            for i, wave in enumerate(waves)
        ]
        topics = [Topic.objects.create(name=f"{PREFIX}{name}") for name in TOPICS]
        first_customer = _next_id(Customer)
        _insert(
            Customer,
            ["id", "external_id", "segment", "signed_up_on"],
            (
                (
                    first_customer + i,
                    f"{PREFIX}{first_customer + i}",
                    SEGMENTS[i % len(SEGMENTS)],
                    start - timedelta(days=i % 700),
                )
                for i in range(customers)
            ),
            now,
        )
        first_response = _next_id(Response)
        first_item = _next_id(FeedbackItem)
        plan: list[tuple[int, int, datetime, int, str]] = []

        def response_rows() -> Iterator[tuple[Any, ...]]:
            for i in range(responses):
                customer = first_customer + (i % customers)
                wave_index = (i // customers) * 2 + rng.randrange(2)
                wave_index = min(wave_index, WAVES - 1)
                at = datetime.combine(waves[wave_index].starts_on, datetime.min.time(), TOKYO)
                at += timedelta(seconds=rng.randrange(WAVE_DAYS * 86400))
                score = _score(rng)
                touchpoint = TOUCHPOINTS[rng.randrange(len(TOUCHPOINTS))]
                aware = max(0.0, min(100.0, rng.gauss(20 + score * 6, 12)))
                plan.append((first_response + i, customer, at, score, touchpoint))
                yield (
                    first_response + i,
                    surveys[wave_index].id,
                    customer,
                    "completed",
                    at,
                    touchpoint,
                    score,
                    nps_category(score),
                    max(1, min(5, round(score / 2.5))),
                    aware,
                    aware,
                    aware,
                )

        _insert(
            Response,
            [
                "id",
                "survey_id",
                "customer_id",
                "status",
                "submitted_at",
                "touchpoint",
                "nps_score",
                "nps_category",
                "csat_score",
                "empathy_index",
                "attachment_index",
                "awareness_index",
            ],
            response_rows(),
            now,
        )

        def behaviour_rows() -> Iterator[tuple[Any, ...]]:
            for _response_id, customer, at, score, touchpoint in plan:
                for _k in range(5):
                    roll = rng.random()
                    churn_p = 0.10 if score <= 6 else 0.02
                    if roll < churn_p:
                        kind, amount = "cancellation", None
                    elif roll < 0.55 + score * 0.02:
                        kind = rng.choice(("purchase", "purchase", "related_purchase", "upgrade"))
                        amount = rng.randrange(1000, 20000, 100)
                    elif roll < 0.75:
                        kind, amount = rng.choice(("referral", "review", "sns_engagement")), None
                    else:
                        kind = rng.choice(("support_contact", "feedback", "event"))
                        amount = None
                    occurred = at + timedelta(seconds=rng.randrange(-60 * 86400, 150 * 86400))
                    yield (customer, kind, occurred, amount, touchpoint)

        behaviours = _insert(
            BehaviourRecord,
            ["customer_id", "kind_id", "occurred_at", "amount", "touchpoint"],
            behaviour_rows(),
            now,
        )

        def feedback_rows() -> Iterator[tuple[Any, ...]]:
            item_id = first_item
            for response_id, customer, at, score, touchpoint in plan:
                if response_id % FEEDBACK_SHARE:
                    continue
                topic = topics[rng.randrange(len(topics))]
                yield (
                    item_id,
                    "ベンチマーク用のご意見です。",
                    "survey",
                    at,
                    customer,
                    response_id,
                    score,
                    nps_category(score),
                    touchpoint,
                    "negative" if score <= 6 else "positive" if score >= 9 else "neutral",
                    topic.id,
                )
                item_id += 1

        items = _insert(
            FeedbackItem,
            [
                "id",
                "text",
                "channel",
                "received_at",
                "customer_id",
                "response_id",
                "nps_score",
                "nps_category",
                "touchpoint",
                "sentiment",
                "topic_id",
            ],
            feedback_rows(),
            now,
        )
    return {"customers": customers, "behaviours": behaviours, "feedback_items": items}


# --- the benchmark ------------------------------------------------------------------------------


def staff_client() -> Any:
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    user_model = get_user_model()
    user, _created = user_model.objects.get_or_create(
        username=f"{PREFIX}staff", defaults={"is_staff": True, "is_superuser": True}
    )
    host = next((h for h in settings.ALLOWED_HOSTS if h and "*" not in h), "localhost")
    client = Client(HTTP_HOST=host.lstrip("."))
    client.force_login(user)
    return client
