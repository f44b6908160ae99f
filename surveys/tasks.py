"""Celery tasks: thin wrappers that load ids and call one service."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from engagement.platform.outbox import OutboxTask
from surveys import services


@shared_task(base=OutboxTask, name="surveys.send_deliveries", ignore_result=True)
def send_deliveries(*, delivery_ids: list[int]) -> dict[str, int]:
    """Send a batch of survey messages (e-mail, LINE, SMS); each at most once, failures are
    recorded and retried by the distribution run."""
    return services.deliver_batch(delivery_ids=delivery_ids)


@shared_task(name="surveys.run_distribution", ignore_result=True)
def run_distribution() -> dict[str, int]:
    """Beat: queue invitation e-mails, reminders and retries; close surveys past their date."""
    return services.run_distribution(now=timezone.now())
