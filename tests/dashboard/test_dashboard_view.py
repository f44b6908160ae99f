"""The dashboard page: figures from the summaries, constant queries, CSV downloads."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from engagement.dashboard import services
from engagement.dashboard.selectors import dashboard
from surveys.filters import AnalysisFilters as Filters
from tests.dashboard.conftest import T0, promoters_repeat_detractors_churn

pytestmark = pytest.mark.django_db


def test_promoters_repeat_more_and_churn_less_than_detractors(build):
    promoters_repeat_detractors_churn(build)
    services.refresh_rollups()
    data = dashboard(filters=Filters())
    promoters, detractors = data.by_category["promoter"], data.by_category["detractor"]
    assert promoters.n == 20 and detractors.n == 20
    assert promoters.repeat.value == pytest.approx(0.8)
    assert detractors.repeat.value == pytest.approx(0.2)
    assert detractors.churn.value == pytest.approx(0.6)
    assert promoters.churn.value == 0
    diff = next(
        d for d in data.category_differences if d["a"] == "promoter" and d["b"] == "detractor"
    )
    assert diff["differences"]["repeat"].value == pytest.approx(0.6)
    assert diff["differences"]["repeat"].significant
    assert diff["differences"]["churn"].value == pytest.approx(-0.6)
    # NPS: 20 promoters, 20 detractors → 0; CSAT (20×5 + 20×2)/40 = 3.5
    assert data.nps.nps == pytest.approx(0)
    assert data.csat == pytest.approx(3.5)
    assert data.responses == 40
    # awareness bands: promoters in 80–100, detractors in 0–20
    assert data.by_band[4]["outcomes"].repeat.value == pytest.approx(0.8)
    assert data.by_band[0]["outcomes"].churn.value == pytest.approx(0.6)
    # the flow: call centre hurts (NPS −100), web delights (+100), others have no data
    flow = {step["touchpoint"]: step for step in data.flow}
    assert flow["call_center"]["nps"].nps == -100
    assert flow["web"]["nps"].nps == 100
    assert flow["store"]["nps"].nps is None and flow["store"]["n"] == 0


def test_live_window_matches_summary_and_differs_when_shorter(build):
    promoters_repeat_detractors_churn(build)
    services.refresh_rollups()
    from_summary = dashboard(filters=Filters()).by_category["detractor"]
    live_same = dashboard(filters=Filters(window_days=91))  # live path
    assert live_same.linkage_live
    assert live_same.by_category["detractor"].churn.value == from_summary.churn.value
    short = dashboard(filters=Filters(window_days=20)).by_category["detractor"]
    assert short.churn.value == 0  # cancellations came on day 30


def test_empty_data_is_no_data_not_an_error(build, staff_client):
    services.refresh_rollups()
    data = dashboard(filters=Filters())
    assert data.nps.nps is None and data.csat is None
    assert data.by_category["promoter"].repeat.value is None
    response = staff_client.get(reverse("dashboard:index"))
    assert response.status_code == 200
    assert "データなし" in response.content.decode()


def test_filters_by_segment_touchpoint_wave_and_period(build):
    c1, c2 = build.customer(segment="A"), build.customer(segment="B")
    build.response(c1, score=10, touchpoint="store")
    build.response(c2, score=0, touchpoint="web", survey=build.survey2, at=T0 + timedelta(days=200))
    services.refresh_rollups()
    assert dashboard(filters=Filters(segment="A")).nps.nps == 100
    assert dashboard(filters=Filters(touchpoint="web")).nps.nps == -100
    assert dashboard(filters=Filters(wave_id=build.wave2.id)).responses == 1
    assert dashboard(filters=Filters(survey_id=build.survey1.id)).responses == 1
    later = Filters(date_from=(T0 + timedelta(days=100)).date())
    assert dashboard(filters=later).nps.nps == -100
    trend = dashboard(filters=Filters(wave_id=build.wave1.id)).trend
    assert [w["name"] for w in trend] == ["2026年上期", "2026年下期"]


def test_topics_by_volume_and_impact(build):
    big, angry = build.topic("配送"), build.topic("解約手続き")
    for _i in range(10):  # a big topic of mild comments from promoters
        c = build.customer()
        build.feedback(build.response(c, score=9), big, sentiment="neutral")
    for _i in range(3):  # a small topic of angry churned detractors
        c = build.customer()
        r = build.response(c, score=1, touchpoint="call_center")
        build.feedback(r, angry)
        build.behaviour(c, "cancellation", T0 + timedelta(days=5))
    services.refresh_rollups()
    data = dashboard(filters=Filters())
    assert data.topics_by_volume[0].name == "配送"
    # 3 customers: below the minimum n, a reference value (参考値), not ranked
    assert data.topics_by_impact == []
    references = {topic.name: topic for topic in data.topic_reference}
    assert set(references) == {"配送", "解約手続き"}  # 10 and 3 customers, both below 30
    angry_row = references["解約手続き"]
    assert angry_row.rank is None and angry_row.kind == "reference"
    assert angry_row.churn_rate == 100.0 and angry_row.churn_rate_others == 0.0
    assert angry_row.other_customers == 10
    flow = {step["touchpoint"]: step for step in data.flow}
    assert flow["call_center"]["negative_topics"][0]["name"] == "解約手続き"


def _seed(build, n):
    for i in range(n):
        c = build.customer(segment="AB"[i % 2])
        r = build.response(
            c,
            score=i % 11,
            csat=1 + i % 5,
            awareness=(i * 7) % 100,
            touchpoint=["web", "app", "store"][i % 3],
            survey=[build.survey1, build.survey2][i % 2],
            at=T0 + timedelta(days=i % 50),
        )
        build.behaviour(c, "purchase", r.submitted_at + timedelta(days=3), 1000)
        if i % 4 == 0:
            build.feedback(r, build.topic(f"t{i % 5}") if i < 20 else None)


def test_number_of_queries_does_not_grow_with_the_data(build, staff_client):
    _seed(build, 10)
    services.refresh_rollups()
    staff_client.get(reverse("dashboard:index"))  # warm-up (content types, sessions)
    with CaptureQueriesContext(connection) as small:
        assert staff_client.get(reverse("dashboard:index")).status_code == 200
    _seed(build, 120)
    services.refresh_rollups()
    with CaptureQueriesContext(connection) as large:
        assert staff_client.get(reverse("dashboard:index") + "?segment=A").status_code == 200
    assert len(large) == len(small)
    assert len(small) <= 25


def test_csv_download_has_bom_and_neutralises_formulas(build, staff_client):
    topic = build.topic('=HYPERLINK("http://evil")')
    c = build.customer()
    build.feedback(build.response(c, score=2), topic)
    services.refresh_rollups()
    response = staff_client.get(reverse("dashboard:panel-csv", args=["topics_volume"]))
    assert response.status_code == 200
    body = response.content
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][0] == "トピック"
    assert rows[1][0].startswith("'=HYPERLINK")
    assert rows[1][3] == "-100.0"  # a negative number stays a number
    trend = staff_client.get(reverse("dashboard:panel-csv", args=["trend"]))
    assert list(csv.reader(io.StringIO(trend.content.decode("utf-8-sig"))))[1][0] == "2026年上期"
    assert staff_client.get(reverse("dashboard:panel-csv", args=["nope"])).status_code == 404


def test_dashboard_needs_staff(client, django_user_model):
    assert client.get(reverse("dashboard:index")).status_code == 302
    user = django_user_model.objects.create_user(username="c", password="x-very-secret-1")
    client.force_login(user)
    assert client.get(reverse("dashboard:index")).status_code == 302
    assert client.get(reverse("dashboard:panel-csv", args=["trend"])).status_code == 302


def test_api_returns_the_same_tables(build, django_user_model):
    from rest_framework.test import APIClient

    promoters_repeat_detractors_churn(build)
    services.refresh_rollups()
    client = APIClient()
    assert client.get("/api/v1/dashboard/").status_code in (401, 403)
    user = django_user_model.objects.create_user(
        username="s", password="x-secret-99", is_staff=True
    )
    client.force_authenticate(user)
    # Staff without the dashboard's permission (e.g. a CS agent) get nothing.
    assert client.get("/api/v1/dashboard/").status_code == 403
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_dailyrollup", "view_all_teams"])
    )
    client.force_authenticate(django_user_model.objects.get(pk=user.pk))
    data = client.get("/api/v1/dashboard/?touchpoint=web").json()
    assert data["responses"] == 20
    distribution = next(p for p in data["panels"] if p["name"] == "distribution")
    assert distribution["rows"][10][2] == 20
    assert client.get("/api/v1/dashboard/?wave=999999").status_code == 400
