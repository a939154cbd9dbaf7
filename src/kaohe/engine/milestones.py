"""Milestone records of a major task (攻坚战) and the `milestones` scoring method.

An offensive has a lead unit, cooperating units and milestones with due dates. The platform
gives every unit involved one `Involvement` (its role, the date the assessment looks from and
the milestones with their confirmed completion dates); a unit not involved gets None, a missing
input. The rule (docs/scheme-format.md, "Milestones"): on time full, late reduced, missed none,
not yet due left out; the unit's fraction is its role's share times the weighted mean share of
the milestones that count.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from .errors import DataError

FloatArray = npt.NDArray[np.float64]
ObjArray = npt.NDArray[np.object_]

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
STATUSES = ("on_time", "late", "missed", "pending")


def _date(value: Any, what: str) -> dt.date:
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise ValueError(f"{what} must be an ISO date YYYY-MM-DD, got {value!r}")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{what} is not a date: {value!r}") from None


@dataclass(frozen=True)
class Milestone:
    """One milestone: its weight, due date and confirmed completion date (None: not done)."""

    id: str
    weight: float
    due: str
    done: str | None
    name_zh: str = ""
    name_en: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id.strip():
            raise ValueError(f"a milestone needs a non-empty id, got {self.id!r}")
        w = self.weight
        if isinstance(w, bool) or not isinstance(w, int | float) or not math.isfinite(w) or w <= 0:
            raise ValueError(f"milestone {self.id!r}: weight must be a number > 0, got {w!r}")
        _date(self.due, f"milestone {self.id!r}: due")
        if self.done is not None:
            _date(self.done, f"milestone {self.id!r}: done")

    def to_dict(self) -> dict[str, Any]:
        """The record as plain JSON-ready values."""
        return {
            "id": self.id,
            "name": {k: v for k, v in (("zh", self.name_zh), ("en", self.name_en)) if v} or None,
            "weight": float(self.weight),
            "due": self.due,
            "done": self.done,
        }


@dataclass(frozen=True)
class Involvement:
    """One unit's part in an offensive: its role (a label of the scheme's `roles`), the date
    the assessment looks from, and the milestones."""

    role: str
    as_of: str
    milestones: tuple[Milestone, ...]

    def __post_init__(self) -> None:
        if not isinstance(self.role, str) or not self.role.strip():
            raise ValueError(f"an involvement needs a role, got {self.role!r}")
        _date(self.as_of, "as_of")
        items = tuple(self.milestones)
        object.__setattr__(self, "milestones", items)
        seen: set[str] = set()
        for item in items:
            if not isinstance(item, Milestone):
                raise ValueError(f"milestones must be Milestone records, got {item!r}")
            if item.id in seen:
                raise ValueError(f"milestone {item.id!r} is listed twice")
            seen.add(item.id)

    def to_dict(self) -> dict[str, Any]:
        """The record as plain JSON-ready values."""
        return {
            "role": self.role,
            "as_of": self.as_of,
            "milestones": [item.to_dict() for item in self.milestones],
        }


@dataclass(frozen=True)
class MilestoneScore:
    """How one milestone was judged: its status, days late (late only) and share (None when
    pending: left out)."""

    milestone: Milestone
    status: str
    days_late: int | None
    share: float | None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values: the record's fields and the judgement."""
        return {
            **self.milestone.to_dict(),
            "status": self.status,
            "days_late": self.days_late,
            "share": self.share,
        }


@dataclass(frozen=True)
class InvolvementScore:
    """One unit's breakdown: role, role share and every milestone's judgement."""

    role: str
    role_share: float
    as_of: str
    milestones: tuple[MilestoneScore, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values."""
        return {
            "role": self.role,
            "role_share": self.role_share,
            "as_of": self.as_of,
            "milestones": [item.to_dict() for item in self.milestones],
        }


def judge(
    milestone: Milestone,
    as_of: dt.date,
    *,
    late: float,
    per_day: float,
    floor: float,
    grace_days: float,
    missed: float,
) -> MilestoneScore:
    """The status and share of one milestone seen from `as_of`."""
    due = dt.date.fromisoformat(milestone.due)
    grace = dt.timedelta(days=int(grace_days))
    if milestone.done is not None:
        done = dt.date.fromisoformat(milestone.done)
        if done <= due + grace:
            return MilestoneScore(milestone, "on_time", None, 1.0)
        days_late = (done - due).days
        share = max(floor, late - per_day * (days_late - grace_days))
        return MilestoneScore(milestone, "late", days_late, float(share))
    if as_of > due + grace:
        return MilestoneScore(milestone, "missed", None, float(missed))
    return MilestoneScore(milestone, "pending", None, None)


def score_involvements(
    cells: ObjArray | Sequence[Involvement | None],
    *,
    roles: Mapping[str, float],
    late: float = 0.5,
    per_day: float = 0.0,
    floor: float = 0.0,
    grace_days: float = 0.0,
    missed: float = 0.0,
    none_due: str = "full",
    units: Sequence[str] | None = None,
    column: str | None = None,
) -> tuple[FloatArray, dict[str, npt.NDArray[np.generic]], tuple[InvolvementScore | None, ...]]:
    """Score a column of `Involvement | None` cells.

    Returns the fraction per unit — ``roles[role] × Σ weight·share / Σ weight`` over the
    milestones that are not pending; NaN for a None cell (a missing input). A unit none of
    whose milestones is due yet (or that has none) is on schedule so far: with ``none_due``
    "full" it earns its role's share, with "not_scored" its fraction is NaN — the details
    (``role_share``, ``milestones_due``: how many count, ``due_weight``: their weight,
    ``share``: their weighted mean share; NaN where there is no record) and each unit's
    breakdown (None for a None cell).

    This is a Python loop over the units: the records are small and structured (a few
    milestones each, for the handful of units an offensive involves), and dates do not
    vectorise usefully. An unknown role is a DataError naming the unit (from `units`) and
    `column`.
    """
    cells = list(cells.tolist() if isinstance(cells, np.ndarray) else cells)
    n = len(cells)
    fraction = np.full(n, np.nan)
    role_share = np.full(n, np.nan)
    counted = np.full(n, np.nan)
    due_weight = np.full(n, np.nan)
    mean_share = np.full(n, np.nan)
    breakdown: list[InvolvementScore | None] = []
    for i, cell in enumerate(cells):
        if cell is None:
            breakdown.append(None)
            continue
        if cell.role not in roles:
            unit = units[i] if units is not None else str(i)
            raise DataError(
                f"unit {unit!r}: role {cell.role!r} is not one of {', '.join(roles)}",
                line=i + 1,
                column=column,
            )
        as_of = dt.date.fromisoformat(cell.as_of)
        judged = tuple(
            judge(
                item,
                as_of,
                late=late,
                per_day=per_day,
                floor=floor,
                grace_days=grace_days,
                missed=missed,
            )
            for item in cell.milestones
        )
        share_of_role = float(roles[cell.role])
        breakdown.append(InvolvementScore(cell.role, share_of_role, cell.as_of, judged))
        role_share[i] = share_of_role
        weight = 0.0
        earned = 0.0
        count = 0
        for item in judged:
            if item.share is None:
                continue  # pending: left out
            weight += item.milestone.weight
            earned += item.milestone.weight * item.share
            count += 1
        counted[i] = count
        if count:
            due_weight[i] = weight
            mean_share[i] = earned / weight
            fraction[i] = share_of_role * mean_share[i]
        elif none_due == "full":
            fraction[i] = share_of_role
    details: dict[str, npt.NDArray[np.generic]] = {
        "role_share": role_share,
        "milestones_due": counted,
        "due_weight": due_weight,
        "share": mean_share,
    }
    return fraction, details, tuple(breakdown)
