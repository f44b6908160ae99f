"""``bench import``: the CSV imports against PostgreSQL's ``COPY`` of the same files.

Three cp932 files as Japanese Excel writes them — customers (``--rows``), behaviour records
(``--behaviours``, default 5 × rows) and feedback (``--rows``) — are imported as the product does
(``engagement.customers.imports.import_csv`` for customers and behaviours, a background job's
check pass then one transaction; ``voc.services.ingest.import_feedback`` for feedback), and the
same file is loaded with ``COPY … FROM STDIN (FORMAT csv, ENCODING 'SJIS')`` into a temporary
table of text columns: the fastest the database takes those bytes, measured in the same run.
One JSON object a kind: ``seconds``, ``rows_per_second``, ``copy_seconds``,
``copy_rows_per_second``, ``ratio`` (COPY's time over the import's: 1.0 would be as fast as
COPY), ``peak_rss_mb`` (the process's peak so far) and ``rss_growth_mb`` (how much that kind's
import raised the peak: bounded memory keeps it flat whatever ``--rows``); a last object gives
``ratio`` as the slowest kind's. Defaults are small (100,000 rows); the issue's figure is
``--rows 1000000`` (5,000,000 behaviour records).

On PostgreSQL the imports stream validated rows with ``COPY`` into a staging table and write
them with one ``INSERT … SELECT`` (``engagement.customers.staged_imports``,
``voc.services.staged_ingest``). The feedback import's own time covers reading, checking,
writing the items and **enqueuing** their analysis: the tokenisation, sentiment and topic
assignment of more than ``INLINE_ANALYSIS`` new items run later in ``voc.analyze_chunk``
tasks (outbox messages written in the import's transaction, ``analysis`` in the JSON says so),
as in production; the bench purges them from its broker at the end. The Celery app's task
registry is loaded before the clock starts (a running process has it already).
"""

from __future__ import annotations

import argparse
import csv
import resource
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

PREFIX = "benchimp-"
SEGMENTS = ("一般", "プレミアム", "法人", "学生")
TEXTS = (
    "配送が遅くて困りました。",
    "店員さんが親切でした！",
    "アプリのログインができない",
    "ポイントの有効期限がわかりにくいです",
)


def add_import_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rows", type=int, default=100_000, help="customers and feedback rows")
    parser.add_argument("--behaviours", type=int, default=None, help="default: 5 × --rows")


def _write(path: Path, header: list[str], rows: Iterator[list[Any]]) -> None:
    with open(path, "w", encoding="cp932", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def _files(folder: Path, rows: int, behaviours: int) -> dict[str, tuple[Path, list[str]]]:
    customers = folder / "customers.csv"
    header = ["external_id", "segment", "name", "email", "signed_up_on", "都道府県"]
    _write(
        customers,
        header,
        (
            [
                f"{PREFIX}{i}",
                SEGMENTS[i % 4],
                f"顧客{i}",
                f"c{i}@example.jp",
                "2025/04/01",
                "東京都",
            ]
            for i in range(rows)
        ),
    )
    behaviour_file = folder / "behaviours.csv"
    behaviour_header = ["customer_external_id", "kind", "occurred_at", "amount", "event_id"]
    _write(
        behaviour_file,
        behaviour_header,
        (
            [
                f"{PREFIX}{i % rows}",
                "purchase",
                "2026/04/01 10:00",
                1000 + i % 5000,
                f"{PREFIX}e{i}",
            ]
            for i in range(behaviours)
        ),
    )
    feedback = folder / "feedback.csv"
    feedback_header = ["external_id", "channel", "received_at", "customer_external_id", "text"]
    _write(
        feedback,
        feedback_header,
        (
            [f"{PREFIX}f{i}", "review", "2026/04/01 10:00", f"{PREFIX}{i % rows}", TEXTS[i % 4]]
            for i in range(rows)
        ),
    )
    return {
        "customers": (customers, header),
        "behaviours": (behaviour_file, behaviour_header),
        "feedback": (feedback, feedback_header),
    }


def _copy_seconds(path: Path, header: list[str]) -> float:
    """``COPY`` of the file into a temporary table of text columns, in its own transaction."""
    from django.db import connection, transaction

    columns = ", ".join(f"c{i} text" for i in range(len(header)))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE bench_copy ({columns}) ON COMMIT DROP")
        started = time.perf_counter()
        with (
            cursor.cursor.copy(
                "COPY bench_copy FROM STDIN (FORMAT csv, HEADER true, ENCODING 'SJIS')"
            ) as copy,
            open(path, "rb") as handle,
        ):
            while block := handle.read(1 << 20):
                copy.write(block)
        return time.perf_counter() - started


def _peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _analysis_messages() -> int:
    from engagement.platform.models import OutboxMessage

    return OutboxMessage.objects.filter(task_name="voc.analyze_chunk").count()


def _analysis(kind: str, before: int) -> dict[str, Any]:
    if kind != "feedback":
        return {}
    return {
        "analysis": "deferred: voc.analyze_chunk tasks enqueued through the outbox, not timed",
        "analysis_messages": _analysis_messages() - before,
    }


def _clear() -> None:
    from engagement.customers.models import BehaviourRecord, Customer
    from voc.models import FeedbackItem

    FeedbackItem.objects.filter(external_id__startswith=PREFIX).delete()
    BehaviourRecord.objects.filter(event_id__startswith=PREFIX).delete()
    Customer.objects.filter(external_id__startswith=PREFIX).delete()


def _importers() -> dict[str, Callable[[Path], int]]:
    from django.utils import timezone

    from engagement.customers import imports
    from engagement.customers.models import ImportKind
    from voc.services.ingest import import_feedback

    def customers(path: Path) -> int:
        return imports.import_csv(path, kind=ImportKind.CUSTOMERS, now=timezone.now()).rows

    def behaviours(path: Path) -> int:
        return imports.import_csv(path, kind=ImportKind.BEHAVIOURS, now=timezone.now()).rows

    def feedback(path: Path) -> int:
        return import_feedback(source=path, now=timezone.now()).created

    return {"customers": customers, "behaviours": behaviours, "feedback": feedback}


def run_import(**options: Any) -> Iterator[dict[str, Any]]:
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor != "postgresql" or not settings.CELERY_BROKER_URL:
        # As in production: the work an import triggers (VoC analysis of new feedback, triage
        # rules) goes to the broker, not into the import's own time.
        raise RuntimeError("bench import needs DATABASE_URL (PostgreSQL) and CELERY_BROKER_URL")
    call_command("migrate", verbosity=0, interactive=False)
    rows = options["rows"]
    behaviours = options["behaviours"] or 5 * rows
    _clear()
    from engagement.platform import outbox

    outbox.task_registered("triage.apply_rules")  # loads every app's tasks once, as a process has
    ratios = []
    with tempfile.TemporaryDirectory() as folder:
        files = _files(Path(folder), rows, behaviours)
        for kind, run in _importers().items():
            path, header = files[kind]
            copy_seconds = _copy_seconds(path, header)
            peak_before, messages_before = _peak_mb(), _analysis_messages()
            started = time.perf_counter()
            imported = run(path)
            seconds = time.perf_counter() - started
            ratio = copy_seconds / seconds if seconds else None
            ratios.append(ratio or 0.0)
            yield {
                "name": f"import_{kind}",
                "rows": imported,
                "file_mb": round(path.stat().st_size / 1e6, 1),
                "seconds": round(seconds, 2),
                "rows_per_second": round(imported / seconds) if seconds else None,
                "copy_seconds": round(copy_seconds, 2),
                "copy_rows_per_second": round(imported / copy_seconds) if copy_seconds else None,
                "ratio": round(ratio, 3) if ratio is not None else None,
                "peak_rss_mb": _peak_mb(),
                "rss_growth_mb": round(_peak_mb() - peak_before, 1),
                **_analysis(kind, messages_before),
            }
    from engagement.celery import app

    app.control.purge()  # nothing consumes the bench's queued analysis
    yield {"name": "import", "ratio": round(min(ratios), 3), "target": 0.3}
