from celery import shared_task

from engagement.dashboard import services
from engagement.platform.outbox import OutboxTask


@shared_task(base=OutboxTask, name="dashboard.refresh_rollups", ignore_result=True)
def refresh_rollups() -> None:
    """Rebuild the dashboard's daily summaries (idempotent: a rebuild replaces them)."""
    services.refresh_rollups()
