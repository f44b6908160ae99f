"""Celery tasks: thin wrappers (ids in, one service call). Beat entries in settings."""

from __future__ import annotations

import smtplib

from celery import shared_task

from engagement.platform.outbox import OutboxTask

from . import services

# Transient mail-server errors: retried; the outbox sweeper also re-sends unfinished messages.
TRANSIENT = (smtplib.SMTPException, ConnectionError, TimeoutError, OSError)


@shared_task(base=OutboxTask, name="triage.apply_rules", ignore_result=True)
def apply_rules(*, item_ids: list[int] | None = None, item_id: int | None = None) -> int:
    # ``item_id``: messages queued before rules were applied to items in batches.
    ids = item_ids if item_ids is not None else [item_id] if item_id is not None else []
    return services.apply_rules_to_items(item_ids=ids)


@shared_task(
    base=OutboxTask,
    name="triage.send_alert",
    ignore_result=True,
    autoretry_for=TRANSIENT,
    retry_backoff=30,
    max_retries=5,
)
def send_alert(*, alert_id: int) -> bool:
    return services.deliver_alert(alert_id=alert_id)


@shared_task(
    base=OutboxTask,
    name="triage.send_reply",
    ignore_result=True,
    autoretry_for=TRANSIENT,
    retry_backoff=30,
    max_retries=5,
)
def send_reply(*, reply_id: int) -> bool:
    return services.deliver_reply(reply_id=reply_id)


@shared_task(
    base=OutboxTask,
    name="triage.send_heard_you",
    ignore_result=True,
    autoretry_for=TRANSIENT,
    retry_backoff=30,
    max_retries=5,
)
def send_heard_you(*, campaign_id: int) -> int:
    return services.deliver_heard_you(campaign_id=campaign_id)


@shared_task(base=OutboxTask, name="triage.run_bulk_job", ignore_result=True)
def run_bulk_job(*, job_id: int) -> None:
    services.run_bulk_job(job_id=job_id)


# --- beat ---------------------------------------------------------------------------------------


@shared_task(name="triage.escalate_overdue", ignore_result=True)
def escalate_overdue() -> int:
    return services.escalate_overdue()


@shared_task(name="triage.send_digests", ignore_result=True)
def send_digests() -> int:
    return services.send_daily_digests()


@shared_task(name="triage.apply_pending_rules", ignore_result=True)
def apply_pending_rules() -> int:
    return services.apply_pending_rules()
