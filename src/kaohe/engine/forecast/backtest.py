"""Candidate methods and the rolling-origin backtest that judges them on each series."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np

from kaohe.engine.forecast import kernels
from kaohe.engine.forecast.kernels import FloatArray

Kernel = Callable[[FloatArray, int, Sequence[int]], FloatArray]

# Candidate methods in order of preference: on a tie in backtest error the simpler one wins.
METHODS: Final[tuple[str, ...]] = (
    "naive",
    "drift",
    "theil_sen",
    "damped_trend",
    "growth",
    "pooled_growth",
    "combined",
)
SEASONAL_METHODS: Final[tuple[str, ...]] = ("seasonal_naive", "seasonal_drift")
ALL_METHODS: Final[tuple[str, ...]] = METHODS + SEASONAL_METHODS
# "combined" is the mean of these trend methods' forecasts (of those defined for the series;
# pooled_growth only when the caller names peer groups).
COMBINED_OF: Final[tuple[str, ...]] = (
    "drift",
    "theil_sen",
    "damped_trend",
    "growth",
    "pooled_growth",
)
# With 3 backtest origins on an 8-point series, picking the single method with the least
# backtest error mostly picks noise: on the Zhejiang panel and on the synthetic benchmark
# series the pick was worse than plain drift, while the equal-weight combination was better
# (docs/backtests.md). So the combination is the default and another method replaces it only
# when its backtest MASE is less than half of the combination's.
COMBINATION_MARGIN: Final = 0.5

# Fewest points a suggestion is extrapolated from (the "last 3–5 years").
MIN_HISTORY: Final = 3


def _kernel(name: str, m: int, common: FloatArray | None = None) -> Kernel:
    if name == "pooled_growth":
        # Growth toward the peers' is a yearly idea: quarterly rows would need it by quarter.
        peers = common if m == 1 else None
        return lambda y, h, o: kernels.pooled_growth(y, h, peers, o)
    if name == "seasonal_naive":
        return lambda y, h, o: kernels.seasonal_naive(y, h, m, o)
    if name == "seasonal_drift":
        return lambda y, h, o: kernels.seasonal_drift(y, h, m, o)
    fn: Kernel = getattr(kernels, name)
    return fn


@dataclass(frozen=True)
class Backtest:
    """Rolling-origin backtest of every candidate method on every series.

    ``forecast`` is each method's real forecast (n × methods); ``error`` the backtest errors
    actual − forecast divided by the series' MASE scale (n × methods × origins, NaN where an
    origin has too short a history); ``scale`` the mean absolute one-season change.
    """

    forecast: FloatArray
    error: FloatArray
    scale: FloatArray


def backtest(
    y: FloatArray,
    horizon: int,
    methods: Sequence[str],
    season_length: int = 1,
    n_origins: int = 3,
    common: FloatArray | None = None,
) -> Backtest:
    """Forecast with every method from the last column and from ``n_origins`` earlier origins.

    Origin ``j`` (``horizon ≤ j < horizon + n_origins``) forecasts the value ``j − horizon``
    columns before the last one from the history before it; an origin counts only when that
    history has at least ``MIN_HISTORY`` points (a season and two for seasonal data), so that every
    candidate is judged on the same origins. ``common`` is the peer groups' median log change
    per row and period (`kernels.pooled_growth`); without it pooled_growth is undefined.
    """
    n_rows, length = y.shape
    m = season_length
    # Seasonal methods need a season and a step to estimate a year-on-year change.
    min_train = m + 2 if m > 1 else MIN_HISTORY
    # Origins whose history is too short for every series are not run at all.
    origins = [0, *(j for j in range(horizon, horizon + n_origins) if length - j >= min_train)]
    n_hist = kernels.history_length(y)
    forecasts = np.full((n_rows, len(methods), 1 + n_origins), np.nan)
    base = [name for name in methods if name != "combined"]
    if "combined" in methods:
        base += [name for name in COMBINED_OF if name not in base]
    runs = {name: _kernel(name, m, common)(y, horizon, origins) for name in base}
    if "combined" in methods:
        parts = np.stack([runs[name] for name in COMBINED_OF])
        defined = np.isfinite(parts)
        with np.errstate(invalid="ignore", divide="ignore"):
            runs["combined"] = np.where(defined, parts, 0.0).sum(axis=0) / defined.sum(axis=0)
    forecasts[:, :, : len(origins)] = np.stack([runs[name] for name in methods], axis=1)
    actual = np.full((n_rows, n_origins), np.nan)
    for k, j in enumerate(origins[1:]):
        actual[:, k] = y[:, length - 1 - j + horizon]
    backtest_origins = np.arange(horizon, horizon + n_origins)
    counted = (n_hist[:, None] - backtest_origins[None, :]) >= min_train
    with np.errstate(invalid="ignore"):
        seasonal_change = np.abs(y[:, m:] - y[:, :-m])
    valid = np.isfinite(seasonal_change)
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(valid, seasonal_change, 0.0).sum(axis=1) / valid.sum(axis=1)
        # A constant series has no change to scale by; any small positive number keeps its
        # (zero) errors zero and a non-zero error large.
        fallback = np.where(np.abs(y[:, -1]) > 0, 1e-3 * np.abs(y[:, -1]), 1.0)
        scale = np.where(scale > 0, scale, fallback)
        error = (actual[:, None, :] - forecasts[:, :, 1:]) / scale[:, None, None]
    error = np.where(counted[:, None, :], error, np.nan)
    return Backtest(forecast=forecasts[:, :, 0], error=error, scale=scale)
