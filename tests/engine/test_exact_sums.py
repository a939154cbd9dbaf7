"""The sums within the category of the z-score (mean and deviation) are correctly rounded:
equal to math.fsum of each group's values, and so independent of the order of the units."""

from __future__ import annotations

import itertools
import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from kaohe.engine.methods import exact_segment_sums, frontier, group_mean_std, zscore

values = st.one_of(
    st.floats(-1e6, 1e6, allow_nan=False),
    st.floats(-1e-300, 1e-300, allow_nan=False),  # subnormals and tiny values
    st.floats(-1e300, 1e300, allow_nan=False),
    st.integers(-5, 5).map(float),
    st.just(-0.0),
    st.sampled_from([1.0, 1e16, -1e16, 2.0**-60, 0.1]),  # cancellation, lost low bits
)


def _fsums(x: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    return np.array([[math.fsum(row[lo:hi]) for lo, hi in itertools.pairwise(bounds)] for row in x])


@settings(max_examples=200, deadline=None)
@given(
    rows=st.integers(1, 3).flatmap(
        lambda k: st.lists(st.lists(values, min_size=k, max_size=k), min_size=1, max_size=60)
    ),
    cuts=st.lists(st.integers(0, 60), max_size=4),
)
def test_segment_sums_are_correctly_rounded(rows: list[list[float]], cuts: list[int]) -> None:
    x = np.array(rows).T.copy()  # (k, N)
    n = x.shape[1]
    bounds = sorted({0, n, *(min(c, n) for c in cuts)})
    sizes = np.diff(bounds)
    sizes = np.concatenate([sizes, [0]])  # an empty group sums to 0
    expected = _fsums(x, sizes)
    got = exact_segment_sums(x.copy(), sizes, np.empty_like(x))
    assert np.array_equal(got, expected), (got, expected)


def test_a_sum_that_naive_summation_gets_wrong() -> None:
    x = np.array([[1e16, 1.0, -1e16, 1.0, 2.0**-60, 3.0, -3.0]])
    assert float(np.sum(x)) != math.fsum(x[0])  # the naive sum loses the ones
    got = exact_segment_sums(x.copy(), np.array([7]), np.empty_like(x))
    assert got[0, 0] == math.fsum(x[0]) == 2.0 + 2.0**-60


@settings(max_examples=60, deadline=None)
@given(
    x=st.lists(st.one_of(values, st.just(float("nan"))), min_size=1, max_size=50),
    cats=st.lists(st.integers(0, 3), min_size=50, max_size=50),
    seed=st.integers(0, 2**31),
)
def test_mean_and_std_do_not_depend_on_unit_order(
    x: list[float], cats: list[int], seed: int
) -> None:
    v = np.array(x)
    _, groups = np.unique(np.array(cats[: len(v)]), return_inverse=True)
    groups = groups.astype(np.intp)
    with np.errstate(all="ignore"):
        mean, std = group_mean_std(v, groups)
        perm = np.random.default_rng(seed).permutation(len(v))
        pmean, pstd = group_mean_std(v[perm], groups[perm])
    assert mean[perm].tobytes() == pmean.tobytes()
    assert std[perm].tobytes() == pstd.tobytes()
    for g in np.unique(groups):
        ok = (groups == g) & ~np.isnan(v)
        if ok.any() and np.isfinite(v[ok]).all() and np.abs(v[ok]).max() < 1e290:
            # the exact sum rounded once, then divided; a group of equal values has that value
            # as its mean exactly (fsum / n can miss it by an ulp: 3 · 5.46e-301 / 3)
            flat = v[ok].min() == v[ok].max()
            expected = v[ok][0] if flat else math.fsum(v[ok]) / ok.sum()
            assert mean[groups == g][0] == expected


def test_a_constant_category_has_no_spread() -> None:
    """SCORING-RULES: no spread in the category, everyone is average (fraction 0.5). The mean
    of n equal values, (exact sum)/n rounded, can miss the value by an ulp (n = 3 for 0.7); the
    deviations would then be ±ulp and every z ±1."""
    for n in (3, 10, 1000, 2500):
        x = np.concatenate([np.full(n, 0.7), np.linspace(0.0, 1.0, 7), [np.nan]])
        groups = np.concatenate([np.zeros(n), np.ones(7), [0]]).astype(np.intp)
        f = zscore(x, groups, clip_z=3.0, higher=True)[0]
        assert (f[:n] == 0.5).all(), (n, np.unique(f[:n]))
        assert np.isnan(f[-1])
        mean, std = group_mean_std(x, groups)
        assert mean[0] == 0.7 and std[0] == 0.0


def test_rows_beyond_the_exact_range_are_summed_in_ascending_order() -> None:
    """An infinity, or magnitudes near the float64 limit, leave the grid: such a row is summed
    over sorted values — still the same whatever the order of the units."""
    rng = np.random.default_rng(3)
    big = rng.uniform(-1.0, 1.0, 40) * 1.7e308
    rows = np.array([big, np.where(np.arange(40) == 7, np.inf, rng.uniform(size=40))])
    sizes = np.array([25, 15])
    got = exact_segment_sums(rows.copy(), sizes, np.empty_like(rows))
    assert got[1, 0] == np.inf and np.isfinite(got[1, 1])
    for _ in range(5):
        perm = np.concatenate([rng.permutation(25), 25 + rng.permutation(15)])
        again = exact_segment_sums(rows[:, perm].copy(), sizes, np.empty_like(rows))
        assert again.tobytes() == got.tobytes()


def test_a_group_of_signed_zeros_has_the_same_mean_in_any_order() -> None:
    groups = np.zeros(2, dtype=np.intp)
    forward, _ = group_mean_std(np.array([0.0, -0.0]), groups)
    backward, _ = group_mean_std(np.array([-0.0, 0.0]), groups)
    assert forward.tobytes() == backward.tobytes() == np.zeros(2).tobytes()


def test_a_category_best_of_signed_zero_is_plus_zero_in_any_order() -> None:
    # ratio frontier: x / best. Of 0.0 and −0.0 the reduction kept whichever came first, and a
    # best of −0.0 gave a negative value +inf, clipped to full marks.
    groups = np.zeros(3, dtype=np.intp)
    for values in ([-0.0, 0.0, -0.5], [0.0, -0.0, -0.5], [-0.5, -0.0, 0.0]):
        f, _ = frontier(np.array(values), groups, mode="ratio", higher=True)
        assert f[np.array(values) == -0.5].tolist() == [0.0], values
