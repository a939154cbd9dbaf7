"""Pooling across peer units: the peers' growth, the range widening, and their reasons."""

from __future__ import annotations

import numpy as np
import pytest

from kaohe.engine.forecast import kernels, suggest_targets

YEARS = list(range(2013, 2023))


def _peer_panel(
    rng: np.random.Generator, n_groups: int, units: int, length: int, noise: float
) -> tuple[np.ndarray, np.ndarray]:
    """Log growth = the group's rate that year (shared by its units) + a small unit offset +
    noise; ``length + 1`` columns, the last one to be held out."""
    shared = rng.normal(0.06, 0.02, (n_groups, length))
    offset = rng.normal(0.0, 0.005, (n_groups, units))
    growth = (
        shared[:, None, :] + offset[:, :, None] + rng.normal(0.0, noise, (n_groups, units, length))
    )
    level = np.exp(rng.uniform(2, 8, (n_groups, units, 1)))
    log_y = np.log(level) + np.concatenate(
        [np.zeros((n_groups, units, 1)), np.cumsum(growth, axis=2)], axis=2
    )
    groups = np.repeat(np.arange(n_groups), units)
    return np.exp(log_y).reshape(n_groups * units, length + 1), groups


def _mase(actual: np.ndarray, forecast: np.ndarray, train: np.ndarray) -> float:
    scale = np.mean(np.abs(np.diff(train, axis=1)), axis=1)
    return float(np.mean(np.abs(actual - forecast) / scale))


def test_group_medians_match_a_loop_over_groups() -> None:
    rng = np.random.default_rng(3)
    values = rng.normal(size=(500, 4))
    values[rng.random(values.shape) < 0.2] = np.nan
    groups = rng.integers(0, 30, 500).astype(np.intp)
    got = kernels.group_medians(values, groups, 31, min_members=3)
    for g in range(31):
        for t in range(4):
            col = values[groups == g, t]
            col = col[np.isfinite(col)]
            if col.size >= 3:
                assert got[g, t] == pytest.approx(np.median(col), abs=1e-12)
            else:
                assert np.isnan(got[g, t])


def test_pooled_growth_shrinks_the_own_growth_halfway_to_the_peers() -> None:
    y = np.array([[100.0, 110.0, 121.0, 133.1]])  # +10 % a year
    common = np.log(np.array([[1.02, 1.04, 1.06]]))  # the peers' median growth
    fc = kernels.pooled_growth(y, 1, common, origins=(0, 1))
    own, peers = np.log(1.1), np.log(1.02 * 1.04 * 1.06) / 3
    assert fc[0, 0] == pytest.approx(133.1 * np.exp(0.5 * own + 0.5 * peers), rel=1e-12)
    # From one origin back: the same with the last period unknown.
    peers_before = np.log(1.02 * 1.04) / 2
    assert fc[0, 1] == pytest.approx(121.0 * np.exp(0.5 * own + 0.5 * peers_before), rel=1e-12)
    assert np.isnan(kernels.pooled_growth(y, 1, None)).all()
    assert np.isnan(kernels.pooled_growth(-y, 1, common)).all()


def test_pooling_beats_per_series_drift_on_a_shared_shock_panel() -> None:
    # Units of a group share their growth path; each unit's own 8 changes are noisy.
    rng = np.random.default_rng(11)
    data, groups = _peer_panel(rng, n_groups=40, units=12, length=9, noise=0.04)
    train, actual = data[:, :-1], data[:, -1]
    years = YEARS[1:]
    pooled = suggest_targets(train, years, groups=groups)
    alone = suggest_targets(train, years)
    drift = kernels.drift(train, 1)[:, 0]
    assert "pooled_growth" in pooled.methods and "pooled_growth" not in alone.methods
    # The peers' growth beats each unit's own drift clearly, and taking it into the
    # combination makes the suggestions better than without peer groups.
    at = pooled.methods.index("pooled_growth")
    drift_mase = _mase(actual, drift, train)
    assert _mase(actual, pooled.method_forecasts[:, at], train) < 0.95 * drift_mase
    assert _mase(actual, pooled.forecast, train) < 0.98 * _mase(actual, alone.forecast, train)
    combined = pooled.method_name == "combined"
    assert combined.mean() > 0.5
    assert "同类单位增长率五种外推的平均" in str(pooled.reason_zh[np.flatnonzero(combined)[0]])
    assert "growth rate shrunk toward its peers'" in str(
        pooled.reason_en[np.flatnonzero(combined)[0]]
    )


def test_range_coverage_on_a_panel_with_a_known_error_distribution() -> None:
    # Log random walks with drift and normal errors: the held-out value's 80 % range should
    # hold about 80 % of them (pooled quantiles, widened only if the latest origin says so).
    rng = np.random.default_rng(5)
    n, length = 4000, 9
    mu = rng.normal(0.05, 0.02, n)
    sigma = rng.uniform(0.01, 0.05, n)
    growth = mu[:, None] + sigma[:, None] * rng.normal(size=(n, length))
    data = 100 * np.exp(np.concatenate([np.zeros((n, 1)), np.cumsum(growth, axis=1)], axis=1))
    train, actual = data[:, :-1], data[:, -1]
    groups = np.arange(n) // 20
    for peer_groups in (None, groups):
        res = suggest_targets(train, YEARS[1:], detect_breaks=False, groups=peer_groups)
        inside = (actual >= res.low) & (actual <= res.high)
        assert np.isfinite(res.low).all()
        assert 0.75 <= inside.mean() <= 0.85


def test_a_common_shock_in_the_latest_backtest_widens_the_range() -> None:
    rng = np.random.default_rng(8)
    n = 600
    growth = 0.05 + 0.01 * rng.normal(size=(n, 9))
    calm = 100 * np.exp(np.cumsum(growth, axis=1))
    shocked = calm.copy()
    shocked[:, -2:] *= np.exp(rng.normal(-0.06, 0.03, (n, 1)))  # one bad year for all, kept
    years = YEARS[1:]
    narrow = suggest_targets(calm, years, detect_breaks=False)
    wide = suggest_targets(shocked, years, detect_breaks=False)
    rel = lambda r: np.median((r.high - r.low) / r.forecast)  # noqa: E731
    assert rel(wide) > 1.5 * rel(narrow)


def test_too_short_after_a_level_shift_grows_at_the_peers_growth() -> None:
    rng = np.random.default_rng(2)
    y = 100 * np.exp(np.cumsum(0.05 + 0.002 * rng.normal(size=(6, 8)), axis=1))
    y[0, 6:] *= 1.3  # a merger in 2021: two points on the new level
    years = YEARS[2:]
    res = suggest_targets(y, years, groups=["gdp"] * 6)
    assert res.extrapolable.tolist() == [False] + [True] * 5
    # The peers' median log change of each of the last 5 years; the series' own changes
    # count only from the new level on.
    changes = np.log(y[:, 1:] / y[:, :-1])
    changes[0, :6] = np.nan
    expected = y[0, -1] * np.exp(np.nanmedian(changes[:, -5:], axis=0).mean())
    assert res.target[0] == pytest.approx(expected, rel=1e-9)
    assert res.method_name[0] == "pooled_growth"
    assert np.isnan(res.low[0]) and np.isnan(res.high[0])
    assert str(res.reason_zh[0]).endswith(
        "；数据不足3期，不外推自身趋势，按同类单位近5年增长率中位数的平均增长。"
    )
    assert str(res.reason_en[0]).endswith(
        "grows at its peers' median growth rate of the last 5 years."
    )
    # Without peer groups the same series holds its latest value, as before.
    alone = suggest_targets(y, years)
    assert alone.target[0] == y[0, -1] and alone.method_name[0] == "naive"


def test_groups_must_have_one_label_per_series() -> None:
    with pytest.raises(ValueError, match="2 groups for 3 series"):
        suggest_targets(np.ones((3, 5)), YEARS[-5:], groups=["a", "b"])
