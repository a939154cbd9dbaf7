"""Forecast kernels and level-shift detection on small hand-computed series."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from kaohe.engine.forecast import detect_level_shifts, kernels

NAN = np.nan


def row(*values: float) -> np.ndarray:
    return np.array([values], dtype=np.float64)


def test_history_length_counts_the_trailing_run_of_values() -> None:
    y = np.array([[1, 2, 3], [NAN, 2, 3], [1, NAN, 3], [1, 2, NAN], [NAN, NAN, NAN]])
    assert kernels.history_length(y).tolist() == [3, 2, 1, 0, 0]


def test_nanmedian_rows_reads_each_rows_own_middle() -> None:
    a = np.array([[3, 1, 2, NAN], [4, 1, 3, 2], [NAN, NAN, NAN, NAN], [NAN, 5, NAN, NAN]])
    assert kernels.nanmedian_rows(a).tolist()[:2] == [2.0, 2.5]
    assert np.isnan(kernels.nanmedian_rows(a)[2])
    assert kernels.nanmedian_rows(a)[3] == 5.0


def test_naive_carries_the_last_value_from_each_origin() -> None:
    assert kernels.naive(row(1, 2, 4), 1, (0, 1, 2)).tolist() == [[4.0, 2.0, 1.0]]


def test_drift_extrapolates_the_mean_change() -> None:
    assert kernels.drift(row(1, 2, 4), 1).tolist() == [[5.5]]
    assert kernels.drift(row(1, 2, 4), 2).tolist() == [[7.0]]
    # Left padding: the history starts at the first value, origin 1 drops the last column.
    assert kernels.drift(row(NAN, 2, 4, 8), 1, (0, 1)).tolist() == [[11.0, 6.0]]
    assert np.isnan(kernels.drift(row(NAN, NAN, 5), 1)[0, 0])


def test_growth_compounds_the_mean_growth_factor_of_positive_series() -> None:
    assert kernels.growth(row(1, 2, 4), 1).tolist() == [[8.0]]
    assert kernels.growth(row(1, 2, 4), 2).tolist() == [[16.0]]
    assert np.isnan(kernels.growth(row(-1, 2, 4), 1)[0, 0])
    assert np.isnan(kernels.growth(row(0, 2, 4), 1)[0, 0])


def test_theil_sen_adds_the_median_pairwise_slope_to_the_last_value() -> None:
    # Slopes 2, 1.5, 1: median 1.5.
    assert kernels.theil_sen(row(0, 2, 3), 1).tolist() == [[4.5]]
    assert kernels.theil_sen(row(0, 2, 3), 2).tolist() == [[6.0]]
    # One wild value moves the least-squares slope, not the median slope (of 10 slopes,
    # six are 1): 4 + 1.
    assert kernels.theil_sen(row(0, 1, 2, 30, 4), 1).tolist() == [[5.0]]
    assert np.isnan(kernels.theil_sen(row(NAN, 1, 2), 1)[0, 0])


def test_damped_trend_matches_a_hand_computed_update() -> None:
    # alpha = beta = 0.5, phi = 0.9 on 1, 3, 4: level 3 and trend 2 after the second value;
    # then prediction 4.8, error −0.8, level 4.4, trend 1.8 − 0.2 = 1.6.
    grid = [(0.5, 0.5, 0.9)]
    assert kernels.damped_trend(row(1, 3, 4), 1, grid=grid)[0, 0] == pytest.approx(
        4.4 + 0.9 * 1.6, rel=1e-15
    )
    assert kernels.damped_trend(row(1, 3, 4), 2, grid=grid)[0, 0] == pytest.approx(
        4.4 + (0.9 + 0.81) * 1.6, rel=1e-15
    )
    assert np.isnan(kernels.damped_trend(row(NAN, 3, 4), 1, grid=grid)[0, 0])


def test_damped_trend_picks_the_grid_point_with_least_error_so_far() -> None:
    # A straight line: phi = 1 has zero one-step error, phi = 0.5 does not.
    grid = [(0.5, 0.5, 0.5), (0.5, 0.5, 1.0)]
    y = row(2, 4, 6, 8, 10)
    assert kernels.damped_trend(y, 1, grid=grid).tolist() == [[12.0]]
    # Origin 2 sees 2, 4, 6 only and still forecasts the line.
    assert kernels.damped_trend(y, 1, (0, 2), grid=grid).tolist() == [[12.0, 8.0]]


def test_seasonal_kernels_use_the_same_quarter_last_year() -> None:
    y = row(1, 2, 3, 4, 11, 12, 13, 14)
    assert kernels.seasonal_naive(y, 1, 4).tolist() == [[11.0]]
    assert kernels.seasonal_naive(y, 5, 4).tolist() == [[11.0]]
    # Year-on-year changes are all 10: last year's first quarter plus 10.
    assert kernels.seasonal_drift(y, 1, 4).tolist() == [[21.0]]
    assert kernels.seasonal_drift(y, 2, 4).tolist() == [[22.0]]


def test_linear_series_are_extrapolated_exactly_by_the_trend_kernels() -> None:
    y = np.array(
        [[3.0 + 2.0 * t for t in range(7)], [NAN, NAN, *(-5.0 - 0.5 * t for t in range(5))]]
    )
    expected = np.array([[17.0], [-7.5]])
    for kernel in (kernels.drift, kernels.theil_sen, kernels.damped_trend):
        np.testing.assert_array_equal(kernel(y, 1), expected)


def test_a_planted_level_shift_is_found_where_the_new_level_starts() -> None:
    base = 100 * 1.05 ** np.arange(10.0)
    shifted = base * np.where(np.arange(10) >= 6, 1.2, 1.0)
    shifts = detect_level_shifts(np.stack([base, shifted]))
    assert shifts.column.tolist() == [-1, 6]
    assert shifts.size[1] == pytest.approx(0.2, rel=1e-9)
    assert shifts.relative.tolist() == [True, True]


def test_a_one_off_outlier_that_recovers_is_not_a_level_shift() -> None:
    y = 100 * 1.05 ** np.arange(10.0)
    y[5] *= 0.8
    assert detect_level_shifts(y[None, :]).column.tolist() == [-1]


def test_level_shift_in_a_sign_changing_series_is_measured_in_units() -> None:
    y = np.array([[-2.0, 1.0, -1.0, 2.0, 0.0, 40.0, 41.0, 39.0, 42.0]])
    shifts = detect_level_shifts(y)
    assert shifts.column.tolist() == [5]
    assert not shifts.relative[0]


def test_quarterly_level_shift_starts_at_the_first_shifted_quarter() -> None:
    season = np.tile([10.0, 20.0, 30.0, 40.0], 4) * 1.02 ** np.repeat(np.arange(4.0), 4)
    season[9:] *= 1.3
    assert detect_level_shifts(season[None, :], season_length=4).column.tolist() == [9]


finite_rows = arrays(
    np.float64,
    st.tuples(st.integers(1, 4), st.integers(3, 9)),
    elements=st.floats(-1e3, 1e3, allow_nan=False, width=32),
)


@settings(max_examples=60, deadline=None)
@given(y=finite_rows, c=st.integers(-1000, 1000), h=st.integers(1, 3))
def test_shift_equivariant_kernels_move_with_a_constant(y: np.ndarray, c: int, h: int) -> None:
    for kernel in (kernels.naive, kernels.drift, kernels.theil_sen, kernels.damped_trend):
        np.testing.assert_allclose(kernel(y + c, h), kernel(y, h) + c, rtol=1e-9, atol=1e-6)


@settings(max_examples=60, deadline=None)
@given(y=finite_rows, k=st.integers(-4, 4), h=st.integers(1, 3))
def test_kernels_scale_with_the_series(y: np.ndarray, k: int, h: int) -> None:
    # Powers of two scale exactly in floating point.
    a = 2.0**k
    positive = np.abs(y) + 1.0
    for kernel in (kernels.naive, kernels.drift, kernels.theil_sen, kernels.damped_trend):
        np.testing.assert_allclose(kernel(a * y, h), a * kernel(y, h), rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(
        kernels.growth(a * positive, h), a * kernels.growth(positive, h), rtol=1e-12
    )


def test_damped_trend_on_ragged_rows_matches_each_row_alone() -> None:
    # Rows starting in different columns take the masked path; each row alone the dense one.
    rng = np.random.default_rng(1)
    dense = [np.cumsum(rng.normal(1.0, 0.5, n)) for n in (3, 5, 8)]
    ragged = np.full((3, 8), NAN)
    for i, values in enumerate(dense):
        ragged[i, 8 - values.size :] = values
    together = kernels.damped_trend(ragged, 2, (0, 1))
    for i, values in enumerate(dense):
        alone = kernels.damped_trend(values[None, :], 2, (0, 1))
        np.testing.assert_allclose(together[i], alone[0], rtol=1e-14)
    # Three points give a forecast, two (the 3-point row at origin 1) do not.
    assert np.isnan(together[0, 1])
