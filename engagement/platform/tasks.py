from celery import shared_task

from engagement.platform import outbox, ratelimits


# The task keeps the name it was registered under before infrastructure moved to ``platform``.
@shared_task(name="engagement.sweep_outbox", ignore_result=True)
def sweep_outbox() -> int:
    return outbox.sweep()


@shared_task(name="engagement.enqueue_periodic", ignore_result=True)
def enqueue_periodic(*, task_name: str, dedup_key: str) -> int:
    """Beat's way into the outbox for long periodic work: the task runs with a lease, and not
    at all while a message with the same key (e.g. an on-demand run) is still open."""
    from django.db import transaction

    with transaction.atomic():
        return outbox.enqueue(task_name=task_name, kwargs={}, dedup_key=dedup_key).id


@shared_task(name="engagement.prune_rate_counters", ignore_result=True)
def prune_rate_counters() -> int:
    return ratelimits.prune_counters()
