"""Report generation through the real Celery worker, on PostgreSQL and Redis."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from engagement.platform.models import OutboxMessage
from engagement.reports import services
from engagement.reports.models import ProductArea, Report, ReportKind, ReportStatus
from tests.reports.conftest import PERIOD, Constructed

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
]


def test_report_generated_by_the_worker(celery_worker_process, wait, constructed: Constructed):
    report = services.request_report(period_start=PERIOD[0], period_end=PERIOD[1])
    done = wait(
        lambda: Report.objects.filter(id=report.id, status=ReportStatus.DONE).first(), timeout=60
    )
    assert done.progress == 100
    topics = {t["name"]: t for t in done.data["topics"]}
    # The worker runs with the default minimum (30 customers): the angry topic's 10 customers
    # make it a reference value; the praised one is a strength.
    assert topics["解約手続き"]["kind"] == "reference" and topics["解約手続き"]["rank"] is None
    assert topics["店舗スタッフ"]["kind"] == "strength"
    wait(
        lambda: OutboxMessage.objects.filter(
            task_name="reports.generate_report", state="done"
        ).exists(),
        timeout=30,
    )


def test_weekly_reports_generated_and_emailed_by_the_worker(
    celery_worker_process, wait, constructed: Constructed, product_team_user
):
    area = ProductArea.objects.create(name="会員サービス", slug="membership")
    area.topics.add(constructed.angry)
    area.subscriptions.create(user=product_team_user)
    now = datetime(2026, 10, 14, 9, tzinfo=ZoneInfo("Asia/Tokyo"))
    (weekly,) = services.schedule_weekly_reports(now=now)
    assert weekly.kind == ReportKind.WEEKLY
    emailed = wait(
        lambda: Report.objects.filter(id=weekly.id, emailed_at__isnull=False).first(), timeout=60
    )
    assert emailed.status == ReportStatus.DONE
    assert emailed.data["topics"][0]["name"] == "解約手続き"
