"""Turning the observation versions current at a moment into the engine's input table.

Each scheme input column (`gdp`, `gdp_growth@Q1`) maps to an indicator at a time node of the
run's cycle: a suffix names the node, no suffix means the run's reporting period. A derived
indicator is computed from its formula over the same snapshot; its inputs are recorded."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple, Protocol

import numpy as np
from django.utils import timezone

from kaohe.core import sql
from kaohe.engine.scheme import Scheme
from kaohe.indicators.models import Indicator, ValueType
from kaohe.indicators.selectors import IndicatorRow
from kaohe.observations.derived import formula_of
from kaohe.observations.models import Observation, ObservationVersion
from kaohe.projects.offensives.inputs import involvements
from kaohe.schemes.models import Cycle, TimeNode
from kaohe.schemes.selectors import Node


class UnitLike(Protocol):
    """A unit as a snapshot reads it: a `Unit`, or a `units.selectors.UnitRow`."""

    @property
    def pk(self) -> Any: ...

    @property
    def code(self) -> str: ...


class IndicatorLike(Protocol):
    """An indicator as a snapshot reads it: an `Indicator`, or an `IndicatorRow`."""

    @property
    def pk(self) -> Any: ...

    @property
    def code(self) -> str: ...

    @property
    def formula(self) -> str: ...

    @property
    def value_type(self) -> str: ...


@dataclass
class Cell:
    """What one unit had for one input column."""

    value: float | None = None
    text: str = ""
    version_id: int | None = None
    derived_from: list[int] = field(default_factory=list)
    # a milestones input: the unit's record (`Involvement.to_dict()`) and its "provenance"
    record: dict[str, Any] | None = None


@dataclass
class Snapshot:
    """The frozen inputs of a run: columns for the engine, and where every value came from."""

    units: Sequence[UnitLike]
    columns: dict[str, Any]
    cells: dict[tuple[str, str], Cell]
    fingerprint: str
    missing_indicators: list[str]
    node_code: str = ""


def _split(code: str) -> tuple[str, str | None]:
    base, _, period = code.partition("@")
    return base, period or None


class _Version(NamedTuple):
    """The parts of an observation version a snapshot reads (no pk: the current value)."""

    pk: int | None
    value: Decimal | float | None
    text: str


def _latest_versions(
    units: Sequence[UnitLike],
    indicators: Sequence[IndicatorLike],
    nodes: Sequence[Node],
    moment: dt.datetime,
) -> dict[tuple[int, int, int], _Version]:
    """The newest version recorded at or before `moment` of every (unit, indicator, node)."""
    rows = (
        ObservationVersion.objects.filter(
            observation__unit__in=[u.pk for u in units],
            observation__indicator__in=[i.pk for i in indicators],
            observation__time_node__in=[n.pk for n in nodes],
            recorded_at__lte=moment,
        )
        .order_by("observation_id", "number")
        .values_list(
            "observation__unit_id",
            "observation__indicator_id",
            "observation__time_node_id",
            "pk",
            "value",
            "text",
        )
    )
    # ascending version numbers: the last one written per slot is the newest
    return {(u, i, n): _Version(pk, value, text) for u, i, n, pk, value, text in rows}


def _current_values(
    units: Sequence[UnitLike], indicators: Sequence[IndicatorLike], nodes: Sequence[Node]
) -> dict[tuple[int, int, int], _Version]:
    """The current value of every slot (the observation row), without its version (one
    hand-written query: the provisional standings read it for every batch)."""
    o = "o"
    where = [
        sql.among(sql.column(Observation, name, o), {x.pk for x in objects})
        for name, objects in (("unit", units), ("indicator", indicators), ("time_node", nodes))
    ]
    rows = sql.fetch(
        f"SELECT {sql.column(Observation, 'unit', o)}, {sql.column(Observation, 'indicator', o)}, "
        f"{sql.column(Observation, 'time_node', o)}, {sql.column(Observation, 'value', o)}, "
        f"{sql.column(Observation, 'text', o)} FROM {sql.table(Observation)} {o} "
        f"WHERE {' AND '.join(w for w, _ in where)} "
        f"AND {sql.column(Observation, 'version_count', o)} > 0",
        [p for _, params in where for p in params],
    )
    # floats straight from the driver: a snapshot reads a value as a float (`sql.converter`)
    return {
        (u, i, n): _Version(None, None if value is None else float(value), text)
        for u, i, n, value, text in rows
    }


def build_snapshot(
    scheme: Scheme,
    cycle: Cycle | None,
    units: Sequence[UnitLike],
    *,
    moment: dt.datetime | None,
    node_code: str | None,
    catalogue: Mapping[str, IndicatorRow] | None = None,
    time_nodes: Sequence[Node] | None = None,
) -> Snapshot:
    """Read every input the scheme needs for these units, as of `moment` (None: the current
    values, without naming their versions — for provisional standings). `node_code` None picks
    the latest period with a fair share of the values (`as_of_node`). `catalogue` (every
    indicator by code) and `time_nodes` (the cycle's, in their order; then `cycle` may be
    None) may be passed when the caller has read them; then the values are the only query."""
    if time_nodes is None:
        assert cycle is not None, "a snapshot reads the nodes of a cycle"
        time_nodes = list(cycle.time_nodes.all())
    nodes = {n.code: n for n in time_nodes}
    milestone_codes = scheme.milestone_codes
    codes = [c for c in scheme.input_codes if c not in milestone_codes]
    wanted = {_split(c)[0] for c in codes}
    indicators: dict[str, IndicatorLike]
    if catalogue is not None:
        indicators = {code: catalogue[code] for code in wanted if code in catalogue}
    else:
        indicators = {i.code: i for i in Indicator.objects.filter(code__in=wanted)}
    # Derived indicators read their formula's indicators at the same node.
    formulas = {code: formula_of(ind.formula) for code, ind in indicators.items() if ind.formula}
    for expression in formulas.values():
        for name in expression.names - indicators.keys():
            found: IndicatorLike | None
            if catalogue is not None:
                found = catalogue.get(name)
            else:
                found = Indicator.objects.filter(code=name).first()
            if found is not None:
                indicators[name] = found
    latest = (
        _latest_versions(units, list(indicators.values()), list(nodes.values()), moment)
        if moment is not None
        else _current_values(units, list(indicators.values()), list(nodes.values()))
    )
    if node_code is None:
        node_code = as_of_node(list(nodes.values()), [n for (_u, _i, n) in latest])
    cells: dict[tuple[str, str], Cell] = {}
    columns: dict[str, Any] = {}
    missing = sorted(wanted - indicators.keys())
    label_codes = scheme.label_codes

    def raw(unit: UnitLike, indicator: IndicatorLike, node: Node | None) -> Cell:
        if node is None:
            return Cell()
        version = latest.get((unit.pk, indicator.pk, node.pk))
        if version is None:
            return Cell()
        if indicator.value_type == ValueType.GRADE:
            return Cell(text=version.text, version_id=version.pk)
        value = float(version.value) if version.value is not None else None
        return Cell(value=value, version_id=version.pk)

    for code in codes:
        base, period = _split(code)
        node = nodes.get(period or node_code or "")
        indicator = indicators.get(base)
        if indicator is not None and base in formulas:
            expression = formulas[base]
            parts = {
                name: [raw(unit, indicators[name], node) for unit in units]
                for name in expression.names
                if name in indicators
            }
            if len(parts) == len(expression.names):
                env = {
                    name: np.array([np.nan if c.value is None else c.value for c in part])
                    for name, part in parts.items()
                }
                values = np.asarray(expression.evaluate(env), dtype=np.float64)
            else:  # a formula naming an unknown indicator gives no value
                values = np.full(len(units), np.nan)
            for i, unit in enumerate(units):
                used = sorted(v for p in parts.values() if (v := p[i].version_id) is not None)
                value = None if np.isnan(values[i]) else float(values[i])
                cells[(unit.code, code)] = Cell(value=value, derived_from=used)
        else:
            for unit in units:
                cells[(unit.code, code)] = (
                    raw(unit, indicator, node) if indicator is not None else Cell()
                )
        if code in label_codes:
            columns[code] = [cells[(unit.code, code)].text for unit in units]
        else:
            columns[code] = np.array(
                [np.nan if (x := cells[(u.code, code)].value) is None else x for u in units],
                dtype=np.float64,
            )
    if milestone_codes:
        _milestone_columns(
            sorted(milestone_codes),
            units,
            time_nodes,
            nodes.get(node_code or ""),
            cycle,
            moment,
            cells,
            columns,
        )
    fingerprint = (
        ""
        if moment is None
        else hashlib.sha256(
            json.dumps(
                [
                    [unit, code, cell.version_id, cell.derived_from, cell.value, cell.text]
                    + ([cell.record] if cell.record is not None else [])
                    for (unit, code), cell in sorted(cells.items())
                ],
                separators=(",", ":"),
            ).encode()
        ).hexdigest()
    )
    return Snapshot(units, columns, cells, fingerprint, missing, node_code or "")


def _milestone_columns(
    codes: list[str],
    units: Sequence[UnitLike],
    time_nodes: Sequence[Node],
    node: Node | None,
    cycle: Cycle | None,
    moment: dt.datetime | None,
    cells: dict[tuple[str, str], Cell],
    columns: dict[str, Any],
) -> None:
    """Fill the milestones inputs: each unit's `Involvement` in the offensive a code names
    (None: not involved), confirmed as of `moment`, seen from the end of the run's period —
    capped at the moment's day, so that a run of a period still under way does not count a
    milestone missed before it is due."""
    cycle_id = cycle.pk if cycle is not None else (time_nodes[0].cycle_id if time_nodes else None)
    today = timezone.localdate(moment) if moment is not None else timezone.localdate()
    end = getattr(node, "period_end", None)
    if end is None and node is not None:
        end = TimeNode.objects.values_list("period_end", flat=True).get(pk=node.pk)
    as_of = min(end, today) if end is not None else today
    found = (
        involvements(cycle_id, codes, [u.pk for u in units], moment=moment, as_of=as_of)
        if cycle_id is not None
        else {}
    )
    for code in codes:
        by_unit = found.get(code, {})
        column = np.empty(len(units), dtype=object)
        for i, unit in enumerate(units):
            entry = by_unit.get(unit.pk)
            if entry is None:
                cells[(unit.code, code)] = Cell()
                column[i] = None
                continue
            involvement, provenance = entry
            cells[(unit.code, code)] = Cell(
                record={**involvement.to_dict(), "provenance": provenance}
            )
            column[i] = involvement
        columns[code] = column


def as_of_node(nodes: Sequence[Node], value_nodes: list[int]) -> str | None:
    """The latest period holding at least half as many of the values as the fullest one (a
    few early year-end figures do not make the year-end the period to rank on)."""
    counts = Counter(value_nodes)
    if not counts:
        return None
    most = max(counts.values())
    ready = [n for n in nodes if 2 * counts.get(n.pk, 0) >= most]
    return max(ready, key=lambda n: n.order).code
