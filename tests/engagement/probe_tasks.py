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


# Its own queue: only the lease test's workers take it (not the session's shared worker).
STEPWISE_QUEUE = "tests-stepwise"


@shared_task(base=OutboxTask, name="tests.stepwise", queue=STEPWISE_QUEUE)
def stepwise(*, key: str, steps: int, step_seconds: float) -> None:
    """A long task in steps: each step's side effect is recorded once (idempotent), so a run
    cut short and started again completes the work exactly once. Counts live in Redis."""
    import time

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.incr(f"{key}:starts")
    for step in range(steps):
        if client.exists(f"{key}:step:{step}"):
            continue  # done by an earlier run
        time.sleep(step_seconds)  # the work of the step
        if client.set(f"{key}:step:{step}", 1, nx=True):
            client.incr(f"{key}:work")
    client.incr(f"{key}:completions")
