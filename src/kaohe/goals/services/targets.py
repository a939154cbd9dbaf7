"""District target suggestions (个性化目标): each district's full-year target of every basic
indicator, forecast from its last five full years by the engine, then accepted or adjusted by
the office."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kaohe.core import access, audit
from kaohe.core.events import EventType
from kaohe.core.roles import Action
from kaohe.engine.forecast import suggest_targets
from kaohe.goals.models import TargetSuggestion
from kaohe.goals.services.drafting import parse_decimal
from kaohe.indicators.models import Indicator
from kaohe.observations.models import Observation
from kaohe.schemes.models import Cycle
from kaohe.schemes.services import ensure_open
from kaohe.units.models import Unit

SUGGESTION_YEARS = 5


def _district_units() -> list[Unit]:
    return list(
        Unit.objects.filter(
            is_assessed=True, kind__in=[Unit.Kind.DISTRICT, Unit.Kind.COUNTY_CITY]
        ).order_by("code")
    )


def _basic_indicators() -> list[Indicator]:
    return list(
        Indicator.objects.active().filter(formula="").exclude(value_type="grade").order_by("code")
    )


@transaction.atomic
def suggest_district_targets(cycle: Cycle, *, acting_user: Any) -> list[TargetSuggestion]:
    """Suggest each district's full-year target of every basic indicator for `cycle` from its
    last five full years, in one call of the forecasting engine. Suggestions already accepted
    or adjusted are kept; the others are replaced."""
    computed = compute_district_suggestions(cycle, acting_user=acting_user)
    return store_district_suggestions(computed, acting_user=acting_user)


@dataclass
class ComputedSuggestions:
    """Targets forecast for a cycle and not yet stored (`store_district_suggestions`)."""

    cycle: Cycle
    years: list[int]
    units: list[Unit]
    indicators: list[Indicator]
    flat: Any
    rows: Any
    result: Any


def compute_district_suggestions(cycle: Cycle, *, acting_user: Any) -> ComputedSuggestions:
    """Read five years of values and forecast the targets, writing nothing (for a job)."""
    access.check_citywide(acting_user, Action.ADMINISTER)
    years = list(range(cycle.year - SUGGESTION_YEARS, cycle.year))
    periods = [f"{y}Y" for y in years]
    units = _district_units()
    indicators = _basic_indicators()
    unit_index = {u.pk: i for i, u in enumerate(units)}
    ind_index = {ind.pk: j for j, ind in enumerate(indicators)}
    grid = np.full((len(units), len(indicators), len(years)), np.nan)
    for unit_id, ind_id, period, value in Observation.objects.filter(
        unit__in=units,
        indicator__in=indicators,
        time_node__period__in=periods,
        value__isnull=False,
    ).values_list("unit_id", "indicator_id", "time_node__period", "value"):
        if value is not None:  # filtered out above; keeps the type narrow
            grid[unit_index[unit_id], ind_index[ind_id], periods.index(period)] = float(value)
    flat = grid.reshape(len(units) * len(indicators), len(years))
    # A series needs at least three years to be extrapolated at all.
    rows = np.flatnonzero(np.isfinite(flat).sum(axis=1) >= 3)
    if rows.size == 0:
        raise ValidationError(
            _("No district has three full years of values before %(year)s.") % {"year": cycle.year}
        )
    directions = [indicators[r % len(indicators)].direction for r in rows]
    # each indicator's districts are peers: they share the city's shocks (docs/backtests.md)
    peers = [indicators[r % len(indicators)].pk for r in rows]
    result = suggest_targets(flat[rows], years, horizon=1, direction=directions, groups=peers)
    return ComputedSuggestions(cycle, years, units, indicators, flat, rows, result)


@transaction.atomic
def store_district_suggestions(
    computed: ComputedSuggestions, *, acting_user: Any
) -> list[TargetSuggestion]:
    """Replace the cycle's open suggestions with the computed ones, in one transaction."""
    access.check_citywide(acting_user, Action.ADMINISTER)
    cycle, years, units, indicators = (
        computed.cycle,
        computed.years,
        computed.units,
        computed.indicators,
    )
    flat, rows, result = computed.flat, computed.rows, computed.result
    kept = set(
        TargetSuggestion.objects.filter(cycle=cycle)
        .exclude(state=TargetSuggestion.State.SUGGESTED)
        .values_list("unit_id", "indicator_id")
    )
    TargetSuggestion.objects.filter(cycle=cycle, state=TargetSuggestion.State.SUGGESTED).delete()
    mase = result.selected_mase
    methods = result.method_name
    created = []
    for k, r in enumerate(rows):
        unit, indicator = units[r // len(indicators)], indicators[r % len(indicators)]
        if (unit.pk, indicator.pk) in kept:
            continue
        history = {
            str(year): float(flat[r, c]) for c, year in enumerate(years) if np.isfinite(flat[r, c])
        }
        created.append(
            TargetSuggestion(
                unit=unit,
                indicator=indicator,
                cycle=cycle,
                period=f"{cycle.year}Y",
                history=history,
                target=float(result.target[k]),
                low=float(result.low[k]),
                high=float(result.high[k]),
                method=str(methods[k]),
                reason_zh=str(result.reason_zh[k]),
                reason_en=str(result.reason_en[k]),
                has_break=bool(result.has_break[k]),
                backtest_mase=float(mase[k]) if np.isfinite(mase[k]) else None,
            )
        )
    TargetSuggestion.objects.bulk_create(created)
    audit.record(
        EventType.TARGET_SUGGESTIONS_COMPUTED,
        acting_user=acting_user,
        obj=cycle,
        extra={
            "suggestions": len(created),
            "kept": len(kept),
            "units": len(units),
            "indicators": len(indicators),
            "years": years,
        },
    )
    return created


def _decide_suggestion(
    suggestion: TargetSuggestion,
    acting_user: Any,
    *,
    value: float,
    state: str,
    reason: str,
    event: EventType,
) -> TargetSuggestion:
    access.check_citywide(acting_user, Action.ADMINISTER)
    suggestion = (
        TargetSuggestion.objects.select_for_update().select_related("cycle").get(pk=suggestion.pk)
    )
    ensure_open(suggestion.cycle)
    before = audit.snapshot(suggestion, ["state", "accepted_value", "adjustment_reason"])
    suggestion.state = state
    suggestion.accepted_value = value
    suggestion.adjusted_by = acting_user
    suggestion.decided_at = timezone.now()
    suggestion.adjustment_reason = reason
    suggestion.save()
    audit.record(
        event,
        acting_user=acting_user,
        obj=suggestion,
        unit=suggestion.unit,
        reason=reason,
        extra={
            "suggested": suggestion.target,
            "set": value,
            "indicator": suggestion.indicator.code,
        },
        changes=[audit.updated(suggestion, before)],
    )
    return suggestion


@transaction.atomic
def accept_suggestion(suggestion: TargetSuggestion, *, acting_user: Any) -> TargetSuggestion:
    """The office takes the suggested target as it is."""
    return _decide_suggestion(
        suggestion,
        acting_user,
        value=suggestion.target,
        state=TargetSuggestion.State.ACCEPTED,
        reason="",
        event=EventType.TARGET_SUGGESTION_ACCEPTED,
    )


@transaction.atomic
def adjust_suggestion(
    suggestion: TargetSuggestion, *, acting_user: Any, value: Any, reason: str
) -> TargetSuggestion:
    """The office sets another target than suggested; the reason is required and kept."""
    if not str(reason).strip():
        raise ValidationError({"reason": _("Say why the suggested target is adjusted.")})
    number = float(parse_decimal(value, "value"))
    if not np.isfinite(number):
        raise ValidationError({"value": _("“%(value)s” is not a number.") % {"value": value}})
    return _decide_suggestion(
        suggestion,
        acting_user,
        value=number,
        state=TargetSuggestion.State.ADJUSTED,
        reason=reason,
        event=EventType.TARGET_SUGGESTION_ADJUSTED,
    )
