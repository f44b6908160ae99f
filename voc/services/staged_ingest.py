"""The PostgreSQL path of the feedback CSV import (``ingest.import_feedback`` calls it there).

One pass over the streamed file: each row is checked in Python (``ingest._prepare``: the same
Japanese row/column messages) and the valid ones go in batches with ``COPY`` into a TEMP staging
table (``engagement.platform.bulkcopy``). Customer ids are checked by one anti-join in SQL (each
unknown one is reported with its row). With an error and without ``skip_bad_rows`` nothing is
written. Otherwise one transaction inserts every row with one ``INSERT … SELECT`` joined to the
customers, ``ON CONFLICT (channel, external_id) DO NOTHING`` (a row already imported, or
repeated in the file, is a duplicate), and hands the new items on as ``_after_create`` does:
an import of more than ``INLINE_ANALYSIS`` items only **enqueues** their tokenisation and
analysis (``voc.analyze_chunk`` messages through the outbox, sent at commit) and the triage
messages; a small one is analysed at once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.utils.translation import gettext as _

from engagement.customers.models import Customer
from engagement.platform.bulkcopy import default_columns, lock_writes, quote, staging_table
from engagement.platform.csvfiles import CsvFileError, RowError, Source, read_table
from voc.models import FeedbackItem

Prepare = Callable[
    [dict[str, str], int, None, datetime], tuple[dict[str, Any] | None, list[RowError]]
]

STAGING = (
    ("text", "text"),
    ("channel", "text"),
    ("received_at", "timestamptz"),
    ("customer_external_id", "text"),
    ("rating", "smallint"),
    ("external_id", "text"),
    ("attributes", "jsonb"),
)
COPY_BATCH = 5_000
_JSON = json.JSONEncoder(ensure_ascii=False).encode
MAX_ERRORS = 1_000


@dataclass
class ImportResult:
    created: int = 0
    duplicates: int = 0
    skipped_rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    item_ids: list[int] = field(default_factory=list)


def _staged(number: int, values: dict[str, Any]) -> tuple[Any, ...]:
    return (
        number,
        values["text"],
        values["channel"],
        values["received_at"],
        values.get("customer_external_id"),
        values["rating"],
        values["external_id"],
        _JSON(values["attributes"]),
    )


def _unknown_customers(table: str) -> tuple[int, list[tuple[int, str]]]:
    customers = quote(Customer._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT s.row_number, s.customer_external_id, count(*) OVER () FROM {table} s "  # noqa: S608 (quoted names only)
            "WHERE s.customer_external_id IS NOT NULL AND NOT EXISTS "
            f"(SELECT 1 FROM {customers} c WHERE c.external_id = s.customer_external_id) "
            "ORDER BY s.row_number LIMIT %s",
            [MAX_ERRORS],
        )
        found = cursor.fetchall()
    return (found[0][2] if found else 0), [(row, value) for row, value, _count in found]


def _insert(table: str, now: datetime) -> list[int]:
    """Insert the staged rows of known (or no) customers; the ids of the new items."""
    filled = [
        "text",
        "channel",
        "received_at",
        "customer_id",
        "rating",
        "external_id",
        "attributes",
        "created_at",
        "updated_at",
    ]
    defaults, default_values = default_columns(FeedbackItem, filled)
    columns = ", ".join([*(quote(name) for name in filled), *defaults])
    selected = ", ".join(
        [
            "s.text",
            "s.channel",
            "s.received_at",
            "c.id",
            "s.rating",
            "s.external_id",
            "s.attributes",
            "%s",
            "%s",
            *["%s"] * len(defaults),
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(FeedbackItem._meta.db_table)} ({columns}) "  # noqa: S608 (quoted names only)
            f"SELECT {selected} FROM {table} s "
            f"LEFT JOIN {quote(Customer._meta.db_table)} c "
            "ON c.external_id = s.customer_external_id "
            "WHERE s.customer_external_id IS NULL OR c.id IS NOT NULL "
            "ON CONFLICT (channel, external_id) WHERE external_id IS NOT NULL DO NOTHING "
            "RETURNING id",
            [now, now, *default_values],
        )
        return sorted(row[0] for row in cursor.fetchall())


def import_staged(
    *,
    source: Source,
    skip_bad_rows: bool,
    now: datetime,
    result: ImportResult,
    prepare: Prepare,
    after_create: Callable[[Sequence[int]], None],
) -> ImportResult:
    """``ingest.import_feedback`` on PostgreSQL (same result and errors): ``prepare`` checks a
    row (``ingest._prepare``), ``after_create`` hands the new items on (``ingest._after_create``).
    """
    csv_rows = read_table(source, required=["text"])
    with staging_table(STAGING) as staging:
        batch: list[tuple[Any, ...]] = []
        for number, row in csv_rows.rows:
            values, errors = prepare(row, number, None, now)
            if errors:
                result.skipped_rows += 1
                result.errors.extend(errors[: max(0, MAX_ERRORS - len(result.errors))])
                continue
            batch.append(_staged(number, values))  # type: ignore[arg-type]
            if len(batch) >= COPY_BATCH:
                staging.write(batch)
                batch = []
        staging.write(batch)
        unknown, rows = _unknown_customers(staging.table) if staging.rows else (0, [])
        result.skipped_rows += unknown
        result.errors.extend(
            RowError(
                number,
                "customer_external_id",
                _("No customer has the ID “%(value)s”.") % {"value": value},
            )
            for number, value in rows
        )
        result.errors.sort(key=lambda error: error.row)
        if result.errors and not skip_bad_rows:
            raise CsvFileError(result.errors)
        with transaction.atomic():
            lock_writes("import:feedback")
            result.item_ids = _insert(staging.table, now) if staging.rows else []
            result.created = len(result.item_ids)
            result.duplicates = staging.rows - unknown - result.created
            after_create(result.item_ids)
    return result
