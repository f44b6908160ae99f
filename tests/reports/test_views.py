"""The report pages: request form, progress page, errors shown in Japanese."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from engagement.reports.models import Report, ReportStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def pm(product_team_user: User) -> Client:
    client = Client()
    client.force_login(product_team_user)
    return client


def test_request_form_creates_report_and_redirects(
    constructed, pm: Client, django_capture_on_commit_callbacks
) -> None:
    page = pm.get("/reports/")
    assert page.status_code == 200 and "レポートを作成" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = pm.post("/reports/", {"period_start": "2026-10-01", "period_end": "2026-10-31"})
    report = Report.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/reports/{report.id}/"
    assert report.status == ReportStatus.DONE
    listing = pm.get("/reports/").content.decode()
    assert f"/reports/{report.id}/" in listing


def test_bad_period_shows_message_and_writes_nothing(pm: Client) -> None:
    response = pm.post("/reports/", {"period_start": "2026-10-31", "period_end": "2026-10-01"})
    assert response.status_code == 200
    assert "終了日は開始日以降の日付にしてください。" in response.content.decode()
    assert Report.objects.count() == 0


def test_pending_report_shows_progress(pm: Client) -> None:
    report = Report.objects.create(
        period_start="2026-10-01", period_end="2026-10-31", status=ReportStatus.RUNNING, progress=40
    )
    html = pm.get(f"/reports/{report.id}/").content.decode()
    assert 'value="40"' in html and 'http-equiv="refresh"' in html
    assert pm.get(f"/reports/{report.id}/export.csv").status_code == 404


def test_hostile_topic_and_quote_are_escaped(builder, pm: Client) -> None:
    from engagement.reports import services
    from tests.reports.conftest import PERIOD, at
    from voc.models import Topic

    topic = Topic.objects.create(name="<script>alert(1)</script>")
    builder.feedback(
        customer=builder.customer(),
        topic=topic,
        text="<img src=x onerror=alert(2)>",
        score=0,
        when=at(PERIOD[0]),
    )
    report = Report.objects.create(period_start=PERIOD[0], period_end=PERIOD[1])
    services.generate_report(report_id=report.id)
    html = pm.get(f"/reports/{report.id}/").content.decode()
    assert "<script>alert(1)</script>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_admin_pages_render(constructed, admin_client) -> None:
    from engagement.reports.models import ImprovementAction, ProductArea

    area = ProductArea.objects.create(name="会員", slug="member")
    action = ImprovementAction.objects.create(title="改善")
    report = Report.objects.create(period_start="2026-10-01", period_end="2026-10-31")
    for url in (
        "/admin/reports/productarea/",
        f"/admin/reports/productarea/{area.id}/change/",
        "/admin/reports/improvementaction/add/",
        f"/admin/reports/improvementaction/{action.id}/change/",
        "/admin/reports/report/",
        f"/admin/reports/report/{report.id}/change/",
    ):
        assert admin_client.get(url).status_code == 200, url
    assert admin_client.get("/admin/reports/report/add/").status_code == 403
