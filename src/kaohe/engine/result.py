"""`EvaluationResult`: the immutable outcome of `evaluate`, its export rows and explanation."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from .context import LeafTrace
from .explain import explain_unit
from .ranking import round_half_up
from .robustness import RobustnessResult
from .scheme import Node, Scheme
from .table import InputTable, frozen

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.intp]
ObjArray = npt.NDArray[np.object_]


class NodePoints(Mapping[str, FloatArray]):
    """Points per node (fraction × full points), computed when first read: at province scale
    storing them all would double the memory a result holds."""

    def __init__(self, fraction: Mapping[str, FloatArray], full: Mapping[str, float]) -> None:
        self._fraction = fraction
        self._full = full
        self._cache: dict[str, FloatArray] = {}

    def __getitem__(self, key: str) -> FloatArray:
        if key not in self._cache:
            self._cache[key] = frozen(self._fraction[key] * self._full[key], copy=False)
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
