"""Period labels of a panel's columns: years (``2022``) or quarters (``2022Q3``)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

_PERIOD_RE = re.compile(r"^(\d{4})(?:Q([1-4]))?$")


@dataclass(frozen=True)
class PeriodAxis:
    """Consecutive period labels of the columns: years (``2022``) or quarters (``2022Q3``)."""

    labels: tuple[str, ...]
    season_length: int

    @classmethod
    def parse(cls, periods: Sequence[object]) -> PeriodAxis:
        """Validate labels: one frequency, consecutive, oldest first."""
        labels = tuple(str(p) for p in periods)
        ordinals = []
        kinds = set()
        for label in labels:
            match = _PERIOD_RE.match(label)
            if match is None:
                raise ValueError(
                    f"period {label!r} is neither a year (2022) nor a quarter (2022Q3)"
                )
            year, quarter = int(match.group(1)), match.group(2)
            kinds.add(quarter is None)
            ordinals.append(year if quarter is None else year * 4 + int(quarter) - 1)
        if len(kinds) > 1:
            raise ValueError("periods mix years and quarters")
        if any(b - a != 1 for a, b in itertools.pairwise(ordinals)):
            raise ValueError("periods must be consecutive and in increasing order")
        return cls(labels=labels, season_length=4 if kinds == {False} else 1)

    def after(self, steps: int) -> str:
        """Label of the period ``steps`` after the last column."""
        match = _PERIOD_RE.match(self.labels[-1])
        assert match is not None
        if self.season_length == 1:
            return str(int(match.group(1)) + steps)
        ordinal = int(match.group(1)) * 4 + int(match.group(2)) - 1 + steps
        return f"{ordinal // 4}Q{ordinal % 4 + 1}"
