"""Bulk writes of imports on PostgreSQL: validated rows → ``COPY`` into a TEMP staging table →
one ``INSERT … SELECT … ON CONFLICT`` in the caller's transaction.

- ``staging_table`` creates a session-local temporary table (invisible to other connections;
  nothing in it is logged) with a ``row_number`` column (the file's row, for error messages)
  and the given typed columns, and drops it afterwards. Rows are sent with psycopg 3's
  ``cursor.copy()`` in batches (``Staging.write``), so the caller can report progress or run
  other queries between batches and memory stays bounded.
- ``default_columns`` gives, for a model's columns the import does not fill, the column names
  and their Python defaults ready to be bound as parameters, so an ``INSERT … SELECT`` writes
  every NOT NULL column as ``Model.objects.create`` would, whatever fields are added later.
- ``lock_writes`` serialises the write phase of imports of one kind (a transaction-level
  advisory lock): two imports of overlapping files never deadlock on each other's rows, and the
  second one sees the first one's rows as conflicts (no duplicates).

SQLite (``make demo``, unit tests) does not use this module: ``uses_copy`` is False there and
the importers write through the ORM in batches.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import DatabaseError, connection, models
from django.db.models.fields import AutoFieldMixin


def uses_copy() -> bool:
    """Whether imports take the ``COPY`` path (PostgreSQL)."""
    return connection.vendor == "postgresql"


def quote(name: str) -> str:
    return connection.ops.quote_name(name)


@dataclass
class Staging:
    name: str
    columns: tuple[str, ...]
    rows: int = 0

    @property
    def table(self) -> str:
        return quote(self.name)

    def write(self, rows: Sequence[Sequence[Any]]) -> None:
        """Append rows (``row_number`` first, then ``columns`` in order) with one ``COPY``."""
        if not rows:
            return
        columns = ", ".join(quote(column) for column in ("row_number", *self.columns))
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {self.table} ({columns}) FROM STDIN") as copy,
        ):
            write_row = copy.write_row
            for row in rows:
                write_row(row)
        self.rows += len(rows)


@contextlib.contextmanager
def staging_table(columns: Sequence[tuple[str, str]]) -> Iterator[Staging]:
    """A TEMP table ``(row_number integer, <name> <type>, …)``, dropped on exit."""
    name = f"import_staging_{secrets.token_hex(6)}"
    definition = ", ".join(f"{quote(column)} {kind}" for column, kind in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE {quote(name)} (row_number integer NOT NULL, {definition})"
        )
    staging = Staging(name=name, columns=tuple(column for column, _kind in columns))
    try:
        yield staging
    except BaseException:
        # In an aborted transaction the DROP fails too; its rollback removes the table.
        with contextlib.suppress(DatabaseError), connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {staging.table}")
        raise
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {staging.table}")


def default_columns(
    model: type[models.Model], filled: Iterable[str]
) -> tuple[list[str], list[Any]]:
    """(columns, values) of ``model``'s concrete fields that are not in ``filled`` (attnames),
    leaving out an auto primary key: each value is the field's default, prepared for binding."""
    skip = set(filled)
    columns: list[str] = []
    values: list[Any] = []
    for field in model._meta.concrete_fields:
        if field.attname in skip or isinstance(field, AutoFieldMixin):
            continue
        columns.append(quote(field.column))
        values.append(field.get_db_prep_save(field.get_default(), connection))
    return columns, values


def lock_writes(name: str) -> None:
    """Wait for other transactions writing an import of ``name``; released at commit."""
    key = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
