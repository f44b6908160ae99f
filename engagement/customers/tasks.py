from celery import shared_task

from engagement.customers import imports
from engagement.platform.outbox import OutboxTask


@shared_task(base=OutboxTask, name="engagement.run_import", ignore_result=True)
def run_import(*, job_id: int) -> None:
    """Run a stored CSV import job (see ``engagement.customers.imports``); idempotent."""
    imports.run_import_job(job_id=job_id)


@shared_task(name="engagement.refresh_customer_values", ignore_result=True)
def refresh_customer_values() -> None:
    """Nightly (beat): refit the CLV models and store predicted CLV and CRV."""
    from engagement.customers import valuation

    valuation.refresh_customer_values()
