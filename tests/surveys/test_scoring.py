"""Property tests of the scores against their definitions (DOMAIN.md, surveys.scoring)."""

from __future__ import annotations

import math
import statistics

import pytest
from hypothesis import given
from hypothesis import strategies as st

from surveys import scoring
from surveys.models import AwarenessItem

scores = st.integers(min_value=0, max_value=10)
agreements = st.integers(min_value=1, max_value=5)


@given(scores)
def test_nps_category_matches_the_bands(score):
    category = scoring.nps_category(score)
    if score >= 9:
        assert category == "promoter"
    elif score >= 7:
        assert category == "passive"
    else:
        assert category == "detractor"


@given(st.integers().filter(lambda x: not 0 <= x <= 10))
def test_nps_category_rejects_out_of_range(score):
    with pytest.raises(ValueError):
        scoring.nps_category(score)


@given(st.lists(scores, min_size=1, max_size=400))
def test_nps_is_percent_promoters_minus_percent_detractors(answers):
    pro = sum(1 for s in answers if s >= 9)
    det = sum(1 for s in answers if s <= 6)
    est = scoring.nps_estimate(promoters=pro, passives=len(answers) - pro - det, detractors=det)
    assert est.nps == pytest.approx(100 * pro / len(answers) - 100 * det / len(answers))
    assert -100 <= est.nps <= 100
    assert est.ci_low <= est.nps <= est.ci_high
    assert est.ci_low >= -100 and est.ci_high <= 100
    assert est.small_sample == (len(answers) < scoring.SMALL_SAMPLE)
    # The CI half-width is 1.96 × the standard error of the mean of +1/0/−1 scores.
    values = [1 if s >= 9 else -1 if s <= 6 else 0 for s in answers]
    se = 100 * statistics.pstdev(values) / math.sqrt(len(values))
    assert est.std_error == pytest.approx(se, abs=1e-9)
    if est.nps - 1.96 * se > -100:
        assert est.ci_low == pytest.approx(est.nps - scoring.Z_95 * se)


@given(st.lists(scores, min_size=30, max_size=200), st.lists(scores, min_size=30, max_size=200))
def test_nps_difference_is_symmetric_and_consistent(a, b):
    def est(xs):
        pro = sum(1 for s in xs if s >= 9)
        det = sum(1 for s in xs if s <= 6)
        return scoring.nps_estimate(promoters=pro, passives=len(xs) - pro - det, detractors=det)

    ab = scoring.nps_difference(est(a), est(b))
    ba = scoring.nps_difference(est(b), est(a))
    assert ab.difference == pytest.approx(-ba.difference)
    if ab.p_value is not None:
        assert 0 <= ab.p_value <= 1
        assert ab.p_value == pytest.approx(ba.p_value)
        assert ab.significant == (ab.p_value < 0.05)


def test_clear_change_is_significant_and_small_samples_are_not():
    low = scoring.nps_estimate(promoters=20, passives=30, detractors=50)
    high = scoring.nps_estimate(promoters=60, passives=30, detractors=10)
    diff = scoring.nps_difference(low, high)
    assert diff.difference == pytest.approx(80) and diff.significant and diff.p_value < 0.001
    tiny = scoring.nps_difference(
        scoring.nps_estimate(promoters=1, passives=1, detractors=3),
        scoring.nps_estimate(promoters=5, passives=0, detractors=0),
    )
    assert tiny.small_sample and not tiny.significant


item_answers = st.fixed_dictionaries(
    {}, optional={item.value: agreements for item in AwarenessItem}
)


@given(item_answers)
def test_indices_are_the_0_100_mapping_of_the_item_means(items):
    result = scoring.awareness_scores(items)

    def expected(keys):
        vals = [items[k] for k in keys if k in items]
        return None if not vals else (statistics.mean(vals) - 1) / 4 * 100

    for got, keys in [
        (result.attachment, ["like", "satisfied", "devotion", "grateful", "would_miss"]),
        (result.empathy, ["support", "spread", "vision"]),
        (result.awareness, [i.value for i in AwarenessItem]),
    ]:
        want = expected(keys)
        if want is None:
            assert got is None
        else:
            assert got == pytest.approx(want)
            assert 0 <= got <= 100


@given(agreements)
def test_all_same_answer_gives_the_scale_point(value):
    result = scoring.awareness_scores({i.value: value for i in AwarenessItem})
    assert result.awareness == pytest.approx({1: 0, 2: 25, 3: 50, 4: 75, 5: 100}[value])
    assert result.empathy == result.attachment == result.awareness


@given(st.lists(st.floats(0, 100), min_size=2, max_size=50), st.floats(-50, 50))
def test_mean_difference_detects_shift_direction(xs, shift):
    ys = [x + shift for x in xs]
    diff = scoring.mean_difference(xs, ys)
    assert diff.difference == pytest.approx(shift, abs=1e-6)
