"""Wave vs wave: the comparison's statistics checked against scipy on the raw answers."""

from __future__ import annotations

import csv
import io
import random
from datetime import timedelta

import numpy as np
import pytest
from openpyxl import load_workbook
from scipy import stats

from engagement.dashboard.analysis import comparison
from surveys.filters import AnalysisFilters
from tests.dashboard.conftest import T0

pytestmark = pytest.mark.django_db


def add_question(survey, key: str, kind: str, text: str):
    from surveys.models import Page, Question

    page, _ = Page.objects.get_or_create(survey=survey, position=1)
    position = survey.questions.count() + 1
    return Question.objects.create(
        survey=survey, page=page, position=position, key=key, kind=kind, text=text
    )


def answer(response, question, number=None, choices=None):
    from surveys.models import Answer

    return Answer.objects.create(
        response=response, question=question, number=number, choices=choices or []
    )


@pytest.fixture
def waves(build, django_user_model):
    """Two waves with different NPS and CSAT distributions and one topic that grows."""
    rng = random.Random(7)
    q1 = add_question(build.survey1, "csat", "rating", "満足度")
    q2 = add_question(build.survey2, "csat", "rating", "満足度")
    slow = build.topic("配送の遅れ")
    raw = {"nps_a": [], "nps_b": [], "csat_a": [], "csat_b": [], "topic_a": 0, "topic_b": 0}
    for i in range(60):
        score = rng.choice([10, 9, 9, 8, 7, 6, 3, 10, 9, 5])
        r = build.response(build.customer(), score=score, survey=build.survey1, at=T0)
        csat = rng.choice([5, 4, 4, 3, 5])
        answer(r, q1, csat)
        raw["nps_a"].append(100 if score >= 9 else (-100 if score <= 6 else 0))
        raw["csat_a"].append(csat)
        if i % 10 == 0:
            build.feedback(r, slow)
            raw["topic_a"] += 1
    for i in range(45):
        score = rng.choice([2, 5, 6, 8, 9, 10, 4, 7, 6, 3])
        r = build.response(
            build.customer(), score=score, survey=build.survey2, at=T0 + timedelta(days=200)
        )
        csat = rng.choice([1, 2, 3, 3, 4])
        answer(r, q2, csat)
        raw["nps_b"].append(100 if score >= 9 else (-100 if score <= 6 else 0))
        raw["csat_b"].append(csat)
        if i % 3 == 0:
            build.feedback(r, slow)
            raw["topic_b"] += 1
    user = django_user_model.objects.create_superuser(username="boss", password="pw-1234567")
    return build, user, raw, slow


def test_nps_and_means_match_scipy_welch(waves) -> None:
    build, user, raw, _slow = waves
    result = comparison.compare(
        a=AnalysisFilters(wave_id=build.wave1.id),
        b=AnalysisFilters(wave_id=build.wave2.id),
        user=user,
    )
    assert (result.n_a, result.n_b) == (60, 45)
    a, b = np.array(raw["nps_a"], float), np.array(raw["nps_b"], float)
    nps = result.nps
    assert nps.a.value == pytest.approx(a.mean())  # the NPS itself
    assert nps.b.value == pytest.approx(b.mean())
    expected = stats.ttest_ind(b, a, equal_var=False)
    assert nps.difference.value == pytest.approx(b.mean() - a.mean())
    assert nps.difference.p_value == pytest.approx(expected.pvalue, rel=1e-9)
    ci = expected.confidence_interval(0.95)
    assert (nps.difference.low, nps.difference.high) == (
        pytest.approx(ci.low, rel=1e-9),
        pytest.approx(ci.high, rel=1e-9),
    )
    # the interval of each side: Student's t
    low, high = stats.t.interval(0.95, len(a) - 1, loc=a.mean(), scale=stats.sem(a))
    assert (nps.a.low, nps.a.high) == (pytest.approx(low), pytest.approx(high))

    (csat,) = result.questions
    assert csat.key == "csat" and csat.label == "満足度"
    ca, cb = np.array(raw["csat_a"], float), np.array(raw["csat_b"], float)
    welch = stats.ttest_ind(cb, ca, equal_var=False)
    assert csat.difference.value == pytest.approx(cb.mean() - ca.mean())
    assert csat.difference.p_value == pytest.approx(welch.pvalue, rel=1e-9)
    assert csat.difference.low == pytest.approx(welch.confidence_interval().low, rel=1e-9)
    assert csat.significant  # the second wave is clearly less satisfied
    assert not result.warnings


def test_topic_share_change_matches_scipy_chi_square(waves) -> None:
    build, user, raw, _slow = waves
    result = comparison.compare(
        a=AnalysisFilters(wave_id=build.wave1.id),
        b=AnalysisFilters(wave_id=build.wave2.id),
        user=user,
    )
    (topic,) = result.topics
    assert topic.label == "配送の遅れ"
    assert topic.a.value == pytest.approx(raw["topic_a"] / 60)
    assert topic.b.value == pytest.approx(raw["topic_b"] / 45)
    table = [[raw["topic_b"], 45 - raw["topic_b"]], [raw["topic_a"], 60 - raw["topic_a"]]]
    chi = stats.chi2_contingency(table, correction=False)
    assert topic.difference.p_value == pytest.approx(chi.pvalue, rel=1e-9)
    # one topic: the Benjamini–Hochberg adjustment leaves the p-value unchanged
    assert topic.adjusted_p == pytest.approx(chi.pvalue)
    low, high = stats.binomtest(raw["topic_a"], 60).proportion_ci(method="wilson")
    assert (topic.a.low, topic.a.high) == (pytest.approx(low), pytest.approx(high))
    assert topic.difference.value > 0 and topic.significant


def test_small_sides_are_warned_and_never_significant(build, django_user_model) -> None:
    user = django_user_model.objects.create_superuser(username="boss", password="pw-1234567")
    for _ in range(8):
        build.response(build.customer(), score=10, survey=build.survey1)
    for _ in range(8):
        build.response(build.customer(), score=0, survey=build.survey2)
    result = comparison.compare(
        a=AnalysisFilters(wave_id=build.wave1.id),
        b=AnalysisFilters(wave_id=build.wave2.id),
        user=user,
    )
    assert len(result.warnings) == 2 and "8" in result.warnings[0]
    assert result.nps.difference.value == pytest.approx(-200)
    assert result.nps.small_sample and not result.nps.significant


def test_segments_and_visibility(build, django_user_model) -> None:
    """Sides can be segments; an agent sees only the responses of their team's feedback."""
    from engagement.customers.models import Team

    admin = django_user_model.objects.create_superuser(username="boss", password="pw-1234567")
    agent = django_user_model.objects.create_user(username="agent", password="x", is_staff=True)
    team = Team.objects.create(name="A")
    team.members.add(agent)
    topic = build.topic("t")
    for i in range(10):
        r = build.response(build.customer(segment="gold"), score=10)
        item = build.feedback(r, topic)
        if i < 3:
            item.team = team
            item.save()
    for _ in range(5):
        build.response(build.customer(segment="silver"), score=0)
    sides = {"a": AnalysisFilters(segment="gold"), "b": AnalysisFilters(segment="silver")}
    everyone = comparison.compare(**sides, user=admin)
    assert (everyone.n_a, everyone.n_b) == (10, 5)
    scoped = comparison.compare(**sides, user=agent)
    assert (scoped.n_a, scoped.n_b) == (3, 0)


def test_page_api_and_downloads(waves, client) -> None:
    build, user, _raw, _slow = waves
    client.force_login(user)
    query = f"a_wave={build.wave1.id}&b_wave={build.wave2.id}"
    page = client.get(f"/admin/dashboard/compare/?{query}")
    assert page.status_code == 200
    body = page.content.decode()
    assert "配送の遅れ" in body and "満足度" in body and 'id="compare-table"' in body
    # with no side chosen, the last two waves are compared
    default = client.get("/admin/dashboard/compare/")
    assert default.context["result"].n_a == 60 and default.context["result"].n_b == 45

    api = client.get(f"/api/v1/dashboard/compare/?{query}")
    assert api.status_code == 200
    data = api.json()
    assert data["a"]["respondents"] == 60 and data["b"]["respondents"] == 45
    assert data["questions"][0]["key"] == "csat" and data["questions"][0]["significant"]
    bad = client.get("/api/v1/dashboard/compare/?a_wave=999999")
    assert bad.status_code == 400

    raw_csv = client.get(f"/admin/dashboard/compare/?{query}&format=csv")
    assert raw_csv["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(raw_csv.content.decode("utf-8-sig"))))
    # NPS, the CSAT mean, the CSAT top-2-box share and the topic
    assert rows[0][0] == "区分" and rows[1][1] == "NPS" and len(rows) == 5
    assert rows[3][0] == "上位2段階の割合（%）" and rows[3][1] == "満足度"
    sjis = client.get(f"/admin/dashboard/compare/?{query}&format=csv&encoding=cp932")
    assert "配送の遅れ" in sjis.content.decode("cp932")
    xlsx = client.get(f"/admin/dashboard/compare/?{query}&format=xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.cell(row=2, column=3).value == pytest.approx(data["nps"]["a"]["value"], abs=0.05)
    assert client.get(f"/admin/dashboard/compare/?{query}&format=pdf").status_code == 400


def test_formula_like_labels_are_neutralised(build, django_user_model, client) -> None:
    user = django_user_model.objects.create_superuser(username="boss", password="pw-1234567")
    q = add_question(build.survey1, "q1", "rating", '=HYPERLINK("http://x")')
    answer(build.response(build.customer(), score=9), q, 4)
    client.force_login(user)
    response = client.get(f"/admin/dashboard/compare/?a_wave={build.wave1.id}&format=csv")
    assert "'=HYPERLINK" in response.content.decode("utf-8-sig")
