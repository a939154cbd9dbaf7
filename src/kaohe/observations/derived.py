"""Derived indicators (shares, per-capita, …) recomputed as their inputs arrive.

For every derived indicator whose formula reads a changed indicator, the formula is evaluated
once over all touched (unit, time node) slots as arrays, and the results are stored as versions
with source "derived" — so a derived value has a history like any other. All derived values of a
batch are stored together (one audit event), a formula reading another derived indicator
seeing its new value."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from functools import lru_cache
from typing import Any

import numpy as np

from kaohe.core import sql
from kaohe.engine.expr import Expression, compile_expr
from kaohe.indicators.models import Indicator
from kaohe.indicators.selectors import IndicatorRow
from kaohe.observations.models import Observation, Source
from kaohe.observations.services import (
    Catalogue,
    CheckedRow,
    RecordResult,
    StoredObservation,
    store_rows,
)

_SIX_PLACES = 1_000_000


@lru_cache(maxsize=1024)
def formula_of(source: str) -> Expression:
    """A derived indicator's compiled formula (compiled once per process and text)."""
    return compile_expr(source, want="num")


def _ordered(derived: list[IndicatorRow]) -> list[IndicatorRow]:
    """Derived indicators in dependency order (one reading another comes after it)."""
    codes = {d.code for d in derived}
    names = {d.code: formula_of(d.formula).names for d in derived}
    ordered: list[IndicatorRow] = []
    placed: set[str] = set()
    pending = sorted(derived, key=lambda d: d.code)
    while pending:
        ready = [d for d in pending if not (names[d.code] & codes) - placed]
        if not ready:  # a cycle: place the rest as they are, it cannot be resolved
            ready = pending
        for d in ready:
            ordered.append(d)
            placed.add(d.code)
        pending = [d for d in pending if d.code not in placed]
    return ordered


def recompute_derived(
    observations: Iterable[StoredObservation],
    *,
    acting_user: Any,
    batch: Any = None,
    catalogue: Catalogue | None = None,
) -> list[StoredObservation]:
    """Recompute the derived indicators affected by these changed observations; returns the
    derived observations that got a new version. `catalogue`: the batch's look-ups (its
    indicators, units and time nodes), when the pipeline has read them."""
    changed = list(observations)
    if not changed:
        return []
    slots = sorted({(o.unit_id, o.time_node_id) for o in changed})
    unit_ids, node_ids = {u for u, _ in slots}, {n for _, n in slots}
    if (
        catalogue is None
        or not unit_ids <= catalogue.units_by_id.keys()
        or not node_ids <= catalogue.nodes_by_id.keys()
    ):
        catalogue = Catalogue.around(unit_ids, node_ids)
    by_id = catalogue.indicators_by_id
    changed_codes = {by_id[o.indicator_id].code for o in changed}
    active = [
        i
        for i in catalogue.indicators.values()
        if i.formula and i.status == Indicator.Status.ACTIVE
    ]
    derived = _ordered(active)
    expressions = {d.code: formula_of(d.formula) for d in derived}
    if not any(e.names & changed_codes for e in expressions.values()):
        return []  # no formula reads a changed indicator
    names = set().union(*(e.names for e in expressions.values()))
    units, nodes = catalogue.units_by_id, catalogue.nodes_by_id
    grid = _inputs(
        {catalogue.indicators[n].pk: n for n in names if n in catalogue.indicators},
        unit_ids,
        node_ids,
    )
    rows: list[CheckedRow] = []
    for indicator in derived:
        expression = expressions[indicator.code]
        if not expression.names & changed_codes:
            continue
        env = {
            name: np.array([grid.get((u, n, name), np.nan) for u, n in slots], dtype=np.float64)
            for name in expression.names
        }
        values = np.asarray(expression.evaluate(env), dtype=np.float64)
        reason = f"recomputed from {', '.join(sorted(expression.names))}"
        found = False
        for i, (u, n) in enumerate(slots):
            if not np.isfinite(values[i]):
                continue
            value = _decimal(values[i])
            grid[(u, n, indicator.code)] = float(value)
            rows.append(
                CheckedRow(
                    number=len(rows) + 1,
                    reason=reason,
                    unit=units[u],
                    indicator=indicator,
                    node=nodes[n],
                    value=value,
                    text="",
                )
            )
            found = True
        if found:
            changed_codes.add(indicator.code)
    if not rows:
        return []
    result: RecordResult = store_rows(
        rows,
        acting_user=acting_user,
        source=Source.DERIVED,
        batch=batch,
        require_reason=False,
        automatic_reason="recomputed",
    )
    return list(result.observations)


def _inputs(
    codes: dict[int, str], unit_ids: set[int], node_ids: set[int]
) -> dict[tuple[int, int, str], float]:
    """One read of every formula input (indicator id → code) at the touched units × nodes, by
    (unit id, node id, code); derived results are written into the same grid so that a
    formula reading another derived indicator sees its new value."""
    o = "o"
    where = [
        sql.among(sql.column(Observation, name, o), ids)
        for name, ids in (("indicator", codes), ("unit", unit_ids), ("time_node", node_ids))
    ]
    rows = sql.fetch(
        f"SELECT {sql.column(Observation, 'unit', o)}, {sql.column(Observation, 'time_node', o)}, "
        f"{sql.column(Observation, 'indicator', o)}, {sql.column(Observation, 'value', o)} "
        f"FROM {sql.table(Observation)} {o} WHERE {' AND '.join(w for w, _ in where)}",
        [p for _, params in where for p in params],
    )
    # floats straight from the driver (see `sql.converter`)
    return {(u, n, codes[i]): float(value) for u, n, i, value in rows if value is not None}


def _decimal(value: float) -> Any:

    return Decimal(round(float(value) * _SIX_PLACES)) / _SIX_PLACES
