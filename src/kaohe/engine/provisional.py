"""Provisional standings during the year: the scheme re-aggregated over what is known so far.

Mid-year most of a scheme cannot be scored (year-end growth, surveys, ratings are missing), so
`evaluate` leaves every unit unscored. The provisional standing scores the part of the tree
that has data: within each category a leaf counts when at least `min_share` of the category's
units have a value for it; a unit without a value on a counted leaf scores zero there (late
data does not help a unit) and the leaf is listed as missing for it. Groups re-normalise their
weights over the counted children with the same aggregate (sum, weighted mean, geometric,
harmonic), so the provisional score is on the scheme's own scale. `coverage` says which share
of the scheme's full points the counted leaves carry. Bonus, deduction and veto items are left
out: they are settled at year end.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .aggregate import aggregate
from .methods import group_count
from .ranking import rank_totals, round_half_up
from .result import EvaluationResult
from .scheme import Node

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class ProvisionalResult:
    """Per unit (arrays indexed like `units`): provisional score on the scheme's scale (rounded
    as the scheme ranks), rank in category, coverage (0–1). Per leaf: `counted[leaf_id]` marks
    the units for which the leaf counts, `missing[leaf_id]` those counted without a value."""

    units: tuple[str, ...]
    categories: tuple[str, ...]
    score: FloatArray
    rank: FloatArray
    coverage: FloatArray
    counted: dict[str, BoolArray]
    missing: dict[str, BoolArray]


def _counted_leaves(
    result: EvaluationResult, min_share: float
) -> tuple[dict[str, BoolArray], dict[str, BoolArray]]:
    """Per leaf: where it counts (enough of the category has a value) and where a counted
    unit has none."""
    groups = result.table.category_codes
    sizes = group_count(np.ones(len(groups), dtype=bool), groups)
    counted: dict[str, BoolArray] = {}
    missing: dict[str, BoolArray] = {}
    for leaf in result.scheme.leaves:
        present = ~np.isnan(np.asarray(result.fraction[leaf.id], dtype=np.float64))
        have = group_count(present, groups)
        counts = (have > 0) & (have >= min_share * sizes)
        counted[leaf.id] = counts
        missing[leaf.id] = counts & ~present
    return counted, missing


def _weights(node: Node) -> list[float]:
    return [(c.points or 0.0) if node.aggregate == "sum" else c.weight for c in node.children]


def _partial(
    node: Node, result: EvaluationResult, counted: dict[str, BoolArray]
) -> tuple[FloatArray, BoolArray]:
    """A node's fraction over its counted leaves (a counted leaf without a value scores 0),
    and where it has any counted leaf."""
    if node.is_leaf:
        f = np.asarray(result.fraction[node.id], dtype=np.float64)
        return np.where(np.isnan(f), 0.0, f), counted[node.id]
    parts = [_partial(c, result, counted) for c in node.children]
    weights = np.array([w * has for w, (_, has) in zip(_weights(node), parts, strict=True)])
    has_any = weights.sum(axis=0) > 0
    weights = np.where(has_any, weights, 1.0)  # nothing counts here: any weights, masked below
    # an uncounted child enters with weight 0 and fraction 1: neutral in every aggregate
    kids = [np.where(has, f, 1.0) for f, has in parts]
    value = aggregate(node.aggregate or "sum", kids, weights)
    return np.where(has_any, value, np.nan), has_any


def _coverage(node: Node, counted: dict[str, BoolArray], n: int) -> FloatArray:
    """The share of the node's full points that its counted leaves carry."""
    if node.is_leaf:
        return counted[node.id].astype(np.float64)
    weights = np.array(_weights(node), dtype=np.float64)
    total = weights.sum()
    out = np.zeros(n, dtype=np.float64)
    if total <= 0:
        return out
    for child, w in zip(node.children, weights, strict=True):
        out = out + _coverage(child, counted, n) * (w / total)
    return out


def provisional_standing(result: EvaluationResult, *, min_share: float = 0.5) -> ProvisionalResult:
    """The provisional score and rank of every unit from the leaves with data (see module)."""
    if not 0.0 < min_share <= 1.0:
        raise ValueError("min_share must be in (0, 1]")
    scheme = result.scheme
    n = len(result.table)
    counted, missing = _counted_leaves(result, min_share)
    fraction, has_any = _partial(scheme.root, result, counted)
    score = round_half_up(np.where(has_any, fraction * scheme.points, np.nan), scheme.ranking.round)
    rank = rank_totals(score, result.table.category_codes)
    return ProvisionalResult(
        units=result.units,
        categories=result.categories,
        score=score,
        rank=rank,
        coverage=np.clip(_coverage(scheme.root, counted, n), 0.0, 1.0),
        counted=counted,
        missing=missing,
    )
