"""CSV imports of customers and behaviour records (admin upload, commands, background jobs).

Files are read with ``engagement.platform.csvfiles`` (UTF-8 with/without BOM or cp932, rows
numbered like
a spreadsheet). An import runs in two passes over the streamed file, so memory stays bounded
whatever the size (only a set of 16-byte digests of the ids seen is kept, to find duplicates):

1. **Check**: every row is parsed and validated (customers of behaviour rows must exist); every
   error is collected with its row and column. With an error, nothing is written (unless
   ``skip_invalid``, which imports the valid rows only and reports the others).
2. **Write**: the rows are written in batches of ``BATCH`` through the services
   (``upsert_customers`` / ``record_behaviours``) inside **one transaction**: all or nothing.

On PostgreSQL the same checks run in **one** pass that streams the valid rows with ``COPY`` into
a staging table and writes them with one ``INSERT … SELECT`` (``staged_imports``); unknown
customers of behaviour rows are found there by a join in SQL.

Progress (rows checked, then rows written) is reported through a callback; background jobs store
it on the ``ImportJob`` during the check and in the cache during the write (the job row itself
is inside the write transaction and becomes visible at commit).

Customer columns: ``external_id`` (required), ``segment``, ``signed_up_on``, ``name``, ``email``,
``contact_allowed``, ``mobile_phone`` (stored as E.164 in ``phone``), ``sms_allowed``; any other
column becomes an attribute. Behaviour columns:
``customer_external_id``, ``kind``, ``occurred_at`` (required), ``amount``, ``touchpoint``,
``event_id``; any other column becomes an attribute. Re-importing the same file changes nothing:
customers are upserted, records without ``event_id`` get one derived from the row.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from engagement.customers import services, staged_imports
from engagement.customers.models import (
    BehaviourKind,
    Customer,
    ImportJob,
    ImportKind,
    ImportStatus,
    Touchpoint,
)
from engagement.customers.staged_imports import ImportResult, Progress
from engagement.platform.bulkcopy import uses_copy
from engagement.platform.csvfiles import (
    CellError,
    CsvFileError,
    RowError,
    Source,
    normalize_cell,
    parse_bool,
    parse_date,
    parse_datetime,
    parse_int,
    read_table,
)
from engagement.platform.errors import DomainError

BATCH = 2000
MAX_ERRORS = 1000
CUSTOMER_COLUMNS = (
    "external_id",
    "segment",
    "signed_up_on",
    "name",
    "email",
    "contact_allowed",
    "mobile_phone",
    "sms_allowed",
)
BEHAVIOUR_COLUMNS = (
    "customer_external_id",
    "kind",
    "occurred_at",
    "amount",
    "touchpoint",
    "event_id",
)
MAX_AMOUNT = 10**12


class _Digests:
    """Ids seen so far, as 16-byte digests (bounded memory: ~100 bytes per distinct id)."""

    def __init__(self) -> None:
        self.seen: set[bytes] = set()

    def add(self, value: str) -> bool:
        digest = hashlib.blake2b(value.encode(), digest_size=16).digest()
        if digest in self.seen:
            return False
        self.seen.add(digest)
        return True


def _text(value: str, max_length: int) -> str:
    cleaned = normalize_cell(value)
    if len(cleaned) > max_length:
        raise CellError(_("Too long (at most %(max)s characters).") % {"max": max_length})
    return cleaned


# --- customers ----------------------------------------------------------------------------------


def parse_customer_row(row: dict[str, str], header: list[str]) -> dict[str, Any]:
    """One CSV row → the keyword values for ``services.upsert_customers``.

    Raises ``ValueError`` subclasses wrapped as ``_CellErrors`` listing each bad column.
    """
    parsers, extra = _customer_parsers(tuple(header))
    return _parse(row, parsers, extra)


def _optional_date(value: str) -> Any:
    return parse_date(value) if normalize_cell(value) else None


_CUSTOMER_PARSERS: dict[str, Callable[[str], Any]] = {
    "external_id": lambda v: _required(_text(v, 100)),
    "segment": lambda v: _text(v, 50),
    "signed_up_on": _optional_date,
    "name": lambda v: _text(v, 200),
    "email": lambda v: _email(v),
    "contact_allowed": parse_bool,
    # SMS: a mobile number (090-1234-5678 or +819012345678, stored as E.164) and consent.
    "mobile_phone": lambda v: _mobile_phone(v),
    "sms_allowed": parse_bool,
}


@functools.lru_cache(maxsize=64)
def _customer_parsers(
    header: tuple[str, ...],
) -> tuple[tuple[tuple[str, Callable[[str], Any]], ...], tuple[str, ...]]:
    """(column, parser) of the known columns in the header, and the other columns."""
    parsers = tuple(
        (column, parser) for column, parser in _CUSTOMER_PARSERS.items() if column in header
    )
    return parsers, tuple(column for column in header if column not in CUSTOMER_COLUMNS)


def _parse(
    row: dict[str, str],
    parsers: Iterable[tuple[str, Callable[[str], Any]]],
    extra: tuple[str, ...],
) -> dict[str, Any]:
    """Each parser on its column; the other columns become ``attributes`` (when there are)."""
    errors: list[tuple[str, str]] = []
    values: dict[str, Any] = {}
    for column, parser in parsers:
        try:
            values[column] = parser(row[column])
        except CellError as exc:
            errors.append((column, str(exc)))
    if "mobile_phone" in values:
        values["phone"] = values.pop("mobile_phone")
    if extra:
        attributes = {}
        for column in extra:
            if cleaned := normalize_cell(row[column]):
                attributes[column] = cleaned
        values["attributes"] = attributes
    if errors:
        raise _CellErrors(errors)
    return values


def _required(value: str) -> str:
    if not value:
        raise CellError(_("This value is required."))
    return value


_EMAIL = EmailValidator()
# Django's own patterns, compiled once: an address they match passes ``validate_email``; any
# other goes through it (IDN domains, address literals, the message).
_EMAIL_USER = re.compile(_EMAIL.user_regex.pattern, _EMAIL.user_regex.flags)
_EMAIL_DOMAIN = re.compile(_EMAIL.domain_regex.pattern, _EMAIL.domain_regex.flags)


def _mobile_phone(value: str) -> str:
    cleaned = unicodedata.normalize("NFKC", normalize_cell(value))
    digits = re.sub(r"[\s\-()‐ー]", "", cleaned)
    if not digits:
        return ""
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    elif digits.startswith("0"):
        digits = "+81" + digits[1:]
    if not re.fullmatch(r"\+[1-9]\d{7,14}", digits):
        raise CellError(
            _("“%(value)s” is not a phone number (e.g. 090-1234-5678 or +819012345678).")
            % {"value": value}
        )
    return digits


def _email(value: str) -> str:
    cleaned = normalize_cell(value)
    if not cleaned:
        return ""
    user, _at, domain = cleaned.rpartition("@")
    if len(cleaned) <= 320 and _EMAIL_USER.match(user) and _EMAIL_DOMAIN.match(domain):
        return cleaned
    try:
        validate_email(cleaned)
    except ValidationError:
        raise CellError(_("“%(value)s” is not an e-mail address.") % {"value": value}) from None
    return cleaned


class _CellErrors(Exception):
    def __init__(self, errors: list[tuple[str, str]]) -> None:
        super().__init__(errors)
        self.errors = errors


# --- behaviours ---------------------------------------------------------------------------------


def _kind_lookup() -> dict[str, str]:
    """Codes and (Japanese or English) names → code."""
    lookup: dict[str, str] = {}
    for code, name in BehaviourKind.objects.values_list("code", "name"):
        lookup[code] = code
        lookup[normalize_cell(name)] = code
    return lookup


def _touchpoint_lookup() -> dict[str, str]:
    lookup: dict[str, str] = {}
    for value, label in Touchpoint.choices:
        lookup[value] = value
        lookup[str(label)] = value
    return lookup


def parse_behaviour_row(
    row: dict[str, str], header: list[str], kinds: dict[str, str], touchpoints: dict[str, str]
) -> dict[str, Any]:
    parsers, extra = behaviour_parsers(header, kinds, touchpoints)
    return _parse(row, parsers, extra)


def behaviour_parsers(
    header: list[str], kinds: dict[str, str], touchpoints: dict[str, str]
) -> tuple[list[tuple[str, Callable[[str], Any]]], tuple[str, ...]]:
    """(column, parser) of the known behaviour columns in the header, and the other columns."""

    def kind(value: str) -> str:
        cleaned = normalize_cell(value)
        if cleaned not in kinds:
            raise CellError(_("Unknown behaviour kind “%(kind)s”.") % {"kind": value})
        return kinds[cleaned]

    def touchpoint(value: str) -> str:
        cleaned = normalize_cell(value)
        if not cleaned:
            return ""
        if cleaned not in touchpoints:
            raise CellError(_("Unknown touchpoint “%(value)s”.") % {"value": value})
        return touchpoints[cleaned]

    def amount(value: str) -> int | None:
        if not normalize_cell(value):
            return None
        return parse_int(value, minimum=0, maximum=MAX_AMOUNT)

    known: dict[str, Callable[[str], Any]] = {
        "customer_external_id": lambda v: _required(_text(v, 100)),
        "kind": kind,
        "occurred_at": lambda v: parse_datetime(_required(v)),
        "amount": amount,
        "touchpoint": touchpoint,
        "event_id": lambda v: _text(v, 100) or None,
    }
    parsers = [(column, parser) for column, parser in known.items() if column in header]
    return parsers, tuple(column for column in header if column not in BEHAVIOUR_COLUMNS)


# --- the two passes -----------------------------------------------------------------------------


@dataclass
class _Spec:
    required: tuple[str, ...]
    id_column: str


SPECS = {
    ImportKind.CUSTOMERS: _Spec(("external_id",), "external_id"),
    ImportKind.BEHAVIOURS: _Spec(("customer_external_id", "kind", "occurred_at"), "event_id"),
}


def _parsed_rows(
    source: Source, kind: str, result: ImportResult, *, check_customers: bool, dedupe: bool = True
) -> Iterator[list[tuple[int, dict[str, Any]]]]:
    """Batches of (row number, values) of the valid rows; errors go to ``result.errors``.

    Behaviour rows without ``event_id`` get the derived one. Without ``dedupe`` an id repeated
    in the file is not looked for (the COPY path finds repeats in SQL, in bounded memory)."""
    spec = SPECS[ImportKind(kind)]
    csv_rows = read_table(source, required=spec.required)
    header = csv_rows.header
    kinds = _kind_lookup() if kind == ImportKind.BEHAVIOURS else {}
    touchpoints = _touchpoint_lookup()
    seen = _Digests()
    batch: list[tuple[int, dict[str, Any]]] = []

    def flush() -> list[tuple[int, dict[str, Any]]]:
        if kind == ImportKind.BEHAVIOURS and check_customers and batch:
            wanted = {values["customer_external_id"] for _, values in batch}
            known = set(
                Customer.objects.filter(external_id__in=wanted).values_list(
                    "external_id", flat=True
                )
            )
            kept = []
            for number, values in batch:
                if values["customer_external_id"] in known:
                    kept.append((number, values))
                else:
                    _add_error(
                        result,
                        RowError(
                            number,
                            "customer_external_id",
                            _("Unknown customer ID “%(id)s”.")
                            % {"id": values["customer_external_id"]},
                        ),
                    )
            return kept
        return list(batch)

    if kind == ImportKind.CUSTOMERS:
        parsers, extra = _customer_parsers(tuple(header))
    else:
        parsers, extra = behaviour_parsers(header, kinds, touchpoints)
    for number, row in csv_rows.rows:
        result.rows += 1
        try:
            values = _parse(row, parsers, extra)
        except _CellErrors as exc:
            for column, message in exc.errors:
                _add_error(result, RowError(number, column, message))
            continue
        identifier = values.get(spec.id_column)
        if kind == ImportKind.BEHAVIOURS and not identifier:
            identifier = values["event_id"] = services.derived_event_id(values)
        if dedupe and identifier and not seen.add(identifier):
            _add_error(
                result,
                RowError(number, spec.id_column, _("The ID appears more than once in the file.")),
            )
            continue
        batch.append((number, values))
        if len(batch) >= BATCH:
            yield flush()
            batch = []
    if batch:
        yield flush()


def _add_error(result: ImportResult, error: RowError) -> None:
    if len(result.errors) < MAX_ERRORS:
        result.errors.append(error)
    else:
        result.errors[-1] = RowError(
            error.row, None, _("More errors were found; fix the rows above first.")
        )


def import_csv(
    source: Source,
    *,
    kind: str,
    now: datetime,
    skip_invalid: bool = False,
    progress: Progress | None = None,
    on_checked: Callable[[int], None] | None = None,
) -> ImportResult:
    """Check the whole file, then write it in one transaction. Raises ``CsvFileError``.

    On PostgreSQL: one pass, ``COPY`` into a staging table, one ``INSERT … SELECT``
    (``staged_imports``); elsewhere (SQLite: the demo, unit tests) two passes through the ORM.
    """
    if uses_copy():
        staged = ImportResult()
        return staged_imports.import_staged(
            _parsed_rows(source, kind, staged, check_customers=False, dedupe=False),
            result=staged,
            add_error=_add_error,
            max_errors=MAX_ERRORS,
            kind=kind,
            now=now,
            skip_invalid=skip_invalid,
            progress=progress,
            on_checked=on_checked,
        )
    check = ImportResult()
    for _batch in _parsed_rows(source, kind, check, check_customers=True):
        if progress:
            progress(ImportStatus.VALIDATING, check.rows)
    if check.errors and not skip_invalid:
        raise CsvFileError(sorted(check.errors, key=lambda error: error.row))
    result = ImportResult(rows=check.rows, errors=check.errors)
    if on_checked:
        on_checked(check.rows)
    write = ImportResult()
    service = (
        services.upsert_customers if kind == ImportKind.CUSTOMERS else services.record_behaviours
    )
    done = 0
    with transaction.atomic():
        for batch in _parsed_rows(source, kind, write, check_customers=True):
            counts = service(rows=[values for _, values in batch], now=now)
            result.created += counts.created
            result.updated += counts.updated
            result.skipped += counts.skipped
            done += len(batch)
            if progress:
                progress(ImportStatus.IMPORTING, done)
    result.skipped += len({error.row for error in check.errors})
    return result


# --- background jobs ----------------------------------------------------------------------------


def progress_cache_key(job_id: int) -> str:
    return f"engagement:import:{job_id}:progress"


def job_progress(job: ImportJob) -> dict[str, Any]:
    """Status and percentage of a job, with the write progress from the cache when running."""
    rows_done, status = job.rows_done, job.status
    if job.status == ImportStatus.IMPORTING:
        try:
            cached = cache.get(progress_cache_key(job.id))
        except Exception:  # the cache is down: show what the database has
            cached = None
        if cached:
            rows_done = min(int(cached), job.rows_total or int(cached))
    percent = round(rows_done * 100 / job.rows_total) if job.rows_total else job.percent
    if status == ImportStatus.DONE:
        percent = 100
    return {
        "status": status,
        "rows_done": rows_done,
        "rows_total": job.rows_total,
        "percent": percent,
    }


def run_import_job(*, job_id: int) -> ImportJob | None:
    """Run a stored import job (idempotent: a finished job is left alone)."""
    job = ImportJob.objects.filter(id=job_id).first()
    if job is None or job.status in (ImportStatus.DONE, ImportStatus.FAILED):
        return job
    now = timezone.now()
    ImportJob.objects.filter(id=job.id).update(
        status=ImportStatus.VALIDATING, started_at=now, rows_done=0, rows_total=0
    )

    def progress(stage: str, rows: int) -> None:
        if stage == ImportStatus.VALIDATING:
            # Outside any transaction: committed, visible to the job page at once.
            ImportJob.objects.filter(id=job.id).update(rows_total=rows, updated_at=timezone.now())
            return
        with contextlib.suppress(Exception):  # progress is best effort; the import goes on
            cache.set(progress_cache_key(job.id), rows, 3600)

    def checked(rows: int) -> None:
        ImportJob.objects.filter(id=job.id).update(
            status=ImportStatus.IMPORTING, rows_total=rows, updated_at=timezone.now()
        )

    try:
        with job.file.open("rb") as handle:
            result = import_csv(
                handle,
                kind=job.kind,
                now=now,
                skip_invalid=job.skip_invalid,
                progress=progress,
                on_checked=checked,
            )
    except DomainError as exc:
        ImportJob.objects.filter(id=job.id).update(
            status=ImportStatus.FAILED,
            message=exc.message[:5000],
            errors=exc.fields.get("file", [])[:100],
            finished_at=timezone.now(),
        )
    else:
        ImportJob.objects.filter(id=job.id).update(
            status=ImportStatus.DONE,
            rows_total=result.rows,
            rows_done=result.rows,
            created_count=result.created,
            updated_count=result.updated,
            skipped_count=result.skipped,
            errors=[str(error) for error in result.errors[:100]],
            message="",
            finished_at=timezone.now(),
        )
    job.refresh_from_db()
    if job.file:
        job.file.delete(save=True)  # personal data does not stay on disk
    return job
