"""Scale questions (CSAT, CES, Likert 5/7, matrix statements): their scores on the dashboard's
question panel, in the comparison and in the crosstab, checked against scipy on the raw answers."""

from __future__ import annotations

import random
from datetime import timedelta

import numpy as np
import pytest
from django.urls import reverse
from scipy import stats

from engagement.dashboard import panels, selectors
from engagement.dashboard.analysis import comparison, crosstab, scales
from surveys import scoring
from surveys.filters import AnalysisFilters
from tests.dashboard.conftest import T0

pytestmark = pytest.mark.django_db

ROWS = [
    {"value": "staff", "label": "スタッフの対応", "label_en": "Staff"},
    {"value": "price", "label": "価格", "label_en": "Price"},
]


def _question(survey, key, kind, text, **settings):
    from surveys.models import Page, Question

    page, _ = Page.objects.get_or_create(survey=survey, position=1)
    return Question.objects.create(
        survey=survey,
        page=page,
        position=survey.questions.count() + 1,
        key=key,
        kind=kind,
        text=text,
        settings=settings,
    )


def _answer(response, question, number=None, choices=None):
    from surveys.models import Answer

    Answer.objects.create(
        response=response, question=question, number=number, choices=choices or []
    )


@pytest.fixture
def world(build, django_user_model):
    """Two waves answering CES (1–7), a 7-point Likert, a 5-point matrix of two statements and
    CSAT; the second wave finds things harder and likes the staff less."""
    rng = random.Random(11)
    raw: dict[str, dict[str, list[int]]] = {"a": {}, "b": {}}
    for side, survey, n, shift, at in (
        ("a", build.survey1, 60, 0, T0),
        ("b", build.survey2, 50, -2, T0 + timedelta(days=200)),
    ):
        ces = _question(survey, "ces", "ces", "手続きは簡単でしたか")
        likert = _question(survey, "trust", "likert", "信頼できる", points=7)
        matrix = _question(survey, "parts", "matrix", "各項目の評価", points=5, rows=ROWS)
        csat = _question(survey, "csat", "rating", "満足度")
        for _i in range(n):
            r = build.response(build.customer(), score=rng.randint(0, 10), survey=survey, at=at)
            values = {
                "ces": min(7, max(1, rng.randint(3, 7) + shift)),
                "trust": rng.randint(1, 7),
                "parts:staff": min(5, max(1, rng.randint(2, 5) + shift // 2)),
                "parts:price": rng.randint(1, 5),
                "csat": rng.randint(1, 5),
            }
            _answer(r, ces, values["ces"])
            _answer(r, likert, values["trust"])
            _answer(
                r, matrix, choices={"staff": values["parts:staff"], "price": values["parts:price"]}
            )
            _answer(r, csat, values["csat"])
            for code, value in values.items():
                raw[side].setdefault(code, []).append(value)
    user = django_user_model.objects.create_superuser(username="boss", password="pw-1234567")
    return build, user, raw


def _expected(values: list[int], points: int) -> tuple[float, float, float, float, float]:
    x = np.array(values, float)
    low, high = stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
    top = int((x >= points - 1).sum())
    wilson = stats.binomtest(top, len(x)).proportion_ci(method="wilson")
    return x.mean(), low, high, wilson.low, wilson.high


def test_scale_score_definitions_match_scipy() -> None:
    answers = [7, 6, 6, 5, 3, 2, 7, 1, 4, 6]
    counts: dict[int, int] = {}
    for value in [*answers, 0, 8]:  # out of range: not counted
        counts[value] = counts.get(value, 0) + 1
    score = scoring.scale_score(counts, points=7)
    mean, low, high, top_low, top_high = _expected(answers, 7)
    assert score.n == 10 and score.mean.value == pytest.approx(mean)
    assert (score.mean.low, score.mean.high) == (pytest.approx(low), pytest.approx(high))
    assert score.top_two.value == pytest.approx(5 / 10)  # 6, 6, 7, 7, 6
    assert (score.top_two.low, score.top_two.high) == (
        pytest.approx(top_low),
        pytest.approx(top_high),
    )
    assert scoring.top_box_floor(5) == 4 and scoring.top_box_floor(7) == 6
    assert scoring.scale_score({}, points=5).mean.value is None


def test_every_scale_item_and_each_matrix_statement_is_scored(world) -> None:
    _build, _user, raw = world
    from surveys.models import Response

    found = {item.code: (item, score) for item, score in scales.scores(Response.objects.all())}
    assert set(found) == {"ces", "trust", "parts:staff", "parts:price", "csat"}
    item, score = found["parts:staff"]
    assert item.label == "スタッフの対応" and item.question == "各項目の評価" and item.points == 5
    values = raw["a"]["parts:staff"] + raw["b"]["parts:staff"]
    mean, low, _high, _top_low, top_high = _expected(values, 5)
    assert score.n == 110 and score.mean.value == pytest.approx(mean)
    assert score.mean.low == pytest.approx(low) and score.top_two.high == pytest.approx(top_high)
    trust = found["trust"][1]
    assert trust.points == 7
    assert trust.top_two.value == pytest.approx(
        np.mean(np.array(raw["a"]["trust"] + raw["b"]["trust"]) >= 6)
    )


def test_comparison_means_welch_and_top_two_box_match_scipy(world) -> None:
    build, user, raw = world
    result = comparison.compare(
        a=AnalysisFilters(wave_id=build.wave1.id),
        b=AnalysisFilters(wave_id=build.wave2.id),
        user=user,
    )
    means = {row.key: row for row in result.questions}
    boxes = {row.key: row for row in result.top_boxes}
    assert set(means) == set(boxes) == {"ces", "trust", "parts:staff", "parts:price", "csat"}
    for code, points in (("ces", 7), ("parts:staff", 5), ("trust", 7)):
        a, b = np.array(raw["a"][code], float), np.array(raw["b"][code], float)
        row = means[code]
        welch = stats.ttest_ind(b, a, equal_var=False)
        assert row.a.value == pytest.approx(a.mean()) and row.b.value == pytest.approx(b.mean())
        low, high = stats.t.interval(0.95, len(a) - 1, loc=a.mean(), scale=stats.sem(a))
        assert (row.a.low, row.a.high) == (pytest.approx(low), pytest.approx(high))
        assert row.difference.value == pytest.approx(b.mean() - a.mean())
        assert row.difference.p_value == pytest.approx(welch.pvalue, rel=1e-9)
        ci = welch.confidence_interval(0.95)
        assert row.difference.low == pytest.approx(ci.low, rel=1e-9)
        top_a, top_b = int((a >= points - 1).sum()), int((b >= points - 1).sum())
        box = boxes[code]
        assert box.a.value == pytest.approx(top_a / len(a))
        chi = stats.chi2_contingency(
            [[top_b, len(b) - top_b], [top_a, len(a) - top_a]], correction=False
        )
        assert box.difference.p_value == pytest.approx(chi.pvalue, rel=1e-9)
    assert means["ces"].significant and means["ces"].difference.value < 0
    assert means["parts:staff"].label == "スタッフの対応（各項目の評価）"


def test_crosstab_shows_scale_scores_per_column(world) -> None:
    build, user, raw = world
    codes = dict(crosstab.dimension_choices())
    assert "q:parts:staff" in codes and "q:ces" in codes and "q:trust" in codes
    result = crosstab.crosstab(
        rows="q:parts:staff", columns="wave", filters=AnalysisFilters(), user=user
    )
    assert [v for v, _label in result.row_values] == ["1", "2", "3", "4", "5"][
        -len(result.row_values) :
    ]
    by_wave = dict(zip([v for v, _l in result.column_values], result.column_scores, strict=True))
    for side, wave in (("a", build.wave1), ("b", build.wave2)):
        values = np.array(raw[side]["parts:staff"], float)
        score = by_wave[str(wave.id)]
        assert score.mean.value == pytest.approx(values.mean())
        low, _high = stats.t.interval(
            0.95, len(values) - 1, loc=values.mean(), scale=stats.sem(values)
        )
        assert score.mean.low == pytest.approx(low)
        assert score.top_two.value == pytest.approx(np.mean(values >= 4))
    everyone = np.array(raw["a"]["parts:staff"] + raw["b"]["parts:staff"], float)
    assert result.total_score.mean.value == pytest.approx(everyone.mean())
    # the table itself still matches scipy's chi-square test
    observed = np.array([[cell.count for cell in line] for line in result.cells])
    assert result.p_value == pytest.approx(
        stats.chi2_contingency(observed, correction=False).pvalue
    )


def test_dashboard_question_panel(world, client) -> None:
    build, user, raw = world
    from engagement.dashboard import services

    services.refresh_rollups()
    data = selectors.dashboard(filters=AnalysisFilters(wave_id=build.wave2.id))
    panel = panels.panel_by_name(data, "questions")
    assert panel is not None
    rows = {row[0]: row for row in panel.rows}
    ces = rows["手続きは簡単でしたか"]
    values = np.array(raw["b"]["ces"], float)
    assert ces[2] == 50 and ces[3] == round(values.mean(), 2)
    assert ces[5] == round(float(np.mean(values >= 6)) * 100, 1)
    assert "スタッフの対応（各項目の評価）" in rows and "価格（各項目の評価）" in rows
    assert panel.chart["numberFormat"] == "percent"
    client.force_login(user)
    page = client.get(reverse("dashboard:index") + f"?wave={build.wave2.id}")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'id="panel-questions"' in body and "スタッフの対応" in body
    csv = client.get(reverse("dashboard:panel-csv", args=["questions"]))
    assert "価格（各項目の評価）" in csv.content.decode("utf-8-sig")


def test_comparison_says_when_the_wording_changed(world, client) -> None:
    build, user, _raw = world
    from surveys.models import Question, QuestionWording

    Question.objects.filter(survey=build.survey2, key="ces").update(
        text="お手続きにかかった手間はいかがでしたか"
    )
    trust = Question.objects.get(survey=build.survey1, key="trust")
    QuestionWording.objects.create(
        question=trust, version=1, text="信頼できると思う", replaced_at=T0 + timedelta(days=3)
    )
    result = comparison.compare(
        a=AnalysisFilters(wave_id=build.wave1.id),
        b=AnalysisFilters(wave_id=build.wave2.id),
        user=user,
    )
    changes = {(c.key, c.changed_at is None): c for c in result.wording_changes}
    between = changes[("ces", True)]
    assert (between.before, between.after) == (
        "手続きは簡単でしたか",
        "お手続きにかかった手間はいかがでしたか",
    )
    within = changes[("trust", False)]
    assert (within.before, within.after) == ("信頼できると思う", "信頼できる")
    assert len(result.wording_changes) == 2  # the unchanged questions are not listed
    client.force_login(user)
    query = f"a_wave={build.wave1.id}&b_wave={build.wave2.id}"
    page = client.get(f"/admin/dashboard/compare/?{query}").content.decode()
    assert 'id="compare-wording"' in page and "お手続きにかかった手間はいかがでしたか" in page
    assert "次の質問の文言が変わっています" in page
    api = client.get(f"/api/v1/dashboard/compare/?{query}").json()
    assert {c["key"] for c in api["wording_changes"]} == {"ces", "trust"}
    boxes = {row["key"]: row for row in api["top_two_box"]}
    assert boxes["parts:staff"]["a"]["value"] == pytest.approx(
        {r.key: r for r in result.top_boxes}["parts:staff"].a.value
    )
