"""The PostgreSQL path of customer and behaviour imports (``imports.import_csv`` calls it there).

One pass over the streamed file: each row is validated in Python (the same parsers, Japanese
row/column messages and duplicate check as the ORM path) and the valid ones are sent in batches
with ``COPY`` into a TEMP staging table (``engagement.platform.bulkcopy``). Then:

- behaviour rows whose customer does not exist are found by one anti-join in SQL and reported
  with their row numbers;
- with any error (and without ``skip_invalid``) ``CsvFileError`` is raised: nothing was written,
  the staging table is dropped; an id repeated in the file is found there too (a window
  over the staging table, so memory does not grow with the file);
- otherwise **one transaction** writes everything with one ``INSERT … SELECT``: customers
  ``ON CONFLICT (external_id) DO UPDATE`` of the columns present in the file (as
  ``services.upsert_customers``), behaviour records joined to their customers in SQL and
  ``ON CONFLICT (event_id) DO NOTHING`` (as ``services.record_behaviours``).

Imports of one kind take a transaction-level advisory lock for that write, so two imports of the
same (or overlapping) file never deadlock and never duplicate: the second one sees the first's
rows as conflicts. Memory stays bounded: one batch of rows and the 16-byte digests of the ids.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.utils.translation import gettext as _

from engagement.customers.models import BehaviourRecord, Customer, ImportKind, ImportStatus
from engagement.platform.bulkcopy import default_columns, lock_writes, quote, staging_table
from engagement.platform.csvfiles import CsvFileError, RowError

Batches = Iterable[list[tuple[int, dict[str, Any]]]]
Progress = Callable[[str, int], None]


@dataclass
class ImportResult:
    rows: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    errors: list[RowError] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "skipped": self.skipped,
            "errors": [str(error) for error in self.errors],
        }


CUSTOMER_STAGING = (
    ("external_id", "text"),
    ("segment", "text"),
    ("signed_up_on", "date"),
    ("name", "text"),
    ("email", "text"),
    ("contact_allowed", "boolean"),
    ("phone", "text"),
    ("sms_allowed", "boolean"),
    ("attributes", "jsonb"),
)
BEHAVIOUR_STAGING = (
    ("customer_external_id", "text"),
    ("kind", "text"),
    ("occurred_at", "timestamptz"),
    ("amount", "bigint"),
    ("touchpoint", "text"),
    ("event_id", "text"),
    ("attributes", "jsonb"),
)
_JSON = json.JSONEncoder(ensure_ascii=False).encode
UPDATABLE = (
    "segment", "signed_up_on", "name", "email", "contact_allowed", "phone", "sms_allowed",
    "attributes",
)  # fmt: skip


def _json(value: dict[str, Any] | None) -> str | None:
    return None if value is None else _JSON(value)


def _customer_row(number: int, values: dict[str, Any]) -> tuple[Any, ...]:
    return (
        number,
        values["external_id"],
        values.get("segment"),
        values.get("signed_up_on"),
        values.get("name"),
        values.get("email"),
        values.get("contact_allowed"),
        values.get("phone"),
        values.get("sms_allowed"),
        _json(values.get("attributes")),
    )


def _behaviour_row(number: int, values: dict[str, Any]) -> tuple[Any, ...]:
    return (
        number,
        values["customer_external_id"],
        values["kind"],
        values["occurred_at"],
        values.get("amount"),
        values.get("touchpoint") or "",
        values["event_id"],  # given or derived (imports._parsed_rows)
        _json(values.get("attributes") or {}),
    )


def _unknown_customers(table: str, limit: int) -> tuple[int, list[tuple[int, str]]]:
    """(how many rows, the first ``limit`` (row, id)) naming a customer that does not exist."""
    customers = quote(Customer._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT s.row_number, s.customer_external_id, count(*) OVER () FROM {table} s "  # noqa: S608 (quoted names only)
            f"WHERE NOT EXISTS (SELECT 1 FROM {customers} c "
            "WHERE c.external_id = s.customer_external_id) "
            "ORDER BY s.row_number LIMIT %s",
            [limit],
        )
        found = cursor.fetchall()
    return (found[0][2] if found else 0), [(row, value) for row, value, _count in found]


def _remove_repeats(table: str, column: str, limit: int) -> tuple[int, list[int]]:
    """Delete the rows whose id an earlier row of the file has: (how many, the first ``limit``
    row numbers)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH repeated AS (SELECT row_number FROM (SELECT row_number, row_number() OVER "  # noqa: S608 (quoted names only)
            f"(PARTITION BY {quote(column)} ORDER BY row_number) AS n FROM {table}) numbered "
            "WHERE n > 1), "
            f"removed AS (DELETE FROM {table} s USING repeated r "
            "WHERE s.row_number = r.row_number RETURNING s.row_number) "
            "SELECT row_number, count(*) OVER () FROM removed ORDER BY row_number LIMIT %s",
            [limit],
        )
        found = cursor.fetchall()
    return (found[0][1] if found else 0), [row for row, _count in found]


def _write_customers(table: str, fields: list[str], now: datetime) -> tuple[int, int]:
    """Upsert the staged customers; (created, updated)."""
    filled = ["external_id", *fields, "created_at", "updated_at"]
    defaults, default_values = default_columns(Customer, filled)
    columns = ", ".join([*(quote(name) for name in filled), *defaults])
    selected = ", ".join(
        [
            *(f"s.{quote(name)}" for name in ["external_id", *fields]),
            "%s",
            "%s",
            *["%s"] * len(defaults),
        ]
    )
    updates = ", ".join(f"{quote(name)} = EXCLUDED.{quote(name)}" for name in [*fields])
    updates = f"{updates}, " if updates else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH written AS (INSERT INTO {quote(Customer._meta.db_table)} ({columns}) "  # noqa: S608 (quoted names only)
            f"SELECT {selected} FROM {table} s "
            f"ON CONFLICT (external_id) DO UPDATE SET {updates}"
            '"updated_at" = EXCLUDED."updated_at" '
            "RETURNING (xmax = 0) AS inserted) "
            "SELECT count(*) FILTER (WHERE inserted), count(*) FROM written",
            [now, now, *default_values],
        )
        created, total = cursor.fetchone()
    return created, total - created


def _write_behaviours(table: str, now: datetime) -> int:
    """Insert the staged records of known customers, skipping known event ids; created."""
    filled = [
        "customer_id",
        "kind_id",
        "occurred_at",
        "amount",
        "touchpoint",
        "event_id",
        "attributes",
        "created_at",
        "updated_at",
    ]
    defaults, default_values = default_columns(BehaviourRecord, filled)
    columns = ", ".join([*(quote(name) for name in filled), *defaults])
    selected = ", ".join(
        [
            "c.id",
            "s.kind",
            "s.occurred_at",
            "s.amount",
            "s.touchpoint",
            "s.event_id",
            "s.attributes",
            "%s",
            "%s",
            *["%s"] * len(defaults),
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH written AS (INSERT INTO {quote(BehaviourRecord._meta.db_table)} ({columns}) "  # noqa: S608 (quoted names only)
            f"SELECT {selected} FROM {table} s "
            f"JOIN {quote(Customer._meta.db_table)} c ON c.external_id = s.customer_external_id "
            "ON CONFLICT (event_id) WHERE event_id IS NOT NULL DO NOTHING "
            "RETURNING 1) SELECT count(*) FROM written",
            [now, now, *default_values],
        )
        return cursor.fetchone()[0]


def import_staged(
    batches: Batches,
    *,
    result: ImportResult,
    add_error: Callable[[ImportResult, RowError], None],
    max_errors: int,
    kind: str,
    now: datetime,
    skip_invalid: bool,
    progress: Progress | None,
    on_checked: Callable[[int], None] | None,
) -> ImportResult:
    """``imports.import_csv`` on PostgreSQL (same result and errors). ``batches`` are the valid
    rows the import's parser yields (it adds the rows' errors to ``result``)."""
    customers = kind == ImportKind.CUSTOMERS
    staged_row = _customer_row if customers else _behaviour_row
    fields: list[str] | None = None
    with staging_table(CUSTOMER_STAGING if customers else BEHAVIOUR_STAGING) as staging:
        for batch in batches:
            if customers and fields is None and batch:
                fields = [name for name in UPDATABLE if name in batch[0][1]]
            staging.write([staged_row(number, values) for number, values in batch])
            if progress:
                progress(ImportStatus.VALIDATING, result.rows)
        id_column = "external_id" if customers else "event_id"
        repeats, rows = _remove_repeats(staging.table, id_column, max_errors)
        staging.rows -= repeats
        for number in rows:
            add_error(
                result,
                RowError(number, id_column, _("The ID appears more than once in the file.")),
            )
        unknown = 0
        if not customers and staging.rows:
            unknown, rows = _unknown_customers(staging.table, max_errors)
            for number, value in rows:
                add_error(
                    result,
                    RowError(
                        number,
                        "customer_external_id",
                        _("Unknown customer ID “%(id)s”.") % {"id": value},
                    ),
                )
        result.errors.sort(key=lambda error: error.row)
        if result.errors and not skip_invalid:
            raise CsvFileError(result.errors)
        if on_checked:
            on_checked(result.rows)
        with transaction.atomic():
            lock_writes(f"import:{kind}")
            if customers:
                result.created, result.updated = (
                    _write_customers(staging.table, fields or [], now) if staging.rows else (0, 0)
                )
            else:
                result.created = _write_behaviours(staging.table, now) if staging.rows else 0
                result.skipped = staging.rows - unknown - result.created
        if progress:
            progress(ImportStatus.IMPORTING, result.rows)
    result.skipped += len({error.row for error in result.errors})
    return result
