"""The verdicts of the rules and their plain-language messages (zh and en)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from .frame import MonitoringFrame, pace_share
from .rules import (
    SEVERITIES,
    BoolArray,
    CrossCheckRule,
    DropRule,
    FloatArray,
    HBRule,
    IntArray,
    PaceRule,
    PeerOutlierRule,
    Rule,
    ThresholdRule,
)

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# words the messages (and the insufficient-data reasons) put in
WORDS: dict[str, dict[str, str]] = {
    "zh": {
        "below": "低于下限",
        "above": "高于上限",
        "previous": "上一节点",
        "last_year": "上年同期",
    },
    "en": {
        "below": "below the minimum",
        "above": "above the maximum",
        "previous": "the previous node",
        "last_year": "the same node last year",
    },
}


class _Num(float):
    """A float that prints briefly in messages (``{value}``) unless a format spec is given."""

    def __format__(self, spec: str) -> str:
        return float.__format__(self, spec) if spec else _fmt(float(self))

    def __str__(self) -> str:
        return _fmt(float(self))


def _fmt(x: float | None) -> str:
    if x is None or not math.isfinite(x):
        return "—"
    if abs(x) >= 1e15:
        return f"{x:.4g}"
    if x == int(x):
        return str(int(x))
    # four significant digits below 100 (HB effects and bounds are small), two decimals above
    # (amounts: 1234567.5, never 1.235e+06)
    return f"{x:.4g}" if abs(x) < 100 else f"{x:.2f}".rstrip("0").rstrip(".")


def readonly(arr: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """Make `arr` read-only in place and return it (results are immutable)."""
    arr.flags.writeable = False
    return arr


@dataclass(frozen=True)
class Finding:
    """One flagged unit under one rule: the numbers behind it and the message in zh and en."""

    rule_id: str
    kind: str
    severity: str
    unit: str
    index: int
    details: Mapping[str, Any]
    message_zh: str
    message_en: str


@dataclass(frozen=True)
class RuleResult:
    """The verdict of one rule on every unit (arrays indexed like ``units``, read-only).

    ``flagged``: the rule fired. ``insufficient``: the unit could not be judged (missing values,
    a zero base, too few peers…), with ``reasons[reason_code[i]]`` saying why (code 0 = none).
    ``numbers`` holds the per-unit figures the verdict rests on (NaN where not defined);
    ``params`` the per-category or rule-wide constants (e.g. HB bounds per category).
    """

    rule: Rule
    frame: MonitoringFrame = field(repr=False)
    flagged: BoolArray
    insufficient: BoolArray
    reason_code: IntArray
    reasons: tuple[str, ...]
    numbers: Mapping[str, FloatArray]
    operands: tuple[str, ...] = ()

    @property
    def units(self) -> tuple[str, ...]:
        """Unit ids, in input order."""
        return self.frame.units

    @property
    def flagged_units(self) -> tuple[str, ...]:
        """Ids of the flagged units, in input order."""
        return tuple(self.frame.units[i] for i in np.flatnonzero(self.flagged))

    def details(self, index: int) -> dict[str, Any]:
        """The numbers behind the verdict on unit ``index`` (JSON-ready; None = not defined)."""
        status = (
            "flagged"
            if self.flagged[index]
            else "insufficient_data"
            if self.insufficient[index]
            else "ok"
        )
        out: dict[str, Any] = {"unit": self.frame.units[index], "status": status}
        if status == "insufficient_data":
            out["reason"] = self.reasons[int(self.reason_code[index])]
        for key, arr in self.numbers.items():
            if key.startswith("operand:"):
                continue
            v = float(arr[index])
            out[key] = v if math.isfinite(v) else None
        rule = self.rule
        if isinstance(rule, ThresholdRule):
            out["min"], out["max"] = rule.min, rule.max
        elif isinstance(rule, DropRule):
            out["percent"], out["against"], out["direction"] = (
                rule.percent,
                rule.against,
                rule.direction,
            )
        elif isinstance(rule, PaceRule):
            out["node"], out["tolerance"] = self.frame.node, rule.tolerance
            out["share_pct"] = pace_share(rule, self.frame) * 100.0
        elif isinstance(rule, PeerOutlierRule):
            out["k"] = rule.k
        elif isinstance(rule, HBRule):
            out["U"], out["A"], out["C"] = rule.U, rule.A, rule.C
        elif isinstance(rule, CrossCheckRule):
            out["expression"] = rule.expression.source
            ops: dict[str, float | None] = {}
            for name in self.operands:
                v = float(self.numbers[f"operand:{name}"][index])
                ops[name] = v if math.isfinite(v) else None
            out["operands"] = ops
        return out

    def message(
        self, index: int, lang: Literal["zh", "en"], labels: Mapping[str, str] | None = None
    ) -> str:
        """The plain-language message for unit ``index`` in ``lang``; ``labels`` names the
        indicators (code → name in that language; a code without a label stays a code)."""
        return self._format(index, lang, self.details(index), labels or {})

    def _format(
        self, index: int, lang: str, det: Mapping[str, Any], labels: Mapping[str, str]
    ) -> str:
        rule = self.rule
        words = WORDS[lang]
        unit = self.frame.units[index]
        ctx: dict[str, Any] = {
            "unit": unit,
            "name": self.frame.names[index] if self.frame.names else unit,
            "category": self.frame.categories[index],
            "indicator": labels.get(rule.indicator, rule.indicator),
            "rule": rule.id,
            "severity": rule.severity,
        }
        for key, value in det.items():
            if isinstance(value, float) or value is None:
                ctx[key] = _Num(value) if value is not None else "—"
            else:
                ctx[key] = value
        if isinstance(rule, ThresholdRule):
            below = det["value"] is not None and rule.min is not None and det["value"] < rule.min
            ctx["side"] = words["below" if below else "above"]
            ctx["threshold"] = _Num(rule.min if below else rule.max)  # type: ignore[arg-type]
        if isinstance(rule, DropRule | HBRule):
            ctx["against"] = words[rule.against]
        if isinstance(rule, CrossCheckRule):
            ctx["operands"] = ", ".join(
                f"{labels.get(k, k)} = {_fmt(v)}" for k, v in det["operands"].items()
            )
            if labels:
                ctx["expression"] = _IDENTIFIER.sub(
                    lambda m: labels.get(m.group(0), m.group(0)), str(det["expression"])
                )
        template = getattr(rule.messages, lang)
        return str(template.format(**ctx))

    @cached_property
    def findings(self) -> tuple[Finding, ...]:
        """One :class:`Finding` per flagged unit, in input order (built on first access)."""
        out = []
        for i in np.flatnonzero(self.flagged):
            det = self.details(int(i))
            out.append(
                Finding(
                    rule_id=self.rule.id,
                    kind=self.rule.kind,
                    severity=self.rule.severity,
                    unit=self.frame.units[i],
                    index=int(i),
                    details=MappingProxyType(det),
                    message_zh=self._format(int(i), "zh", det, {}),
                    message_en=self._format(int(i), "en", det, {}),
                )
            )
        return tuple(out)


@dataclass(frozen=True)
class MonitoringResult:
    """The verdicts of all rules on all units, in rule order."""

    units: tuple[str, ...]
    results: tuple[RuleResult, ...]

    def __getitem__(self, rule_id: str) -> RuleResult:
        for res in self.results:
            if res.rule.id == rule_id:
                return res
        raise KeyError(rule_id)

    @cached_property
    def any_flagged(self) -> BoolArray:
        """Units flagged by at least one rule."""
        out = np.zeros(len(self.units), dtype=bool)
        for res in self.results:
            out |= res.flagged
        return readonly(out)

    @property
    def findings(self) -> tuple[Finding, ...]:
        """All findings, most severe first, then in rule order and unit order."""
        rank = {s: i for i, s in enumerate(reversed(SEVERITIES))}
        ordered = sorted(self.results, key=lambda r: rank[r.rule.severity])
        return tuple(f for res in ordered for f in res.findings)
