"""Expert panels (四维评价): 去掉一个最高分和一个最低分 with ties, fewer than 3 ratings, the
weighted total, agreement on the complete block, outlying raters, rater-order independence."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kaohe.engine import DataError
from kaohe.engine.evaluation import aggregate_panel, icc_2, leave_one_out_means, trimmed_means

NAN = float("nan")
RATERS = ("r0", "r1", "r2", "r3", "r4")


def small_panel() -> np.ndarray:
    x = np.full((3, 5, 4), NAN)
    x[0] = np.array([9.0, 9.0, 7.0, 5.0, 5.0])[:, None]  # ties at both ends
    x[1, :2, 0] = [8.0, 6.0]  # 2 ratings: nothing dropped
    x[1, :3, 1:] = np.array([1.0, 5.0, 9.0])[:, None]  # 3 ratings: one left
    x[2, :, :3] = np.array([6.0, 7.0, 8.0, 9.0, 10.0])[:, None]  # benefit (dim 3) not rated
    return x


def test_trimmed_mean_drops_one_highest_and_one_lowest_only() -> None:
    mean, count, high, low = trimmed_means(small_panel())
    # 9 9 7 5 5 → drop one 9 and one 5 → (9 + 7 + 5) / 3 = 7, not the mean of 7 alone.
    assert mean[0].tolist() == [7.0] * 4
    assert high[0].tolist() == [9.0] * 4 and low[0].tolist() == [5.0] * 4
    assert count[1].tolist() == [2, 3, 3, 3]
    assert mean[1].tolist() == [7.0, 5.0, 5.0, 5.0]
    assert np.isnan(high[1, 0]) and high[1, 1] == 9.0
    assert mean[2, :3].tolist() == [8.0] * 3 and np.isnan(mean[2, 3]) and count[2, 3] == 0


def test_panel_scores_notes_and_weights() -> None:
    r = aggregate_panel(
        small_panel(),
        items=("a", "b", "c"),
        raters=RATERS,
        weights=(4, 3, 2, 1),
        score_range=(0, 10),
    )
    assert r.weights.tolist() == pytest.approx([0.4, 0.3, 0.2, 0.1])
    assert r.score[0] == pytest.approx(7.0, rel=1e-15)
    assert r.score[1] == pytest.approx(0.4 * 7 + 0.6 * 5, rel=1e-15)
    assert np.isnan(r.score[2])
    assert r.trimmed[1].tolist() == [False, True, True, True]
    assert r.notes("b", "zh") == (
        "创优性仅有 2 位专家评分（少于 3 位），未去掉最高分和最低分，直接取平均",
    )
    assert r.notes(2, "en") == ("benefit: no ratings, so no overall score",)
    assert r.notes("a") == ()
    # With the benefit dimension weighted 0, item c has a total.
    r0 = aggregate_panel(small_panel(), items=("a", "b", "c"), raters=RATERS, weights=(1, 1, 1, 0))
    assert r0.score[2] == pytest.approx(8.0, rel=1e-15)


def test_leave_one_out_trimmed_mean_by_hand() -> None:
    loo = leave_one_out_means(small_panel())
    # Others of a 9 in 9 9 7 5 5: 9 7 5 5 → drop 9 and 5 → 6; of the 7: 9 9 5 5 → 7;
    # of a 5: 9 9 7 5 → 8.
    assert loo[0, :, 0].tolist() == [6.0, 6.0, 7.0, 8.0, 8.0]
    # Of the 1 in 1 5 9: the other two, plain mean 7; two ratings leave one other: NaN.
    assert loo[1, :3, 1].tolist() == [7.0, 5.0, 3.0]
    assert np.isnan(loo[1, 0, 0]) and np.isnan(loo[1, 3, 1])


def test_invalid_panels_are_refused() -> None:
    with pytest.raises(DataError, match="outside 0 … 10"):
        aggregate_panel(
            small_panel() + 1, items=("a", "b", "c"), raters=RATERS, score_range=(0, 10)
        )
    with pytest.raises(DataError, match="items × raters × dimensions"):
        aggregate_panel(np.ones((2, 5, 4)), items=("a", "b", "c"), raters=RATERS)


def test_agreement_reproduces_shrout_fleiss_through_the_panel() -> None:
    data = np.array(
        [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]],
        dtype=float,
    )
    r = aggregate_panel(
        data[:, :, None],
        items=tuple("abcdef"),
        raters=("j1", "j2", "j3", "j4"),
        dimensions=("excellence",),
    )
    excellence, overall = r.agreement
    assert excellence.icc == icc_2(data)
    assert overall.icc is not None and overall.icc.icc21 == pytest.approx(excellence.icc.icc21)
    assert excellence.outside == 0
    text = excellence.describe("en")[0]
    assert "ICC(2,1) = 0.290 (poor reliability)" in text
    assert "ICC(2,k) = 0.620 (moderate reliability)" in text
    assert excellence.describe("zh")[0].startswith("创优性：肯德尔和谐系数 W = ")


def test_agreement_under_recusal_uses_the_complete_block() -> None:
    rng = np.random.default_rng(3)
    truth = rng.uniform(60, 95, size=(6, 1, 4))
    x = truth + rng.normal(0, 2, size=(6, 4, 4))
    x[0:2, 0] = x[2:4, 1] = x[4:6, 2] = NAN  # raters 0–2 recuse from their unit's items
    r = aggregate_panel(x, items=tuple("abcdef"), raters=("e0", "e1", "e2", "e3"))
    for a in r.agreement:
        assert a.items_used == (0, 1, 4, 5) and a.raters_used == (1, 3)
        assert a.outside == 18 - 8
        assert a.kendall is not None
    assert (
        "complete block of 4 items × 2 raters (10 ratings outside"
        in r.agreement[0].describe("en")[0]
    )
    # Every item still has 3 ratings per dimension: all trimmed.
    assert r.trimmed.all()
    lonely = np.full((3, 3, 4), NAN)
    lonely[0, 0] = lonely[1, 1] = lonely[2, 2] = 5.0
    q = aggregate_panel(lonely, items=tuple("abc"), raters=("p", "q", "r"))
    assert q.agreement[0].kendall is None
    assert q.agreement[0].describe("en")[0].startswith("excellence: no complete block")


def test_outlying_raters_are_flagged_with_the_reason() -> None:
    rng = np.random.default_rng(11)
    truth = rng.uniform(60, 95, size=(10, 1, 4))
    x = np.repeat(truth, 6, axis=1) + rng.normal(0, 1.5, size=(10, 6, 4))
    x[:, 5] += 12.0  # lenient by 12 points
    x[:, 4] = 155.0 - x[:, 4]  # reversed: high where the panel is low
    r = aggregate_panel(x, items=tuple("abcdefghij"), raters=tuple(f"e{i}" for i in range(6)))
    assert r.far.tolist() == [False, False, False, False, True, True]
    assert r.uncorrelated.tolist() == [False, False, False, False, True, False]
    assert r.outlying.tolist() == [False, False, False, False, True, True]
    assert r.rater_bias[5] > 10
    assert r.rater_cells.tolist() == [40] * 6
    note = r.rater_notes("e5", "zh")[0]
    assert note.startswith("评审专家“e5”的评分与其余专家去掉最高最低后的平均分平均相差")
    assert "总体偏高" in note
    assert "correlates only" in r.rater_notes(4, "en")[1]
    assert r.rater_notes("e0", "en") == ()


@settings(max_examples=50, deadline=None)
@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_the_order_of_raters_changes_no_bit(seed: int) -> None:
    rng = np.random.default_rng(seed)
    items, raters = int(rng.integers(1, 7)), int(rng.integers(1, 7))
    x = rng.integers(50, 101, size=(items, raters, 4)).astype(float) + rng.choice(
        [0.0, 0.5, 0.25], size=(items, raters, 4)
    )
    x[rng.random(x.shape) < 0.25] = NAN
    names = tuple(f"e{i}" for i in range(raters))
    item_names = tuple(f"i{i}" for i in range(items))
    a = aggregate_panel(x, items=item_names, raters=names, weights=(0.3, 0.3, 0.2, 0.2))
    order = rng.permutation(raters)
    b = aggregate_panel(
        x[:, order],
        items=item_names,
        raters=tuple(names[i] for i in order),
        weights=(0.3, 0.3, 0.2, 0.2),
    )
    for field in ("count", "dimension_score", "dropped_high", "dropped_low", "score"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    for field in ("rater_cells", "rater_mad", "rater_bias", "rater_correlation", "far", "outlying"):
        np.testing.assert_array_equal(getattr(a, field)[order], getattr(b, field))
    assert a.outlier_scale == b.outlier_scale or (
        np.isnan(a.outlier_scale) and np.isnan(b.outlier_scale)
    )
