"""Survey statistics (群众评议): hand-computed cells, the stratified index and its interval,
small groups, matrix questions, and order independence."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kaohe.engine import DataError
from kaohe.engine.evaluation import (
    LikertScale,
    matrix_results,
    survey_results,
    wilson_interval,
    z_value,
)

NAN = float("nan")
FIVE = LikertScale(points=5, top=(4, 5))  # 5 非常满意, 4 比较满意 count as satisfied
GROUPS = ("citizens", "enterprises", "deputies")
WEIGHTS = (0.5, 0.3, 0.2)

# Unit 0 ("shinan"): citizens 5 5 4 3 2 5; enterprises 4 4 4 5 3 and one blank; deputies 5 5.
# Unit 1 ("laixi"): citizens 1 2 3, nothing else.
ANSWERS = [5, 5, 4, 3, 2, 5, 4, 4, 4, 5, 3, NAN, 5, 5, 1, 2, 3]
UNIT = [0] * 14 + [1] * 3
GROUP = [0] * 6 + [1] * 6 + [2] * 2 + [0] * 3


def run(**kwargs: object) -> object:
    args: dict[str, object] = dict(
        scale=FIVE, units=("shinan", "laixi"), groups=GROUPS, weights=WEIGHTS
    )
    args.update(kwargs)
    return survey_results(ANSWERS, UNIT, GROUP, **args)  # type: ignore[arg-type]


def test_cells_by_hand() -> None:
    r = run(quota=[[10, 6, 4], [10, 6, 4]])
    assert r.responses.tolist() == [[6, 6, 2], [3, 0, 0]]
    assert r.n.tolist() == [[6, 5, 2], [3, 0, 0]]
    assert r.satisfied.tolist() == [[4, 4, 2], [0, 0, 0]]
    assert r.rate[0].tolist() == [4 / 6, 0.8, 1.0]
    assert np.isnan(r.rate[1, 1])
    # Mean code 4 → (4 − 1) / 4 · 100 = 75; citizens' codes deviate 1 1 0 −1 −2 1 → s² = 8/5.
    assert r.mean[0, 0] == 75.0 and r.mean[0, 1] == 75.0 and r.mean[0, 2] == 100.0
    assert r.sd[0, 0] == pytest.approx(math.sqrt(8 / 5) * 25, rel=1e-14)
    assert r.sd[0, 1] == pytest.approx(math.sqrt(2 / 4) * 25, rel=1e-14)
    assert r.mean[1, 0] == 25.0  # codes 1 2 3
    assert r.response_rate[0].tolist() == [0.6, 1.0, 0.5]
    assert r.unit_response_rate[0] == 14 / 20
    low, high = wilson_interval(4, 6)
    assert r.rate_low[0, 0] == low and r.rate_high[0, 0] == high
    assert r.too_few.tolist() == [[False, False, True], [True, False, False]]


def test_weighted_index_stratified_interval_by_hand() -> None:
    r = run()
    # Deputies (2 answers < 5) are left out: weights 0.5/0.8 and 0.3/0.8.
    w1, w2 = 0.5 / 0.8, 0.3 / 0.8
    assert r.weights_used[0].tolist() == pytest.approx([w1, w2, 0.0])
    assert bool(r.renormalised[0])
    assert r.index[0] == pytest.approx(75.0, rel=1e-15)
    var = w1**2 * (8 / 5 * 625) / 6 + w2**2 * (2 / 4 * 625) / 5
    assert r.index_se[0] == pytest.approx(math.sqrt(var), rel=1e-13)
    z = z_value(0.95)
    assert r.index_low[0] == pytest.approx(75 - z * math.sqrt(var), rel=1e-13)
    assert r.index_high[0] == pytest.approx(75 + z * math.sqrt(var), rel=1e-13)
    # The satisfaction rate: s² = p(1 − p) n / (n − 1) per group.
    assert r.weighted_rate[0] == pytest.approx(w1 * 4 / 6 + w2 * 0.8, rel=1e-14)
    var_rate = w1**2 * (4 / 6 * 2 / 6 * 6 / 5) / 6 + w2**2 * (0.8 * 0.2 * 5 / 4) / 5
    assert r.weighted_rate_se[0] == pytest.approx(math.sqrt(var_rate), rel=1e-13)
    # All answers pooled, unweighted: 10 of 13.
    assert r.rate_all[0] == 10 / 13
    # Unit 1 has 3 citizens' answers only: no index, and it says so.
    assert np.isnan(r.index[1]) and np.isnan(r.index_low[1])
    assert not r.renormalised[1]
    notes_en = r.notes("laixi", "en")
    assert "group 'citizens' has only 3 answers (fewer than 5)" in notes_en[0]
    assert "group 'enterprises' has no answers" in notes_en[1]
    assert notes_en[-1] == "no group has 5 or more answers: no weighted index"
    notes_zh = r.notes(0, "zh")
    assert notes_zh[0].startswith("群体“deputies”仅有 2 份有效回答（少于 5 份）")
    assert notes_zh[1] == "权重已在回答足够的群体间重新归一：citizens 62.5%，enterprises 37.5%"


def test_finite_population_correction() -> None:
    # 5 of 10 enterprises answered: their variance term shrinks by 1 − 5/10.
    r = run(population=[[NAN, 10, NAN], [NAN, NAN, NAN]])
    w1, w2 = 0.5 / 0.8, 0.3 / 0.8
    var = w1**2 * (8 / 5 * 625) / 6 + 0.5 * w2**2 * (2 / 4 * 625) / 5
    assert r.index_se[0] == pytest.approx(math.sqrt(var), rel=1e-13)
    # A census group (everyone answered) contributes no sampling variance.
    census = run(population=[[6, 5, NAN], [NAN, NAN, NAN]])
    assert census.index_se[0] == 0.0
    assert any("zero width" in note for note in census.notes(0, "en"))
    with pytest.raises(DataError, match="exceed the population"):
        run(population=[[4, NAN, NAN], [NAN, NAN, NAN]])


def test_min_n_can_be_lowered_and_all_groups_used() -> None:
    r = run(min_n=2)
    assert r.weights_used[0].tolist() == pytest.approx([0.5, 0.3, 0.2])
    assert not r.renormalised[0]
    assert r.index[0] == pytest.approx(0.5 * 75 + 0.3 * 75 + 0.2 * 100, rel=1e-15)
    # Deputies answered 5 5: s² = 0, so they add nothing to the variance.
    assert r.notes(0, "en") == ()


def test_seven_point_scale_and_reversed_codes() -> None:
    seven = LikertScale(points=7, top=(6, 7))
    r = survey_results(
        [7, 6, 1, -1],
        [0, 0, 0, 0],
        [0, 0, 0, 0],
        scale=seven,
        units=("a",),
        groups=("g",),
        weights=(1,),
        min_n=2,
    )
    assert r.n[0, 0] == 3 and r.responses[0, 0] == 4
    assert r.rate[0, 0] == 2 / 3
    assert r.mean[0, 0] == pytest.approx((14 / 3 - 1) / 6 * 100, rel=1e-15)
    # Questionnaires listing 满意 first: code 1 is best.
    reverse = LikertScale(points=5, top=(1, 2), best="low")
    r = survey_results(
        [1, 2, 5],
        [0, 0, 0],
        [0, 0, 0],
        scale=reverse,
        units=("a",),
        groups=("g",),
        weights=(1,),
        min_n=2,
    )
    assert r.rate[0, 0] == 2 / 3
    assert r.mean[0, 0] == pytest.approx((5 + 4 + 1) / 3 * 25 - 25, rel=1e-15)


def test_invalid_input_is_refused() -> None:
    with pytest.raises(DataError, match=r"line 3: answer 6 is not a code 1 … 5"):
        survey_results(
            [1, 2, 6], [0, 0, 0], [0, 0, 0], scale=FIVE, units=("a",), groups=("g",), weights=(1,)
        )
    with pytest.raises(DataError, match=r"answer 2\.5"):
        survey_results([2.5], [0], [0], scale=FIVE, units=("a",), groups=("g",), weights=(1,))
    with pytest.raises(DataError, match="unit indices"):
        survey_results([1], [1], [0], scale=FIVE, units=("a",), groups=("g",), weights=(1,))
    with pytest.raises(DataError, match="weights"):
        survey_results([1], [0], [0], scale=FIVE, units=("a",), groups=("g",), weights=(0,))
    with pytest.raises(ValueError, match="top codes"):
        LikertScale(points=5, top=(6,))


def test_matrix_question_equals_the_long_form() -> None:
    # 4 respondents (groups 0 0 1 1) rate 3 units; NaN = does not know the unit.
    ratings = np.array([[5, 4, NAN], [4, NAN, 2], [3, 5, 5], [NAN, 4, 1]])
    group = np.array([0, 0, 1, 1])
    m = matrix_results(
        ratings,
        group,
        scale=FIVE,
        units=("a", "b", "c"),
        groups=("x", "y"),
        weights=(0.7, 0.3),
        min_n=2,
        quota=[[2, 4]],
    )
    assert m.responses.tolist() == [[2, 2], [2, 2], [2, 2]]
    assert m.n.tolist() == [[2, 1], [1, 2], [1, 2]]
    assert m.response_rate[0].tolist() == [1.0, 0.5]
    units, respondents = np.meshgrid(np.arange(3), np.arange(4))
    long = survey_results(
        ratings.ravel(),
        units.ravel(),
        group[respondents.ravel()],
        scale=FIVE,
        units=("a", "b", "c"),
        groups=("x", "y"),
        weights=(0.7, 0.3),
        min_n=2,
        quota=[[2, 4]],
    )
    for field in ("n", "satisfied", "rate", "mean", "sd", "index", "index_se", "weighted_rate"):
        np.testing.assert_array_equal(getattr(m, field), getattr(long, field))
    # Unit a: group y has one answer, so only group x counts: index = mean of 5, 4 → 87.5.
    assert m.index[0] == 87.5 and m.renormalised[0]


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_the_order_of_answers_changes_no_bit(seed: int) -> None:
    rng = np.random.default_rng(seed)
    size = int(rng.integers(1, 400))
    answers = rng.integers(0, 8, size).astype(float)  # 0 → no answer below
    answers[answers == 0] = NAN
    answers[answers == 6] = -1
    answers[answers == 7] = 5
    unit = rng.integers(0, 4, size)
    group = rng.integers(0, 3, size)
    kwargs: dict[str, object] = dict(
        scale=FIVE, units=tuple("abcd"), groups=GROUPS, weights=WEIGHTS, population=[[NAN, 500, 80]]
    )
    a = survey_results(answers, unit, group, **kwargs)  # type: ignore[arg-type]
    order = rng.permutation(size)
    b = survey_results(answers[order], unit[order], group[order], **kwargs)  # type: ignore[arg-type]
    for field in a.__dataclass_fields__:
        x, y = getattr(a, field), getattr(b, field)
        if isinstance(x, np.ndarray):
            np.testing.assert_array_equal(x, y)
    # The index lies in its interval, and the interval inside 0–100.
    ok = ~np.isnan(a.index)
    assert (a.index_low[ok] <= a.index[ok]).all() and (a.index[ok] <= a.index_high[ok]).all()
    assert (a.index_low[ok] >= 0).all() and (a.index_high[ok] <= 100).all()
