"""``bench clv --customers N``: the customer-value refresh at size.

Seeds N customers (tagged ``bench-clv-``) whose purchases follow a BG/NBD process over the last
78 weeks, from a first purchase at a uniform time (λ ~ Gamma(0.6, 1/4) a week, drop-out after a
repeat purchase ~ Beta(1, 4); amounts ~ Gamma(4, 900 yen)), one referral for 5% of them
(pointing at another bench customer) and an SNS post with a reach for 10% — with ``COPY`` on
PostgreSQL. Then runs ``manage.py refresh_customer_values`` (CLV, CRV, and through the signal
CIV and CKV) in a child process and reports its wall time and peak memory
(the child's maximum resident set size), so that seeding does not count.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

TOKYO = ZoneInfo("Asia/Tokyo")
PREFIX = "bench-clv-"
WEEKS = 78


def add_clv_arguments(parser: Any) -> None:
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--keep", action="store_true", help="keep the bench data (default: deleted after)"
    )
    parser.add_argument("--no-seed", action="store_true", help="reuse the bench data")


def clear() -> None:
    """Delete the bench data in SQL (the ORM's cascade would load a million customers): bench
    customers have only behaviour records and values."""
    from django.db import connection, transaction

    from engagement.customers.models import BehaviourRecord, Customer, CustomerValue

    bench = Customer.objects.filter(external_id__startswith=PREFIX).values("id")
    with transaction.atomic():
        CustomerValue.objects.filter(customer_id__in=bench)._raw_delete(connection.alias)
        BehaviourRecord.objects.filter(customer_id__in=bench)._raw_delete(connection.alias)
        Customer.objects.filter(external_id__startswith=PREFIX)._raw_delete(connection.alias)


def seed(*, customers: int, seed_value: int, now: datetime) -> dict[str, int]:
    from django.db import transaction

    from engagement.customers.models import BehaviourRecord, Customer
    from engagement.customers.services import ensure_builtin_behaviour_kinds
    from engagement.dashboard.benchmarks.seeding import _insert, _next_id

    ensure_builtin_behaviour_kinds()
    rng = np.random.default_rng(seed_value)
    counts = {"customers": customers, "purchases": 0, "referrals": 0, "sns_posts": 0}
    with transaction.atomic():
        first = _next_id(Customer)
        _insert(
            Customer,
            ["id", "external_id", "segment"],
            (
                (first + i, f"{PREFIX}{first + i}", ("一般", "プレミアム")[i % 2])
                for i in range(customers)
            ),
            now,
        )

        def records() -> Iterator[tuple[Any, ...]]:
            for start in range(0, customers, 10_000):
                n = min(10_000, customers - start)
                rates = rng.gamma(0.6, 1 / 4, n)
                drops = rng.beta(1.0, 4.0, n)
                begins = rng.uniform(0, WEEKS, n)
                for i in range(n):
                    customer = first + start + i
                    week = begins[i]
                    repeat = False
                    while week < WEEKS:
                        counts["purchases"] += 1
                        yield (
                            customer,
                            "purchase",
                            now - timedelta(weeks=WEEKS - week),
                            int(rng.gamma(4, 900)) + 100,
                            {},
                        )
                        # BG/NBD: a customer may drop out after each repeat purchase.
                        if repeat and rng.random() < drops[i]:
                            break
                        repeat = True
                        week += rng.exponential(1 / max(rates[i], 1e-6))
                    if (start + i) % 20 == 0:
                        counts["referrals"] += 1
                        referred = first + int(rng.integers(customers))
                        yield (
                            customer,
                            "referral",
                            now - timedelta(days=3),
                            None,
                            {"referred_customer": f"{PREFIX}{referred}"},
                        )
                    if (start + i) % 10 == 3:
                        counts["sns_posts"] += 1
                        yield (
                            customer,
                            "sns_post",
                            now - timedelta(days=5),
                            None,
                            {"reach": int(rng.integers(1, 5000))},
                        )

        _insert(
            BehaviourRecord,
            ["customer_id", "kind_id", "occurred_at", "amount", "attributes"],
            records(),
            now,
        )
    return counts


def run_clv(**options: Any) -> Iterator[dict[str, Any]]:
    from django.db import connection

    now = datetime.now(tz=TOKYO)
    if not options["no_seed"]:
        clear()
        started = time.perf_counter()
        counts = seed(customers=options["customers"], seed_value=options["seed"], now=now)
        yield {
            "step": "seed",
            "vendor": connection.vendor,
            **counts,
            "seconds": round(time.perf_counter() - started, 1),
        }
    manage = Path(__file__).resolve().parents[2] / "manage.py"
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(manage), "refresh_customer_values"],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        check=False,
    )
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    from engagement.customers.selectors.values import latest_fit

    fit = latest_fit()
    yield {
        "step": "refresh_customer_values",
        "returncode": done.returncode,
        "output": (done.stdout or done.stderr).strip()[-500:],
        "seconds": round(seconds, 1),
        "peak_rss_mb": round(max(peak, before) / 1024, 1),
        "customers_scored": fit.customers if fit else 0,
        "fitted_on": fit.fitted_on if fit else 0,
        "params": fit.params if fit else {},
    }
    if not options["keep"]:
        clear()
