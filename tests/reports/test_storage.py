"""Stored reports: background generation with progress, snapshots that reopen exactly, weekly
reports per product area e-mailed to subscribers."""

from __future__ import annotations

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client

from engagement.platform.errors import InvalidInput
from engagement.platform.models import OutboxMessage
from engagement.reports import exports, services
from engagement.reports.models import (
    ImprovementAction,
    ProductArea,
    Report,
    ReportKind,
    ReportStatus,
    ReportSubscription,
)
from tests.reports.conftest import PERIOD, Builder, Constructed, at

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _on_commit(django_capture_on_commit_callbacks):
    """Run on-commit callbacks (the outbox sends after commit) inside the test transaction."""
    global run_commits
    run_commits = django_capture_on_commit_callbacks


def committed(call, *args, **kwargs):
    with run_commits(execute=True):
        return call(*args, **kwargs)


def make_report(**kwargs) -> Report:
    report = committed(
        services.request_report, period_start=PERIOD[0], period_end=PERIOD[1], **kwargs
    )
    report.refresh_from_db()
    return report


def test_request_generates_in_background_through_the_outbox(constructed: Constructed) -> None:
    report = make_report()
    # eager mode: the outbox sent the task after commit and it ran
    message = OutboxMessage.objects.get(task_name="reports.generate_report")
    assert message.kwargs == {"report_id": report.id}
    assert message.state == "done"
    assert report.status == ReportStatus.DONE and report.progress == 100
    assert report.data["topics"][0]["name"] == "解約手続き"
    # generating again is a no-op on a finished report
    assert services.generate_report(report_id=report.id).data == report.data


def test_progress_is_recorded_while_generating(constructed: Constructed, monkeypatch) -> None:
    seen: list[int] = []
    original = services._set_progress

    def spy(report_id: int, percent: int) -> None:
        original(report_id, percent)
        seen.append(Report.objects.get(id=report_id).progress)

    monkeypatch.setattr(services, "_set_progress", spy)
    make_report()
    assert seen == sorted(seen) and seen[0] < 50 < seen[-1] < 100


def test_stored_report_reopens_identical_after_the_data_changed(
    constructed: Constructed, builder: Builder, product_team_user: User
) -> None:
    report = make_report()
    client = Client()
    client.force_login(product_team_user)
    page_before = client.get(f"/reports/{report.id}/").content
    csv_before = client.get(f"/reports/{report.id}/export.csv").content
    api_before = client.get(f"/api/v1/reports/{report.id}/").json()

    # the world moves on: new complaints, renamed topic, a new action
    for _i in range(30):
        builder.feedback(
            customer=builder.customer(),
            topic=constructed.happy,
            text="最悪",
            score=0,
            when=at(PERIOD[0]),
        )
    constructed.angry.name = "名前を変えたトピック"
    constructed.angry.save()
    ImprovementAction.objects.create(title="新しい施策").topics.add(constructed.angry)

    stored = Report.objects.get(id=report.id)
    assert json.dumps(stored.data, sort_keys=True) == json.dumps(report.data, sort_keys=True)
    assert client.get(f"/reports/{report.id}/").content == page_before
    assert client.get(f"/reports/{report.id}/export.csv").content == csv_before
    assert client.get(f"/api/v1/reports/{report.id}/").json() == api_before
    assert exports.report_csv(stored.data) == csv_before
    # a new report does see the change
    fresh = make_report()
    assert fresh.data["topics"] != stored.data["topics"]


def test_second_report_summarises_changes_and_shipped_actions(constructed: Constructed) -> None:
    first = committed(
        services.request_report, period_start=date(2026, 9, 1), period_end=date(2026, 9, 30)
    )
    action = ImprovementAction.objects.create(
        title="解約手続きをWebで完結", status="shipped", shipped_on=date(2026, 10, 15)
    )
    action.topics.add(constructed.angry)
    second = make_report()
    summary = second.data["summary"]
    assert second.data["previous_report_id"] == first.id
    assert summary["has_previous"] is True
    assert {"topic": "解約手続き", "kind": "new", "rank": 1} in summary["changes"]
    assert [a["title"] for a in summary["shipped_actions"]] == ["解約手続きをWebで完結"]
    angry = second.data["topics"][0]
    assert angry["actions"] == [
        {
            "id": action.id,
            "title": "解約手続きをWebで完結",
            "status": "shipped",
            "shipped_on": "2026-10-15",
        }
    ]


def test_invalid_period_is_refused_and_nothing_is_written(db: None) -> None:
    with pytest.raises(InvalidInput) as error:
        services.request_report(period_start=date(2026, 10, 31), period_end=date(2026, 10, 1))
    assert "period_end" in error.value.fields
    assert Report.objects.count() == 0 and OutboxMessage.objects.count() == 0


def test_weekly_reports_per_area_once_and_emailed(
    constructed: Constructed, product_team_user: User
) -> None:
    area = ProductArea.objects.create(name="会員サービス", slug="membership")
    area.topics.add(constructed.angry, constructed.mild)
    ProductArea.objects.create(name="店舗", slug="store")
    ReportSubscription.objects.create(product_area=area, user=product_team_user)
    now = datetime(2026, 10, 14, 9, tzinfo=ZoneInfo("Asia/Tokyo"))  # a Wednesday

    created = committed(services.schedule_weekly_reports, now=now)
    assert len(created) == 2
    assert committed(services.schedule_weekly_reports, now=now) == []  # once per area and week
    weekly = Report.objects.get(kind=ReportKind.WEEKLY, product_area=area)
    assert (weekly.period_start, weekly.period_end) == (date(2026, 10, 5), date(2026, 10, 11))
    assert weekly.status == ReportStatus.DONE and weekly.emailed_at is not None
    sent = [m for m in mail.outbox if m.to == ["pm@example.jp"]]
    assert len(sent) == 1
    body = sent[0].body
    assert f"/reports/{weekly.id}/" in body
    assert "解約手続き" in body
    assert "taro.yamada@example.jp" not in body and "山田" not in body
    # e-mailing again sends nothing more
    assert services.email_report(report_id=weekly.id) == 0
    assert len([m for m in mail.outbox if m.to == ["pm@example.jp"]]) == 1


def test_beat_task_is_scheduled() -> None:
    from django.conf import settings

    from engagement.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["reports-weekly"]
    assert entry["task"] == "reports.schedule_weekly_reports"
    app.loader.import_default_modules()
    assert "reports.schedule_weekly_reports" in app.tasks
    assert "reports.generate_report" in app.tasks
