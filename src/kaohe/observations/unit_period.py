"""One unit's values for one reporting period, as its data page shows them: the value, the
previous node of the cycle, the same node last year, the year-on-year change and the progress
against the year's target at the pace the node needs (the pace rule's share of the year)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kaohe.core import access
from kaohe.core.roles import Action
from kaohe.engine.monitoring.rules import NODE_MONTHS
from kaohe.indicators.models import Indicator
from kaohe.observations.selectors import value_grid, visible_observations
from kaohe.schemes.models import TimeNode
from kaohe.schemes.selectors import neighbour_nodes
from kaohe.units.models import Unit

TARGET_SUFFIX = "_target"


@dataclass(frozen=True)
class Progress:
    """Percent of the year's target reached, percent a steady pace needs by now."""

    done: float
    due: float

    @property
    def behind(self) -> bool:
        return self.done < self.due


def target_progress(value: float | None, target: float | None, node_code: str) -> Progress | None:
    """Progress of a cumulative value against the year's target (None: no target or no pace)."""
    if value is None or not target or node_code not in NODE_MONTHS:
        return None
    return Progress(value / target * 100, NODE_MONTHS[node_code] / 12 * 100)


def growth(now: float | None, base: float | None) -> float | None:
    """Percent change from `base` to `now` (None when either is missing or the base is 0)."""
    if now is None or base is None or base == 0:
        return None
    return (now / base - 1) * 100


@dataclass
class ValueLine:
    """One indicator's line on the page; `errors` and `submitted` come back from a refused
    form."""

    indicator: Indicator
    value: float | None
    previous: float | None
    last_year: float | None
    vs_last_year: float | None
    progress: Progress | None
    observation: int | None
    errors: list[str] = field(default_factory=list)
    submitted: str = ""


@dataclass
class UnitPeriod:
    """The page's period, its neighbours, the periods one may pick, and the lines."""

    unit: Unit
    node: TimeNode | None
    previous: TimeNode | None = None
    last_year: TimeNode | None = None
    nodes: list[TimeNode] = field(default_factory=list)
    can_report: bool = False
    indicators: list[Indicator] = field(default_factory=list)
    current: dict[str, float] = field(default_factory=dict)
    lines: list[ValueLine] = field(default_factory=list)

    @property
    def period(self) -> str:
        return self.node.period if self.node is not None else ""


def unit_period(user: Any, unit: Unit, period: str | None) -> UnitPeriod:
    """The unit's page for `period` (default: the latest period holding its values)."""
    nodes = list(TimeNode.objects.select_related("cycle").order_by("cycle__year", "order"))
    if not nodes:
        return UnitPeriod(unit, None)
    visible = visible_observations(user).filter(unit=unit)
    with_data = set(visible.values_list("time_node__period", flat=True))
    default = max(
        (n for n in nodes if n.period in with_data), key=lambda n: n.period, default=nodes[-1]
    )
    node = next((n for n in nodes if n.period == period), default)
    by_id = {n.pk: n for n in nodes}
    near = neighbour_nodes([node])[node.pk]
    previous = by_id.get(near.previous) if near.previous else None
    last_year = by_id.get(near.last_year) if near.last_year else None
    year_end = by_id.get(near.year_end) if near.year_end else None
    indicators = list(Indicator.objects.visible_to(user).active().order_by("code"))
    periods = [p.period for p in (node, previous, last_year, year_end) if p is not None]
    grid = value_grid(
        user, indicators=[i.code for i in indicators], periods=periods, units=[unit.pk]
    )
    slots = dict(visible.filter(time_node=node).values_list("indicator_id", "pk"))
    can_report = unit.pk in access.unit_scope(user, Action.REPORT) and not node.locked
    page = UnitPeriod(
        unit,
        node,
        previous,
        last_year,
        nodes=[n for n in nodes if n.period in with_data or n.cycle_id == node.cycle_id],
        can_report=can_report,
        indicators=indicators,
    )
    for indicator in indicators:
        value = grid.get((unit.pk, indicator.code, node.period))
        if value is not None:
            page.current[indicator.code] = value
        if value is None and not can_report:
            continue
        year_ago = grid.get((unit.pk, indicator.code, last_year.period)) if last_year else None
        target = (
            grid.get((unit.pk, f"{indicator.code}{TARGET_SUFFIX}", year_end.period))
            if year_end is not None and not indicator.code.endswith(TARGET_SUFFIX)
            else None
        )
        page.lines.append(
            ValueLine(
                indicator=indicator,
                value=value,
                previous=grid.get((unit.pk, indicator.code, previous.period)) if previous else None,
                last_year=year_ago,
                vs_last_year=growth(value, year_ago),
                progress=target_progress(value, target, node.code),
                observation=slots.get(indicator.pk),
            )
        )
    return page
