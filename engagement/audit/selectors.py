"""Reads of the audit log: the search the admin page and the CSV export share."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone

from engagement.audit.models import AuditEntry, AuditEntryQuerySet
from engagement.platform.spreadsheets import neutralise

EXPORT_COLUMNS = [
    "id",
    "at",
    "actor_username",
    "ip",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "customer_id",
    "path",
    "detail",
    "hash",
]


def search_entries(
    *,
    staff: str = "",
    customer_id: int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    action: str = "",
) -> AuditEntryQuerySet:
    """Entries newest first, by staff username (exact, case-insensitive), customer and date
    range (inclusive, in the site's time zone)."""
    qs = AuditEntry.objects.all()
    if staff:
        qs = qs.filter(actor_username__iexact=staff)
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    if action:
        qs = qs.filter(action=action)
    tz = timezone.get_current_timezone()
    if date_from:
        qs = qs.filter(at__gte=datetime.combine(date_from, time.min, tzinfo=tz))
    if date_to:
        qs = qs.filter(at__lt=datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=tz))
    return qs.ordered()


CSV_ENCODINGS = ("utf-8-sig", "cp932")


def entries_csv(entries: Iterable[AuditEntry], *, encoding: str = "utf-8-sig") -> bytes:
    """CSV for Excel in Japanese (UTF-8 with a BOM, or cp932 for older Excel), formula-looking
    cells neutralised."""
    if encoding not in CSV_ENCODINGS:
        raise ValueError(encoding)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    for entry in entries:
        row: list[Any] = []
        for column in EXPORT_COLUMNS:
            value = getattr(entry, column)
            if column == "at":
                value = timezone.localtime(value).isoformat()
            elif column == "detail":
                value = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
            row.append(neutralise("" if value is None else value))
        writer.writerow(row)
    return buffer.getvalue().encode(encoding, errors="replace")
