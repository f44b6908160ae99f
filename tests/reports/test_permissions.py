"""Product-team accounts never see customers' e-mail addresses or names: page, exports, API."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest
from django.contrib.auth.models import User
from django.test import Client

from engagement.reports import services
from engagement.reports.models import ImprovementAction, Report
from tests.reports.conftest import PERIOD, Constructed

pytestmark = pytest.mark.django_db

PERSONAL = re.compile(r"customer\d+@example\.jp|taro\.yamada|山田|太郎|顧客\d+")


@pytest.fixture
def report(constructed: Constructed, django_capture_on_commit_callbacks) -> Report:
    with django_capture_on_commit_callbacks(execute=True):
        report = services.request_report(period_start=PERIOD[0], period_end=PERIOD[1])
    report.refresh_from_db()
    action = ImprovementAction.objects.create(title="解約導線の改善")
    action.topics.add(constructed.angry)
    return report


@pytest.fixture
def pm(product_team_user: User) -> Client:
    client = Client()
    client.force_login(product_team_user)
    return client


def test_page_shows_report_without_personal_data(report: Report, pm: Client) -> None:
    response = pm.get(f"/reports/{report.id}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "解約手続き" in html and "画面デザイン" in html
    assert "行動への悪影響が大きい上位3トピック" in html
    assert "<svg" in html  # charts inline
    assert "[メール]" in html  # the masked quote is shown
    assert not PERSONAL.search(html), PERSONAL.search(html)


def test_exports_have_no_personal_data(report: Report, pm: Client) -> None:
    csv_text = pm.get(f"/reports/{report.id}/export.csv").content.decode("utf-8-sig")
    assert "解約手続き" in csv_text
    assert not PERSONAL.search(csv_text)
    cp932 = pm.get(f"/reports/{report.id}/export.csv?encoding=cp932")
    assert cp932["Content-Type"] == "text/csv; charset=shift_jis"
    assert not PERSONAL.search(cp932.content.decode("cp932"))
    workbook = openpyxl.load_workbook(
        io.BytesIO(pm.get(f"/reports/{report.id}/export.xlsx").content)
    )
    cells = [
        str(cell)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
        for cell in row
        if cell is not None
    ]
    assert any("解約手続き" in cell for cell in cells)
    assert not PERSONAL.search("\n".join(cells))


def test_api_lists_and_fetches_without_personal_data(report: Report, pm: Client) -> None:
    listing = pm.get("/api/v1/reports/")
    assert listing.status_code == 200
    assert listing.json()["results"][0]["id"] == report.id
    detail = pm.get(f"/api/v1/reports/{report.id}/")
    assert detail.status_code == 200
    assert detail.json()["data"]["topics"][0]["name"] == "解約手続き"
    topics = pm.get(f"/api/v1/reports/{report.id}/topics/")
    assert [t["name"] for t in topics.json()["topics"]][:1] == ["解約手続き"]
    for response in (listing, detail, topics):
        assert not PERSONAL.search(response.content.decode())


def test_api_request_report_validates(report: Report, pm: Client) -> None:
    bad = pm.post(
        "/api/v1/reports/",
        {"period_start": "2026-10-31", "period_end": "2026-10-01"},
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert bad.json()["error"]["fields"]["period_end"]
    good = pm.post(
        "/api/v1/reports/",
        {"period_start": "2026-10-01", "period_end": "2026-10-31"},
        content_type="application/json",
    )
    assert good.status_code == 202 and good.json()["status"] in ("pending", "done")


def test_action_pages_have_no_personal_data(report: Report, pm: Client) -> None:
    action = ImprovementAction.objects.get()
    for url in ("/reports/actions/", f"/reports/actions/{action.id}/", "/reports/"):
        response = pm.get(url)
        assert response.status_code == 200, url
        assert not PERSONAL.search(response.content.decode())


def test_without_permission_everything_is_refused(report: Report) -> None:
    stranger = User.objects.create_user("x", "x@example.jp", "pw-for-tests-123", is_staff=True)
    client = Client()
    client.force_login(stranger)
    for url in (
        "/reports/",
        f"/reports/{report.id}/",
        f"/reports/{report.id}/export.csv",
        f"/reports/{report.id}/export.xlsx",
        "/reports/actions/",
        f"/api/v1/reports/{report.id}/",
        f"/api/v1/reports/{report.id}/topics/",
        "/api/v1/reports/",
    ):
        assert client.get(url).status_code == 403, url
    anonymous = Client()
    assert anonymous.get(f"/reports/{report.id}/").status_code == 302
    assert anonymous.get(f"/api/v1/reports/{report.id}/").status_code in (401, 403)


def test_product_team_cannot_change_actions(report: Report, pm: Client) -> None:
    action = ImprovementAction.objects.get()
    response = pm.post(f"/reports/actions/{action.id}/status/", {"status": "planned"})
    assert response.status_code == 403
    action.refresh_from_db()
    assert action.status == "proposed"
