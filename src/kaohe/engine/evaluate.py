"""Evaluate a scheme on an input table: every node's fraction and points for all units at once,
then adjustments, ranks, grades and the use of results.

Loops run over scheme nodes, periods, grades and distinct labels — never over units.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from . import methods as m
from .aggregate import aggregate
from .errors import DataError, ExprError
from .ranking import assign_grades, rank_totals, result_flags, round_half_up, section_stars
from .scheme import InputRef, Method, Node, Scheme

if TYPE_CHECKING:
    from .robustness import RobustnessResult

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.intp]
ObjArray = npt.NDArray[np.object_]


def _frozen(a: npt.NDArray[Any], *, copy: bool = True) -> npt.NDArray[Any]:
    """A read-only array; `copy=False` for arrays the engine has just created itself."""
    a = np.array(a, copy=True) if copy or not a.flags.owndata else a
    a.flags.writeable = False
    return a


# --- the input table -------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class InputTable:
    """Immutable, validated input: unit ids, categories and one array per input code.

    Numeric columns are float64 with NaN for a missing value; label columns (graded ratings)
    are object arrays of str, '' for missing. Build it with `InputTable.build`.
    """

    units: tuple[str, ...]
    categories: tuple[str, ...]
    columns: Mapping[str, npt.NDArray[Any]]
    names: tuple[str, ...] | None = None
    category_codes: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.intp))
    category_labels: tuple[str, ...] = ()

    @classmethod
    def build(
        cls,
        units: Sequence[str],
        columns: Mapping[str, Sequence[Any] | npt.NDArray[Any]],
        *,
        categories: Sequence[str] | None = None,
        names: Sequence[str] | None = None,
        label_codes: frozenset[str] | set[str] = frozenset(),
    ) -> InputTable:
        """Validate and freeze. Columns in `label_codes` (or of str dtype) are kept as labels."""
        unit_ids = tuple(str(u) for u in units)
        n = len(unit_ids)
        seen: dict[str, int] = {}
        for i, u in enumerate(unit_ids):
            if not u.strip():
                raise DataError("a unit id is empty", line=i + 1, column="unit")
            if u in seen:
                raise DataError(
                    f"unit {u!r} appears twice (rows {seen[u] + 1} and {i + 1})",
                    line=i + 1,
                    column="unit",
                )
            seen[u] = i
        cats = tuple("" if c is None else str(c) for c in categories) if categories else ("",) * n
        if len(cats) != n:
            raise DataError(f"{len(cats)} categories for {n} units", column="category")
        labels, codes = np.unique(np.array(cats, dtype=str), return_inverse=True)
        cols: dict[str, npt.NDArray[Any]] = {}
        for code, values in columns.items():
            arr = np.asarray(values)
            if arr.shape != (n,):
                raise DataError(f"column has {arr.shape} values for {n} units", column=code)
            if code in label_codes or arr.dtype.kind in "US":
                cols[code] = _frozen(_labels(arr))
            elif arr.dtype.kind == "O":
                cols[code] = _frozen(_numeric_objects(arr, code))
            elif arr.dtype.kind in "biuf":
                cols[code] = _frozen(arr.astype(np.float64))
            else:
                raise DataError(f"unsupported column type {arr.dtype}", column=code)
        return cls(
            units=unit_ids,
            categories=cats,
            columns=MappingProxyType(cols),
            names=tuple(names) if names is not None else None,
            category_codes=_frozen(codes.reshape(-1).astype(np.intp)),
            category_labels=tuple(str(x) for x in labels),
        )

    def __len__(self) -> int:
        return len(self.units)

    def index(self, unit_id: str) -> int:
        """Row of a unit (KeyError if absent)."""
        try:
            return self.units.index(unit_id)
        except ValueError:
            raise KeyError(unit_id) from None


def _labels(arr: npt.NDArray[Any]) -> ObjArray:
    out = np.empty(arr.shape, dtype=object)
    out[:] = [(m.blank(v) and "") or str(v).strip() for v in arr.tolist()]
    return out


def _numeric_objects(arr: npt.NDArray[Any], code: str) -> FloatArray:
    out = np.empty(arr.shape, dtype=np.float64)
    for i, v in enumerate(arr.tolist()):
        if m.blank(v):
            out[i] = np.nan
            continue
        try:
            out[i] = float(v)
        except (TypeError, ValueError):
            raise DataError(f"{v!r} is not a number", line=i + 1, column=code) from None
    return out


# --- per-leaf scoring ------------------------------------------------------------------------


@dataclass(frozen=True)
class LeafTrace:
    """What a leaf computed, for the explanation tree: per period the input codes, raw and
    used values, imputation masks, fractions and the method's intermediate arrays."""

    codes: tuple[str, ...]
    raw: tuple[npt.NDArray[Any], ...]
    used: tuple[npt.NDArray[Any], ...]
    imputed: tuple[BoolArray, ...]
    fractions: tuple[FloatArray, ...]
    details: tuple[Mapping[str, npt.NDArray[Any]], ...]
    params: tuple[Mapping[str, FloatArray], ...]


class _Context:
    """Shared state of one evaluation: the table, its numeric columns and category codes."""

    def __init__(self, scheme: Scheme, table: InputTable) -> None:
        self.scheme = scheme
        self.table = table
        self.groups = table.category_codes
        self.n = len(table)
        self.numeric = {k: v for k, v in table.columns.items() if v.dtype.kind == "f"}

    def column(self, code: str, node: str, *, labels: bool = False) -> npt.NDArray[Any]:
        try:
            arr = self.table.columns[code]
        except KeyError:
            raise DataError(
                f"input column {code!r} is missing (read by {node})", column=code
            ) from None
        if labels and arr.dtype.kind != "O":
            raise DataError(f"column {code!r} must hold labels (read by {node})", column=code)
        if not labels and arr.dtype.kind != "f":
            raise DataError(f"column {code!r} must hold numbers (read by {node})", column=code)
        return arr


def _param_value(
    value: Any, ctx: _Context, period: str | None, node: str
) -> tuple[Any, FloatArray | None]:
    if not isinstance(value, InputRef):
        return value, None
    code = value.code
    if period is not None and "@" not in code:
        suffixed = f"{code}@{period}"
        code = suffixed if suffixed in ctx.table.columns else code
    arr = ctx.column(code, node)
    return arr, arr


def _impute(x: FloatArray, leaf: Node, ctx: _Context) -> tuple[FloatArray, BoolArray]:
    missing = np.isnan(x)
    if leaf.impute is None or not missing.any():
        return x, np.zeros(x.shape, dtype=bool)
    mode = leaf.impute.mode
    if mode == "zero":
        fill: FloatArray | float = 0.0
    elif mode == "value":
        fill = float(leaf.impute.value or 0.0)
    elif mode == "category_mean":
        fill = m.group_mean_std(x, ctx.groups)[0]
    else:
        fill = m.group_extreme(x, ctx.groups, largest=False)
    out = np.where(missing, fill, x)
    return out, missing & ~np.isnan(out)


def score_leaf(
    leaf: Node, method: Method, ctx: _Context, *, keep_details: bool = True
) -> tuple[FloatArray, LeafTrace]:
    """Apply `method` to the leaf's input in every period and combine with the period weights."""
    periods: list[tuple[str | None, float]] = list(leaf.periods) or [(None, 1.0)]
    path = f"node {leaf.id!r}"
    higher = leaf.direction == "higher"
    codes, raws, useds, imputeds, fracs, detail_list, param_list = [], [], [], [], [], [], []
    for period, _ in periods:
        raw: npt.NDArray[Any]
        if leaf.input_expr is not None:
            rename = None if period is None else (lambda c, p=period: c if "@" in c else f"{c}@{p}")
            for name in leaf.input_expr.names:
                ctx.column(rename(name) if rename else name, path)
            try:
                raw = np.asarray(
                    leaf.input_expr.evaluate(ctx.numeric, rename=rename), dtype=np.float64
                )
            except ExprError as exc:
                raise DataError(f"{path}: {exc}") from None
            raw = np.broadcast_to(raw, (ctx.n,)).copy()
            raw[~np.isfinite(raw)] = np.nan  # a division by zero is a missing value
            code = (
                leaf.input_expr.source if period is None else f"{leaf.input_expr.source}@{period}"
            )
        else:
            assert leaf.input is not None
            code = leaf.input if period is None else f"{leaf.input}@{period}"
            raw = ctx.column(code, path, labels=method.type == "graded")
        params: dict[str, FloatArray] = {}
        if method.type == "graded":
            shares, unknown = m.lookup_labels(raw, dict(method.get("map")), highest_of_list=False)
            if unknown:
                row = int(np.flatnonzero(raw == unknown[0])[0])
                allowed = ", ".join(k for k, _ in method.get("map"))
                raise DataError(
                    f"unit {ctx.table.units[row]!r}: label {unknown[0]!r} is not one of {allowed}",
                    line=row + 1,
                    column=code,
                )
            used, imputed = shares, np.zeros(ctx.n, dtype=bool)
            if leaf.impute is not None and leaf.impute.value is not None:
                imputed = np.isnan(shares)
                used = np.where(imputed, leaf.impute.value, shares)
            frac, details = m.graded(used)
        else:
            used, imputed = _impute(raw, leaf, ctx)
            kw: dict[str, Any] = {}
            for pname, pvalue in method.params:
                value, arr = _param_value(pvalue, ctx, period, path)
                kw[pname] = value
                if arr is not None:
                    params[pname] = arr
            frac, details = _run_method(method.type, used, kw, leaf, ctx, higher)
        codes.append(code)
        raws.append(raw)
        useds.append(used)
        imputeds.append(imputed)
        fracs.append(frac)
        # intermediates are large; evaluate() drops them and explain() recomputes one leaf
        detail_list.append(details if keep_details else {})
        param_list.append(params)
    if len(fracs) == 1:
        fraction = fracs[0]
    else:
        w = np.array([pw for _, pw in periods])
        fraction = np.tensordot(w / w.sum(), np.stack(fracs), axes=1)
    trace = LeafTrace(
        tuple(codes), tuple(raws), tuple(useds), tuple(imputeds), tuple(fracs),
        tuple(detail_list), tuple(param_list),
    )  # fmt: skip
    return fraction, trace


def _run_method(
    mtype: str, x: FloatArray, kw: dict[str, Any], leaf: Node, ctx: _Context, higher: bool
) -> m.Output:
    g = ctx.groups
    if mtype == "target":
        return m.target(x, target=kw["target"], mode=kw["mode"], cap=kw["cap"], higher=higher)
    if mtype == "rank":
        return m.rank(x, g, step=kw["step"], floor=kw["floor"], higher=higher)
    if mtype == "target_rank":
        return m.target_rank(
            x, g, target=kw["target"], base=kw["base"], step=kw["step"], higher=higher
        )
    if mtype == "band":
        base = kw.get("base")
        return m.band(
            x,
            target=kw["target"],
            base_points=leaf.full_points if base is None else base,
            full_points=leaf.full_points,
            step=kw["step"],
            relative=kw["relative"],
            bonus_per_step=kw["bonus_per_step"],
            bonus_cap=kw["bonus_cap"],
            penalty_per_step=kw.get("penalty_per_step"),
            floor=kw["floor"],
            whole_steps=kw["whole_steps"],
            higher=higher,
        )
    if mtype == "efficacy":
        return m.efficacy(x, low=kw["low"], satisfactory=kw["satisfactory"], clip=kw["clip"])
    if mtype == "interpolate":
        return m.interpolate(
            x,
            baseline=kw["baseline"],
            benchmark=kw["benchmark"],
            floor=kw["floor"],
            below=kw["below"],
            higher=higher,
        )
    if mtype == "goalpost":
        return m.goalpost(
            x, low=kw["min"], high=kw["max"], log=kw["log"], cap=kw["cap"], higher=higher
        )
    if mtype == "zscore":
        return m.zscore(x, g, clip_z=kw["clip_z"], higher=higher)
    if mtype == "frontier":
        return m.frontier(x, g, mode=kw["mode"], higher=higher)
    if mtype == "events":
        cap = kw.get("cap")
        return m.events(
            x,
            per_event=kw["per_event"],
            cap=leaf.full_points if cap is None else cap,
            full_points=leaf.full_points,
        )
    if mtype == "ratio":
        return m.ratio(x, full=kw["full"], cap=kw["cap"], higher=higher)
    if mtype == "identity":
        return m.identity(x)
    raise AssertionError(f"unhandled method {mtype}")  # the scheme loader rejects unknown types


class _NodePoints(Mapping[str, FloatArray]):
    """Points per node (fraction × full points), computed when first read: at province scale
    storing them all would double the memory a result holds."""

    def __init__(self, fraction: Mapping[str, FloatArray], full: Mapping[str, float]) -> None:
        self._fraction = fraction
        self._full = full
        self._cache: dict[str, FloatArray] = {}

    def __getitem__(self, key: str) -> FloatArray:
        if key not in self._cache:
            self._cache[key] = _frozen(self._fraction[key] * self._full[key], copy=False)
        return self._cache[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._fraction)

    def __len__(self) -> int:
        return len(self._fraction)


# --- the result ------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class EvaluationResult:
    """The immutable outcome of `evaluate`: per-node arrays and per-unit results.

    Arrays are indexed like `units`; NaN marks a unit that was not scored (see `status`).
    """

    scheme: Scheme
    table: InputTable
    fraction: Mapping[str, FloatArray]
    points: Mapping[str, FloatArray]
    adjustment_points: Mapping[str, FloatArray]
    vetoes: Mapping[str, BoolArray]
    total: FloatArray
    total_rounded: FloatArray
    rank: FloatArray
    grade_index: IntArray
    status: ObjArray
    reason: ObjArray
    previous_rank: FloatArray
    rank_change: FloatArray
    flag_masks: Mapping[str, BoolArray]
    traces: Mapping[str, LeafTrace]
    stars: Mapping[str, FloatArray] = field(default_factory=dict)
    robustness: RobustnessResult | None = None

    @property
    def units(self) -> tuple[str, ...]:
        """Unit ids in input order."""
        return self.table.units

    @property
    def categories(self) -> tuple[str, ...]:
        """Each unit's category."""
        return self.table.categories

    @property
    def vetoed(self) -> BoolArray:
        """True where any veto item applies."""
        out = np.zeros(len(self.table), dtype=bool)
        for mask in self.vetoes.values():
            out |= mask
        return out

    @property
    def grade(self) -> ObjArray:
        """Grade code per unit ('' = none)."""
        codes = np.array([g.code for g in self.scheme.grades] + [""], dtype=object)
        return codes[self.grade_index]

    @property
    def staff_excellent_share(self) -> FloatArray:
        """Per unit, the share of its civil servants who may be rated excellent (from its
        grade's `staff_excellent_share`; NaN where the grade sets none)."""
        shares = [
            np.nan if g.staff_excellent_share is None else g.staff_excellent_share
            for g in self.scheme.grades
        ]
        return np.array([*shares, np.nan], dtype=np.float64)[self.grade_index]

    @property
    def flags(self) -> tuple[tuple[str, ...], ...]:
        """Per unit, the names of its flags in a fixed order."""
        names = list(self.flag_masks)
        stacked = np.stack([self.flag_masks[k] for k in names]) if names else None
        out = []
        for i in range(len(self.table)):
            out.append(
                tuple(k for j, k in enumerate(names) if stacked is not None and stacked[j, i])
            )
        return tuple(out)

    def node_value(self, node: Node) -> FloatArray:
        """A node's exported value: points under a `sum` parent (and the root), else fraction."""
        if node.id in _sum_children(self.scheme):
            return self.points[node.id]
        return self.fraction[node.id]

    def to_rows(self) -> list[dict[str, Any]]:
        """One dict per unit for export: unit, category, node values, adjustments, total,
        rank, grade, flags, status, reason, rank_change (None where not applicable)."""
        scheme = self.scheme
        decimals = scheme.ranking.round
        node_dec = max(decimals + 2, 4)
        # built column by column (vectorised rounding), zipped into rows at the end
        cols: list[tuple[str, list[Any]]] = [("unit", list(self.table.units))]
        if self.table.names is not None:
            cols.append(("name", list(self.table.names)))
        cols.append(("category", list(self.table.categories)))
        sums = _sum_children(scheme)
        for node in scheme.nodes:
            if node is not scheme.root:
                value = self.points[node.id] if node.id in sums else self.fraction[node.id]
                cols.append((node.id, _num_column(value, node_dec)))
        for adj in scheme.adjustments:
            if adj.kind != "veto":
                cols.append((adj.id, _num_column(self.adjustment_points[adj.id], node_dec)))
        cols.append(("total", _num_column(self.total_rounded, decimals)))
        cols.append(("rank", _int_column(self.rank)))
        cols.append(("grade", [g or None for g in self.grade.tolist()]))
        cols.append(("flags", [";".join(f) for f in self.flags]))
        cols.append(("status", self.status.tolist()))
        cols.append(("reason", [r or None for r in self.reason.tolist()]))
        cols.append(("rank_change", _int_column(self.rank_change)))
        for section, stars in self.stars.items():
            cols.append((f"{section}_stars", _int_column(stars)))
        if self.robustness is not None:
            rob = self.robustness
            cols.append(("rank_p5", _int_column(rob.rank_p5)))
            cols.append(("rank_p95", _int_column(rob.rank_p95)))
            cols.append(("grade_probability", _num_column(rob.grade_probability, 4)))
        names = [name for name, _ in cols]
        columns = [c for _, c in cols]
        return [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]

    def explain(
        self, unit_id: str, provenance: Mapping[tuple[str, str], Any] | None = None
    ) -> dict[str, Any]:
        """The explanation tree of one unit: total → sections → indicators → raw inputs."""
        from .explain import explain_unit

        return explain_unit(self, unit_id, provenance or {})


def _num_column(values: FloatArray, decimals: int) -> list[float | None]:
    rounded = round_half_up(values, decimals) + 0.0  # +0.0 turns -0.0 into 0.0
    out: list[float | None] = rounded.tolist()
    if np.isnan(rounded).any():
        out = [None if v != v else v for v in out]  # NaN is the only value unequal to itself
    return out


def _int_column(values: FloatArray) -> list[int | None]:
    return [None if v != v else int(v) for v in values.tolist()]


def _sum_children(scheme: Scheme) -> set[str]:
    """Ids of nodes whose value is exported as points: the root's and every sum's children."""
    out = {scheme.root.id}
    for node in scheme.root.walk():
        if node.aggregate == "sum":
            out.update(c.id for c in node.children)
    return out


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
    ctx = _Context(scheme, table)
    n = ctx.n
    fraction: dict[str, FloatArray] = {}
    traces: dict[str, LeafTrace] = {}
    # index into `missing_codes` of the first missing input per unit (-1: none); strings are
    # built only for the units that end up unscored
    first_missing = np.full(n, -1, dtype=np.intp)
    missing_codes: list[str] = []

    def visit(node: Node) -> FloatArray:
        nonlocal first_missing
        if node.is_leaf:
            assert node.method is not None
            f, trace = score_leaf(node, node.method, ctx, keep_details=False)
            traces[node.id] = trace
            reasons: list[tuple[str, BoolArray]] = []
            if node.input_expr is not None and node.impute is None:
                # name the raw input that is missing, not just the derived value
                for period, _ in node.periods or ((None, 1.0),):
                    for name in sorted(node.input_expr.names):
                        code = name if period is None or "@" in name else f"{name}@{period}"
                        reasons.append(
                            (f"missing input {code} ({node.id})", np.isnan(table.columns[code]))
                        )
                for code, used in zip(trace.codes, trace.used, strict=True):
                    reasons.append((f"no value for {code} ({node.id})", np.isnan(used)))
            else:
                for code, used in zip(trace.codes, trace.used, strict=True):
                    reasons.append((f"missing input {code} ({node.id})", np.isnan(used)))
            for text, missing in reasons:
                if missing.any():
                    missing_codes.append(text)
                    first_missing = np.where(
                        (first_missing < 0) & missing, len(missing_codes) - 1, first_missing
                    )
        else:
            kids = [visit(c) for c in node.children]
            f = aggregate(node.aggregate or "sum", kids, np.array(_child_weights(node)))
        fraction[node.id] = _frozen(f, copy=False)
        return f

    root_f = visit(scheme.root)
    points = _NodePoints(fraction, {node.id: node.full_points for node in scheme.root.walk()})
    adjustment_points, vetoes, adj_total = _adjustments(scheme, ctx)
    total = root_f * scheme.points + adj_total
    scored = ~np.isnan(total)
    reason = np.array([*missing_codes, ""], dtype=object)[np.where(scored, -1, first_missing)]
    status = np.where(scored, "scored", "not_scored").astype(object)
    rounded = round_half_up(total, scheme.ranking.round)
    groups = ctx.groups
    rank = rank_totals(rounded, groups)
    vetoed = np.zeros(n, dtype=bool)
    for mask in vetoes.values():
        vetoed |= mask
    grade_index = assign_grades(rounded, groups, vetoed, scheme.grades, scheme.veto_grade)
    previous = np.array(
        [np.nan if previous_ranks is None else previous_ranks.get(u, np.nan) for u in table.units],
        dtype=np.float64,
    ).reshape(n)
    rank_change = previous - rank
    flag_masks = result_flags(rank, rank_change, groups, vetoed, scheme.results)
    for adj_id, mask in vetoes.items():
        flag_masks[f"veto:{adj_id}"] = mask
    for leaf_id, trace in traces.items():
        imputed = np.zeros(n, dtype=bool)
        for mask in trace.imputed:
            imputed |= mask
        if imputed.any():
            flag_masks[f"imputed:{leaf_id}"] = imputed
    stars: dict[str, FloatArray] = {}
    if scheme.results.stars is not None:
        for section in scheme.root.children:
            stars[section.id] = _frozen(
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
        total=_frozen(total),
        total_rounded=_frozen(rounded),
        rank=_frozen(rank),
        grade_index=_frozen(grade_index),
        status=_frozen(status),
        reason=_frozen(reason),
        previous_rank=_frozen(previous),
        rank_change=_frozen(rank_change),
        flag_masks=MappingProxyType({k: _frozen(v) for k, v in flag_masks.items()}),
        traces=MappingProxyType(traces),
        stars=MappingProxyType(stars),
    )
    if robustness:
        from .robustness import assess_robustness

        rob = assess_robustness(result)
        masks = dict(result.flag_masks)
        masks["borderline"] = rob.borderline
        result = replace(result, robustness=rob, flag_masks=MappingProxyType(masks))
    return result


def _child_weights(node: Node) -> list[float]:
    if node.aggregate == "sum":
        return [c.points or 0.0 for c in node.children]
    return [c.weight for c in node.children]


def _adjustments(
    scheme: Scheme, ctx: _Context
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
            vetoes[adj.id] = _frozen(
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
            else:  # value: the input already is the points
                value = np.abs(x)
        value = np.where(np.isnan(value), 0.0, value)
        if adj.cap is not None:
            value = np.minimum(value, adj.cap)
        if adj.condition is not None:
            for name in adj.condition.names:
                ctx.column(name, where)
            ok = np.broadcast_to(np.asarray(adj.condition.evaluate(ctx.numeric), dtype=bool), (n,))
            value = np.where(ok, value, 0.0)
        signed = value if adj.kind == "bonus" else -value
        points[adj.id] = _frozen(signed + 0.0)
        net = net + signed
    return points, vetoes, net
