"""Celery tasks: thin wrappers (ids in, one service call). The retry beat entry is in settings."""

from __future__ import annotations

from celery import shared_task

from engagement.platform.outbox import OutboxTask

from . import services


@shared_task(base=OutboxTask, name="integrations.deliver_webhook", ignore_result=True)
def deliver_webhook(*, delivery_id: int) -> str:
    return services.deliver_webhook(delivery_id=delivery_id)


@shared_task(base=OutboxTask, name="integrations.deliver_chat", ignore_result=True)
def deliver_chat(*, delivery_id: int) -> str:
    return services.deliver_chat(delivery_id=delivery_id)


@shared_task(name="integrations.retry_due", ignore_result=True)
def retry_due() -> int:
    return services.retry_due_deliveries()
