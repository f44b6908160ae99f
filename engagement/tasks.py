from celery import shared_task

from engagement import imports, outbox
from engagement.outbox import OutboxTask


@shared_task(name="engagement.sweep_outbox", ignore_result=True)
def sweep_outbox() -> int:
    return outbox.sweep()


@shared_task(base=OutboxTask, name="engagement.run_import", ignore_result=True)
def run_import(*, job_id: int) -> None:
    """Run a stored CSV import job (see ``engagement.imports``); idempotent."""
    imports.run_import_job(job_id=job_id)
