"""Evaluate a scheme on an input table: every node's fraction and points for all units at once,
then adjustments, ranks, grades and the use of results.

Loops run over scheme nodes, periods, grades and distinct labels — never over units.
"""

from __future__ import annotations

import weakref
from collections.abc import Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt

from . import methods as m
from .aggregate import aggregate_into, shares_of
from .batch import (
    ColumnScorer,
    Scratch,
    column_scorer,
    input_batch_key,
    method_batch_key,
    score_batch,
)
from .context import Context, LeafTrace, score_leaf
from .errors import DataError
from .methods import GroupOrder
from .ranking import assign_grades, result_flags, round_half_up, section_stars
from .result import EvaluationResult, NodePoints
from .robustness import assess_robustness
from .scheme import Node, Scheme
from .table import InputTable, frozen

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

__all__ = ["EvaluationResult", "InputTable", "evaluate"]


# --- evaluation --------------------------------------------------------------------------------


def evaluate(
    scheme: Scheme,
    table: InputTable,
    *,
    previous_ranks: Mapping[str, int] | None = None,
    robustness: bool = False,
) -> EvaluationResult:
    """Score every unit of `table` with `scheme`.

    `previous_ranks` (unit id → earlier rank) drives rank change, progress award and the
    interview list; `robustness=True` runs the scheme's Monte Carlo block (see robustness.py)
    and flags units whose grade is not robust as 'borderline'.
    """
    ctx = Context(scheme, table)
    n = ctx.n
    fraction, traces, first_missing, missing_codes = _score_tree(scheme, ctx)
    root_f = fraction[scheme.root.id]
    points = NodePoints(fraction, {node.id: node.full_points for node in scheme.nodes})
    adjustment_points, vetoes, adj_total = _adjustments(scheme, ctx)
    total = root_f * scheme.points + adj_total
    scored = np.isfinite(total)
    # the labels are taken from arrays of one str each, shared by their units: np.full would
    # convert its str into a new one for every unit (a millisecond at province scale)
    if scored.all():
        reason = np.empty(n, dtype=object)
        reason.fill("")
    else:
        total = np.where(scored, total, np.nan)
        first_missing = _name_the_rest(scheme, fraction, ~scored, first_missing, missing_codes)
        texts = np.array(["", *missing_codes], dtype=object)
        reason = texts[np.where(scored, 0, first_missing + 1)]
    status = np.array(["not_scored", "scored"], dtype=object)[scored.view(np.uint8)]
    rounded = round_half_up(total, scheme.ranking.round)
    groups = ctx.groups
    order = GroupOrder(rounded, groups, descending=True)  # one sort for ranks and grades
    rank = order.places()  # rank_totals
    vetoed = np.zeros(n, dtype=bool)
    for mask in vetoes.values():
        vetoed |= mask
    grade_index = assign_grades(
        rounded, groups, vetoed, scheme.grades, scheme.veto_grade, order=order
    )
    if previous_ranks is None:
        previous = np.full(n, np.nan)  # no loop over the units then
    else:
        previous = np.array(
            [previous_ranks.get(u, np.nan) for u in table.units], dtype=np.float64
        ).reshape(n)
    rank_change = previous - rank
    flag_masks = result_flags(rank, rank_change, groups, vetoed, scheme.results, order=order)
    for adj_id, mask in vetoes.items():
        flag_masks[f"veto:{adj_id}"] = mask
    for leaf in scheme.leaves:
        if leaf.impute is None:
            continue  # nothing imputed (every batched leaf)
        imputed = np.zeros(n, dtype=bool)
        for mask in traces[leaf.id].imputed:
            imputed |= mask
        if imputed.any():
            flag_masks[f"imputed:{leaf.id}"] = imputed
    stars: dict[str, FloatArray] = {}
    if scheme.results.stars is not None:
        for section in scheme.root.children:
            stars[section.id] = frozen(
                section_stars(
                    points[section.id], groups, scheme.results.stars, scheme.ranking.round
                )
            )
    result = EvaluationResult(
        scheme=scheme,
        table=table,
        fraction=MappingProxyType(fraction),
        points=points,
        adjustment_points=MappingProxyType(adjustment_points),
        vetoes=MappingProxyType(vetoes),
        total=frozen(total),
        total_rounded=frozen(rounded),
        rank=frozen(rank),
        grade_index=frozen(grade_index),
        status=frozen(status),
        reason=frozen(reason),
        previous_rank=frozen(previous),
        rank_change=frozen(rank_change),
        flag_masks=MappingProxyType({k: frozen(v) for k, v in flag_masks.items()}),
        traces=traces,
        stars=MappingProxyType(stars),
    )
    if robustness:
        rob = assess_robustness(result)
        masks = dict(result.flag_masks)
        masks["borderline"] = rob.borderline
        result = replace(result, robustness=rob, flag_masks=MappingProxyType(masks))
    return result


def _score_tree(
    scheme: Scheme, ctx: Context
) -> tuple[dict[str, FloatArray], Mapping[str, LeafTrace], npt.NDArray[np.intp], list[str]]:
    """Every node's fraction, the leaves' traces, and for each unit the index into the
    returned reasons of its first missing input (-1: none).

    All fractions live in one (nodes × units) array, written in place: one allocation instead
    of one per node and per intermediate. Leaves that share a method are scored as a batch
    (see batch.py); the others one by one, in scheme order, so that a data error names the
    same leaf as before. Groups are then aggregated children first, each right after its
    subtree; at province scale the element-wise leaves of a batch are scored one by one on
    that walk, just before their parent reads their rows (`batch.ColumnScorer`).
    """
    table = ctx.table
    n = ctx.n
    nodes = scheme.nodes
    leaves = scheme.leaves
    plan = _plan(scheme)
    batches: dict[Hashable, list[int]] = {}
    for pos, leaf in enumerate(leaves):
        key = input_batch_key(leaf, plan.keys[pos], table.columns)
        if key is not None:
            batches.setdefault(key, []).append(pos)
    # the rows of one batch are consecutive, so that it is scored straight into them
    batched = [leaves[pos].id for members in batches.values() for pos in members]
    in_batch = set(batched)
    row = {node_id: i for i, node_id in enumerate(batched)}
    for node in nodes:
        if node.id not in in_batch:
            row[node.id] = len(row)
    values = np.empty((len(nodes), n))
    # (leaf position, item within the leaf, reason, units missing it): reasons are numbered
    # in scheme order; strings are built only for the units that end up unscored
    missing_at: list[tuple[int, int, str, npt.NDArray[np.intp]]] = []
    leaf_traces: dict[str, LeafTrace] = {}
    for pos, leaf in enumerate(leaves):
        if leaf.id in in_batch:
            continue
        assert leaf.method is not None
        f, trace = score_leaf(leaf, leaf.method, ctx, keep_details=False)
        leaf_traces[leaf.id] = trace
        values[row[leaf.id]] = f
        for item, (text, missing) in enumerate(_missing_reasons(leaf, trace, table)):
            if missing.any():
                missing_at.append((pos, item, text, np.flatnonzero(missing)))
    work = Scratch()  # work arrays shared by the batches
    # element-wise leaves at province scale: scored one by one just before their parent is
    # aggregated, so that the aggregation reads their rows from cache (leaf id → its scorer,
    # its place in the batch and in the scheme)
    deferred: dict[str, tuple[ColumnScorer, int, int]] = {}
    for members in batches.values():
        part = [leaves[pos] for pos in members]
        scorer = column_scorer(part, n, work)
        if scorer is not None:
            for j, pos in enumerate(members):
                deferred[leaves[pos].id] = (scorer, j, pos)
            continue
        columns = [table.columns[leaf.input or ""] for leaf in part]
        first = row[part[0].id]
        gaps = score_batch(part, columns, ctx.layout, values[first : first + len(part)], work)
        for j, units in gaps:
            leaf = part[j]
            missing_at.append((members[j], 0, f"missing input {leaf.input} ({leaf.id})", units))
    scratch = np.empty(n)
    for node in reversed(nodes):  # children before their parent, each parent right after them
        if node.is_leaf:
            job = deferred.get(node.id)
            if job is not None:
                scorer, j, pos = job
                i = row[node.id]
                absent = scorer.score(j, table.columns[node.input or ""], values[i : i + 1])
                if absent is not None:
                    text = f"missing input {node.input} ({node.id})"
                    missing_at.append((pos, 0, text, absent))
            continue
        kids = [values[row[c.id]] for c in node.children]
        weights, shares = plan.weights[node.id]
        kind = node.aggregate or "sum"
        aggregate_into(kind, kids, weights, shares, values[row[node.id]], scratch)
    values.flags.writeable = False
    fraction = {node_id: values[row[node_id]] for node_id in plan.post_order}
    traces = _LeafTraces(leaves, leaf_traces, table.columns, fraction)
    missing_at.sort(key=lambda item: item[:2])
    # each unit's first reason: the least index of the reasons that name it
    first_missing = np.full(n, len(missing_at), dtype=np.intp)
    if missing_at:
        units = np.concatenate([units for _, _, _, units in missing_at])
        index = np.repeat(np.arange(len(missing_at)), [u.size for _, _, _, u in missing_at])
        np.minimum.at(first_missing, units, index)
    first_missing[first_missing == len(missing_at)] = -1
    return fraction, traces, first_missing, [text for _, _, text, _ in missing_at]


def _post_order(node: Node) -> Iterator[Node]:
    for child in node.children:
        yield from _post_order(child)
    yield node


@dataclass(frozen=True, eq=False)
class _Plan:
    """What `_score_tree` derives from the scheme alone, made once per scheme (a scheme is
    immutable) rather than on every evaluation: a millisecond or two at province scale."""

    keys: tuple[Hashable | None, ...]  # per leaf, in scheme order: `batch.method_batch_key`
    weights: Mapping[str, tuple[FloatArray, FloatArray]]  # per group: its children's weights
    # and shares (`aggregate.shares_of`)
    post_order: tuple[str, ...]  # every node id, children before their parent

    @classmethod
    def of(cls, scheme: Scheme) -> _Plan:
        weights = {}
        for node in scheme.nodes:
            if not node.is_leaf:
                w = frozen(np.array(_child_weights(node)), copy=False)
                weights[node.id] = (w, frozen(shares_of(w), copy=False))
        return cls(
            tuple(method_batch_key(leaf) for leaf in scheme.leaves),
            weights,
            tuple(node.id for node in _post_order(scheme.root)),
        )


# the plans of the schemes evaluated so far, by id(scheme) (a scheme compares by value, which
# is dearer than making its plan); an entry goes with its scheme
_PLANS: dict[int, tuple[weakref.ref[Scheme], _Plan]] = {}


def _plan(scheme: Scheme) -> _Plan:
    """The `_Plan` of `scheme`, made on its first evaluation."""
    key = id(scheme)
    entry = _PLANS.get(key)
    if entry is not None and entry[0]() is scheme:
        return entry[1]
    plan = _Plan.of(scheme)
    # the callback runs as the scheme goes, before another object can take its id
    _PLANS[key] = (weakref.ref(scheme, lambda _: _PLANS.pop(key, None)), plan)
    return plan


class _LeafTraces(Mapping[str, LeafTrace]):
    """The leaves' traces by leaf id, in scheme order; a batched leaf's is made when first read:
    the trace `score_leaf` gives it (one input, one period, nothing imputed)."""

    def __init__(
        self,
        leaves: Sequence[Node],
        scored: Mapping[str, LeafTrace],
        columns: Mapping[str, npt.NDArray[Any]],
        fraction: Mapping[str, FloatArray],
    ) -> None:
        self._leaves = {leaf.id: leaf for leaf in leaves}
        self._traces = dict(scored)
        self._columns = columns
        self._fraction = fraction
        self._unimputed: BoolArray | None = None

    def __getitem__(self, key: str) -> LeafTrace:
        trace = self._traces.get(key)
        if trace is None:
            leaf = self._leaves[key]  # KeyError for an unknown id
            column = self._columns[leaf.input or ""]
            if self._unimputed is None:
                self._unimputed = frozen(np.zeros(column.shape, dtype=bool), copy=False)
            trace = self._traces[key] = LeafTrace(
                (leaf.input or "",), (column,), (column,), (self._unimputed,),
                (self._fraction[key],), ({},), ({},),
            )  # fmt: skip
        return trace

    def __iter__(self) -> Iterator[str]:
        return iter(self._leaves)

    def __len__(self) -> int:
        return len(self._leaves)


def _missing_reasons(
    leaf: Node, trace: LeafTrace, table: InputTable
) -> list[tuple[str, BoolArray]]:
    """Why a leaf scored by `score_leaf` may lack a value, in order: its missing inputs (the
    raw inputs of an expression), then its missing per-unit parameters; for a milestones leaf
    a missing record, then a record none of whose milestones is due yet."""
    reasons: list[tuple[str, BoolArray]] = []
    if leaf.method is not None and leaf.method.type == "milestones":
        # no record (an uninvolved unit, not imputed), then a record with nothing due yet
        for code, raw, used, imputed in zip(
            trace.codes, trace.raw, trace.used, trace.imputed, strict=True
        ):
            absent = np.fromiter((c is None for c in raw.tolist()), bool, raw.size) & ~imputed
            reasons.append((f"missing input {code} ({leaf.id})", absent))
            early = np.isnan(used) & ~absent
            reasons.append((f"no milestone of {code} is due yet ({leaf.id})", early))
        return reasons
    if leaf.input_expr is not None and leaf.impute is None:
        # name the raw input that is missing, not just the derived value
        for period, _ in leaf.periods or ((None, 1.0),):
            for name in sorted(leaf.input_expr.names):
                code = name if period is None or "@" in name else f"{name}@{period}"
                reasons.append((f"missing input {code} ({leaf.id})", np.isnan(table.columns[code])))
        for code, used in zip(trace.codes, trace.used, strict=True):
            reasons.append((f"no value for {code} ({leaf.id})", np.isnan(used)))
    else:
        for code, used in zip(trace.codes, trace.used, strict=True):
            reasons.append((f"missing input {code} ({leaf.id})", np.isnan(used)))
    for code, params in zip(trace.codes, trace.params, strict=True):
        for pname, arr in params.items():
            reasons.append((f"missing {pname} for {code} ({leaf.id})", np.isnan(arr)))
    return reasons


def _name_the_rest(
    scheme: Scheme,
    fraction: Mapping[str, FloatArray],
    unscored: BoolArray,
    first_missing: npt.NDArray[np.intp],
    missing_codes: list[str],
) -> npt.NDArray[np.intp]:
    """A reason for every unscored unit that no missing input explains: the first leaf (in
    scheme order) whose method gave it no finite share, else the total itself. Runs over the
    unscored units only."""
    rest = np.flatnonzero(unscored & (first_missing < 0))
    if rest.size == 0:
        return first_missing
    first_missing = first_missing.copy()
    for node in scheme.root.walk():
        if not node.is_leaf or rest.size == 0:
            continue
        assert node.method is not None
        bad = ~np.isfinite(fraction[node.id][rest])
        if bad.any():
            code = node.input_expr.source if node.input_expr is not None else node.input
            missing_codes.append(
                f"the value of {code} has no score under {node.method.type} ({node.id})"
            )
            first_missing[rest[bad]] = len(missing_codes) - 1
            rest = rest[~bad]
    if rest.size:
        missing_codes.append("the total is not a finite number")
        first_missing[rest] = len(missing_codes) - 1
    return first_missing


def _child_weights(node: Node) -> list[float]:
    if node.aggregate == "sum":
        return [c.points or 0.0 for c in node.children]
    return [c.weight for c in node.children]


def _adjustments(
    scheme: Scheme, ctx: Context
) -> tuple[dict[str, FloatArray], dict[str, BoolArray], FloatArray]:
    """Bonus and deduction points per item, veto masks, and the net adjustment per unit.

    A missing adjustment input counts as no event (0 points); a false or undecidable
    condition gives 0 points.
    """
    n = ctx.n
    points: dict[str, FloatArray] = {}
    vetoes: dict[str, BoolArray] = {}
    net = np.zeros(n)
    for adj in scheme.adjustments:
        where = f"adjustment {adj.id!r}"
        if adj.kind == "veto":
            assert adj.when is not None
            for name in adj.when.names:
                ctx.column(name, where)
            vetoes[adj.id] = frozen(
                np.broadcast_to(np.asarray(adj.when.evaluate(ctx.numeric), dtype=bool), (n,))
            )
            continue
        assert adj.method is not None and adj.input is not None
        mtype = adj.method.type
        if mtype == "graded_points":
            raw = ctx.column(adj.input, where, labels=True)
            mapping = dict(adj.method.get("map"))
            value, unknown = m.lookup_labels(raw, mapping, highest_of_list=True)
            if unknown:
                hit = [i for i, cell in enumerate(raw.tolist()) if unknown[0] in str(cell)]
                row = hit[0] if hit else 0
                raise DataError(
                    f"unit {ctx.table.units[row]!r}: label {unknown[0]!r} is not one of "
                    f"{', '.join(mapping)}",
                    line=row + 1,
                    column=adj.input,
                )
        else:
            x = ctx.column(adj.input, where)
            if mtype == "rank_points":
                value = m.rank_points(x, adj.method.get("points"))
            elif mtype == "events":
                cap = adj.method.get("cap")
                value = m.events_deduction(
                    x, per_event=adj.method.get("per_event"), cap=np.inf if cap is None else cap
                )
            else:  # value: the input already is the points, a non-negative number
                negative = np.flatnonzero(x < 0)
                if negative.size:
                    row = int(negative[0])
                    raise DataError(
                        f"unit {ctx.table.units[row]!r}: {adj.input} = {x[row]:g} is negative; "
                        f"a {adj.kind} of kind value takes points ≥ 0 (the kind gives the sign)",
                        line=row + 1,
                        column=adj.input,
                    )
                value = x
        value = np.where(np.isnan(value), 0.0, value)
        if adj.cap is not None:
            value = np.minimum(value, adj.cap)
        if adj.condition is not None:
            for name in adj.condition.names:
                ctx.column(name, where)
            ok = np.broadcast_to(np.asarray(adj.condition.evaluate(ctx.numeric), dtype=bool), (n,))
            value = np.where(ok, value, 0.0)
        signed = value if adj.kind == "bonus" else -value
        points[adj.id] = frozen(signed + 0.0)
        net = net + signed
    return points, vetoes, net
