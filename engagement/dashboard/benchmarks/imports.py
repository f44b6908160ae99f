"""``bench import --rows N``: the customers and behaviours CSV imports at size."""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator
from typing import Any

from engagement.dashboard.benchmarks.seeding import SEGMENTS


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
