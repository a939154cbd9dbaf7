"""suggest_targets: selection, level shifts, ranges, reasons and the result object."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from kaohe.engine.forecast import METHODS, PeriodAxis, suggest_targets

NAN = np.nan
YEARS = list(range(2015, 2023))


def test_linear_series_are_forecast_exactly_by_drift() -> None:
    t = np.arange(8, dtype=np.float64)
    y = np.stack([3 + 2 * t, 50 - 4 * t, 7 + 0 * t + 1])
    res = suggest_targets(y, YEARS)
    assert res.target.tolist() == [19.0, 18.0, 8.0]
    assert res.forecast.tolist() == [19.0, 18.0, 8.0]
    # Drift and the robust trend are exact; on a tie the simpler method wins.
    assert res.method_name.tolist() == ["drift", "drift", "naive"]
    assert res.target_period == "2023"
    assert res.low.tolist() == [19.0, 18.0, 8.0]
    assert res.high.tolist() == [19.0, 18.0, 8.0]


def test_steady_growth_is_explained_in_both_languages() -> None:
    y = np.array([[100.0, 110.0, 121.0, 133.1, 146.41]])
    res = suggest_targets(y, [2018, 2019, 2020, 2021, 2022])
    assert res.method_name.tolist() == ["growth"]
    assert res.target[0] == pytest.approx(161.051, rel=1e-12)
    assert res.reason_zh[0] == "近5年年均增长10.0%，波动小；按年均增长率外推（回测误差MASE 0.0）。"
    assert res.reason_en[0] == (
        "Grew 10.0% a year over 5 years with low volatility; "
        "extrapolates the average growth rate (backtest MASE 0.0)."
    )


def test_planted_level_shift_is_detected_and_not_extrapolated() -> None:
    # Steady 5 % growth; a census revision lifts the level by 20 % from 2019 on.
    y = 100 * 1.05 ** np.arange(8)
    y[4:] *= 1.2
    res = suggest_targets(y[None, :], YEARS)
    assert res.has_break.tolist() == [True]
    assert res.break_column.tolist() == [4]
    assert res.used_length.tolist() == [4]
    assert res.history_length.tolist() == [8]
    # Only 2019–2022 are used: every method continues the 5 % growth from the new level,
    # none carries the jump on.
    assert res.target[0] == pytest.approx(y[-1] * 1.05, rel=1e-9)
    assert "2019出现结构性断点（水平跳变+20.0%，如普查修订或区划调整），仅用此后数据" in str(
        res.reason_zh[0]
    )
    assert "a level shift in 2019 (+20.0%, e.g. a census revision or merger)" in str(
        res.reason_en[0]
    )


def test_a_level_shift_too_recent_to_extrapolate_holds_the_latest_value() -> None:
    y = 100 * 1.05 ** np.arange(8)
    y[6:] *= 1.3
    res = suggest_targets(y[None, :], YEARS)
    assert res.extrapolable.tolist() == [False]
    assert res.target.tolist() == [y[-1]]
    assert np.isnan(res.low[0]) and np.isnan(res.high[0])
    assert res.method_name.tolist() == ["naive"]
    assert str(res.reason_zh[0]).endswith("；数据不足3期，不外推，暂按最新值。")
    assert str(res.reason_en[0]).endswith(
        "; fewer than 3 periods to go on, so no extrapolation: holds the latest value."
    )


def test_short_missing_and_gapped_histories() -> None:
    y = np.array(
        [
            [NAN, NAN, NAN, NAN, NAN, NAN, 5.0, 6.0],  # two points: hold
            [NAN] * 8,  # nothing
            [1.0, 2.0, NAN, NAN, NAN, 4.0, 5.0, 6.0],  # a gap: only 4, 5, 6 count
            [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, NAN],  # nothing for the latest period
        ]
    )
    res = suggest_targets(y, YEARS)
    assert res.history_length.tolist() == [2, 0, 3, 0]
    assert res.extrapolable.tolist() == [False, False, True, False]
    assert np.isnan(res.target[3])
    assert res.reason_zh[3] == "最新一期无数据，无法给出建议。"
    assert res.reason_en[3] == "No value for the latest period; no suggestion."
    assert res.target[0] == 6.0
    assert np.isnan(res.target[1])
    assert res.reason_zh[1] == "无数据，无法给出建议。"
    assert res.reason_en[1] == "No data; no suggestion."
    # Three points: no origin to backtest from, so the combination is used, which on a line
    # is exact for drift, the robust and the damped trend and off for growth.
    assert res.method_name[2] == "combined"
    assert res.target[2] == pytest.approx((7.0 + 7.0 + 7.0 + 6.0 * 1.5**0.5) / 4, rel=1e-12)
    assert "（历史较短，未回测）" in str(res.reason_zh[2])


def test_the_selected_method_has_the_least_adjusted_backtest_error() -> None:
    rng = np.random.default_rng(7)
    y = 100 * np.exp(np.cumsum(rng.normal(0.06, 0.03, (300, 8)), axis=1))
    res = suggest_targets(y, YEARS)
    score = res.backtest_mase.copy()
    score[:, res.methods.index("combined")] *= 0.5
    tested = np.isfinite(score).all(axis=1)
    assert tested.sum() > 250
    np.testing.assert_array_equal(res.method[tested], np.argmin(score[tested], axis=1))
    # Without any backtest origin (a level shift left 3 points) the combination is used.
    assert set(res.method_name[~tested & res.extrapolable]) <= {"combined"}
    np.testing.assert_array_equal(res.forecast, res.method_forecasts[np.arange(300), res.method])


def test_range_brackets_the_target_at_the_stated_coverage() -> None:
    rng = np.random.default_rng(11)
    y = 100 * np.exp(np.cumsum(rng.normal(0.05, 0.05, (500, 9)), axis=1))
    res = suggest_targets(y[:, :-1], YEARS, coverage=0.8)
    assert res.coverage == 0.8
    ok = res.extrapolable
    assert ok.sum() > 450
    assert np.all(res.low[ok] <= res.target[ok]) and np.all(res.target[ok] <= res.high[ok])
    wider = suggest_targets(y[:, :-1], YEARS, coverage=0.95)
    assert np.all(wider.high[ok] - wider.low[ok] >= res.high[ok] - res.low[ok])
    assert np.all(np.isnan(res.low[~ok]))


def test_stretch_moves_the_target_to_the_better_side() -> None:
    rng = np.random.default_rng(3)
    y = 100 * np.exp(np.cumsum(rng.normal(0.05, 0.05, (200, 8)), axis=1))
    direction = ["higher", "lower"] * 100
    res = suggest_targets(y, YEARS, stretch=0.7, direction=direction)
    assert np.all(res.target[0::2] >= res.forecast[0::2])
    assert np.all(res.target[1::2] <= res.forecast[1::2])
    assert np.any(res.target != res.forecast)


def test_quarterly_series_use_their_seasonal_pattern() -> None:
    quarters = [f"{y}Q{q}" for y in range(2020, 2023) for q in range(1, 5)]
    pattern = np.tile([10.0, 20.0, 30.0, 40.0], 3) + np.repeat([0.0, 5.0, 10.0], 4)
    res = suggest_targets(pattern[None, :], quarters, horizon=1)
    assert res.target_period == "2023Q1"
    assert res.method_name.tolist() == ["seasonal_drift"]
    assert res.target.tolist() == [25.0]
    assert str(res.reason_zh[0]).startswith("近12个季度同比平均")


def test_same_input_gives_identical_output() -> None:
    rng = np.random.default_rng(5)
    y = 50 + np.cumsum(rng.normal(1, 2, (100, 8)), axis=1)
    a, b = suggest_targets(y, YEARS), suggest_targets(y, YEARS)
    for f in dataclasses.fields(a):
        left, right = getattr(a, f.name), getattr(b, f.name)
        if isinstance(left, np.ndarray):
            np.testing.assert_array_equal(left, right)
        else:
            assert left == right
    # Chunking is an implementation detail.
    c = suggest_targets(y, YEARS, chunk_size=7)
    np.testing.assert_array_equal(a.target, c.target)
    np.testing.assert_array_equal(a.reason_en, c.reason_en)


def test_result_is_immutable() -> None:
    res = suggest_targets(np.array([[1.0, 2.0, 3.0, 4.0]]), [2019, 2020, 2021, 2022])
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.target = np.zeros(1)  # type: ignore[misc]
    with pytest.raises(ValueError, match="read-only"):
        res.target[0] = 1.0
    assert len(res) == 1
    # Without peer groups there is no peers' growth to pool.
    assert res.methods == tuple(k for k in METHODS if k != "pooled_growth")
    grouped = suggest_targets(
        np.array([[1.0, 2.0, 3.0, 4.0]]), [2019, 2020, 2021, 2022], groups=[0]
    )
    assert grouped.methods == METHODS


@pytest.mark.parametrize(
    ("values", "periods", "kwargs", "message"),
    [
        ([1.0, 2.0], [2021, 2022], {}, "2-D"),
        ([[1.0, 2.0]], [2021], {}, "1 period labels for 2 columns"),
        ([[1.0, 2.0]], ["2021", "2021Q1"], {}, "mix years and quarters"),
        ([[1.0, 2.0]], [2020, 2022], {}, "consecutive"),
        ([[1.0, 2.0]], ["2021-01", "2022-01"], {}, "neither a year"),
        ([[1.0, 2.0]], [2021, 2022], {"horizon": 0}, "horizon"),
        ([[1.0, 2.0]], [2021, 2022], {"direction": "up"}, "'higher' or 'lower'"),
        ([[1.0, 2.0]], [2021, 2022], {"methods": ["arima"]}, "unknown methods"),
    ],
)
def test_invalid_input_is_refused(
    values: object, periods: list[object], kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        suggest_targets(values, periods, **kwargs)  # type: ignore[arg-type]


def test_period_axis_steps_over_year_ends() -> None:
    assert PeriodAxis.parse(["2022Q3", "2022Q4"]).after(1) == "2023Q1"
    assert PeriodAxis.parse(["2022Q3", "2022Q4"]).after(6) == "2024Q2"
    assert PeriodAxis.parse([2021, 2022]).after(2) == "2024"


@settings(max_examples=40, deadline=None)
@given(
    y=arrays(
        np.float64,
        st.tuples(st.integers(1, 5), st.just(8)),
        elements=st.floats(1.0, 1e4, allow_nan=False, width=32),
    ),
    k=st.integers(-3, 3),
)
def test_suggestions_scale_with_the_series(y: np.ndarray, k: int) -> None:
    a = 2.0**k
    base, scaled = suggest_targets(y, YEARS), suggest_targets(a * y, YEARS)
    np.testing.assert_array_equal(base.method, scaled.method)
    np.testing.assert_allclose(scaled.target, a * base.target, rtol=1e-9)
    np.testing.assert_allclose(scaled.low, a * base.low, rtol=1e-9)
    np.testing.assert_allclose(scaled.high, a * base.high, rtol=1e-9)


@settings(max_examples=40, deadline=None)
@given(
    y=arrays(
        np.float64,
        st.tuples(st.integers(1, 5), st.just(8)),
        elements=st.floats(-1e3, 1e3, allow_nan=False, width=32),
    ),
    c=st.integers(-100, 100),
)
def test_shift_equivariant_methods_move_with_a_constant(y: np.ndarray, c: int) -> None:
    # Naive, drift, robust and damped trend only: growth rates change when a constant is added.
    methods = ("naive", "drift", "theil_sen", "damped_trend")
    base = suggest_targets(y, YEARS, methods=methods, detect_breaks=False)
    moved = suggest_targets(y + c, YEARS, methods=methods, detect_breaks=False)
    np.testing.assert_allclose(moved.method_forecasts, base.method_forecasts + c, atol=1e-6)


def test_reason_for_a_series_that_is_not_positive_states_the_change_in_units() -> None:
    res = suggest_targets(np.array([[-3.0, -1.0, 1.0, 3.0, 5.0]]), [2018, 2019, 2020, 2021, 2022])
    assert res.target.tolist() == [7.0]
    assert res.reason_zh[0] == "近5年年均变化2.0，波动小；按历年平均变化外推（回测误差MASE 0.0）。"
    assert res.reason_en[0] == (
        "Changed by 2.0 a year over 5 years with low volatility; "
        "extrapolates the average change (drift) (backtest MASE 0.0)."
    )


def test_reasons_print_small_and_huge_numbers_side_by_side() -> None:
    # Changes of 0.01 and of 10 billion: the reason builder must not merge or overflow them.
    y = np.array([[-0.02, -0.01, 0.0, 0.01, 0.02], [-2e10, -1e10, 0.0, 1e10, 2e10]])
    res = suggest_targets(y, [2018, 2019, 2020, 2021, 2022])
    assert str(res.reason_zh[0]).startswith("近5年年均变化0.01，")
    assert str(res.reason_zh[1]).startswith("近5年年均变化10000000000.0，")
    assert res.target.tolist() == [0.03, 3e10]


def test_quarterly_reason_speaks_of_year_on_year_change() -> None:
    quarters = [f"{y}Q{q}" for y in range(2020, 2023) for q in range(1, 5)]
    pattern = np.tile([10.0, 20.0, 30.0, 40.0], 3) + np.repeat([0.0, 5.0, 10.0], 4)
    res = suggest_targets(pattern[None, :], quarters)
    assert str(res.reason_zh[0]).endswith("；按去年同期加平均同比变化外推（回测误差MASE 0.0）。")
    assert str(res.reason_en[0]).endswith(
        "; takes last year's value plus the mean yearly change (backtest MASE 0.0)."
    )
    assert " year on year over 12 quarters" in str(res.reason_en[0])


def test_reason_describes_the_last_five_years_of_a_longer_history() -> None:
    # 10 % a year, then 5 % a year: the office reads the recent rate.
    rates = [1.0] + [1.1] * 5 + [1.05] * 5
    y = 100 * np.cumprod(rates)
    res = suggest_targets(y[None, :], list(range(2012, 2023)))
    assert res.has_break.tolist() == [False]
    assert res.used_length.tolist() == [11]
    assert res.growth[0] == pytest.approx(0.05, rel=1e-12)
    assert str(res.reason_zh[0]).startswith("近5年年均增长5.0%，波动小；")
    assert str(res.reason_en[0]).startswith("Grew 5.0% a year over 5 years with low volatility;")
