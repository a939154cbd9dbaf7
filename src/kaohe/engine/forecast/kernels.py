"""Forecasting kernels, vectorised over all series at once.

Every kernel takes a 2-D array ``y`` (series × time) whose rows are *right-aligned*: the last
column is each series' latest period and shorter histories are left-padded with NaN (no gaps
inside a history: `suggest_targets` cuts a history at its last gap first). A kernel
returns the ``h``-step-ahead forecast from several forecast origins at once, shape
``(n_series, len(origins))``; origin ``j`` means "pretend the last ``j`` columns are unknown"
(``j = 0`` is the real forecast, ``j >= 1`` are rolling-origin backtests). Right alignment makes
the history at origin ``j`` simply ``y[:, : L - j]``, so no per-series indexing is needed.

Kernels do not validate their input (the caller does, see `kaohe.engine.forecast.suggest`) and
return NaN where a series has too short a history for the method.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

# (alpha, beta, phi) grid of the damped trend. phi = 1 is in the grid so that an exactly linear
# series is extrapolated exactly; phi < 1 flattens trends that should not run on for ever.
# Small on purpose: with 5–10 points per series a finer grid only fits noise. An 18-point grid
# (alpha 0.5/0.8/1, beta 0.2/0.5, phi 1/0.9/0.8) gave the same selected-method MASE on the
# panel and the benchmark series (within 0.01) at more than twice the cost.
DAMPED_GRID: Final[tuple[tuple[float, float, float], ...]] = tuple(
    (alpha, beta, phi) for alpha in (0.5, 1.0) for beta in (0.2, 0.5) for phi in (1.0, 0.85)
)


def history_length(y: FloatArray) -> NDArray[np.intp]:
    """Length of each row's trailing run of finite values (its usable history)."""
    finite = np.isfinite(y)
    # Index of the last non-finite value from the right; everything after it is the history.
    reversed_missing = ~finite[:, ::-1]
    has_gap = reversed_missing.any(axis=1)
    first_gap_from_right = np.argmax(reversed_missing, axis=1)
    return np.where(has_gap, first_gap_from_right, y.shape[1]).astype(np.intp)


def nanmedian_rows(a: FloatArray) -> FloatArray:
    """Row-wise median ignoring NaN; NaN for rows with no finite value.

    `np.nanmedian` falls back to masked arrays for short rows, which is slow on a million
    rows; sorting puts NaN last, so the median is read off at each row's own middle index.
    """
    missing = np.isnan(a)
    s = np.sort(a, axis=1)
    cols = a.shape[1]
    if cols and not missing.any():
        # Dense rows (the caller groups series by history length): one middle for all.
        return 0.5 * (s[:, (cols - 1) // 2] + s[:, cols // 2])
    count = np.sum(~missing, axis=1)
    lo = np.clip((count - 1) // 2, 0, None)[:, None]
    hi = np.clip(count // 2, 0, a.shape[1] - 1)[:, None]
    med = 0.5 * (np.take_along_axis(s, lo, axis=1) + np.take_along_axis(s, hi, axis=1))[:, 0]
    return np.where(count > 0, med, np.nan)


def _filled_length(w: FloatArray) -> NDArray[np.intp]:
    """History length of rows that are left-padded only (the kernels' input contract)."""
    if w.shape[1] and not np.isnan(w[:, 0]).any():
        return np.full(w.shape[0], w.shape[1], dtype=np.intp)
    return np.count_nonzero(~np.isnan(w), axis=1).astype(np.intp)


def _window(y: FloatArray, origin: int) -> FloatArray:
    return y[:, : y.shape[1] - origin] if origin else y


def naive(y: FloatArray, h: int, origins: Sequence[int] = (0,)) -> FloatArray:
    """Last value carried forward: ŷ(T+h) = y(T)."""
    return np.stack([_window(y, j)[:, -1] for j in origins], axis=1)


def drift(y: FloatArray, h: int, origins: Sequence[int] = (0,)) -> FloatArray:
    """Random walk with drift: ŷ(T+h) = y(T) + h·(y(T) − y(first)) / (n − 1)."""
    out = np.full((y.shape[0], len(origins)), np.nan)
    for k, j in enumerate(origins):
        w = _window(y, j)
        n = _filled_length(w)
        first = np.take_along_axis(w, (w.shape[1] - np.maximum(n, 1))[:, None], axis=1)[:, 0]
        with np.errstate(invalid="ignore", divide="ignore"):
            slope = (w[:, -1] - first) / (n - 1)
        out[:, k] = np.where(n >= 2, w[:, -1] + h * slope, np.nan)
    return out


def growth(y: FloatArray, h: int, origins: Sequence[int] = (0,)) -> FloatArray:
    """Constant geometric growth: ŷ(T+h) = y(T)·g^h, g the mean growth factor since the first value.

    Defined only for strictly positive histories (a growth rate of a sign-changing series means
    nothing); NaN otherwise.
    """
    out = np.full((y.shape[0], len(origins)), np.nan)
    for k, j in enumerate(origins):
        w = _window(y, j)
        n = _filled_length(w)
        first = np.take_along_axis(w, (w.shape[1] - np.maximum(n, 1))[:, None], axis=1)[:, 0]
        # NaN padding compares False, so only the finite history decides positivity.
        positive = ~np.any(w <= 0, axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            log_rate = (np.log(w[:, -1]) - np.log(first)) / (n - 1)
            fc = w[:, -1] * np.exp(h * log_rate)
        out[:, k] = np.where((n >= 2) & positive, fc, np.nan)
    return out


def theil_sen(y: FloatArray, h: int, origins: Sequence[int] = (0,)) -> FloatArray:
    """Robust linear trend: the latest value plus h times the Theil–Sen (median pairwise) slope.

    One jump in a 6-point series moves the least-squares slope a lot and the median slope
    little. The line is anchored on the latest value rather than on the median intercept: on
    growing series (convex in levels) the median line runs below the latest values, and a
    target below this year's value would be read as a step back. Needs at least 3 points.
    """
    out = np.full((y.shape[0], len(origins)), np.nan)
    for k, j in enumerate(origins):
        w = _window(y, j)
        cols = w.shape[1]
        if cols < 3:
            continue
        i_idx, j_idx = np.triu_indices(cols, k=1)
        # NaN-padded pairs give NaN slopes and drop out of the median.
        slopes = (w[:, j_idx] - w[:, i_idx]) / (j_idx - i_idx).astype(np.float64)
        slope = nanmedian_rows(slopes)
        n = _filled_length(w)
        out[:, k] = np.where(n >= 3, w[:, -1] + h * slope, np.nan)
    return out


def damped_trend(
    y: FloatArray,
    h: int,
    origins: Sequence[int] = (0,),
    grid: Sequence[tuple[float, float, float]] = DAMPED_GRID,
) -> FloatArray:
    """Additive damped-trend exponential smoothing (damped Holt), grid-fitted per series.

    One pass over time runs every (alpha, beta, phi) of the grid for every series at once and
    accumulates each grid point's one-step squared error. At each forecast origin the grid
    point with the least error *so far* is chosen, so the backtest refits the parameters on
    the data available at that origin, as a true rolling-origin backtest would, at the cost of
    a single pass. Initial level y(s+1), trend y(s+1) − y(s); needs at least 3 points.
    """
    n_rows, length = y.shape
    params = np.asarray(grid, dtype=np.float64)
    alpha, beta, phi = params[:, 0], params[:, 1], params[:, 2]
    # Σ_{i=1..h} phi^i: the h-step multiplier of the trend.
    phi_sum = np.sum(phi[None, :] ** np.arange(1, h + 1)[:, None], axis=0)
    n_hist = _filled_length(y)
    start = length - n_hist  # column of each row's first finite value
    finite = np.isfinite(y)
    level = np.zeros((n_rows, params.shape[0]))
    trend = np.zeros_like(level)
    sse = np.zeros_like(level)
    out = np.full((n_rows, len(origins)), np.nan)
    origin_at = {length - 1 - j: k for k, j in enumerate(origins)}
    alpha_beta = alpha * beta
    # When every row starts in the same column (the usual case: the caller groups series by
    # history length) the start-up is the same for all rows and no per-row masks are needed.
    uniform = n_rows > 0 and bool(np.all(start == start[0]))
    s0 = int(start[0]) if uniform else -1
    scratch = np.empty_like(level)
    for t in range(length):
        yt = y[:, t : t + 1]
        if uniform and t == s0 + 1:
            level[:] = yt
            trend[:] = yt - y[:, t - 1 : t]
        elif uniform and t >= s0 + 2:
            predicted = trend * phi
            predicted += level
            err = yt - predicted
            np.multiply(err, err, out=scratch)
            sse += scratch
            np.multiply(err, alpha, out=scratch)
            np.add(predicted, scratch, out=level)
            trend *= phi
            np.multiply(err, alpha_beta, out=scratch)
            trend += scratch
        elif not uniform and t >= 1:
            prev = y[:, t - 1 : t]
            second = (start == t - 1)[:, None] & finite[:, t : t + 1]
            running = (start <= t - 2)[:, None] & finite[:, t : t + 1]
            predicted = level + phi * trend
            err = yt - predicted
            new_level = predicted + alpha * err
            new_trend = phi * trend + alpha_beta * err
            sse = np.where(running, sse + err * err, sse)
            level = np.where(running, new_level, np.where(second, yt, level))
            trend = np.where(running, new_trend, np.where(second, yt - prev, trend))
        if t in origin_at:
            best = np.argmin(sse, axis=1)[:, None]
            lvl = np.take_along_axis(level, best, axis=1)[:, 0]
            trd = np.take_along_axis(trend, best, axis=1)[:, 0]
            fc = lvl + phi_sum[best[:, 0]] * trd
            n_at = np.clip(n_hist - (length - 1 - t), 0, None)
            out[:, origin_at[t]] = np.where(n_at >= 3, fc, np.nan)
    return out


def seasonal_naive(y: FloatArray, h: int, m: int, origins: Sequence[int] = (0,)) -> FloatArray:
    """Same period last season: ŷ(T+h) = y(T+h−m·⌈h/m⌉)."""
    lag = m * ((h - 1) // m + 1)
    out = np.full((y.shape[0], len(origins)), np.nan)
    for k, j in enumerate(origins):
        w = _window(y, j)
        if w.shape[1] >= lag - h + 1:
            out[:, k] = w[:, w.shape[1] - 1 + h - lag]
    return out


def seasonal_drift(y: FloatArray, h: int, m: int, origins: Sequence[int] = (0,)) -> FloatArray:
    """Same period last season plus the mean change over a season (a year-on-year drift)."""
    lag = m * ((h - 1) // m + 1)
    out = np.full((y.shape[0], len(origins)), np.nan)
    for k, j in enumerate(origins):
        w = _window(y, j)
        cols = w.shape[1]
        if cols < lag + 1 or cols < m + 1:
            continue
        n = _filled_length(w)
        base = w[:, cols - 1 + h - lag]
        seasonal_diff = w[:, m:] - w[:, :-m]
        valid = np.isfinite(seasonal_diff)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_change = np.where(valid, seasonal_diff, 0.0).sum(axis=1) / valid.sum(axis=1)
        out[:, k] = np.where(n >= m + 1, base + (lag // m) * mean_change, np.nan)
    return out


def group_medians(
    values: FloatArray, groups: NDArray[np.intp], n_groups: int, min_members: int = 3
) -> FloatArray:
    """Median of each column's finite values within each group: shape (n_groups, columns).

    NaN where a group has fewer than ``min_members`` finite values in a column. Per column one
    float sort over all series: each value is offset by its group's index times more than the
    column's range, so sorting the sums sorts by group and then by value (a two-key lexsort
    costs several times more); the medians are read back from the original values.
    """
    out = np.full((n_groups, values.shape[1]), np.nan)
    for t in range(values.shape[1]):
        col = values[:, t]
        finite = np.isfinite(col)
        v, g = col[finite], groups[finite]
        if v.size == 0:
            continue
        counts = np.bincount(g, minlength=n_groups)
        low, high = float(v.min()), float(v.max())
        span = 2.0 * (high - low) + 1.0
        order = np.argsort((v - low) + g * span)
        v = v[order]
        starts = np.cumsum(counts) - counts
        lo = np.clip(starts + (counts - 1) // 2, 0, v.size - 1)
        hi = np.clip(starts + counts // 2, 0, v.size - 1)
        out[:, t] = np.where(counts >= min_members, 0.5 * (v[lo] + v[hi]), np.nan)
    return out


def log_changes(y: FloatArray) -> FloatArray:
    """Period-on-period log changes of the rows of ``y`` that are positive (NaN elsewhere)."""
    positive = ~np.any(y <= 0, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        logs = np.log(np.where(positive[:, None], y, np.nan))
    return np.diff(logs, axis=1)


def pooled_growth(
    y: FloatArray,
    h: int,
    common: FloatArray | None,
    origins: Sequence[int] = (0,),
    weight: float = 0.5,
) -> FloatArray:
    """Growth shrunk toward the peers': ŷ(T+h) = y(T)·exp(h·(w·ḡ_own + (1 − w)·ḡ_peers)).

    ``common`` holds, for every row and every change (column t − 1 to t, so one column fewer
    than ``y``), the median log change of the row's peer group in that period (NaN where the
    group is too small). ḡ_own and ḡ_peers are the means of the row's own log changes and of
    its peers' medians over the same periods, so the peers' growth stands in for the part of
    a unit's average growth that its few noisy years cannot pin down. The medians of a period
    use only that period's values, so a backtest origin sees nothing after it. Positive rows
    with at least 3 points only; NaN otherwise (and everywhere when ``common`` is None).
    """
    out = np.full((y.shape[0], len(origins)), np.nan)
    if common is None or y.shape[1] < 3:
        return out
    change = log_changes(y)
    both = np.isfinite(change) & np.isfinite(common)
    # Running sums over the changes: each origin's means are read off at its last column.
    own_sum = np.cumsum(np.where(both, change, 0.0), axis=1)
    peer_sum = np.cumsum(np.where(both, common, 0.0), axis=1)
    counts = np.cumsum(both, axis=1)
    for k, j in enumerate(origins):
        at = change.shape[1] - 1 - j
        if at < 0:
            continue
        count = counts[:, at]
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            step = (weight * own_sum[:, at] + (1.0 - weight) * peer_sum[:, at]) / count
            fc = y[:, y.shape[1] - 1 - j] * np.exp(h * step)
        n = _filled_length(_window(y, j))
        out[:, k] = np.where((n >= 3) & (count >= 2), fc, np.nan)
    return out
