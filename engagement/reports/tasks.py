"""Celery tasks (thin: ids in, one service call)."""

from __future__ import annotations

import smtplib

from celery import shared_task

from engagement.platform.outbox import OutboxTask
from engagement.reports import services


@shared_task(
    base=OutboxTask,
    name="reports.generate_report",
    ignore_result=True,
    # Compared with an earlier report that is still being generated: wait for it.
    autoretry_for=(services.EarlierReportPending,),
    retry_backoff=2,
    retry_backoff_max=30,
    max_retries=20,
)
def generate_report(*, report_id: int) -> None:
    services.generate_report(report_id=report_id)


@shared_task(
    base=OutboxTask,
    name="reports.email_report",
    ignore_result=True,
    # The mail server being briefly unreachable is transient: try again with back-off.
    autoretry_for=(smtplib.SMTPException, ConnectionError, TimeoutError),
    retry_backoff=30,
    max_retries=5,
)
def email_report(*, report_id: int) -> None:
    services.email_report(report_id=report_id)


@shared_task(name="reports.schedule_weekly_reports", ignore_result=True)
def schedule_weekly_reports() -> int:
    return len(services.schedule_weekly_reports())
