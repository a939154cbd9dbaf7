"""Reads for an indicator's trend and foresight, one unit's series at a time (the indicator
page and `/api/v1/indicators/<code>/trend/`): its full-year values and the next year's value
with its 80% range.

The next year's value is the district target the office has in hand when there is one
(`TargetSuggestion` for that year), so the indicator page and the target-suggestion page never
show two numbers for one slot; otherwise it is forecast here by the same engine call as the
target suggestions (`kaohe.engine.forecast.suggest_targets`, horizon 1, the same five-year
window), in a batch with the unit's category peers so that the range pools their backtest
errors as the suggestions' ranges do. The peers' values only widen or narrow the range; what is
shown is the chosen unit's series, which the user may see. The answer depends on the data, not
on who looks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db.models import QuerySet
from django.utils.translation import get_language

from kaohe.engine.forecast import suggest_targets
from kaohe.goals.models import TargetSuggestion
from kaohe.goals.services.targets import SUGGESTION_YEARS
from kaohe.indicators.models import Indicator
from kaohe.observations.filters import IndicatorTrendFilterSet
from kaohe.observations.models import Observation
from kaohe.observations.selectors import visible_observations
from kaohe.units.models import Unit

# Full years of history shown (the forecast reads the last SUGGESTION_YEARS of them).
TREND_YEARS = 10
# The range's nominal coverage, as for the target suggestions.
COVERAGE = 0.8
# Fewest years a series is extrapolated from (the target suggestions' rule).
MIN_YEARS = 3


@dataclass(frozen=True)
class Foresight:
    """The next full year's value of a series with its range (None: too short to judge)."""

    period: str
    value: float
    low: float | None
    high: float | None
    method: str
    reason_zh: str
    reason_en: str
    source: str  # "suggestion": the office's target suggestion; "forecast": computed here
    state: str = ""  # the suggestion's state
    decided: float | None = None  # the target the office set, when it set one

    @property
    def reason(self) -> str:
        return self.reason_en if (get_language() or "").startswith("en") else self.reason_zh

    @property
    def coverage(self) -> float:
        return COVERAGE


@dataclass(frozen=True)
class IndicatorTrend:
    """One unit's full-year values of an indicator, oldest first, and its foresight."""

    indicator: Indicator
    unit: Unit
    history: list[tuple[str, float]]
    foresight: Foresight | None


def annual_values(user: Any, indicator: Indicator) -> QuerySet[Observation]:
    """The full-year numeric values of `indicator` the user may see: the trend's rows."""
    return visible_observations(user).filter(
        indicator=indicator, time_node__code="Y", value__isnull=False
    )


def trend_filter(
    user: Any, indicator: Indicator, data: Any, *, request: Any = None
) -> IndicatorTrendFilterSet:
    """The unit choice over `annual_values`, bound to `data` (`?unit=`); without a unit asked
    for, the first unit (in the tree's order) that has values."""
    rows = annual_values(user, indicator)
    first = rows.order_by("unit__path").values_list("unit__code", flat=True).first()
    return IndicatorTrendFilterSet(
        data, queryset=rows, request=request, defaults={"unit": first or ""}
    )


def indicator_trend(
    user: Any, indicator: Indicator, filters: IndicatorTrendFilterSet
) -> IndicatorTrend | None:
    """The chosen unit's trend; None when no unit is chosen or the choice was refused (a unit
    out of the user's view, or without values of this indicator)."""
    if not filters.is_valid():
        return None
    unit = filters.form.cleaned_data.get("unit")
    if unit is None:
        return None
    values = filters.qs.filter(unit=unit).values_list("time_node__period", "value")
    history = sorted((period, float(value)) for period, value in values if value is not None)
    history = history[-TREND_YEARS:]
    if not history:
        return IndicatorTrend(indicator, unit, [], None)
    year = int(history[-1][0][:4]) + 1
    foresight = _suggested(user, indicator, unit, year) or _forecast(
        indicator, unit, dict(history), year
    )
    return IndicatorTrend(indicator, unit, history, foresight)


def _suggested(user: Any, indicator: Indicator, unit: Unit, year: int) -> Foresight | None:
    suggestion = (
        TargetSuggestion.objects.restrict(user)
        .filter(unit=unit, indicator=indicator, cycle__year=year)
        .first()
    )
    if suggestion is None:
        return None
    decided = suggestion.state != TargetSuggestion.State.SUGGESTED
    return Foresight(
        period=suggestion.period,
        value=suggestion.target,
        low=_finite(suggestion.low),
        high=_finite(suggestion.high),
        method=suggestion.method,
        reason_zh=suggestion.reason_zh,
        reason_en=suggestion.reason_en,
        source="suggestion",
        state=suggestion.state,
        decided=suggestion.accepted_value if decided else None,
    )


def _forecast(
    indicator: Indicator, unit: Unit, own: dict[str, float], year: int
) -> Foresight | None:
    years = list(range(year - SUGGESTION_YEARS, year))
    periods = [f"{y}Y" for y in years]
    if sum(1 for p in periods if p in own) < MIN_YEARS:
        return None
    # The peers' values pool the backtest errors only (module docstring); read without the
    # user's scope on purpose, the chosen unit's own row is the one the user sees (`own`).
    peers = (
        Unit.objects.filter(category=unit.category, is_assessed=True)
        .exclude(pk=unit.pk)
        .order_by("path")
        if unit.category_id is not None
        else Unit.objects.none()
    )
    peer_ids = [p.pk for p in peers]
    grid = np.full((1 + len(peer_ids), len(years)), np.nan)
    grid[0] = [own.get(p, np.nan) for p in periods]
    index = {pk: i + 1 for i, pk in enumerate(peer_ids)}
    for unit_id, period, value in Observation.objects.filter(
        unit__in=peer_ids,
        indicator=indicator,
        time_node__period__in=periods,
        value__isnull=False,
    ).values_list("unit_id", "time_node__period", "value"):
        if value is not None:
            grid[index[unit_id], periods.index(period)] = float(value)
    rows = np.flatnonzero(np.isfinite(grid).sum(axis=1) >= MIN_YEARS)  # row 0 is among them
    direction = "lower" if indicator.direction == "lower" else "higher"
    result = suggest_targets(  # the category's units, one indicator: one peer group
        grid[rows], years, horizon=1, direction=direction, coverage=COVERAGE, groups=[0] * len(rows)
    )
    return Foresight(
        period=f"{year}Y",
        value=float(result.target[0]),
        low=_finite(result.low[0]),
        high=_finite(result.high[0]),
        method=str(result.method_name[0]),
        reason_zh=str(result.reason_zh[0]),
        reason_en=str(result.reason_en[0]),
        source="forecast",
    )


def _finite(value: Any) -> float | None:
    return float(value) if value is not None and np.isfinite(value) else None
