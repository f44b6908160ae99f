"""Benchmarks run by ``python manage.py bench`` (see the dashboard app's bench command).

``BENCHMARKS`` maps a name to ``(run, add_arguments)``: ``add_arguments(parser)`` declares the
options, ``run(**options)`` yields one dict per JSON line to print.

``bench dashboard --responses N`` seeds N survey responses (N/2 customers answering two waves),
5 × N behaviour records and feedback items for a fifth of the responses on the configured
database (PostgreSQL: ``COPY``; otherwise ``bulk_create`` in batches), rebuilds the dashboard's
summaries (timed, printed as ``refresh_seconds``), then renders ``/admin/dashboard/`` for an
authenticated staff user with Django's test client: one warm-up, then ``--renders`` timed renders;
``seconds`` is the median, ``queries`` the number of SQL queries of one render. Bench data is
tagged (``bench-`` ids); ``--reuse`` keeps existing bench data of the same size instead of
seeding again.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

BENCHMARKS: dict[str, tuple[Callable[..., Iterable[dict[str, Any]]], Callable[..., None]]] = {}

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


def add_dashboard_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--responses", type=int, default=10000)
    parser.add_argument("--renders", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep existing bench data when it has the same number of responses",
    )


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


def _clear() -> None:
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


def _staff_client() -> Any:
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


def run_dashboard(**options: Any) -> Iterator[dict[str, Any]]:
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from engagement.dashboard import services
    from surveys.models import Response

    call_command("migrate", verbosity=0, interactive=False)
    n = options["responses"]
    existing = Response.objects.filter(survey__slug__startswith=PREFIX).count()
    seed_seconds = None
    if not (options["reuse"] and existing == n):
        _clear()
        started = time.perf_counter()
        seed(responses=n, seed_value=options["seed"])
        seed_seconds = round(time.perf_counter() - started, 2)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("ANALYZE")
    from engagement.customers.models import BehaviourRecord

    behaviours = BehaviourRecord.objects.filter(customer__external_id__startswith=PREFIX).count()
    started = time.perf_counter()
    run = services.refresh_rollups()
    refresh_seconds = round(time.perf_counter() - started, 2)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE dashboard_dailyrollup")
    client = _staff_client()
    url = "/admin/dashboard/"
    warm = client.get(url)
    if warm.status_code != 200:
        raise RuntimeError(f"dashboard returned {warm.status_code}")
    timings = []
    queries = 0
    for _i in range(options["renders"]):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            timings.append(time.perf_counter() - started)
        assert response.status_code == 200
        queries = len(captured)
    yield {
        "name": "dashboard",
        "database": connection.vendor,
        "responses": n,
        "behaviours": behaviours,
        "summary_rows": run.rows,
        "seed_seconds": seed_seconds,
        "refresh_seconds": refresh_seconds,
        "seconds": round(statistics.median(timings), 4),
        "max_seconds": round(max(timings), 4),
        "renders": len(timings),
        "queries": queries,
        "bytes": len(response.content),
    }
    filtered = f"{url}?segment={SEGMENTS[1]}&touchpoint=web"
    client.get(filtered)
    timings = []
    for _i in range(options["renders"]):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            client.get(filtered)
            timings.append(time.perf_counter() - started)
        queries = len(captured)
    yield {
        "name": "dashboard_filtered",
        "database": connection.vendor,
        "responses": n,
        "behaviours": behaviours,
        "seconds": round(statistics.median(timings), 4),
        "queries": queries,
    }


BENCHMARKS["dashboard"] = (run_dashboard, add_dashboard_arguments)


# --- CSV import ----------------------------------------------------------------------------------


def add_import_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rows", type=int, default=100000)


def run_import(**options: Any) -> Iterator[dict[str, Any]]:
    """``bench import --rows N``: a customers CSV then a behaviours CSV of N rows each (cp932),
    imported as a background job would (check pass, then one transaction); prints seconds,
    rows per second and the peak resident memory of the process."""
    import csv
    import resource
    import tempfile
    from pathlib import Path

    from django.core.management import call_command
    from django.utils import timezone

    from engagement.customers import imports
    from engagement.customers.models import BehaviourRecord, Customer, ImportKind

    call_command("migrate", verbosity=0, interactive=False)
    n = options["rows"]
    prefix = "benchimp-"
    BehaviourRecord.objects.filter(customer__external_id__startswith=prefix).delete()
    Customer.objects.filter(external_id__startswith=prefix).delete()
    with tempfile.TemporaryDirectory() as folder:
        customers = Path(folder) / "customers.csv"
        with open(customers, "w", encoding="cp932", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["external_id", "segment", "name", "email", "signed_up_on", "都道府県"])
            for i in range(n):
                writer.writerow(
                    [f"{prefix}{i}", SEGMENTS[i % 4], f"顧客{i}", f"c{i}@example.jp",
                     "2025/04/01", "東京都"]
                )  # fmt: skip
        behaviours = Path(folder) / "behaviours.csv"
        with open(behaviours, "w", encoding="cp932", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["customer_external_id", "kind", "occurred_at", "amount", "event_id"])
            for i in range(n):
                writer.writerow(
                    [f"{prefix}{i % max(1, n // 5)}", "purchase", "2026/04/01 10:00",
                     1000 + i % 5000, f"{prefix}e{i}"]
                )  # fmt: skip
        for kind, path in ((ImportKind.CUSTOMERS, customers), (ImportKind.BEHAVIOURS, behaviours)):
            started = time.perf_counter()
            result = imports.import_csv(path, kind=kind, now=timezone.now())
            seconds = time.perf_counter() - started
            yield {
                "name": f"import_{kind}",
                "rows": result.rows,
                "created": result.created,
                "file_mb": round(path.stat().st_size / 1e6, 1),
                "seconds": round(seconds, 2),
                "rows_per_second": round(result.rows / seconds) if seconds else None,
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            }


BENCHMARKS["import"] = (run_import, add_import_arguments)
