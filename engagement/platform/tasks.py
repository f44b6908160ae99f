from celery import shared_task

from engagement.platform import outbox


# The task keeps the name it was registered under before infrastructure moved to ``platform``.
@shared_task(name="engagement.sweep_outbox", ignore_result=True)
def sweep_outbox() -> int:
    return outbox.sweep()
