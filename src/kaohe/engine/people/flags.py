"""Leader flags across years (rule 5 of `kaohe.engine.people`): three excellent years in a row
give the unit's leaders promotion priority; an unqualified latest year calls for adjustment."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

BoolArray = npt.NDArray[np.bool_]

PROMOTION_YEARS = 3  # three consecutive excellent years


@dataclass(frozen=True)
class LeaderFlags:
    """Per unit, for `year` (None when no unit has any grade): `promotion_priority` (its
    grades of `year` and the two years before are all excellent) and `adjustment` (its grade
    of `year` is unqualified)."""

    year: int | None
    promotion_priority: BoolArray
    adjustment: BoolArray


def leader_flags(
    history: Sequence[Mapping[int, str | None]],
    *,
    excellent: Collection[str],
    unqualified: Collection[str],
    year: int | None = None,
) -> LeaderFlags:
    """Flags of every unit from its unit-grade history (year → grade code; a year that is
    missing or None has no grade and breaks a run). `excellent` / `unqualified`: the unit-grade
    codes that count as such; `year`: the year to flag (default: the latest in `history`)."""
    if isinstance(excellent, str) or isinstance(unqualified, str):
        raise TypeError("excellent and unqualified are collections of codes, not one code")
    excellent, unqualified = frozenset(excellent), frozenset(unqualified)
    if year is None:
        year = max((y for h in history for y in h), default=None)
    if year is None:
        none = np.zeros(len(history), dtype=bool)
        return LeaderFlags(year=None, promotion_priority=none, adjustment=none.copy())
    promotion = [all(h.get(year - k) in excellent for k in range(PROMOTION_YEARS)) for h in history]
    adjustment = [h.get(year) in unqualified for h in history]
    return LeaderFlags(
        year=year,
        promotion_priority=np.array(promotion, dtype=bool),
        adjustment=np.array(adjustment, dtype=bool),
    )
