"""Crosstabs: counts, percentages, the chi-square test and cell markers (checked against scipy);
saved views."""

from __future__ import annotations

import csv
import io
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest
from scipy import stats
from scipy.stats.contingency import expected_freq

from engagement.dashboard.analysis import crosstab
from engagement.dashboard.models import SavedView
from surveys.filters import AnalysisFilters
from tests.dashboard.test_compare import add_question, answer

pytestmark = pytest.mark.django_db

# segment × plan: gold customers mostly chose "premium", silver ones "basic"
PLAN = {("gold", "premium"): 30, ("gold", "basic"): 10, ("silver", "premium"): 8,
        ("silver", "basic"): 32, ("bronze", "premium"): 5, ("bronze", "basic"): 6}  # fmt: skip


@pytest.fixture
def world(build, django_user_model):
    from surveys.models import Choice

    plan = add_question(build.survey1, "plan", "single_choice", "ご利用のプラン")
    Choice.objects.create(question=plan, position=1, value="basic", label="ベーシック")
    Choice.objects.create(question=plan, position=2, value="premium", label="プレミアム")
    channels = add_question(build.survey1, "channels", "multiple_choice", "利用チャネル")
    for (segment, value), count in PLAN.items():
        for i in range(count):
            customer = build.customer(segment=segment, attributes={"store": f"店{i % 2}"})
            r = build.response(customer, score=9 if value == "premium" else 5)
            answer(r, plan, choices=[value])
            answer(r, channels, choices=["web", "app"] if i % 2 else ["web"])
    # a respondent without a plan answer is left out
    build.response(build.customer(segment="gold"), score=7)
    user = django_user_model.objects.create_superuser(username="boss", password="pw-1234567")
    return build, user


def test_counts_percentages_and_chi_square_match_scipy(world) -> None:
    _build, user = world
    result = crosstab.crosstab(
        rows="segment", columns="q:plan", filters=AnalysisFilters(), user=user
    )
    assert [v for v, _ in result.row_values] == ["bronze", "gold", "silver"]
    assert result.column_values == [("basic", "ベーシック"), ("premium", "プレミアム")]
    observed = np.array([[6, 5], [10, 30], [32, 8]])
    assert [[c.count for c in line] for line in result.cells] == observed.tolist()
    assert result.respondents == 91 and result.left_out == 1
    assert result.cells[1][1].column_share == pytest.approx(30 / 43)
    assert result.cells[1][1].row_share == pytest.approx(30 / 40)
    chi = stats.chi2_contingency(observed, correction=False)
    assert result.chi2 == pytest.approx(chi.statistic)
    assert result.p_value == pytest.approx(chi.pvalue)
    assert result.dof == chi.dof and result.significant
    # adjusted residuals from scipy's expected frequencies
    expected = expected_freq(observed)
    n, rows, cols = observed.sum(), observed.sum(1, keepdims=True), observed.sum(0, keepdims=True)
    residuals = (observed - expected) / np.sqrt(expected * (1 - rows / n) * (1 - cols / n))
    got = np.array([[c.residual for c in line] for line in result.cells])
    assert got == pytest.approx(residuals)
    assert result.cells[1][1].marker == "▲" and result.cells[2][1].marker == "▼"
    assert result.cells[0][0].marker == ""


def test_multiple_choice_counts_each_value_and_is_not_tested(world) -> None:
    _build, user = world
    result = crosstab.crosstab(
        rows="q:channels", columns="nps_band", filters=AnalysisFilters(), user=user
    )
    assert result.rows.multiple and not result.tested
    counts = {v: total for (v, _), total in zip(result.row_values, result.row_totals, strict=True)}
    assert counts["web"] == 91 and counts["app"] == sum(c // 2 for c in PLAN.values())
    assert all(cell.marker == "" for line in result.cells for cell in line)


def test_filters_attribute_dimension_and_personal_attributes(world, build) -> None:
    _build, user = world
    build.customer(attributes={"phone": "090-1234-5678", "store": "店0"})
    codes = dict(crosstab.dimension_choices())
    assert "attr:store" in codes and "attr:phone" not in codes
    with pytest.raises(crosstab.UnknownDimension):
        crosstab.crosstab(
            rows="attr:phone", columns="segment", filters=AnalysisFilters(), user=user
        )
    result = crosstab.crosstab(
        rows="attr:store", columns="q:plan", filters=AnalysisFilters(segment="gold"), user=user
    )
    assert result.total == 40
    only = crosstab.crosstab(
        rows="segment", columns="q:plan", filters=AnalysisFilters(store="店0"), user=user
    )
    assert only.respondents == sum((c + 1) // 2 for c in PLAN.values())


def test_page_downloads_and_bad_input(world, client) -> None:
    _build, user = world
    client.force_login(user)
    page = client.get("/admin/dashboard/crosstab/?rows=segment&columns=q:plan")
    assert page.status_code == 200
    body = page.content.decode()
    assert "プレミアム" in body and "▲" in body and "75.0%" not in body  # column % by default
    assert "69.8%" in body  # 30 of 43 premium respondents are gold
    by_row = client.get("/admin/dashboard/crosstab/?rows=segment&columns=q:plan&percent=row")
    assert "75.0%" in by_row.content.decode()
    same = client.get("/admin/dashboard/crosstab/?rows=segment&columns=segment")
    assert same.status_code == 400 and "異なる項目" in same.content.decode()
    unknown = client.get("/admin/dashboard/crosstab/?rows=attr:phone&columns=segment")
    assert unknown.status_code == 400
    download = client.get("/admin/dashboard/crosstab/?rows=segment&columns=q:plan&format=csv")
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["セグメント", "設問：ご利用のプラン", "件数"] and len(rows) == 7
    api = client.get("/api/v1/dashboard/crosstab/?rows=segment&columns=q:plan").json()
    assert api["cells"][1][1]["count"] == 30 and api["p_value"] < 0.001
    assert client.get("/api/v1/dashboard/crosstab/?rows=segment").status_code == 400


def test_saved_views_are_named_shared_and_opened_by_url(world, client, django_user_model) -> None:
    _build, user = world
    client.force_login(user)
    query = "rows=segment&columns=q%3Aplan&segment=gold&evil=%3Cscript%3E"
    saved = client.post(
        "/admin/dashboard/views/save/",
        {"name": "ゴールド会員のプラン", "page": "crosstab", "query": query, "shared": "on"},
    )
    assert saved.status_code == 302
    view = SavedView.objects.get()
    assert parse_qs(view.query) == {"columns": ["q:plan"], "rows": ["segment"], "segment": ["gold"]}
    opened = client.get(f"/admin/dashboard/views/{view.pk}/")
    target = urlparse(opened["Location"])
    assert target.path == "/admin/dashboard/crosstab/"
    assert client.get(opened["Location"]).context["result"].total == 40
    listed = client.get("/admin/dashboard/crosstab/").content.decode()
    assert "ゴールド会員のプラン" in listed
    # no name: a clear message, nothing saved
    client.post("/admin/dashboard/views/save/", {"name": " ", "page": "crosstab", "query": ""})
    assert SavedView.objects.count() == 1
    # a colleague sees the shared view but cannot delete it
    other = django_user_model.objects.create_superuser(username="pm2", password="pw-1234567")
    client.force_login(other)
    assert "ゴールド会員のプラン" in client.get("/admin/dashboard/crosstab/").content.decode()
    assert client.post(f"/admin/dashboard/views/{view.pk}/delete/").status_code == 404
    view.shared = False
    view.save()
    assert client.get(f"/admin/dashboard/views/{view.pk}/").status_code == 404
    client.force_login(user)
    assert client.post(f"/admin/dashboard/views/{view.pk}/delete/").status_code == 302
    assert not SavedView.objects.exists()


def test_dashboard_filters_saved_as_a_view_and_linked_to_the_analysis_pages(world, client) -> None:
    _build, user = world
    client.force_login(user)
    client.post(
        "/admin/dashboard/views/save/",
        {"name": "ゴールド", "page": "dashboard", "query": "touchpoint=web&window=30"},
    )
    view = SavedView.objects.get(page="dashboard")
    opened = client.get(f"/admin/dashboard/views/{view.pk}/")
    assert opened["Location"] == "/admin/dashboard/?touchpoint=web&window=30"
    body = client.get(opened["Location"]).content.decode()
    assert "ゴールド" in body
    assert 'href="/admin/dashboard/crosstab/?touchpoint=web&amp;window=30"' in body
    # the crosstab reads the dashboard's filters from the same URL
    crossed = client.get(
        "/admin/dashboard/crosstab/?touchpoint=web&window=30&rows=nps_band&columns=q:plan"
    )
    assert crossed.context["result"].total == 91
    none = client.get("/admin/dashboard/crosstab/?touchpoint=store&rows=nps_band&columns=q:plan")
    assert none.context["result"].total == 0


def test_store_links_and_url_parameters_are_dimensions(world, build) -> None:
    from surveys.links import LinkSource, PublicLink, UrlParameter

    _build, user = world
    UrlParameter.objects.create(survey=build.survey1, key="store")
    UrlParameter.objects.create(survey=build.survey1, key="order")  # one order: never offered
    shibuya = PublicLink.objects.create(
        survey=build.survey1, name="渋谷店", source=LinkSource.STORE, source_value="shibuya"
    )
    for i in range(6):
        r = build.response(build.customer(segment="gold"), score=9 if i % 2 else 3)
        r.public_link = shibuya
        r.url_params = {"store": "shibuya" if i < 4 else "umeda", "order": f"A{i}"}
        r.save(update_fields=["public_link", "url_params"])
    codes = dict(crosstab.dimension_choices())
    assert "param:store" in codes and "link" in codes and "param:order" not in codes
    with pytest.raises(crosstab.UnknownDimension):
        crosstab.crosstab(
            rows="param:order", columns="nps_band", filters=AnalysisFilters(), user=user
        )
    by_param = crosstab.crosstab(
        rows="param:store", columns="nps_band", filters=AnalysisFilters(), user=user
    )
    totals = dict(zip([v for v, _ in by_param.row_values], by_param.row_totals, strict=True))
    assert totals == {"shibuya": 4, "umeda": 2}
    by_link = crosstab.crosstab(
        rows="link", columns="nps_band", filters=AnalysisFilters(), user=user
    )
    assert by_link.row_values == [(str(shibuya.pk), "渋谷店")] and by_link.row_totals == [6]
