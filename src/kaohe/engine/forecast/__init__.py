"""Trend forecasting and personalised target suggestions (PRODUCT §2.3), pure numpy.

`suggest_targets(values, periods, horizon=..., direction=...)` takes a series × periods array
and returns a `TargetSuggestions`: per series a target with a range, the method chosen by a
rolling-origin backtest on the series' own history, any level shift detected (and not
extrapolated) and a reason in Chinese and English. ``groups=`` (e.g. each series' indicator)
lets units of one indicator pool their growth (`kernels.pooled_growth`). The kernels in
`kernels` forecast all series at once; `breaks` finds level shifts.
"""

from kaohe.engine.forecast.backtest import (
    ALL_METHODS,
    METHODS,
    SEASONAL_METHODS,
    Backtest,
    backtest,
)
from kaohe.engine.forecast.breaks import LevelShifts, detect_level_shifts
from kaohe.engine.forecast.periods import PeriodAxis
from kaohe.engine.forecast.suggest import TargetSuggestions, suggest_targets

__all__ = [
    "ALL_METHODS",
    "METHODS",
    "SEASONAL_METHODS",
    "Backtest",
    "LevelShifts",
    "PeriodAxis",
    "TargetSuggestions",
    "backtest",
    "detect_level_shifts",
    "suggest_targets",
]
