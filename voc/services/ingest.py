"""Feedback in: free-text survey answers, the API, CSV files.

Every new item is tokenised, scored and assigned to the existing topics at once (a few items)
or by chunk tasks (large imports: ``voc.analyze_chunk`` messages through the outbox, so that
work is not part of the import), then handed to triage (``triage.apply_rules``) when that task
is registered. CSV imports on PostgreSQL go through ``staged_ingest`` (``COPY`` + one insert).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from engagement.customers.models import Customer
from engagement.platform import outbox
from engagement.platform.bulkcopy import uses_copy
from engagement.platform.csvfiles import (
    CellError,
    CsvFileError,
    RowError,
    Source,
    parse_datetime,
    parse_int,
    read_table,
)
from engagement.platform.errors import InvalidInput
from voc.models import Channel, FeedbackItem
from voc.services import staged_ingest
from voc.services.analysis import analyze_items, dispatch_tokenization
from voc.services.announcements import announce_created
from voc.services.staged_ingest import ImportResult

MAX_TEXT = 20_000
INLINE_ANALYSIS = 2_000  # larger imports are tokenised by chunk tasks
KNOWN_COLUMNS = ("text", "channel", "received_at", "customer_external_id", "rating", "external_id")
RATING_RANGE = (0, 10)
CHANNEL_CODES = frozenset(Channel.values)


TRIAGE_BATCH = 500


def _enqueue_triage(item_ids: Sequence[int]) -> None:
    """Hand new items to triage: one message per item, or per ``TRIAGE_BATCH`` of an import."""
    if not outbox.task_registered("triage.apply_rules"):
        return
    ids = sorted(item_ids)
    for start in range(0, len(ids), TRIAGE_BATCH):
        batch = ids[start : start + TRIAGE_BATCH]
        key = f"{batch[0]}" if len(batch) == 1 else f"{batch[0]}-{batch[-1]}"
        outbox.enqueue(
            task_name="triage.apply_rules",
            kwargs={"item_ids": batch},
            dedup_key=f"triage-apply-rules-{key}",
        )


def _after_create(item_ids: Sequence[int]) -> None:
    if not item_ids:
        return
    if len(item_ids) <= INLINE_ANALYSIS:
        analyze_items(item_ids=item_ids)
    else:
        dispatch_tokenization()
    _enqueue_triage(item_ids)
    announce_created(item_ids=item_ids)


def ingest_survey_response(*, response_id: int) -> list[FeedbackItem]:
    """Each non-empty free-text answer of a submitted response becomes one feedback item.

    Idempotent: an answer already ingested (``FeedbackItem.answer`` is one-to-one) is skipped,
    so the task may run twice. Returns the items created by this call.
    """
    from surveys.models import TEXT_KINDS, Answer, Response

    response = Response.objects.filter(id=response_id, submitted_at__isnull=False).first()
    if response is None:
        return []
    answers = (
        Answer.objects.filter(response=response, question__kind__in=TEXT_KINDS)
        .filter(feedback_item__isnull=True)
        .select_related("question")
        .order_by("question__position", "id")
    )
    created: list[FeedbackItem] = []
    with transaction.atomic():
        for answer in answers:
            if not answer.text.strip():
                continue
            try:
                with transaction.atomic():
                    item = FeedbackItem.objects.create(
                        text=answer.text,
                        channel=Channel.SURVEY,
                        received_at=response.submitted_at,
                        customer_id=response.customer_id,
                        answer=answer,
                        response=response,
                        nps_score=response.nps_score,
                        nps_category=response.nps_category or "",
                        touchpoint=response.touchpoint or "",
                        attributes={
                            "survey_id": response.survey_id,
                            "question_key": answer.question.key,
                            "question_role": answer.question.role,
                        },
                    )
            except IntegrityError:
                continue  # a concurrent run ingested this answer first
            created.append(item)
        _after_create([item.id for item in created])
    return created


def _content_key(channel: str, text: str, received_at: str, customer: str) -> str:
    digest = hashlib.sha256(
        "\x1f".join([channel, text, received_at, customer]).encode("utf-8")
    ).hexdigest()
    return f"sha256:{digest[:40]}"


@functools.lru_cache(maxsize=16)
def _channel_labels(language: str | None) -> dict[str, str]:
    """Labels in the language → channel code."""
    return {str(choice.label): choice.value for choice in Channel}


def _channel(value: str) -> str:
    cleaned = value.strip()
    if not cleaned:
        return Channel.OTHER
    if cleaned.lower() in CHANNEL_CODES:
        return cleaned.lower()
    if found := _channel_labels(translation.get_language()).get(cleaned):
        return found
    raise CellError(
        _("Unknown channel “%(value)s” (use one of: %(choices)s).")
        % {"value": value, "choices": ", ".join(Channel.values)}
    )


def _prepare(
    row: dict[str, str], number: int, customers: dict[str, int] | None, now: datetime
) -> tuple[dict[str, Any] | None, list[RowError]]:
    """A row's values for ``FeedbackItem`` and its errors. Without ``customers`` (the COPY
    path) the customer id is kept as ``customer_external_id`` and checked in SQL."""
    errors: list[RowError] = []
    text = (row.get("text") or "").strip()
    if not text:
        errors.append(RowError(number, "text", _("The text is empty.")))
    elif len(text) > MAX_TEXT:
        errors.append(
            RowError(
                number,
                "text",
                _("The text is too long (%(max)s characters at most).") % {"max": MAX_TEXT},
            )
        )
    values: dict[str, Any] = {"text": text}
    try:
        values["channel"] = _channel(row.get("channel", ""))
    except CellError as exc:
        errors.append(RowError(number, "channel", str(exc)))
    raw_received = (row.get("received_at") or "").strip()
    try:
        values["received_at"] = parse_datetime(raw_received) if raw_received else now
    except CellError as exc:
        errors.append(RowError(number, "received_at", str(exc)))
    customer_key = (row.get("customer_external_id") or "").strip()
    values["customer_id"] = None
    if customer_key and customers is None:
        values["customer_external_id"] = customer_key
    elif customer_key:
        if customer_key in customers:
            values["customer_id"] = customers[customer_key]
        else:
            errors.append(
                RowError(
                    number,
                    "customer_external_id",
                    _("No customer has the ID “%(value)s”.") % {"value": customer_key},
                )
            )
    raw_rating = (row.get("rating") or "").strip()
    values["rating"] = None
    if raw_rating:
        try:
            values["rating"] = parse_int(
                raw_rating, minimum=RATING_RANGE[0], maximum=RATING_RANGE[1]
            )
        except CellError as exc:
            errors.append(RowError(number, "rating", str(exc)))
    external_id = (row.get("external_id") or "").strip()
    if len(external_id) > 200:
        errors.append(RowError(number, "external_id", _("The ID is too long.")))
    values["external_id"] = external_id or _content_key(
        values.get("channel", ""), text, raw_received, customer_key
    )
    values["attributes"] = {
        key: value for key, value in row.items() if key not in KNOWN_COLUMNS and value != ""
    }
    if errors:
        return None, errors
    return values, []


def import_feedback(
    *, source: Source, skip_bad_rows: bool = False, now: datetime | None = None
) -> ImportResult:
    """Import a CSV of feedback (support inquiries, reviews, SNS posts…).

    Columns: ``text`` (required), ``channel``, ``received_at``, ``customer_external_id``,
    ``rating``, ``external_id``; other columns are kept in ``attributes``. A file with errors
    imports nothing (``CsvFileError`` names every row and column) unless ``skip_bad_rows``.
    Re-importing never duplicates: rows are matched on (channel, external_id), or on a hash of
    the row's content when it has no external_id.

    On PostgreSQL the file is streamed into a staging table with ``COPY`` and written with one
    ``INSERT … SELECT`` (``staged_ingest``); elsewhere (SQLite: the demo, unit tests) through
    the ORM.
    """
    now = now or timezone.now()
    if uses_copy():
        return staged_ingest.import_staged(
            source=source,
            skip_bad_rows=skip_bad_rows,
            now=now,
            result=ImportResult(),
            prepare=_prepare,
            after_create=_after_create,
        )
    csv_rows = read_table(source, required=["text"])
    rows = list(csv_rows.rows)
    wanted = {(row.get("customer_external_id") or "").strip() for _n, row in rows} - {""}
    customers = dict(
        Customer.objects.filter(external_id__in=wanted).values_list("external_id", "id")
    )
    result = ImportResult()
    prepared: list[dict[str, Any]] = []
    for number, row in rows:
        values, errors = _prepare(row, number, customers, now)
        if errors:
            result.errors.extend(errors)
            result.skipped_rows += 1
            continue
        prepared.append(values)  # type: ignore[arg-type]
    if result.errors and not skip_bad_rows:
        raise CsvFileError(result.errors)
    # Duplicates: already in the database, or repeated inside the file.
    seen: set[tuple[str, str]] = set()
    fresh: list[dict[str, Any]] = []
    keys = {(values["channel"], values["external_id"]) for values in prepared}
    existing: set[tuple[str, str]] = set()
    by_channel: dict[str, list[str]] = {}
    for channel, external_id in keys:
        by_channel.setdefault(channel, []).append(external_id)
    for channel, ids in by_channel.items():
        for start in range(0, len(ids), 900):
            existing.update(
                FeedbackItem.objects.filter(
                    channel=channel, external_id__in=ids[start : start + 900]
                ).values_list("channel", "external_id")
            )
    for values in prepared:
        key = (values["channel"], values["external_id"])
        if key in existing or key in seen:
            result.duplicates += 1
            continue
        seen.add(key)
        fresh.append(values)
    with transaction.atomic():
        created = FeedbackItem.objects.bulk_create(
            [FeedbackItem(**values) for values in fresh], batch_size=1000
        )
        result.item_ids = [item.id for item in created if item.id]
        if len(result.item_ids) != len(created):
            result.item_ids = list(
                FeedbackItem.objects.filter(
                    external_id__in=[values["external_id"] for values in fresh]
                ).values_list("id", flat=True)
            )
        result.created = len(created)
        _after_create(result.item_ids)
    return result


def create_feedback_item(
    *,
    text: str,
    channel: str,
    received_at: datetime | None = None,
    customer_external_id: str = "",
    rating: int | None = None,
    external_id: str = "",
    attributes: dict[str, Any] | None = None,
) -> tuple[FeedbackItem, bool]:
    """One item from the API. Returns (item, created); a known (channel, external_id) is not
    created twice."""
    text = (text or "").strip()
    if not text:
        raise InvalidInput(_("The text is empty."), fields={"text": [_("Required.")]})
    if len(text) > MAX_TEXT:
        raise InvalidInput(_("The text is too long."), fields={"text": [_("Too long.")]})
    if channel not in Channel.values:
        raise InvalidInput(_("Unknown channel."), fields={"channel": [_("Invalid.")]})
    if rating is not None and not (RATING_RANGE[0] <= rating <= RATING_RANGE[1]):
        raise InvalidInput(
            _("The rating must be between 0 and 10."), fields={"rating": [_("Invalid.")]}
        )
    customer_id = None
    if customer_external_id:
        customer_id = (
            Customer.objects.filter(external_id=customer_external_id)
            .values_list("id", flat=True)
            .first()
        )
        if customer_id is None:
            raise InvalidInput(
                _("No customer has the ID “%(value)s”.") % {"value": customer_external_id},
                fields={"customer_external_id": [_("Unknown customer.")]},
            )
    external_id = external_id.strip() or None
    if external_id:
        existing = FeedbackItem.objects.filter(channel=channel, external_id=external_id).first()
        if existing:
            return existing, False
    try:
        with transaction.atomic():
            item = FeedbackItem.objects.create(
                text=text,
                channel=channel,
                received_at=received_at or timezone.now(),
                customer_id=customer_id,
                rating=rating,
                external_id=external_id,
                attributes=attributes or {},
            )
            _after_create([item.id])
    except IntegrityError:
        # A concurrent request created the same (channel, external_id) first.
        return FeedbackItem.objects.get(channel=channel, external_id=external_id), False
    item.refresh_from_db()
    return item, True
