"""``bench dashboard --responses N``: the dashboard page at size.

It seeds N survey responses (``seeding.seed``) on the configured database, rebuilds the dashboard's
summaries (timed, printed as ``refresh_seconds``), then renders ``/admin/dashboard/`` for an
authenticated staff user with Django's test client: one warm-up, then ``--renders`` timed renders;
``seconds`` is the median, ``queries`` the number of SQL queries of one render. Bench data is
tagged (``bench-`` ids); ``--reuse`` keeps existing bench data of the same size instead of
seeding again.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Iterator
from typing import Any

from engagement.dashboard.benchmarks.seeding import PREFIX, SEGMENTS, clear, seed, staff_client


def add_dashboard_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--responses", type=int, default=10000)
    parser.add_argument("--renders", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep existing bench data when it has the same number of responses",
    )


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
        clear()
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
    client = staff_client()
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
