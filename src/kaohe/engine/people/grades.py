"""Staff grades within each unit: the unit's quota of "excellent", thresholds, and the check of
a unit head's proposal (rules 1–3 of `kaohe.engine.people`).

People are given as flat arrays: `scores` (P,) with NaN = not assessed, and `unit_index` (P,)
with each person's unit, 0..U-1, indexing the per-unit arrays (`quotas`, `shares`, ...).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from ..methods import group_rank
from ..ranking import round_half_up

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

#: Staff grade codes, best first; grade indices (0..3) point into this tuple, −1 = none.
STAFF_GRADES: tuple[str, ...] = ("excellent", "competent", "basic", "incompetent")

#: Problem codes of `check_proposal`, in the order they are listed within a unit.
PROBLEM_CODES: tuple[str, ...] = ("over_quota", "below_threshold", "unscored", "ungraded")

DEFAULT_SHARE = 0.20  # 优秀 generally within 20% of the unit's assessed staff
_EPS = 1e-9  # scores are rounded to 2 decimals; this only absorbs the binary form of a minimum


@dataclass(frozen=True)
class StaffGradeRule:
    """Minimum rounded score of each staff grade; below `basic_min` a person is incompetent."""

    excellent_min: float = 90.0
    competent_min: float = 60.0
    basic_min: float = 50.0

    def __post_init__(self) -> None:
        if not self.excellent_min >= self.competent_min >= self.basic_min:
            raise ValueError("staff grade minimums must not increase from excellent to basic")

    @property
    def minimums(self) -> tuple[float, float, float, float]:
        """The minimum of every grade in `STAFF_GRADES` order (incompetent: −inf)."""
        return (self.excellent_min, self.competent_min, self.basic_min, -math.inf)


@dataclass(frozen=True)
class ProposalProblem:
    """One problem of a unit head's proposal: `code` from `PROBLEM_CODES`, the `unit`, the
    `people` concerned (indices into the people arrays) and the `numbers` that explain it:

    - over_quota: ``proposed`` excellent, the unit's ``quota``, the ``allowed`` count
      (quota plus the ties at its last place); `people`: everyone proposed excellent there;
    - below_threshold: the proposed ``grade`` (index), the rounded ``score``, the grade's ``min``;
    - unscored: the proposed ``grade`` (index);
    - ungraded: the rounded ``score``.
    """

    unit: int
    code: str
    people: tuple[int, ...]
    numbers: Mapping[str, float] = field(hash=False)


def assessed_headcounts(scores: FloatArray, unit_index: IntArray, n_units: int) -> IntArray:
    """Per unit, the people with a score (the headcount the quota is a share of)."""
    scored = ~np.isnan(np.asarray(scores, dtype=np.float64))
    return np.bincount(unit_index[scored], minlength=n_units).astype(np.intp)


def staff_quotas(
    shares: FloatArray, headcounts: IntArray, *, default_share: float = DEFAULT_SHARE
) -> IntArray:
    """Per unit, the number of people who may be excellent: floor(share × headcount + 1e-9).

    `shares` (U,): the share set by each unit's grade, NaN = none set (→ `default_share`);
    0 for an unqualified or vetoed unit gives quota 0. `headcounts` (U,): assessed staff.
    """
    s = np.where(np.isnan(shares), default_share, np.asarray(shares, dtype=np.float64))
    h = np.asarray(headcounts)
    if ((s < 0) | (s > 1)).any():
        raise ValueError("excellent shares must lie between 0 and 1")
    if (h < 0).any():
        raise ValueError("headcounts must not be negative")
    return np.floor(s * h + _EPS).astype(np.intp)


def assign_staff_grades(
    scores: FloatArray,
    unit_index: IntArray,
    quotas: IntArray,
    rule: StaffGradeRule = StaffGradeRule(),
) -> IntArray:
    """Index into `STAFF_GRADES` for every person (−1 = no score, not graded).

    Per unit, in descending rounded score, a person is excellent when the score reaches
    `excellent_min` and the place among the unit's excellent candidates ('min' ranks, ties
    sharing the better place) is within the unit's quota — so ties at the quota's last place
    all get it and may exceed the quota; everyone else takes the best grade whose minimum the
    score reaches. `quotas` (U,): from `staff_quotas`.
    """
    rounded = round_half_up(np.asarray(scores, dtype=np.float64), 2)
    quotas = np.asarray(quotas, dtype=np.intp)
    if rounded.shape != unit_index.shape:
        raise ValueError("scores and unit_index must have one entry per person")
    assigned = np.full(rounded.shape, -1, dtype=np.intp)
    scored = ~np.isnan(rounded)
    # loop over the four grades, never over people or units: each takes the top of what is left
    for gi, minimum in enumerate(rule.minimums):
        cand = scored & (assigned < 0) & (rounded >= minimum - _EPS)
        if gi == 0:
            # everyone above a candidate is one too, so the place in the unit is the place
            # among its candidates ('min' ranks: ties share the better place)
            cand &= group_rank(rounded, unit_index, descending=True) <= quotas[unit_index]
        assigned[cand] = gi
    return assigned


def check_proposal(
    proposed: IntArray,
    scores: FloatArray,
    unit_index: IntArray,
    quotas: IntArray,
    rule: StaffGradeRule = StaffGradeRule(),
) -> list[ProposalProblem]:
    """The problems of a proposal of grades (`proposed` (P,): index into `STAFF_GRADES`,
    −1 = none proposed), ordered by unit, then `PROBLEM_CODES`, then person.

    A unit is over quota when it proposes more excellent people than `assign_staff_grades`
    would grant it (its quota, or more when people tie at the quota's last place).
    """
    proposed = np.asarray(proposed, dtype=np.intp)
    quotas = np.asarray(quotas, dtype=np.intp)
    if proposed.shape != unit_index.shape:
        raise ValueError("proposed and unit_index must have one entry per person")
    if ((proposed < -1) | (proposed >= len(STAFF_GRADES))).any():
        raise ValueError("proposed grades must be −1 or an index into STAFF_GRADES")
    rounded = round_half_up(np.asarray(scores, dtype=np.float64), 2)
    scored = ~np.isnan(rounded)
    graded = proposed >= 0
    n_units = len(quotas)
    problems: list[ProposalProblem] = []

    excellent = proposed == 0
    n_proposed = np.bincount(unit_index[excellent], minlength=n_units)
    granted = assign_staff_grades(scores, unit_index, quotas, rule) == 0
    allowed = np.maximum(quotas, np.bincount(unit_index[granted], minlength=n_units))
    for u in np.flatnonzero(n_proposed > allowed):
        counts = {"proposed": n_proposed[u], "quota": quotas[u], "allowed": allowed[u]}
        people = tuple(np.flatnonzero(excellent & (unit_index == u)).tolist())
        problems.append(ProposalProblem(int(u), "over_quota", people, _plain(counts)))

    required = np.array(rule.minimums)[np.where(graded, proposed, len(STAFF_GRADES) - 1)]
    below = graded & scored & (rounded < required - _EPS)
    found = {
        "below_threshold": (below, {"grade": proposed, "score": rounded, "min": required}),
        "unscored": (graded & ~scored, {"grade": proposed}),
        "ungraded": (scored & ~graded, {"score": rounded}),
    }
    for code, (mask, columns) in found.items():
        for i in np.flatnonzero(mask).tolist():
            numbers = _plain({name: values[i] for name, values in columns.items()})
            problems.append(ProposalProblem(int(unit_index[i]), code, (i,), numbers))

    problems.sort(key=lambda p: (p.unit, PROBLEM_CODES.index(p.code), p.people))
    return problems


def _plain(numbers: Mapping[str, np.generic]) -> dict[str, float]:
    """numpy scalars as plain Python numbers (grade indices and counts as int)."""
    return {k: v.item() for k, v in numbers.items()}
