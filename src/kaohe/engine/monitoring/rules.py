"""The rule language: the kinds of rule, their immutable descriptions and `RuleError`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

import numpy as np
import numpy.typing as npt

from ..errors import EngineError
from ..expr import Expression

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.intp]

Severity = Literal["info", "warning", "serious"]
Direction = Literal["higher", "lower"]
Tail = Literal["both", "upper", "lower"]

SEVERITIES: tuple[str, ...] = ("info", "warning", "serious")
KINDS: tuple[str, ...] = ("threshold", "drop", "pace", "peer_outlier", "hb", "cross_check")

# months elapsed by the usual time-node labels, for a pace rule with a linear share
NODE_MONTHS: Mapping[str, int] = MappingProxyType(
    {
        "Q1": 3,
        "H1": 6,
        "Q2": 6,
        "Q3": 9,
        "Q4": 12,
        "Y": 12,
        "FY": 12,
        **{f"M{m}": m for m in range(1, 13)},
        **{f"M{m:02d}": m for m in range(1, 10)},
    }
)


class RuleError(EngineError):
    """A rule description is invalid: names the rule (id or position) and the field."""

    def __init__(self, rule: str, *, rule_id: str, field: str) -> None:
        self.rule_id = rule_id
        self.field = field
        super().__init__(rule, path=f"rule {rule_id!r}, field {field!r}")

    def _format(self) -> str:
        return f"{self.path}: {self.rule}"


# --- rule descriptions ---------------------------------------------------------------------


@dataclass(frozen=True)
class Messages:
    """Message templates in Chinese and English (``str.format`` fields, see docs/monitoring.md)."""

    zh: str
    en: str


@dataclass(frozen=True)
class _RuleBase:
    id: str
    severity: Severity
    messages: Messages


@dataclass(frozen=True)
class ThresholdRule(_RuleBase):
    """Flag a value below ``min`` or above ``max`` (either may be None, not both)."""

    indicator: str
    min: float | None
    max: float | None
    kind: Literal["threshold"] = "threshold"


@dataclass(frozen=True)
class DropRule(_RuleBase):
    """Flag an adverse change beyond ``percent`` % against the previous node or last year."""

    indicator: str
    percent: float
    against: Literal["previous", "last_year"] = "previous"
    direction: Direction = "higher"
    kind: Literal["drop"] = "drop"


@dataclass(frozen=True)
class PaceRule(_RuleBase):
    """Flag a cumulative value behind ``target × share`` by more than ``tolerance`` %.

    ``shares`` maps a node label to the share of the year's target expected by it; None means
    linear in months (months elapsed / 12).
    """

    indicator: str
    shares: Mapping[str, float] | None
    tolerance: float = 0.0
    direction: Direction = "higher"
    kind: Literal["pace"] = "pace"


@dataclass(frozen=True)
class PeerOutlierRule(_RuleBase):
    """Flag |robust z| > ``k`` within the unit's category (Iglewicz & Hoaglin's modified z)."""

    indicator: str
    k: float = 3.5
    min_peers: int = 5
    tail: Tail = "both"
    kind: Literal["peer_outlier"] = "peer_outlier"


@dataclass(frozen=True)
class HBRule(_RuleBase):
    """Hidiroglou–Berthelot test of current / previous within the category."""

    indicator: str
    against: Literal["previous", "last_year"] = "previous"
    U: float = 0.5
    A: float = 0.05
    C: float = 4.0
    min_peers: int = 5
    tail: Tail = "both"
    kind: Literal["hb"] = "hb"


@dataclass(frozen=True)
class CrossCheckRule(_RuleBase):
    """A condition that must hold; a unit where it is false (all operands present) is flagged."""

    expression: Expression
    kind: Literal["cross_check"] = "cross_check"

    @property
    def indicator(self) -> str:
        """The codes read, for display (a cross-check has no single indicator)."""
        return ", ".join(sorted(self.expression.names))


Rule = ThresholdRule | DropRule | PaceRule | PeerOutlierRule | HBRule | CrossCheckRule
