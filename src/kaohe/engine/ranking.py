"""Ranking within the category, grades by thresholds and quotas, and the use of results.

All functions work on every unit at once and, where noted, on a batch of totals (B, N) —
the robustness module ranks and grades all Monte Carlo draws in one call.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from .methods import GroupOrder, group_count, group_rank
from .scheme import Grade, Results

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]


def round_half_up(x: FloatArray, decimals: int) -> FloatArray:
    """四舍五入 to `decimals` (half away from zero), tolerant of binary noise such as 87.125."""
    scale = 10.0**decimals
    scaled = np.abs(x) * scale
    # 1e-9 of a last-place unit absorbs representation error (87.125 stored as 87.12499...)
    return np.sign(x) * np.floor(scaled + 0.5 + 1e-9) / scale


def rank_totals(rounded: FloatArray, groups: IntArray) -> FloatArray:
    """Descending rank of the rounded total within each category, ties sharing the better
    rank ('min'); unscored units (NaN) get NaN. Accepts (N,) or a batch (B, N)."""
    return group_rank(rounded, groups, descending=True)


def assign_grades(
    rounded: FloatArray,
    groups: IntArray,
    vetoed: BoolArray,
    grades: Sequence[Grade],
    veto_grade: str | None,
    order: GroupOrder | None = None,
) -> IntArray:
    """Index into `grades` for every unit (−1 = no grade: not scored, or no grades defined).

    In rank order a unit takes the best grade whose `min` it reaches and whose quota
    (floor(quota × scored units in the category)) is not yet filled; units tied at the quota's
    last place share it. A vetoed unit takes `veto_grade`. Accepts (N,) or (B, N) totals;
    `order`: their `GroupOrder` (descending), if the caller has it (one sort serves all).
    """
    shape = rounded.shape
    assigned = np.full(shape, -1, dtype=np.intp)
    if not grades:
        return assigned
    scored = ~np.isnan(rounded)
    n_scored = group_count(scored.reshape(-1, shape[-1])[0], groups)
    pool = scored & ~vetoed
    # loop over the (few) grades, never over units: each grade takes the top of what is left
    for gi, grade in enumerate(grades):
        cand = pool & (assigned < 0)
        if grade.min is not None:
            cand &= rounded >= grade.min - 1e-9
        if grade.quota is not None:
            quota = np.floor(grade.quota * n_scored + 1e-9)
            if order is None:
                order = GroupOrder(rounded, groups, descending=True)
            place = order.places_among(cand)  # group_rank(where(cand, rounded, nan))
            cand &= place <= quota
        assigned[cand] = gi
    if veto_grade is not None:
        veto_index = [g.code for g in grades].index(veto_grade)
        assigned[scored & vetoed] = veto_index
    return assigned


def result_flags(
    rank: FloatArray,
    rank_change: FloatArray,
    groups: IntArray,
    vetoed: BoolArray,
    rules: Results,
    order: GroupOrder | None = None,
) -> dict[str, BoolArray]:
    """Masks for the configured uses of results: top-N, progress award, interview list.
    `order`: the `GroupOrder` that `rank` came from, if the caller has it."""
    flags: dict[str, BoolArray] = {}
    ranked = ~np.isnan(rank)
    if rules.top_flags is not None:
        flags[f"top{rules.top_flags}"] = ranked & (rank <= rules.top_flags) & ~vetoed
    if rules.progress_min_rise is not None:
        with np.errstate(invalid="ignore"):
            flags["progress_award"] = (rank_change >= rules.progress_min_rise) & ~vetoed
    if rules.interview_bottom is not None or rules.interview_min_fall is not None:
        interview = np.zeros(rank.shape, dtype=bool)
        if rules.interview_bottom:
            # Places counted from the bottom, ties sharing the worse end: the last four tied
            # are all "last". A unit tied for first is never in the backward group (all equal:
            # nobody is).
            if order is None:
                from_bottom = group_rank(rank, groups, descending=True)
            else:
                from_bottom = order.places_from_bottom()  # the same, from the same sort
            interview |= ranked & (from_bottom <= rules.interview_bottom) & (rank > 1)
        if rules.interview_min_fall is not None:
            with np.errstate(invalid="ignore"):
                interview |= -rank_change >= rules.interview_min_fall
        flags["interview"] = interview
    return flags


def section_stars(
    section_points: FloatArray, groups: IntArray, levels: int, decimals: int
) -> FloatArray:
    """Star band of a section ('10-star to 1-star'): by the section's rank within the category,
    the top 1/levels of ranked units get `levels` stars, the next band one fewer, down to 1."""
    rank = group_rank(round_half_up(section_points, decimals), groups, descending=True)
    n = group_count(~np.isnan(rank), groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        return levels - np.floor((rank - 1.0) * levels / n)
