"""Rank robustness: Monte Carlo over weights (and alternative methods where a leaf lists them).

Every draw perturbs the children's weights (or points) of every group — multiplicatively by a
factor uniform in [1 − jitter, 1 + jitter], or by a Dirichlet draw around the scheme's shares —
and, where a leaf lists `alternatives`, picks one of its methods at random. All draws are
evaluated as one batch: arrays of shape (draws, units), ranked and graded in single calls.
Seeded, so the same scheme and data give the same intervals bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from .aggregate import aggregate
from .context import Context, score_leaf
from .ranking import assign_grades, rank_totals, round_half_up
from .scheme import Node, Robustness

if TYPE_CHECKING:
    from .result import EvaluationResult

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, eq=False)
class RobustnessResult:
    """Per unit: the 5th–95th percentile rank interval over the draws, the probability of
    keeping its grade, and whether the grade is borderline (probability below the threshold)."""

    draws: int
    seed: int
    rank_p5: FloatArray
    rank_p95: FloatArray
    rank_median: FloatArray
    grade_probability: FloatArray
    borderline: BoolArray

    def row(self, i: int) -> dict[str, Any]:
        """The robustness columns of unit `i` for export."""

        def num(v: float) -> float | None:
            return None if np.isnan(v) else float(v)

        gp = self.grade_probability[i]
        return {
            "rank_p5": None if np.isnan(self.rank_p5[i]) else int(self.rank_p5[i]),
            "rank_p95": None if np.isnan(self.rank_p95[i]) else int(self.rank_p95[i]),
            "grade_probability": num(round(float(gp), 4)) if not np.isnan(gp) else None,
        }


def _weights(
    rng: np.random.Generator, base: FloatArray, settings: Robustness, draws: int
) -> FloatArray:
    """(draws, k) perturbed weights with the same sum as `base`."""
    total = base.sum()
    if settings.mode == "dirichlet":
        w = rng.dirichlet(settings.concentration * base / total, size=draws)
        return w * total
    factors = rng.uniform(
        1.0 - settings.weight_jitter, 1.0 + settings.weight_jitter, (draws, len(base))
    )
    w = base * factors
    return w * (total / w.sum(axis=1, keepdims=True))


def draw_totals(
    result: EvaluationResult, settings: Robustness, draws: int, seed: int
) -> FloatArray:
    """The unrounded totals of all draws, shape (draws, units)."""
    scheme = result.scheme
    rng = np.random.default_rng(seed)
    ctx = Context(scheme, result.table)

    def visit(node: Node) -> FloatArray:
        if node.is_leaf:
            base = result.fraction[node.id][None, :]
            if not node.alternatives or not settings.alternatives:
                return base
            options = [result.fraction[node.id]]
            options += [score_leaf(node, alt, ctx)[0] for alt in node.alternatives]
            pick = rng.integers(0, len(options), size=draws)
            return np.stack(options)[pick]
        kids = [visit(c) for c in node.children]
        if node.aggregate == "sum":
            base_w = np.array([c.points or 0.0 for c in node.children])
        else:
            base_w = np.array([c.weight for c in node.children])
        if len(base_w) > 1 and (settings.weight_jitter > 0 or settings.mode == "dirichlet"):
            w = _weights(rng, base_w, settings, draws).T[:, :, None]  # (k, draws, 1)
        else:
            w = base_w
        return aggregate(node.aggregate or "sum", kids, w)

    root = np.broadcast_to(visit(scheme.root), (draws, len(result.table)))
    adjustments = np.zeros(len(result.table))
    for points in result.adjustment_points.values():
        adjustments = adjustments + points
    return root * scheme.points + adjustments


def assess_robustness(
    result: EvaluationResult, *, draws: int | None = None, seed: int | None = None
) -> RobustnessResult:
    """Run the scheme's `robustness:` block (defaults when absent) on an evaluated result."""
    scheme = result.scheme
    settings = scheme.robustness or Robustness()
    n_draws = draws if draws is not None else settings.draws
    rng_seed = seed if seed is not None else settings.seed
    totals = draw_totals(result, settings, n_draws, rng_seed)
    groups = result.table.category_codes
    rounded = round_half_up(totals, scheme.ranking.round)
    ranks = rank_totals(rounded, groups)
    scored = ~np.isnan(result.total)
    if scored.any():
        with np.errstate(invalid="ignore"):
            p5, p50, p95 = np.percentile(
                ranks[:, scored], [5, 50, 95], axis=0, method="inverted_cdf"
            )
    n = len(result.table)
    rank_p5 = np.full(n, np.nan)
    rank_p50 = np.full(n, np.nan)
    rank_p95 = np.full(n, np.nan)
    if scored.any():
        rank_p5[scored], rank_p50[scored], rank_p95[scored] = p5, p50, p95
    grade_probability = np.full(n, np.nan)
    borderline = np.zeros(n, dtype=bool)
    if scheme.grades:
        grades = assign_grades(rounded, groups, result.vetoed, scheme.grades, scheme.veto_grade)
        same = (grades == result.grade_index[None, :]).mean(axis=0)
        grade_probability = np.where(scored, same, np.nan)
        borderline = scored & (same < settings.borderline_below)
    for arr in (rank_p5, rank_p95, rank_p50, grade_probability, borderline):
        arr.flags.writeable = False  # results are immutable
    return RobustnessResult(
        draws=n_draws,
        seed=rng_seed,
        rank_p5=rank_p5,
        rank_p95=rank_p95,
        rank_median=rank_p50,
        grade_probability=grade_probability,
        borderline=borderline,
    )
