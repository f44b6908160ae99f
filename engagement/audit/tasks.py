from __future__ import annotations

from datetime import datetime

from celery import shared_task
from django.utils import timezone

from engagement.audit.retention import apply_retention as run_retention


@shared_task(name="audit.apply_retention", ignore_result=True)
def apply_retention(dry_run: bool = False, now: str | None = None) -> int:
    """Nightly (beat): apply the retention rules; returns the id of the recorded run.
    ``now`` (ISO 8601) replaces the clock, for a test or a catch-up run."""
    moment = datetime.fromisoformat(now) if now else timezone.now()
    return run_retention(now=moment, dry_run=dry_run, trigger="beat").pk
