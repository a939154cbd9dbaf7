"""Kendall's W, ICC(2,1)/ICC(2,k), the complete block and the Wilson interval against published
values (Shrout & Fleiss 1979; Siegel 1956 as reproduced by NAG g08daf; Newcombe 1998)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import friedmanchisquare

from kaohe.engine.evaluation import complete_block, icc_2, kendall_w, wilson_interval, z_value
from kaohe.engine.evaluation.texts import ICC_BANDS, W_BANDS, band

# Shrout & Fleiss (1979), Psychological Bulletin 86(2), Table 2: 6 targets × 4 judges.
SHROUT_FLEISS = np.array(
    [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]],
    dtype=float,
)

# Siegel (1956), Nonparametric Statistics, p. 234: 10 objects ranked by 3 judges X, Y, Z,
# with ties; the NAG g08daf example uses the same data and prints W = 0.8277, p = 0.0078.
SIEGEL_TIES = np.array(
    [
        [1.0, 4.5, 2.0, 4.5, 3.0, 7.5, 6.0, 9.0, 7.5, 10.0],
        [2.5, 1.0, 2.5, 4.5, 4.5, 8.0, 9.0, 6.5, 10.0, 6.5],
        [2.0, 1.0, 4.5, 4.5, 4.5, 4.5, 8.0, 8.0, 8.0, 10.0],
    ]
).T  # items × raters

# Siegel (1956), p. 231: three executives rank six job applicants; W = 0.16.
SIEGEL_EXECUTIVES = np.array([[1, 6, 3, 2, 5, 4], [1, 5, 6, 4, 2, 3], [6, 3, 2, 5, 4, 1]]).T


def test_shrout_fleiss_table_2_icc_2_1_and_2_4() -> None:
    result = icc_2(SHROUT_FLEISS)
    # The published ANOVA (Table 2) and ICCs (Table 4): BMS 11.24, JMS 32.49, EMS 1.02;
    # ICC(2,1) = .29, ICC(2,4) = .62.
    assert round(result.bms, 2) == 11.24
    assert round(result.jms, 2) == 32.49
    assert round(result.ems, 2) == 1.02
    assert round(result.icc21, 2) == 0.29
    assert round(result.icc2k, 2) == 0.62
    # By hand: grand total 127 (correction 127²/24), row sums 24 12 26 16 30 19, column sums
    # 46 15 26 40, Σy² = 841 → SS_rows = 1349/24, SS_cols = 2339/24, SS_err = 367/24.
    assert result.bms == pytest.approx(1349 / 120, rel=1e-12)
    assert result.jms == pytest.approx(2339 / 72, rel=1e-12)
    assert result.ems == pytest.approx(367 / 360, rel=1e-12)
    bms, jms, ems = 1349 / 120, 2339 / 72, 367 / 360
    assert result.icc21 == pytest.approx((bms - ems) / (bms + 3 * ems + 4 * (jms - ems) / 6))
    assert result.icc2k == pytest.approx((bms - ems) / (bms + (jms - ems) / 6))
    assert result.band(single=True, lang="en") == "poor reliability"
    assert result.band(single=False, lang="zh") == "信度中等"


def test_siegel_tied_example_w_corrected_and_uncorrected() -> None:
    result = kendall_w(SIEGEL_TIES)
    # S = 591; ties: X two pairs, Y three pairs, Z a four and a three → Σ(t³ − t) = 114.
    assert result.s == 591.0
    assert result.tie_term == 114.0
    assert result.w == pytest.approx(591 / 714, rel=1e-15)
    assert round(result.w, 4) == 0.8277  # NAG g08daf example output
    assert round(result.w_uncorrected, 3) == 0.796  # Siegel: .796 without the correction
    assert round(result.p_value, 4) == 0.0078  # NAG: upper-tail probability 0.0078
    assert result.band("en") == "almost perfect agreement"


def test_siegel_executives_example() -> None:
    result = kendall_w(SIEGEL_EXECUTIVES)
    assert result.s == 25.5
    assert result.w == pytest.approx(25.5 * 12 / (9 * 210), rel=1e-15)
    assert round(result.w, 2) == 0.16
    assert result.tie_term == 0.0
    assert result.band("zh") == "轻微一致"


def test_strawberry_example() -> None:
    # InfluentialPoints "Kendall coefficient of concordance": 4 raters rank 8 farms, W = 0.744.
    ranks = np.array(
        [
            [8, 4, 2, 3, 5, 1, 6, 7],
            [7, 3, 1, 4, 5, 2, 6, 8],
            [8, 2, 5, 6, 7, 1, 4, 3],
            [8, 3, 4, 2, 5, 1, 6, 7],
        ]
    ).T
    result = kendall_w(ranks)
    assert result.s == 500.0
    assert round(result.w, 3) == 0.744
    assert round(result.chi2, 2) == 20.83


def test_kendall_w_matches_friedman_statistic_with_ties() -> None:
    rng = np.random.default_rng(7)
    block = rng.integers(1, 6, size=(9, 5)).astype(float)  # Likert ratings: many ties
    result = kendall_w(block)
    # Friedman's χ² (treatments = items, blocks = raters) with its tie correction is m(n−1)W.
    friedman = friedmanchisquare(*block)
    assert result.chi2 == pytest.approx(friedman.statistic, rel=1e-12)
    assert result.p_value == pytest.approx(friedman.pvalue, rel=1e-10)


def test_kendall_w_perfect_and_undefined() -> None:
    same = np.tile(np.arange(1.0, 6.0)[:, None], (1, 4))
    assert kendall_w(same).w == 1.0
    flat = np.ones((4, 3))
    assert np.isnan(kendall_w(flat).w)
    assert band(kendall_w(flat).w, W_BANDS, "en") == "undefined"
    assert np.isnan(icc_2(flat).icc21)
    with pytest.raises(ValueError, match="complete block"):
        kendall_w(np.array([[1.0, np.nan], [2.0, 3.0]]))
    with pytest.raises(ValueError, match="at least 2 items"):
        icc_2(np.array([[1.0, 2.0]]))


def test_icc_identical_raters_is_one_and_rater_offset_lowers_absolute_agreement() -> None:
    base = np.array([1.0, 4.0, 2.0, 5.0, 3.0])
    assert icc_2(np.column_stack([base, base, base])).icc21 == pytest.approx(1.0)
    shifted = icc_2(np.column_stack([base, base + 2.0, base]))
    # A constant offset keeps consistency but not absolute agreement: ICC(2,1) < 1.
    assert shifted.ems == pytest.approx(0.0, abs=1e-12)
    assert shifted.icc21 < 0.9
    assert kendall_w(np.column_stack([base, base + 2.0, base])).w == 1.0


def test_icc_bands_boundaries() -> None:
    assert band(0.49, ICC_BANDS, "en") == "poor reliability"
    assert band(0.5, ICC_BANDS, "en") == "moderate reliability"
    assert band(0.75, ICC_BANDS, "en") == "good reliability"
    assert band(0.9, ICC_BANDS, "en") == "good reliability"  # Koo & Li: excellent is > 0.9
    assert band(0.91, ICC_BANDS, "zh") == "信度优秀"
    assert band(0.2, W_BANDS, "en") == "fair agreement"


@settings(max_examples=60, deadline=None)
@given(
    st.integers(min_value=0, max_value=2**32 - 1),
    st.integers(min_value=2, max_value=8),
    st.integers(min_value=2, max_value=6),
)
def test_agreement_does_not_depend_on_the_order_of_raters_or_items(
    seed: int, n: int, m: int
) -> None:
    rng = np.random.default_rng(seed)
    block = rng.integers(1, 8, size=(n, m)).astype(float)
    rows, cols = rng.permutation(n), rng.permutation(m)
    a, b = kendall_w(block), kendall_w(block[rows][:, cols])
    assert a.s == b.s and a.tie_term == b.tie_term  # exact: sums of half-integers
    assert (np.isnan(a.w) and np.isnan(b.w)) or a.w == b.w
    i, j = icc_2(block), icc_2(block[rows][:, cols])
    for x, y in ((i.icc21, j.icc21), (i.icc2k, j.icc2k)):
        assert (np.isnan(x) and np.isnan(y)) or x == y  # exact arithmetic: the same bits


def test_complete_block_under_recusal() -> None:
    # 6 items of 3 units (2 each), 4 raters; raters 0–2 come from units 0–2 and recuse.
    present = np.ones((6, 4), dtype=bool)
    present[0:2, 0] = present[2:4, 1] = present[4:6, 2] = False
    items, raters = complete_block(present)
    # Items miss 1/4, raters 0–2 miss 2/6: rater 0 goes; then item 2 (1/3, an item wins the tie
    # with rater 1 at 2/6), item 3 (1/3 against rater 1's 1/5), rater 2 (2/4). Left: items
    # 0, 1, 4, 5 × raters 1, 3, the largest complete block here (8 ratings).
    assert np.flatnonzero(items).tolist() == [0, 1, 4, 5]
    assert np.flatnonzero(raters).tolist() == [1, 3]
    assert present[np.ix_(items, raters)].all()
    full_items, full_raters = complete_block(np.ones((3, 3), dtype=bool))
    assert full_items.all() and full_raters.all()
    none_items, none_raters = complete_block(np.eye(3, dtype=bool))
    assert none_items.sum() * none_raters.sum() <= 1


def test_wilson_interval_newcombe_example() -> None:
    # Newcombe (1998), Statistics in Medicine 17, Table I: 81/263 → score interval 0.2553–0.3662.
    low, high = wilson_interval(81, 263)
    assert round(float(low), 4) == 0.2553
    assert round(float(high), 4) == 0.3662
    # Hand computation with z = 1.959963984540054.
    z = z_value(0.95)
    p, n = 81 / 263, 263
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    assert float(low) == pytest.approx(centre - half, rel=1e-14)
    assert float(high) == pytest.approx(centre + half, rel=1e-14)


def test_wilson_interval_edges_and_an_independent_implementation() -> None:
    low, high = wilson_interval(np.array([0, 5, 0]), np.array([5, 5, 0]))
    assert low[0] == 0.0 and high[1] == 1.0
    assert np.isnan(low[2]) and np.isnan(high[2])
    # 0/5: upper bound z²/(n + z²) (closed form of the score bound at p = 0).
    z = z_value(0.95)
    assert high[0] == pytest.approx(z * z / (5 + z * z), rel=1e-14)
    # statsmodels 0.15.0, proportion_confint(x, n, alpha=0.05, method="wilson"), printed once
    # (statsmodels is not a dependency of the project).
    x = np.array([1, 7, 19, 42, 97])
    n = np.array([3, 10, 20, 50, 100])
    ref_low = [
        0.06149194472039626,
        0.39677814746114537,
        0.7638688065532577,
        0.7148578393696499,
        0.9154806357094724,
    ]
    ref_high = [
        0.7923403991979523,
        0.8922087325936989,
        0.9911185511992044,
        0.9166257932196658,
        0.9897454759759611,
    ]
    ours = wilson_interval(x, n)
    np.testing.assert_allclose(ours[0], ref_low, rtol=1e-12)
    np.testing.assert_allclose(ours[1], ref_high, rtol=1e-12)


def test_a_block_without_residual_has_no_residual_in_any_order() -> None:
    # Raters agree exactly on every item: EMS is 0, not rounding noise, however the block is
    # laid out (a near-zero denominator once turned such noise into ICCs of ±1e16).
    block = np.array([[0.1, 0.1, 0.1], [0.7, 0.7, 0.7], [0.3, 0.3, 0.3], [0.9, 0.9, 0.9]])
    for rows in itertools.permutations(range(4)):
        icc = icc_2(block[list(rows)][:, [2, 0, 1]])
        assert icc.ems == 0.0
        assert icc.icc21 == 1.0 and icc.icc2k == 1.0
