"""Benchmark of report generation (``python manage.py bench report --responses N``).

Seeds (once; re-runs reuse a set of the same size) on the configured database N completed
survey responses from N/2 customers, each with a free-text comment (a feedback item), N/10
more items from other channels, 30 topics of very different sizes, and three behaviour records
per customer — then times ``selectors.compute_report`` over the whole quarter (what the
background task runs: the topic ranking, quotes, trend, touchpoints) and the exports. Prints
one JSON object a line (``seconds`` = median of ``--repeat`` runs, ``queries`` = SQL statements
of one run); figures are measured, never asserted by tests.
"""

from __future__ import annotations

import os
import random
import resource
import time
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.db.models import Count
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


def seed(*, responses: int, seed_value: int = 7) -> dict[str, int]:
    """Create the data set unless a set of this size already exists."""
    support_items = responses // 10
    existing = Response.objects.filter(survey__slug=PREFIX + "survey").count()
    existing_items = FeedbackItem.objects.filter(external_id__startswith=PREFIX).count()
    if existing == responses and existing_items == responses + support_items:
        return {"seeded": 0}
    rng = random.Random(seed_value)
    with transaction.atomic():
        FeedbackItem.objects.filter(external_id__startswith=PREFIX).delete()
        Response.objects.filter(survey__slug=PREFIX + "survey").delete()
        BehaviourRecord.objects.filter(event_id__startswith=PREFIX).delete()
        Customer.objects.filter(external_id__startswith=PREFIX).delete()
        Topic.objects.filter(name__startswith=PREFIX).delete()
        wave, _ = Wave.objects.get_or_create(
            name=PREFIX + "wave", defaults={"starts_on": PERIOD[0], "ends_on": PERIOD[1]}
        )
        survey, _ = Survey.objects.get_or_create(
            slug=PREFIX + "survey", defaults={"title": "bench", "brand_name": "B", "wave": wave}
        )
        topics = Topic.objects.bulk_create([Topic(name=f"{PREFIX}{n}") for n in range(TOPICS)])
        customer_count = max(1, responses // 2)
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
        for n in range(responses + support_items):
            customer = customers[rng.randrange(customer_count)]
            topic_index = rng.choices(range(TOPICS), weights)[0]
            score = max(0, min(10, int(rng.gauss(7 - topic_index % 7, 2.5))))
            when = start + timedelta(seconds=rng.randrange(span))
            plan.append((customer, topics[topic_index], score, when, n < responses))
        created = []
        for chunk in _chunks(
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
            ]
        ):
            created.extend(Response.objects.bulk_create(chunk))
        response_iter = iter(created)
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
            for k in range(3):
                when = start + timedelta(seconds=rng.randrange(span + 60 * 86400))
                kind = "cancellation" if rng.random() < 0.05 else "purchase"
                behaviours.append(
                    BehaviourRecord(
                        customer=customer,
                        kind_id=kind,
                        occurred_at=when,
                        amount=rng.randrange(500, 20000) if kind == "purchase" else None,
                        event_id=f"{PREFIX}{n}-{k}",
                    )
                )
        for chunk in _chunks(behaviours):
            BehaviourRecord.objects.bulk_create(chunk)
    if connection.vendor == "postgresql":
        # Fresh statistics and visibility map, as autovacuum keeps them on a live database.
        with connection.cursor() as cursor:
            cursor.execute(
                "VACUUM ANALYZE voc_feedbackitem, surveys_response, engagement_customer, "
                "engagement_behaviourrecord, voc_topic"
            )
    return {"seeded": responses}


def run(*, responses: int, repeat: int = 3) -> Iterable[dict[str, Any]]:
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)  # a fresh database works too
    started = time.perf_counter()
    seeded = seed(responses=responses)
    yield {
        "name": "report_seed",
        "responses": responses,
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
    # Baseline in the same run: one aggregate pass over the same items and responses (what any
    # report must at least read), so the figure can be judged on a busy or a quiet machine.
    baseline = []
    scope = selectors.scope_items(period_start=PERIOD[0], period_end=PERIOD[1])
    answers = selectors.scope_responses(period_start=PERIOD[0], period_end=PERIOD[1])
    for _ in range(repeat):
        started = time.perf_counter()
        scope.aggregate(n=Count("id"), customers=Count("customer_id", distinct=True))
        answers.aggregate(n=Count("id"), customers=Count("customer_id", distinct=True))
        baseline.append(time.perf_counter() - started)
    baseline.sort()
    seconds = timings[len(timings) // 2]
    baseline_seconds = baseline[len(baseline) // 2]
    yield {
        "name": "report_compute",
        "responses": responses,
        "items": data["totals"]["items"],
        "topics": len(data["topics"]),
        "customers": data["totals"]["customers"],
        "respondents": (data["totals"]["nps"] or {}).get("n", 0),
        "problems": sum(1 for topic in data["topics"] if topic["kind"] == "problem"),
        "seconds": round(seconds, 3),
        "seconds_min": round(timings[0], 3),
        "baseline_seconds": round(baseline_seconds, 3),
        "ratio": round(seconds / baseline_seconds, 2) if baseline_seconds else None,
        "load_average": round(os.getloadavg()[0], 2),
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


def add_report_arguments(parser: Any) -> None:
    parser.add_argument(
        "--responses", type=int, default=10_000, help="survey responses (default 10,000)"
    )
    parser.add_argument("--repeat", type=int, default=3, help="timed runs (median reported)")


def run_report(**options: Any) -> Iterable[dict[str, Any]]:
    return run(responses=options["responses"], repeat=options["repeat"])


BENCHMARKS = {"report": (run_report, add_report_arguments)}
