"""Tiered reward pools (分档分级, rule 4 of `kaohe.engine.people`): a pool of cents split by
grade coefficient × score, in exact integer arithmetic, independent of the order of people."""

from __future__ import annotations

import itertools
import math
import operator
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from ..ranking import round_half_up
from .grades import STAFF_GRADES

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
ObjArray = npt.NDArray[np.object_]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class RewardRule:
    """Reward coefficient of each staff grade (fields named by grade code) and whether the
    weight is also multiplied by the person's score. Better grades never weigh less."""

    excellent: float = 1.5
    competent: float = 1.0
    basic: float = 0.5
    incompetent: float = 0.0
    score_weighted: bool = True

    def __post_init__(self) -> None:
        c = self.coefficients
        if not all(math.isfinite(x) and x >= 0 for x in c):
            raise ValueError("reward coefficients must be finite and not negative")
        if any(better < worse for better, worse in itertools.pairwise(c)):
            raise ValueError("a better grade must not have a smaller reward coefficient")

    @property
    def coefficients(self) -> tuple[float, ...]:
        """The coefficients in `STAFF_GRADES` order."""
        return tuple(float(getattr(self, code)) for code in STAFF_GRADES)


@dataclass(frozen=True)
class RewardTiers:
    """Per person, for a preview table: `tier` the grade code ('' = no grade), `coefficient`
    (NaN = no grade) and `weight` (coefficient × rounded score if score-weighted; 0 without a
    score or grade)."""

    tier: ObjArray
    coefficient: FloatArray
    weight: FloatArray


@dataclass(frozen=True)
class PoolSplit:
    """Cents per person, summing to the pool exactly — unless nobody has any weight: then all
    are 0 and `undistributed` is the whole pool (otherwise 0)."""

    amounts: IntArray
    undistributed: int


def reward_tiers(
    grades: IntArray,
    scores: FloatArray,
    rule: RewardRule = RewardRule(),
) -> RewardTiers:
    """Tier, coefficient and weight of every person (`grades`: index into `STAFF_GRADES`,
    −1 = none; `scores`: NaN = none, rounded half up to 2 decimals as for grading)."""
    grades, rounded, has_weight = _checked(grades, scores, rule)
    tier = np.array([*STAFF_GRADES, ""], dtype=object)[grades]  # −1 → the trailing ''
    coefficient = np.array([*rule.coefficients, np.nan])[grades]
    factor = rounded if rule.score_weighted else 1.0
    weight = np.where(has_weight, coefficient * factor, 0.0)
    return RewardTiers(tier=tier, coefficient=coefficient, weight=weight)


def split_pool(
    pool_cents: int,
    grades: IntArray,
    scores: FloatArray,
    rule: RewardRule = RewardRule(),
) -> PoolSplit:
    """Split `pool_cents` by weight (as in `reward_tiers`): pool × weight / Σ weight floored to
    the cent, then one leftover cent each to the largest remainders (ties: larger weight, then
    lower index), so the amounts sum to the pool exactly.

    The arithmetic is exact, in integers: coefficients are taken as the decimals they are
    written as (1.5 = 3/2) and scores in hundredths, so equal remainders are really equal and
    the amounts do not depend on the order of the people (but for that last tie-break).
    """
    pool = operator.index(pool_cents)
    if pool < 0:
        raise ValueError("the pool must not be negative")
    grades, rounded, has_weight = _checked(grades, scores, rule)
    coefficients = [Fraction(str(c)) for c in rule.coefficients]
    scale = math.lcm(*(c.denominator for c in coefficients))
    per_grade = [int(c * scale) for c in coefficients]  # exact: scale clears every denominator
    factor = np.rint(rounded * 100) if rule.score_weighted else np.ones_like(rounded)
    weights = [
        per_grade[g] * int(f) if w else 0
        for g, f, w in zip(grades.tolist(), factor.tolist(), has_weight.tolist(), strict=True)
    ]
    total = sum(weights)
    if total == 0:
        return PoolSplit(amounts=np.zeros(len(weights), dtype=np.intp), undistributed=pool)
    base, remainder = zip(*(divmod(pool * w, total) for w in weights), strict=True)
    # Σ remainder / total = the leftover cents, each remainder < total: they go to people
    # with a positive remainder, hence a positive weight
    leftover = pool - sum(base)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-remainder[i], -weights[i], i))
    amounts = np.array(base, dtype=np.intp)
    amounts[by_remainder[:leftover]] += 1
    return PoolSplit(amounts=amounts, undistributed=0)


def _checked(
    grades: IntArray, scores: FloatArray, rule: RewardRule
) -> tuple[IntArray, FloatArray, BoolArray]:
    """Grades and rounded scores as arrays, validated, and who has a weight (grade and score)."""
    grades = np.asarray(grades, dtype=np.intp)
    rounded = round_half_up(np.asarray(scores, dtype=np.float64), 2)
    if grades.shape != rounded.shape:
        raise ValueError("grades and scores must have one entry per person")
    if ((grades < -1) | (grades >= len(STAFF_GRADES))).any():
        raise ValueError("grades must be −1 or an index into STAFF_GRADES")
    has_weight = (grades >= 0) & ~np.isnan(rounded)
    if rule.score_weighted and (rounded[has_weight] < 0).any():
        raise ValueError("score-weighted rewards need scores that are not negative")
    return grades, rounded, has_weight
