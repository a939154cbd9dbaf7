"""The explanation tree of one unit: from the total down to every raw input.

Plain dicts, lists, str, float, bool and None only (JSON-ready). Provenance — e.g. the
observation version ids the platform used — is attached to each raw input leaf by
(unit, input code).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from .context import Context, milestone_params, score_leaf
from .milestones import Involvement, score_involvements
from .scheme import Node, Text

if TYPE_CHECKING:
    from .result import EvaluationResult


def _py(value: Any) -> Any:
    """numpy scalar → Python; NaN → None."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and np.isnan(value):
        return None
    return value


def _cell(value: Any) -> Any:
    """A table cell as plain values: a milestones record as its mapping."""
    if isinstance(value, Involvement):
        return value.to_dict()
    return _py(value)


def _int(value: Any) -> int | None:
    v = _py(value)
    return None if v is None else int(v)


def _name(text: Text | None) -> dict[str, str] | None:
    return text.to_dict() if text is not None else None


def explain_unit(
    result: EvaluationResult, unit_id: str, provenance: Mapping[tuple[str, str], Any]
) -> dict[str, Any]:
    """Build the explanation of `unit_id` (KeyError if the unit is not in the result)."""
    i = result.table.index(unit_id)
    scheme = result.scheme
    out: dict[str, Any] = {
        "unit": unit_id,
        "name": result.table.names[i] if result.table.names is not None else None,
        "category": result.table.categories[i],
        "scheme": scheme.id,
        "status": result.status[i],
        "reason": result.reason[i] or None,
        "total": _py(result.total[i]),
        "total_rounded": _py(result.total_rounded[i]),
        "round": scheme.ranking.round,
        "rank": _int(result.rank[i]),
        "previous_rank": _int(result.previous_rank[i]),
        "rank_change": _int(result.rank_change[i]),
        "grade": result.grade[i] or None,
        "flags": list(result.flags[i]),
        "stars": {k: _int(v[i]) for k, v in result.stars.items()},
        "points": scheme.points,
        "tree": _node(result, scheme.root, i, unit_id, provenance),
        "adjustments": [_adjustment(result, a, i, unit_id, provenance) for a in scheme.adjustments],
    }
    if result.robustness is not None:
        out["robustness"] = result.robustness.row(i)
    return out


def _node(
    result: EvaluationResult,
    node: Node,
    i: int,
    unit_id: str,
    provenance: Mapping[tuple[str, str], Any],
) -> dict[str, Any]:
    d: dict[str, Any] = {
        "id": node.id,
        "name": _name(node.name),
        "kind": "leaf" if node.is_leaf else "group",
        "weight": node.weight,
        "full_points": node.full_points,
        "fraction": _py(result.fraction[node.id][i]),
        "points": _py(result.points[node.id][i]),
    }
    if node.aspect is not None:
        d["aspect"] = node.aspect
    if not node.is_leaf:
        d["aggregate"] = node.aggregate
        d["children"] = [_node(result, c, i, unit_id, provenance) for c in node.children]
        return d
    assert node.method is not None
    d["method"] = node.method.to_dict()
    d["direction"] = node.direction
    d["input"] = {"expr": node.input_expr.source} if node.input_expr is not None else node.input
    if node.impute is not None:
        d["impute"] = node.impute.to_yaml()
    # the result keeps no intermediates (they are large); recompute this leaf's — the same
    # deterministic kernels on the same table give the same numbers
    trace = score_leaf(node, node.method, Context(result.scheme, result.table))[1]
    periods: list[tuple[str | None, float]] = list(node.periods) or [(None, 1.0)]
    evaluations = []
    for k, (period, weight) in enumerate(periods):
        if node.input_expr is not None:
            names = sorted(node.input_expr.names)
            codes = [c if "@" in c or period is None else f"{c}@{period}" for c in names]
            raw_inputs = [_raw(result, c, i, unit_id, provenance) for c in codes]
        else:
            raw_inputs = [_raw(result, trace.codes[k], i, unit_id, provenance)]
        for pname in trace.params[k]:
            code = node.method.get(pname).code
            # the same resolution as evaluation: a period column when there is one
            suffixed = f"{code}@{period}"
            if period is not None and "@" not in code and suffixed in result.table.columns:
                code = suffixed
            entry = _raw(result, code, i, unit_id, provenance)
            entry["parameter"] = pname
            raw_inputs.append(entry)
        evaluations.append(
            {
                "period": period,
                "weight": weight,
                "inputs": raw_inputs,
                "value": _cell(trace.raw[k][i]),
                "used": _py(trace.used[k][i]),
                "imputed": bool(trace.imputed[k][i]),
                "intermediate": {name: _py(arr[i]) for name, arr in trace.details[k].items()},
                "fraction": _py(trace.fractions[k][i]),
            }
        )
    d["periods"] = evaluations
    if node.method.type == "milestones":
        d["milestones"] = _milestones(node, trace.raw[0][i])
    return d


def _milestones(node: Node, cell: Any) -> dict[str, Any] | None:
    """A milestones leaf's judgement of one unit's record (None: the unit is not involved):
    role, role share, the weighted share of the milestones that count and every milestone
    with its status, days late and share (None when pending, left out)."""
    if cell is None:
        return None
    assert node.method is not None
    cells = np.empty(1, dtype=object)
    cells[0] = cell
    params = milestone_params(node.method)
    _, details, breakdown = score_involvements(cells, **params)
    judged = breakdown[0]
    assert judged is not None
    out = judged.to_dict()
    out["grace_days"] = int(params["grace_days"])
    out["share"] = _py(details["share"][0])
    return out


def _raw(
    result: EvaluationResult,
    code: str,
    i: int,
    unit_id: str,
    provenance: Mapping[tuple[str, str], Any],
) -> dict[str, Any]:
    column = result.table.columns.get(code)
    if column is None and "@" in code:  # a parameter column without a period suffix
        code = code.split("@", 1)[0]
        column = result.table.columns.get(code)
    value = None if column is None else _cell(column[i])
    return {"code": code, "value": value, "provenance": provenance.get((unit_id, code))}


def _adjustment(
    result: EvaluationResult,
    adj: Any,
    i: int,
    unit_id: str,
    provenance: Mapping[tuple[str, str], Any],
) -> dict[str, Any]:
    d: dict[str, Any] = {"id": adj.id, "kind": adj.kind, "name": _name(adj.name)}
    if adj.input is not None:
        d["input"] = _raw(result, adj.input, i, unit_id, provenance)
    if adj.kind == "veto":
        assert adj.when is not None
        d["when"] = adj.when.source
        d["vetoed"] = bool(result.vetoes[adj.id][i])
        return d
    d["method"] = adj.method.to_dict()
    if adj.cap is not None:
        d["cap"] = adj.cap
    if adj.condition is not None:
        met = adj.condition.evaluate(
            {k: v[i : i + 1] for k, v in result.table.columns.items() if v.dtype.kind == "f"}
        )
        d["condition"] = {"expr": adj.condition.source, "met": bool(np.asarray(met).ravel()[0])}
    d["points"] = _py(result.adjustment_points[adj.id][i])
    return d
