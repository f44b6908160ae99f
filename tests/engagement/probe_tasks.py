"""A probe task for the outbox tests; the test worker loads it with ``--include``.

With a broker it counts calls in Redis (the worker is another process); in eager mode in a list.
"""

from __future__ import annotations

import redis
from celery import shared_task
from django.conf import settings

from engagement.platform.outbox import OutboxTask

EAGER_CALLS: list[str] = []


@shared_task(base=OutboxTask, name="tests.count_call")
def count_call(*, key: str) -> None:
    if settings.CELERY_BROKER_URL:
        redis.Redis.from_url(settings.CELERY_BROKER_URL).incr(key)
    else:
        EAGER_CALLS.append(key)


@shared_task(base=OutboxTask, name="tests.fail_always")
def fail_always(*, key: str) -> None:
    raise ValueError(f"broken input {key}")
