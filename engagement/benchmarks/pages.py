"""``bench pages --responses N``: every staff page's server time and query count at size.

On the dashboard's bench data (``engagement.dashboard.benchmarks.seeding``: N responses,
5 × N behaviour records, feedback for a fifth of the responses, ten topics), with the dashboard
summaries and topic counts refreshed and one stored improvement report, each staff page is
rendered for a superuser with Django's test client: one warm-up, then ``--renders`` timed
renders. Printed: one JSON object with ``{"pages": [{"path", "median_ms", "p95_ms",
"queries"}, …]}`` and the sizes; the targets (issue 17) are a median and p95 ≤ 200 ms and
≤ 30 queries per page.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Iterator
from datetime import date
from typing import Any

from engagement.dashboard.benchmarks.seeding import PREFIX, clear, seed, staff_client

TARGET_MS = 200
TARGET_QUERIES = 30


def add_pages_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--responses", type=int, default=10000)
    parser.add_argument("--renders", type=int, default=7)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reuse", action="store_true", help="keep bench data of the same size")


def _paths() -> list[str]:
    """The staff pages, with a real object for each detail page."""
    from django.urls import reverse

    from engagement.customers.models import Customer
    from engagement.reports.models import Report, ReportStatus
    from voc.models import FeedbackItem, Topic

    topic = Topic.objects.filter(name__startswith=PREFIX).order_by("id").first()
    item = FeedbackItem.objects.filter(customer__external_id__startswith=PREFIX).order_by("id")
    customer = Customer.objects.filter(external_id__startswith=PREFIX).order_by("id").first()
    report = Report.objects.filter(status=ReportStatus.DONE).order_by("-id").first()
    paths = [
        reverse("dashboard:index"),
        reverse("dashboard:drivers"),
        reverse("dashboard:metrics"),
        reverse("admin:voc_feedbackitem_changelist"),  # the triage inbox
        reverse("voc:topics"),
        reverse("reports:list"),
        reverse("reports:actions"),
    ]
    if topic is not None:
        paths.append(reverse("voc:topic", args=[topic.id]))
    first_item = item.first()
    if first_item is not None:
        paths.append(reverse("admin:voc_feedbackitem_change", args=[first_item.id]))
    if customer is not None:
        paths.append(reverse("dashboard:customer", args=[customer.id]))
    if report is not None:
        paths.append(reverse("reports:report", args=[report.id]))
    return paths


def _store_report() -> None:
    """One report over the bench period, generated here (the background task's service)."""
    from engagement.reports import services
    from engagement.reports.models import Report, ReportStatus

    if Report.objects.filter(status=ReportStatus.DONE, segment="").exists():
        return
    report = services.request_report(period_start=date(2025, 1, 1), period_end=date(2025, 12, 31))
    services.generate_report(report_id=report.id)


def run_pages(**options: Any) -> Iterator[dict[str, Any]]:
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from engagement.dashboard import services
    from surveys.models import Response
    from voc.services.analysis import refresh_topic_counts

    call_command("migrate", verbosity=0, interactive=False)
    n = options["responses"]
    existing = Response.objects.filter(survey__slug__startswith=PREFIX).count()
    if not (options["reuse"] and existing == n):
        clear()
        seed(responses=n, seed_value=options["seed"])
    services.refresh_rollups()
    refresh_topic_counts()
    _store_report()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    client = staff_client()
    pages = []
    for path in _paths():
        warm = client.get(path)
        if warm.status_code != 200:
            raise RuntimeError(f"{path} answered {warm.status_code}")
        timings = []
        queries = 0
        for _i in range(options["renders"]):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                client.get(path)
                timings.append(time.perf_counter() - started)
            queries = max(queries, len(captured))
        timings.sort()
        p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
        pages.append(
            {
                "path": path,
                "median_ms": round(statistics.median(timings) * 1000, 1),
                "p95_ms": round(p95 * 1000, 1),
                "queries": queries,
            }
        )
    yield {
        "name": "pages",
        "database": connection.vendor,
        "responses": n,
        "pages": pages,
        "over_target": [
            p["path"]
            for p in pages
            if p["median_ms"] > TARGET_MS
            or p["p95_ms"] > TARGET_MS
            or p["queries"] > TARGET_QUERIES
        ],
    }
