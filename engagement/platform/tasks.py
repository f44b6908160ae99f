from celery import shared_task

from engagement.platform import outbox, ratelimits


# The task keeps the name it was registered under before infrastructure moved to ``platform``.
@shared_task(name="engagement.sweep_outbox", ignore_result=True)
def sweep_outbox() -> int:
    return outbox.sweep()


@shared_task(name="engagement.prune_rate_counters", ignore_result=True)
def prune_rate_counters() -> int:
    return ratelimits.prune_counters()
