from celery import shared_task
from django.utils import timezone

from engagement.audit.retention import apply_retention as run_retention


@shared_task(name="audit.apply_retention", ignore_result=True)
def apply_retention(dry_run: bool = False) -> int:
    """Nightly (beat): apply the retention rules; returns the id of the recorded run."""
    return run_retention(now=timezone.now(), dry_run=dry_run, trigger="beat").pk
