from celery import shared_task

from engagement import outbox


@shared_task(name="engagement.sweep_outbox", ignore_result=True)
def sweep_outbox() -> int:
    return outbox.sweep()
