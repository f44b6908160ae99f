"""Retention: each kind of data is kept ``months`` months, then deleted or anonymised.

Each domain app registers what its kind means (``register``: how many would go, and making them
go) from its ``AppConfig.ready``, so this module imports none of them. ``apply_retention`` runs
every registered rule with the months of the admin's ``RetentionPolicy`` (or the
``RETENTION_DEFAULT_MONTHS`` setting) and records a ``RetentionRun`` with the counts; a dry run
counts and records, and changes nothing else. Nightly by beat (``audit.apply_retention``) and
``manage.py apply_retention [--dry-run]``.
"""

from __future__ import annotations

import calendar
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from engagement.audit.log import record
from engagement.audit.models import (
    AuditAction,
    AuditEntry,
    AuditEntryQuerySet,
    DataKind,
    RetentionPolicy,
    RetentionRun,
)


@dataclass(frozen=True)
class Rule:
    kind: str
    name: str  # what the counts are of, e.g. "feedback_items_erased"
    count: Callable[[datetime], int]
    apply: Callable[[datetime], int]


_RULES: dict[str, Rule] = {}


def register(
    *, kind: str, name: str, count: Callable[[datetime], int], apply: Callable[[datetime], int]
) -> None:
    """Add (or replace) the rule ``name`` of data kind ``kind``."""
    if kind not in DataKind.values:
        raise ValueError(f"unknown data kind {kind!r}")
    _RULES[name] = Rule(kind=kind, name=name, count=count, apply=apply)


def registered_rules() -> list[Rule]:
    return sorted(_RULES.values(), key=lambda r: (r.kind, r.name))


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time ``months`` calendar months earlier (the month's last day if
    shorter)."""
    total = moment.year * 12 + (moment.month - 1) - months
    year, month = divmod(total, 12)
    month += 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def retention_months() -> dict[str, int]:
    months = {kind: int(settings.RETENTION_DEFAULT_MONTHS.get(kind, 0)) for kind in DataKind.values}
    for policy in RetentionPolicy.objects.order_by("kind"):
        months[policy.kind] = policy.months
    return months


def apply_retention(*, now: datetime, dry_run: bool = False, trigger: str = "") -> RetentionRun:
    """Apply every rule whose kind has a period (months > 0); returns the recorded run."""
    months = retention_months()
    run = RetentionRun(started_at=now, dry_run=dry_run, trigger=trigger[:100])
    counts: dict[str, int] = {}
    cutoffs: dict[str, str] = {}
    for rule in registered_rules():
        if months.get(rule.kind, 0) <= 0:
            continue
        cutoff = months_before(now, months[rule.kind])
        cutoffs[rule.kind] = cutoff.isoformat()
        if dry_run:
            counts[rule.name] = rule.count(cutoff)
        else:
            with transaction.atomic():
                counts[rule.name] = rule.apply(cutoff)
    run.counts = counts
    run.cutoffs = cutoffs
    run.finished_at = timezone.now()
    with transaction.atomic():
        run.save()
        record(
            action=AuditAction.RETENTION,
            obj=run,
            detail={"dry_run": dry_run, "counts": counts},
        )
    return run


# --- the audit log's own rule ------------------------------------------------------------------


def _old_audit_entries(cutoff: datetime) -> AuditEntryQuerySet:
    """The start of the chain up to the first entry to keep: the chain stays one piece (an
    entry written with a skewed clock is kept with its neighbours rather than cut out)."""
    first_kept = (
        AuditEntry.objects.filter(at__gte=cutoff)
        .order_by("id")
        .values_list("id", flat=True)
        .first()
    )
    entries = AuditEntry.objects.filter(at__lt=cutoff)
    return entries if first_kept is None else entries.filter(id__lt=first_kept)


def _count_audit(cutoff: datetime) -> int:
    return _old_audit_entries(cutoff).count()


def _purge_audit(cutoff: datetime) -> int:
    """The only deletion of audit entries: the database trigger lets it through for this
    transaction only (PostgreSQL); the chain stays verifiable from the oldest entry kept."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL audit.allow_purge = 'on'")
        queryset = _old_audit_entries(cutoff)
        return queryset._raw_delete(queryset.db)


# --- files kept on the server (exports and uploads under MEDIA_ROOT) ------------------------------

FILE_DIRECTORIES = ("exports", "imports")


def _old_files(cutoff: datetime) -> list[Path]:
    limit = cutoff.timestamp()
    found: list[Path] = []
    for name in FILE_DIRECTORIES:
        root = Path(settings.MEDIA_ROOT) / name
        if not root.is_dir():
            continue
        for dirpath, _dirs, files in os.walk(root):
            for filename in files:
                path = Path(dirpath) / filename
                if path.stat().st_mtime < limit:
                    found.append(path)
    return sorted(found)


def _count_files(cutoff: datetime) -> int:
    return len(_old_files(cutoff))


def _delete_files(cutoff: datetime) -> int:
    deleted = 0
    for path in _old_files(cutoff):
        path.unlink(missing_ok=True)
        deleted += 1
    return deleted


register(
    kind=DataKind.AUDIT_LOG, name="audit_entries_deleted", count=_count_audit, apply=_purge_audit
)
register(kind=DataKind.EXPORTS, name="files_deleted", count=_count_files, apply=_delete_files)
