"""The evaluation context shared by evaluate, explain and robustness: one scheme on one table,
and the scoring of one leaf (`score_leaf`) with the trace of what it computed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from . import methods as m
from .batch import GroupLayout
from .errors import DataError, ExprError
from .milestones import score_involvements
from .scheme import InputRef, Method, Node, Scheme
from .table import InputTable

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


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


class Context:
    """Shared state of one evaluation: the table, its numeric columns and category codes."""

    def __init__(self, scheme: Scheme, table: InputTable) -> None:
        self.scheme = scheme
        self.table = table
        self.groups = table.category_codes
        self.n = len(table)
        self.numeric = {k: v for k, v in table.columns.items() if v.dtype.kind == "f"}
        self._layout: GroupLayout | None = None

    @property
    def layout(self) -> GroupLayout:
        """The units ordered by category, for batched statistics within the category."""
        if self._layout is None:
            self._layout = GroupLayout.of(self.groups)
        return self._layout

    def column(
        self, code: str, node: str, *, labels: bool = False, records: bool = False
    ) -> npt.NDArray[Any]:
        """The column `code` as `node` reads it: numbers, labels or (`records`) milestone
        records; a DataError if it is absent or holds another kind."""
        try:
            arr = self.table.columns[code]
        except KeyError:
            raise DataError(
                f"input column {code!r} is missing (read by {node})", column=code
            ) from None
        if code in self.table.records:
            if not records:
                want = "labels" if labels else "numbers"
                raise DataError(
                    f"column {code!r} holds milestone records; {node} reads {want}", column=code
                )
            return arr
        if records:
            if arr.dtype.kind == "f" and np.isnan(arr).all():
                return np.full(arr.shape, None, dtype=object)  # nobody involved: all missing
            raise DataError(
                f"column {code!r} must hold milestone records (Involvement) (read by {node})",
                column=code,
            )
        if labels and arr.dtype.kind != "O":
            raise DataError(f"column {code!r} must hold labels (read by {node})", column=code)
        if not labels and arr.dtype.kind != "f":
            raise DataError(f"column {code!r} must hold numbers (read by {node})", column=code)
        return arr


def _param_value(
    value: Any, ctx: Context, period: str | None, node: str
) -> tuple[Any, FloatArray | None]:
    if not isinstance(value, InputRef):
        return value, None
    code = value.code
    if period is not None and "@" not in code:
        suffixed = f"{code}@{period}"
        code = suffixed if suffixed in ctx.table.columns else code
    arr = ctx.column(code, node)
    return arr, arr


def _impute(x: FloatArray, leaf: Node, ctx: Context) -> tuple[FloatArray, BoolArray]:
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
    leaf: Node, method: Method, ctx: Context, *, keep_details: bool = True
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
            raw = ctx.column(
                code,
                path,
                labels=method.type == "graded",
                records=method.type == "milestones",
            )
        params: dict[str, FloatArray] = {}
        details: m.Details
        if method.type == "milestones":
            frac, details = score_involvements(
                raw, units=ctx.table.units, column=code, **milestone_params(method)
            )[:2]
            imputed = np.zeros(ctx.n, dtype=bool)
            if leaf.impute is not None:
                # only an uninvolved unit (no record) is imputed; one whose milestones are all
                # pending stays unscored, with its own reason
                imputed = np.array([cell is None for cell in raw.tolist()], dtype=bool)
                fill = 0.0 if leaf.impute.mode == "zero" else float(leaf.impute.value or 0.0)
                frac = np.where(imputed, fill, frac)
            used = frac
        elif method.type == "graded":
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
            # a unit whose own parameter (its target, baseline, ...) is missing is not scored
            # by any method, not scored against NaN (which an all-or-nothing target reads as 0)
            for arr in params.values():
                lacking = np.isnan(arr)
                if lacking.any():
                    frac = np.where(lacking, np.nan, frac)
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
        # Σ (w_p / Σw) f_p accumulated period by period: each unit's sum is formed in the same
        # order whatever the row order (a BLAS dot product may block the rows differently)
        total_w = float(sum(pw for _, pw in periods))
        fraction = fracs[0] * (periods[0][1] / total_w)
        for (_, pw), frac in zip(periods[1:], fracs[1:], strict=True):
            fraction += frac * (pw / total_w)
    trace = LeafTrace(
        tuple(codes), tuple(raws), tuple(useds), tuple(imputeds), tuple(fracs),
        tuple(detail_list), tuple(param_list),
    )  # fmt: skip
    return fraction, trace


def milestone_params(method: Method) -> dict[str, Any]:
    """The keyword arguments of `milestones.score_involvements` from a milestones method."""
    return {
        "roles": dict(method.get("roles")),
        "late": method.get("late"),
        "per_day": method.get("per_day"),
        "floor": method.get("floor"),
        "grace_days": method.get("grace_days"),
        "missed": method.get("missed"),
        "none_due": method.get("none_due"),
    }


def _run_method(
    mtype: str, x: FloatArray, kw: dict[str, Any], leaf: Node, ctx: Context, higher: bool
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
