"""Benchmark of report generation (``python manage.py bench_report --items N``).

Seeds N feedback items (once; re-runs reuse them) on the configured database — topics with
very different sizes, half the items from survey responses, behaviour records for the
customers — then times ``selectors.compute_report`` (what the background task runs) and the
exports. Prints one JSON object a line; figures are measured, never asserted by tests.
"""

from __future__ import annotations

import random
import resource
import time
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from engagement.customers.models import BehaviourRecord, Customer
from engagement.reports import exports, selectors
from surveys.models import Response, ResponseStatus, Survey, Wave
from surveys.scoring import nps_category
from voc.models import Channel, FeedbackItem, Sentiment, Topic

PREFIX = "bench-report-"
TOKYO = ZoneInfo("Asia/Tokyo")
PERIOD = (date(2026, 1, 1), date(2026, 3, 31))
TOPICS = 30


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _chunks(rows: list[Any], size: int = 5000) -> Iterable[list[Any]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def seed(*, items: int, seed_value: int = 7) -> dict[str, int]:
    """Create the data set unless a set of this size already exists."""
    existing = FeedbackItem.objects.filter(external_id__startswith=PREFIX).count()
    if existing == items:
        return {"seeded": 0}
    rng = random.Random(seed_value)
    with transaction.atomic():
        FeedbackItem.objects.filter(external_id__startswith=PREFIX).delete()
        Response.objects.filter(survey__slug=PREFIX + "survey").delete()
        Customer.objects.filter(external_id__startswith=PREFIX).delete()
        Topic.objects.filter(name__startswith=PREFIX).delete()
        wave, _ = Wave.objects.get_or_create(
            name=PREFIX + "wave", defaults={"starts_on": PERIOD[0], "ends_on": PERIOD[1]}
        )
        survey, _ = Survey.objects.get_or_create(
            slug=PREFIX + "survey", defaults={"title": "bench", "brand_name": "B", "wave": wave}
        )
        topics = Topic.objects.bulk_create([Topic(name=f"{PREFIX}{n}") for n in range(TOPICS)])
        customer_count = max(1, items // 2)
        customers = Customer.objects.bulk_create(
            [
                Customer(external_id=f"{PREFIX}{n}", segment=rng.choice(["A", "B", "C"]))
                for n in range(customer_count)
            ],
            batch_size=5000,
        )
        start = datetime.combine(PERIOD[0], datetime.min.time(), tzinfo=TOKYO)
        span = (PERIOD[1] - PERIOD[0]).days * 86400
        weights = [1 / (n + 1) for n in range(TOPICS)]  # a few large topics, many small ones
        plan = []
        for n in range(items):
            customer = customers[rng.randrange(customer_count)]
            topic_index = rng.choices(range(TOPICS), weights)[0]
            score = max(0, min(10, int(rng.gauss(7 - topic_index % 7, 2.5))))
            when = start + timedelta(seconds=rng.randrange(span))
            plan.append((customer, topics[topic_index], score, when, n % 2 == 0))
        responses = Response.objects.bulk_create(
            [
                Response(
                    survey=survey,
                    customer=customer,
                    status=ResponseStatus.COMPLETED,
                    submitted_at=when,
                    nps_score=score,
                    nps_category=nps_category(score),
                    touchpoint="web",
                )
                for customer, _topic, score, when, from_survey in plan
                if from_survey
            ],
            batch_size=5000,
        )
        response_iter = iter(responses)
        feedback = []
        for n, (customer, topic, score, when, from_survey) in enumerate(plan):
            response = next(response_iter) if from_survey else None
            feedback.append(
                FeedbackItem(
                    text=f"ベンチマーク用のご意見です。{n}",
                    channel=Channel.SURVEY if response else Channel.SUPPORT,
                    received_at=when,
                    customer=customer,
                    external_id=f"{PREFIX}{n}",
                    response=response,
                    nps_score=score if response else None,
                    nps_category=nps_category(score) if response else "",
                    touchpoint=rng.choice(["web", "app", "store", "call_center"]),
                    sentiment=rng.choice(list(Sentiment.values)),
                    topic=topic,
                    topic_score=rng.random(),
                )
            )
        for chunk in _chunks(feedback):
            FeedbackItem.objects.bulk_create(chunk)
        behaviours = []
        for n, customer in enumerate(customers):
            when = start + timedelta(seconds=rng.randrange(span + 60 * 86400))
            kind = "cancellation" if rng.random() < 0.08 else "purchase"
            behaviours.append(
                BehaviourRecord(
                    customer=customer,
                    kind_id=kind,
                    occurred_at=when,
                    amount=rng.randrange(500, 20000) if kind == "purchase" else None,
                    event_id=f"{PREFIX}{n}",
                )
            )
        for chunk in _chunks(behaviours):
            BehaviourRecord.objects.bulk_create(chunk)
    if connection.vendor == "postgresql":
        # Fresh statistics, as autovacuum keeps them on a live database.
        with connection.cursor() as cursor:
            cursor.execute(
                "ANALYZE voc_feedbackitem, surveys_response, engagement_customer, "
                "engagement_behaviourrecord, voc_topic"
            )
    return {"seeded": items}


def run(*, items: int, repeat: int = 3) -> Iterable[dict[str, Any]]:
    started = time.perf_counter()
    seeded = seed(items=items)
    yield {
        "name": "report_seed",
        "items": items,
        **seeded,
        "seconds": round(time.perf_counter() - started, 2),
    }
    timings = []
    data: dict[str, Any] = {}
    queries = 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            data = selectors.compute_report(period_start=PERIOD[0], period_end=PERIOD[1])
            timings.append(time.perf_counter() - started)
        queries = len(captured)
    timings.sort()
    yield {
        "name": "report_compute",
        "items": data["totals"]["items"],
        "topics": len(data["topics"]),
        "customers": data["totals"]["customers"],
        "respondents": (data["totals"]["nps"] or {}).get("n", 0),
        "seconds": round(timings[len(timings) // 2], 3),
        "seconds_min": round(timings[0], 3),
        "queries": queries,
        "peak_rss_mb": _peak_rss_mb(),
        "database": connection.vendor,
    }
    started = time.perf_counter()
    csv_bytes = exports.report_csv(data)
    xlsx_bytes = exports.report_xlsx(data)
    yield {
        "name": "report_exports",
        "items": data["totals"]["items"],
        "csv_bytes": len(csv_bytes),
        "xlsx_bytes": len(xlsx_bytes),
        "seconds": round(time.perf_counter() - started, 3),
    }
