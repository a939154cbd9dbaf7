"""Target suggestions: selection by backtest, prediction ranges, reasons and the result."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from kaohe.engine.forecast import kernels
from kaohe.engine.forecast.backtest import (
    ALL_METHODS,
    COMBINATION_MARGIN,
    METHODS,
    MIN_HISTORY,
    SEASONAL_METHODS,
    backtest,
)
from kaohe.engine.forecast.breaks import LevelShifts, detect_level_shifts
from kaohe.engine.forecast.kernels import FloatArray
from kaohe.engine.forecast.periods import PeriodAxis
from kaohe.engine.forecast.reasons import ReasonInputs, build_reasons

# Fewest pooled backtest errors of a method before its empirical quantiles set the range;
# below it (a handful of series) a per-series normal range is used instead.
MIN_POOLED_ERRORS: Final = 40
MAX_POOLED_ERRORS: Final = 200_000
# Most a pooled range is widened by the latest backtest origin (`_widening`).
MAX_WIDENING: Final = 3.0
# Fewest units of a peer group with a value in a year for the group's median growth to count.
PEER_MIN: Final = 3
# A series too short to extrapolate grows at its peers' median growth over these years.
PEER_YEARS: Final = 5  # the reason says "近5年" / "the last 5 years"
# The reason describes the recent past, as the office reads it (PRODUCT §2.3: "the last 3–5
# years"): at most the last 5 years, or 12 quarters; the models use the whole history.
DESCRIBED_YEARS: Final = 5
DESCRIBED_QUARTERS: Final = 12


def _described(season_length: int) -> int:
    return DESCRIBED_QUARTERS if season_length > 1 else DESCRIBED_YEARS


@dataclass(frozen=True)
class TargetSuggestions:
    """Suggested next-period targets for a batch of series, with how each was reached.

    All arrays have one entry per input row (read-only). ``method`` indexes ``methods``;
    ``method_forecasts`` holds every candidate's forecast (n × methods, after break handling);
    ``backtest_mase`` is the mean absolute scaled backtest error of every method (n × methods,
    NaN where not backtested). ``low``/``high`` bound the forecast at ``coverage`` nominal
    coverage. ``break_column`` is the column where the last level shift starts (−1: none).
    ``growth`` and ``volatility`` describe at most the last 5 years (12 quarters), as the
    reasons do. ``reason_zh``/``reason_en`` are object arrays of ``str`` (cheap to gather and
    to hand to Django or a CSV writer).
    """

    horizon: int
    periods: tuple[str, ...]
    target_period: str
    coverage: float
    methods: tuple[str, ...]
    forecast: FloatArray
    method_forecasts: FloatArray
    target: FloatArray
    low: FloatArray
    high: FloatArray
    method: NDArray[np.intp]
    backtest_mase: FloatArray
    history_length: NDArray[np.intp]
    used_length: NDArray[np.intp]
    has_break: NDArray[np.bool_]
    break_column: NDArray[np.intp]
    break_size: FloatArray
    extrapolable: NDArray[np.bool_]
    growth: FloatArray
    volatility: FloatArray
    reason_zh: NDArray[np.object_]
    reason_en: NDArray[np.object_]

    @property
    def method_name(self) -> NDArray[np.str_]:
        """Name of each series' selected method."""
        return np.asarray(self.methods, dtype=object)[self.method].astype(str)

    @property
    def selected_mase(self) -> FloatArray:
        """Backtest MASE of each series' selected method (NaN when not backtested)."""
        return np.take_along_axis(self.backtest_mase, self.method[:, None], axis=1)[:, 0]

    def __len__(self) -> int:
        return int(self.forecast.shape[0])


def _direction_higher(direction: str | Sequence[str], n: int) -> NDArray[np.bool_]:
    values = np.broadcast_to(np.asarray(direction, dtype=object), (n,))
    bad = ~np.isin(values, ["higher", "lower"])
    if bad.any():
        raise ValueError(f"direction must be 'higher' or 'lower', got {values[bad][0]!r}")
    return np.asarray(values == "higher", dtype=bool)


def _row_stats(
    w: FloatArray, m: int
) -> tuple[NDArray[np.bool_], FloatArray, FloatArray, FloatArray]:
    """Positivity, mean growth and change per season, and volatility of dense rows ``w``.

    Volatility is the standard deviation of the log changes for positive series, else of the
    changes relative to the mean absolute level.
    """
    n_rows, width = w.shape
    positive = np.all(w > 0, axis=1)
    if width <= m:
        nan = np.full(n_rows, np.nan)
        return positive, nan, nan.copy(), nan.copy()
    change = w[:, m:] - w[:, :-m]
    log_w = np.log(np.where(positive[:, None], w, 1.0))
    log_change = log_w[:, m:] - log_w[:, :-m]
    growth = np.where(positive, np.expm1(log_change.mean(axis=1)), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        relative = change / np.abs(w).mean(axis=1, keepdims=True)
    volatility = np.where(positive, log_change.std(axis=1), relative.std(axis=1))
    return positive, growth, change.mean(axis=1), volatility


def _widening(error: NDArray[np.float32], lo_q: float, hi_q: float, coverage: float) -> float:
    """Factor (≥ 1) that widens a pooled range so that it would have held the latest backtest.

    The quantiles of the older origins' errors (columns 1…) make a range; the factor is the
    ``coverage`` quantile, over the series, of how far out the latest origin's error (column
    0) fell relative to it. When the recent past was rougher than the errors before it (a
    common shock such as 2020 hits every unit at once, and a few origin-years undersample
    such shocks), the range widens accordingly; it never narrows. Capped at MAX_WIDENING.
    """
    older = error[:, 1:][np.isfinite(error[:, 1:])].astype(np.float64)
    recent = error[:, 0][np.isfinite(error[:, 0])].astype(np.float64)
    if older.size < MIN_POOLED_ERRORS or recent.size < MIN_POOLED_ERRORS // 2:
        return 1.0
    if older.size > MAX_POOLED_ERRORS:
        older = older[:: -(-older.size // MAX_POOLED_ERRORS)]
    if recent.size > MAX_POOLED_ERRORS:
        recent = recent[:: -(-recent.size // MAX_POOLED_ERRORS)]
    low, high = np.quantile(older, [lo_q, hi_q])
    tiny = 1e-9
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(recent > 0, recent / max(high, tiny), recent / min(low, -tiny))
    level = min(1.0, np.ceil((ratio.size + 1) * coverage) / ratio.size)
    factor = float(np.quantile(ratio, level, method="higher"))
    return min(max(factor, 1.0), MAX_WIDENING)


def _peer_changes(
    y: FloatArray, groups: ArrayLike | None, n_rows: int
) -> tuple[FloatArray, NDArray[np.intp]] | None:
    """(each peer group's median log change per period, each row's group) or None.

    Taken over the histories as used (after gaps and level shifts are cut), so a census jump
    in one unit does not move its peers' growth.
    """
    if groups is None:
        return None
    labels = np.asarray(groups).reshape(-1)
    if labels.shape[0] != n_rows:
        raise ValueError(f"{labels.shape[0]} groups for {n_rows} series")
    if labels.dtype == object:
        labels = labels.astype(str)
    _, group_of = np.unique(labels, return_inverse=True)
    group_of = group_of.astype(np.intp)
    n_groups = int(group_of.max(initial=-1)) + 1
    table = kernels.group_medians(kernels.log_changes(y), group_of, n_groups, PEER_MIN)
    return table, group_of


def suggest_targets(
    values: ArrayLike,
    periods: Sequence[object],
    *,
    horizon: int = 1,
    direction: str | Sequence[str] = "higher",
    coverage: float = 0.8,
    stretch: float | None = None,
    max_history: int | None = None,
    n_backtests: int = 3,
    methods: Sequence[str] | None = None,
    detect_breaks: bool = True,
    groups: ArrayLike | None = None,
    chunk_size: int = 50_000,
) -> TargetSuggestions:
    """Suggest each series' target ``horizon`` periods after the last column.

    ``values`` is series × periods, oldest first, NaN for missing values; a series' history is
    its trailing run of values (anything before a gap is ignored), cut further at its last
    level shift. Every candidate method is backtested on each series' own history from
    ``n_backtests`` rolling origins and the one with the least mean absolute scaled error
    (MASE) is selected. The range ``[low, high]`` is the forecast plus the empirical
    ``(1 − coverage)/2`` and ``(1 + coverage)/2`` quantiles of the selected method's scaled
    backtest errors pooled over the batch.

    The target is the forecast itself unless ``stretch`` (a quantile such as 0.6) is given: then
    it is the forecast moved to the better side (``direction`` "higher" or "lower", one for all
    series or one per series) by the distance between that quantile and the median of the
    scaled backtest errors.

    ``groups`` (one label per series, e.g. its indicator) names peer groups: series with the
    same label are the same quantity in different units, which share shocks. With it the
    peers' growth (``pooled_growth``: a unit's growth shrunk halfway toward its group's
    yearly median growth) is a candidate and a part of the combination, and a series too
    short to extrapolate after a level shift grows at its peers' median growth of the last 5
    years instead of holding its latest value. Without it nothing is pooled but the ranges.
    The range is widened (never narrowed) when the latest backtest origin's errors fell
    outside the range made from the older origins (`_widening`).

    ``detect_breaks=False`` turns level-shift detection off (for a break the office knows is
    not one); ``methods`` restricts the candidates; ``max_history`` keeps only the latest
    values of each series.
    """
    y = np.array(values, dtype=np.float64, copy=True)
    if y.ndim != 2:
        raise ValueError(f"values must be a 2-D array (series × periods), got {y.ndim}-D")
    axis = PeriodAxis.parse(periods)
    n_rows, length = y.shape
    if len(axis.labels) != length:
        raise ValueError(f"{len(axis.labels)} period labels for {length} columns")
    if horizon < 1:
        raise ValueError("horizon must be at least 1")
    if not 0 < coverage < 1:
        raise ValueError("coverage must be between 0 and 1")
    if stretch is not None and not 0 < stretch < 1:
        raise ValueError("stretch must be between 0 and 1")
    higher = _direction_higher(direction, n_rows)
    m = axis.season_length
    if methods is not None:
        names = tuple(methods)
    else:
        # The peers' growth needs peer groups, and is a yearly idea.
        pooling = groups is not None and m == 1
        names = tuple(k for k in METHODS if pooling or k != "pooled_growth")
        names += SEASONAL_METHODS if m > 1 else ()
    unknown = set(names) - set(ALL_METHODS)
    if unknown:
        raise ValueError(f"unknown methods: {sorted(unknown)}")
    y[~np.isfinite(y)] = np.nan

    columns = np.arange(length)
    # Keep only each row's trailing run of values (and at most max_history of them).
    history = kernels.history_length(y)
    any_data = np.asarray(np.isfinite(y).any(axis=1), dtype=bool)
    if max_history is not None:
        history = np.minimum(history, max_history)
    y[columns[None, :] < (length - history)[:, None]] = np.nan
    shifts = detect_level_shifts(y, m) if detect_breaks else LevelShifts.none(n_rows)
    has_break = shifts.column >= 0
    y[columns[None, :] < shifts.column[:, None]] = np.nan
    used = kernels.history_length(y)
    peer_changes = _peer_changes(y, groups, n_rows) if m == 1 else None

    forecast = np.empty((n_rows, len(names)))
    error = np.empty((n_rows, len(names), n_backtests), dtype=np.float32)
    scale = np.empty(n_rows)
    mase = np.empty((n_rows, len(names)))
    positive = np.zeros(n_rows, dtype=bool)
    growth, change, volatility = (np.full(n_rows, np.nan) for _ in range(3))
    # Series with the same history length form dense blocks without NaN padding, on which the
    # kernels take their fast paths; a loop over lengths and chunks, never over series.
    order = np.argsort(used, kind="stable")
    bounds = np.flatnonzero(np.diff(used[order])) + 1
    for group in np.split(order, bounds):
        if group.size == 0:
            continue
        width = max(int(used[group[0]]), 1)
        for lo in range(0, group.size, chunk_size):
            rows = group[lo : lo + chunk_size]
            block = y[rows, length - width :]
            common = None
            if peer_changes is not None:
                table, group_of = peer_changes
                common = table[group_of[rows], length - width :]
            part = backtest(block, horizon, names, m, n_backtests, common)
            forecast[rows] = part.forecast
            error[rows] = part.error
            scale[rows] = part.scale
            # Per block while the errors are in cache.
            tested = np.isfinite(part.error)
            with np.errstate(invalid="ignore", divide="ignore"):
                mase[rows] = np.abs(np.where(tested, part.error, 0.0)).sum(2) / tested.sum(2)
            if used[group[0]] > 0:
                stats = _row_stats(block[:, -_described(m) :], m)
                positive[rows], growth[rows], change[rows], volatility[rows] = stats

    score = np.where(np.isfinite(mase) & np.isfinite(forecast), mase, np.inf)
    extrapolable = used >= MIN_HISTORY
    if "combined" in names:
        score[:, names.index("combined")] *= 1 - COMBINATION_MARGIN
    # Without a backtest: the seasonal drift for seasonal data, else the combination.
    preferred = ("seasonal_drift", "combined", "drift") if m > 1 else ("combined", "drift")
    default = next((names.index(d) for d in preferred if d in names), 0)
    naive_at = names.index("naive") if "naive" in names else default
    method = np.where(np.isfinite(score).any(axis=1), np.argmin(score, axis=1), default)
    method = np.where(extrapolable, method, naive_at).astype(np.intp)
    point = np.take_along_axis(forecast, method[:, None], axis=1)[:, 0]
    last = y[:, -1]
    point = np.where(extrapolable, point, last)
    peer_held = np.zeros(n_rows, dtype=bool)
    if peer_changes is not None:
        # Too short a history since a level shift to extrapolate its own trend: the latest
        # value grows at the peers' median growth of the recent years instead.
        table, group_of = peer_changes
        recent = table[:, -PEER_YEARS:]
        seen = np.isfinite(recent)
        with np.errstate(invalid="ignore", divide="ignore"):
            peer_growth = np.where(seen, recent, 0.0).sum(axis=1) / seen.sum(axis=1)
        g_row = peer_growth[group_of]
        peer_held = ~extrapolable & (used >= 1) & (last > 0) & np.isfinite(g_row)
        point = np.where(peer_held, last * np.exp(horizon * g_row), point)
        if "pooled_growth" in names:
            at = names.index("pooled_growth")
            method = np.where(peer_held, at, method).astype(np.intp)
            forecast[peer_held, at] = point[peer_held]

    lo_q, hi_q = (1 - coverage) / 2, (1 + coverage) / 2
    quantiles = [lo_q, hi_q] + ([stretch, 1 - stretch, 0.5] if stretch is not None else [])
    offsets = np.full((n_rows, len(quantiles)), np.nan)
    z = NormalDist().inv_cdf
    for k in range(len(names)):
        rows = method == k
        if not rows.any():
            continue
        pooled = error[:, k, :][np.isfinite(error[:, k, :])].astype(np.float64)
        if pooled.size > MAX_POOLED_ERRORS:
            # An evenly spaced subsample pins the quantiles as well and keeps this step
            # linear-time cheap on a province's million series.
            pooled = pooled[:: -(-pooled.size // MAX_POOLED_ERRORS)]
        if pooled.size >= MIN_POOLED_ERRORS:
            offsets[rows] = np.quantile(pooled, quantiles)[None, :]
            offsets[rows, :2] *= _widening(error[:, k, :], lo_q, hi_q, coverage)
        else:
            # Too few series to pool: a normal range from the series' own backtest errors.
            own = error[rows, k, :].astype(np.float64)
            own_tested = np.isfinite(own)
            with np.errstate(invalid="ignore", divide="ignore"):
                rms = np.sqrt(np.where(own_tested, own * own, 0.0).sum(1) / own_tested.sum(1))
            offsets[rows] = rms[:, None] * np.array([z(q) for q in quantiles])[None, :]
    spread = offsets * scale[:, None]
    spread[~extrapolable] = np.nan
    low = np.minimum(point + spread[:, 0], point)
    high = np.maximum(point + spread[:, 1], point)
    target = point.copy()
    if stretch is not None:
        # Measured from the forecast (minus the median error), so that a higher-is-better
        # stretch is never below the forecast even when the backtest errors lean one way.
        better = np.where(higher, spread[:, 2], spread[:, 3]) - spread[:, 4]
        target = np.where(np.isfinite(better), point + better, point)

    selected = np.take_along_axis(mase, method[:, None], axis=1)[:, 0]
    reason_zh, reason_en = build_reasons(
        ReasonInputs(
            used_length=np.minimum(used, _described(m)),
            any_data=any_data,
            positive=positive,
            growth=growth,
            change=change,
            volatility=volatility,
            has_break=has_break,
            break_column=shifts.column,
            period_labels=axis.labels,
            break_size=shifts.size,
            relative_break=shifts.relative,
            extrapolable=extrapolable,
            method=method,
            method_names=names,
            backtest_mase=np.where(extrapolable, selected, np.nan),
            peer_held=peer_held,
            pooled=(
                np.isfinite(forecast[:, names.index("pooled_growth")])
                if "pooled_growth" in names and "combined" in names
                else None
            ),
        ),
        m,
    )
    result = TargetSuggestions(
        horizon=horizon,
        periods=axis.labels,
        target_period=axis.after(horizon),
        coverage=coverage,
        methods=names,
        forecast=point,
        method_forecasts=forecast,
        target=target,
        low=low,
        high=high,
        method=method,
        backtest_mase=mase,
        history_length=history,
        used_length=used,
        has_break=has_break,
        break_column=shifts.column,
        break_size=shifts.size,
        extrapolable=extrapolable,
        growth=growth,
        volatility=volatility,
        reason_zh=reason_zh,
        reason_en=reason_en,
    )
    for value in vars(result).values():
        if isinstance(value, np.ndarray):
            value.flags.writeable = False
    return result
