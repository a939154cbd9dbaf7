"""Monitoring (预警) and cross-validation (多方印证) rules, evaluated over all units at once.

A rule is an immutable dataclass parsed from a plain mapping (so rules live in JSON or YAML):

- ``threshold``: the value is below ``min`` or above ``max``;
- ``drop``: an adverse change against the previous node or the same node last year beyond
  ``percent`` % (a fall where higher is better, a rise where lower is better);
- ``pace``: the cumulative value is behind ``target × share`` of the year expected by this node
  (shares per node, or linear in months), beyond a tolerance;
- ``peer_outlier``: robust z-score within the category, ``0.6745·(x − median)/MAD``, beyond ``k``;
- ``hb``: the Hidiroglou–Berthelot (1986) test of the ratio current / previous, within the
  category, for figures that moved implausibly (e.g. inflated ones);
- ``cross_check``: a condition between related indicators in the safe expression language of
  :mod:`kaohe.engine.expr` (never ``eval``), e.g. ``tax_revenue <= fiscal_revenue``.

:func:`evaluate_rules` takes a :class:`MonitoringFrame` (every unit's values for one time node,
plus the previous node, the same node last year and the targets) and returns a
:class:`MonitoringResult`: per rule, read-only boolean arrays of flagged units and of units with
insufficient data, the numbers behind each verdict, and zh/en messages for the flagged units.
Every kernel works on whole arrays; grouped statistics sort within categories, never a Python loop
over units. Missing values (NaN) are never flagged: they are reported as insufficient data.
"""

from __future__ import annotations

import math
import re
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from .errors import DataError, EngineError, ExprError
from .expr import COMPARISONS, Binary, Expression, Node, _names, compile_expr

__all__ = [
    "DEFAULT_MESSAGES",
    "CrossCheckRule",
    "DropRule",
    "Finding",
    "HBRule",
    "Messages",
    "MonitoringFrame",
    "MonitoringResult",
    "PaceRule",
    "PeerOutlierRule",
    "Rule",
    "RuleError",
    "RuleResult",
    "ThresholdRule",
    "evaluate_rules",
    "parse_rule",
    "parse_rules",
    "rule_to_mapping",
]

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

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

_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")
# expression suffixes that read the other arrays of the frame instead of the current node
_SUFFIXES = ("prev", "last_year", "target")


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

# template fields each kind offers (besides the common ones)
_COMMON_FIELDS = {"unit", "name", "category", "indicator", "rule", "severity"}
_FIELDS: dict[str, set[str]] = {
    "threshold": {"value", "threshold", "min", "max", "side"},
    "drop": {"value", "base", "change_pct", "percent", "against"},
    "pace": {"value", "target", "share_pct", "expected", "gap_pct", "tolerance", "node"},
    "peer_outlier": {"value", "median", "mad", "z", "k"},
    "hb": {"value", "previous", "ratio", "median_ratio", "effect", "lower", "upper", "against"},
    "cross_check": {"expression", "operands", "left", "right"},
}

DEFAULT_MESSAGES: Mapping[str, Messages] = MappingProxyType(
    {
        "threshold": Messages(
            zh="{name}：{indicator}为{value}，{side}{threshold}",
            en="{name}: {indicator} is {value}, {side} {threshold}",
        ),
        "drop": Messages(
            zh="{name}：{indicator}为{value}，较{against}（{base}）变化{change_pct}%，超过{percent}%",
            en="{name}: {indicator} is {value}, {change_pct}% against {against} ({base}), "
            "beyond {percent}%",
        ),
        "pace": Messages(
            zh="{name}：{indicator}累计{value}，按进度（{node}，{share_pct}%）应达{expected}，"
            "差距{gap_pct}%",
            en="{name}: {indicator} is {value} by {node}; the pace of the target needs "
            "{expected} ({share_pct}% of {target}), a gap of {gap_pct}%",
        ),
        "peer_outlier": Messages(
            zh="{name}：{indicator}为{value}，同类中位数{median}，稳健z值{z}，超出±{k}",
            en="{name}: {indicator} is {value} against a peer median of {median} "
            "(robust z = {z}, beyond ±{k})",
        ),
        "hb": Messages(
            zh="{name}：{indicator}由{previous}变为{value}（比值{ratio}，同类中位{median_ratio}），"
            "HB效应{effect}超出[{lower}, {upper}]，请核实",
            en="{name}: {indicator} went from {previous} to {value} (ratio {ratio}, peer median "
            "{median_ratio}); HB effect {effect} is outside [{lower}, {upper}], please verify",
        ),
        "cross_check": Messages(
            zh="{name}：未通过印证规则 {expression}：{operands}",
            en="{name} fails the cross-check {expression}: {operands}",
        ),
    }
)

_WORDS: dict[str, dict[str, str]] = {
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

_ALLOWED_KEYS: dict[str, set[str]] = {
    "threshold": {"indicator", "min", "max"},
    "drop": {"indicator", "percent", "against", "direction"},
    "pace": {"indicator", "share", "tolerance", "direction"},
    "peer_outlier": {"indicator", "k", "min_peers", "tail"},
    "hb": {"indicator", "against", "U", "A", "C", "min_peers", "tail"},
    "cross_check": {"expression"},
}
_COMMON_KEYS = {"id", "kind", "severity", "message"}


class _Reader:
    """Reads typed fields of one rule mapping, raising RuleError that names the field."""

    def __init__(self, data: Mapping[str, Any], rule_id: str) -> None:
        self.data = data
        self.rule_id = rule_id

    def fail(self, field: str, message: str) -> RuleError:
        return RuleError(message, rule_id=self.rule_id, field=field)

    def number(
        self,
        key: str,
        default: float | None = None,
        *,
        required: bool = False,
        low: float | None = None,
        high: float | None = None,
        low_open: bool = False,
    ) -> float | None:
        if key not in self.data or self.data[key] is None:
            if required:
                raise self.fail(key, "is required")
            return default
        raw = self.data[key]
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise self.fail(key, f"must be a number (got {raw!r})")
        value = float(raw)
        if not math.isfinite(value):
            raise self.fail(key, f"must be a finite number (got {raw!r})")
        if low is not None and (value <= low if low_open else value < low):
            raise self.fail(key, f"must be {'>' if low_open else '≥'} {low:g} (got {raw!r})")
        if high is not None and value > high:
            raise self.fail(key, f"must be ≤ {high:g} (got {raw!r})")
        return value

    def required_number(self, key: str, **kw: Any) -> float:
        value = self.number(key, required=True, **kw)
        assert value is not None  # required=True never returns None
        return value

    def integer(self, key: str, default: int, *, low: int) -> int:
        raw = self.data.get(key, default)
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise self.fail(key, f"must be a whole number (got {raw!r})")
        if raw < low:
            raise self.fail(key, f"must be ≥ {low} (got {raw!r})")
        return raw

    def choice(self, key: str, options: Sequence[str], default: str) -> Any:
        raw = self.data.get(key, default)
        if raw not in options:
            allowed = ", ".join(options)
            raise self.fail(key, f"must be one of {allowed} (got {raw!r})")
        return raw

    def code(self, key: str) -> str:
        raw = self.data.get(key)
        if raw is None:
            raise self.fail(key, "is required")
        if not isinstance(raw, str) or not _ID.match(raw):
            raise self.fail(key, f"must be an indicator code (got {raw!r})")
        return raw


def _template_fields(template: str) -> set[str]:
    fields: set[str] = set()
    for _, name, _, _ in string.Formatter().parse(template):
        if name is not None:
            fields.add(name)
    return fields


def parse_rule(data: Mapping[str, Any], *, position: int | None = None) -> Rule:
    """Build one rule from a plain mapping; raises RuleError naming the rule and the field."""
    where = f"#{position + 1}" if position is not None else "?"
    if not isinstance(data, Mapping):
        raise RuleError(
            f"a rule must be a mapping (got {type(data).__name__})", rule_id=where, field="rule"
        )
    raw_id = data.get("id")
    if not isinstance(raw_id, str) or not _ID.match(raw_id):
        raise RuleError(
            f"must be a non-empty identifier of letters, digits, _ . - (got {raw_id!r})",
            rule_id=where,
            field="id",
        )
    r = _Reader(data, raw_id)
    kind = r.choice("kind", KINDS, "")
    unknown = sorted(set(data) - _COMMON_KEYS - _ALLOWED_KEYS[kind])
    if unknown:
        allowed = ", ".join(sorted(_COMMON_KEYS | _ALLOWED_KEYS[kind]))
        raise r.fail(unknown[0], f"is not a field of a {kind} rule (fields: {allowed})")
    severity = r.choice("severity", SEVERITIES, "warning")

    messages = DEFAULT_MESSAGES[kind]
    raw_msg = data.get("message")
    if raw_msg is not None:
        if not isinstance(raw_msg, Mapping) or set(raw_msg) - {"zh", "en"}:
            raise r.fail("message", "must be a mapping with keys zh and/or en")
        for lang in ("zh", "en"):
            tpl = raw_msg.get(lang)
            if tpl is not None and not isinstance(tpl, str):
                raise r.fail(f"message.{lang}", f"must be a string (got {tpl!r})")
        messages = Messages(
            zh=raw_msg.get("zh") or messages.zh, en=raw_msg.get("en") or messages.en
        )
        allowed_fields = _COMMON_FIELDS | _FIELDS[kind]
        for lang in ("zh", "en"):
            try:
                fields = _template_fields(getattr(messages, lang))
            except ValueError as exc:
                raise r.fail(f"message.{lang}", f"is not a valid template: {exc}") from None
            # plain names only: {value.__class__} or {x[0]} would reach into Python objects
            bad = sorted(f for f in fields if f not in allowed_fields)
            if bad:
                shown = ", ".join(sorted(allowed_fields))
                raise r.fail(f"message.{lang}", f"unknown field {{{bad[0]}}} (fields: {shown})")

    common: dict[str, Any] = {"id": raw_id, "severity": severity, "messages": messages}
    if kind == "threshold":
        lo = r.number("min")
        hi = r.number("max")
        if lo is None and hi is None:
            raise r.fail("min", "a threshold rule needs min, max or both")
        if lo is not None and hi is not None and lo > hi:
            raise r.fail("max", f"must be ≥ min ({hi:g} < {lo:g})")
        return ThresholdRule(**common, indicator=r.code("indicator"), min=lo, max=hi)
    if kind == "drop":
        return DropRule(
            **common,
            indicator=r.code("indicator"),
            percent=r.required_number("percent", low=0.0, low_open=True),
            against=r.choice("against", ("previous", "last_year"), "previous"),
            direction=r.choice("direction", ("higher", "lower"), "higher"),
        )
    if kind == "pace":
        raw_share = data.get("share", "linear")
        shares: Mapping[str, float] | None
        if raw_share == "linear":
            shares = None
        elif isinstance(raw_share, Mapping) and raw_share:
            parsed: dict[str, float] = {}
            for node, share in raw_share.items():
                if (
                    not isinstance(node, str)
                    or isinstance(share, bool)
                    or not isinstance(share, int | float)
                    or not 0.0 < float(share) <= 1.0
                ):
                    raise r.fail(
                        f"share.{node}", f"must be a share in (0, 1] per node (got {share!r})"
                    )
                parsed[node] = float(share)
            shares = MappingProxyType(parsed)
        else:
            raise r.fail("share", f"must be 'linear' or a mapping node → share (got {raw_share!r})")
        return PaceRule(
            **common,
            indicator=r.code("indicator"),
            shares=shares,
            tolerance=r.required_number("tolerance", low=0.0) if "tolerance" in data else 0.0,
            direction=r.choice("direction", ("higher", "lower"), "higher"),
        )
    if kind == "peer_outlier":
        return PeerOutlierRule(
            **common,
            indicator=r.code("indicator"),
            k=r.number("k", 3.5, low=0.0, low_open=True) or 3.5,
            min_peers=r.integer("min_peers", 5, low=3),
            tail=r.choice("tail", ("both", "upper", "lower"), "both"),
        )
    if kind == "hb":
        return HBRule(
            **common,
            indicator=r.code("indicator"),
            against=r.choice("against", ("previous", "last_year"), "previous"),
            U=r.number("U", 0.5, low=0.0, high=1.0) or 0.0,
            A=r.number("A", 0.05, low=0.0) or 0.0,
            C=r.number("C", 4.0, low=0.0, low_open=True) or 4.0,
            min_peers=r.integer("min_peers", 5, low=3),
            tail=r.choice("tail", ("both", "upper", "lower"), "both"),
        )
    source = data.get("expression")
    if not isinstance(source, str) or not source.strip():
        raise r.fail("expression", f"must be a non-empty expression (got {source!r})")
    try:
        expression = compile_expr(source, want="bool")
    except ExprError as exc:
        raise r.fail("expression", str(exc)) from None
    for name in expression.names:
        suffix = name.partition("@")[2]
        if suffix and suffix not in _SUFFIXES:
            raise r.fail(
                "expression",
                f"{name!r}: the suffix after @ must be one of {', '.join(_SUFFIXES)}",
            )
    return CrossCheckRule(**common, expression=expression)


def parse_rules(data: Iterable[Mapping[str, Any]] | Mapping[str, Any]) -> tuple[Rule, ...]:
    """Parse a list of rule mappings (or a mapping with a ``rules`` list); ids must be unique."""
    items: Any = data
    if isinstance(data, Mapping):
        if set(data) != {"rules"}:
            raise RuleError(
                "a rule set is a list of rules or a mapping with one key 'rules'",
                rule_id="-",
                field="rules",
            )
        items = data["rules"]
    if isinstance(items, str | bytes) or not isinstance(items, Iterable):
        raise RuleError("must be a list of rules", rule_id="-", field="rules")
    rules: list[Rule] = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        rule = parse_rule(item, position=i)
        if rule.id in seen:
            raise RuleError("duplicate rule id", rule_id=rule.id, field="id")
        seen.add(rule.id)
        rules.append(rule)
    return tuple(rules)


def rule_to_mapping(rule: Rule) -> dict[str, Any]:
    """The plain mapping of `rule` (JSON/YAML-ready): ``parse_rule`` of it gives `rule` back.

    Defaults are written out, except messages equal to the built-in ones.
    """
    out: dict[str, Any] = {"id": rule.id, "kind": rule.kind, "severity": rule.severity}
    if isinstance(rule, CrossCheckRule):
        out["expression"] = rule.expression.source
    else:
        out["indicator"] = rule.indicator
    if isinstance(rule, ThresholdRule):
        out.update({k: v for k, v in (("min", rule.min), ("max", rule.max)) if v is not None})
    elif isinstance(rule, DropRule):
        out.update(percent=rule.percent, against=rule.against, direction=rule.direction)
    elif isinstance(rule, PaceRule):
        share: Any = dict(rule.shares) if rule.shares is not None else "linear"
        out.update(share=share, tolerance=rule.tolerance, direction=rule.direction)
    elif isinstance(rule, PeerOutlierRule):
        out.update(k=rule.k, min_peers=rule.min_peers, tail=rule.tail)
    elif isinstance(rule, HBRule):
        out.update(
            against=rule.against,
            U=rule.U,
            A=rule.A,
            C=rule.C,
            min_peers=rule.min_peers,
            tail=rule.tail,
        )
    default = DEFAULT_MESSAGES[rule.kind]
    message = {
        lang: getattr(rule.messages, lang)
        for lang in ("zh", "en")
        if getattr(rule.messages, lang) != getattr(default, lang)
    }
    if message:
        out["message"] = message
    return out


# --- the input frame -----------------------------------------------------------------------


def _frozen(values: Any, n: int, what: str) -> FloatArray:
    arr = np.array(values, dtype=np.float64, copy=True)
    if arr.shape != (n,):
        raise DataError(f"{what} has shape {arr.shape}, expected ({n},)", column=what)
    arr.flags.writeable = False
    return arr


def _frozen_map(data: Mapping[str, Any] | None, n: int, what: str) -> Mapping[str, FloatArray]:
    out = {code: _frozen(v, n, f"{what}[{code!r}]") for code, v in (data or {}).items()}
    return MappingProxyType(out)


@dataclass(frozen=True)
class MonitoringFrame:
    """Every unit's figures for one time node; arrays are read-only and indexed like ``units``.

    ``current`` holds the values at this node (cumulative where a pace rule reads them),
    ``previous`` those of the previous node, ``last_year`` those of the same node last year,
    ``targets`` the year's targets. ``node`` is the node label (``Q1``, ``H1``, ``M5``…) and
    ``months`` the months elapsed by it (derived from the label when omitted). Build with
    :meth:`build`, which validates shapes and copies the arrays.
    """

    units: tuple[str, ...]
    categories: tuple[str, ...]
    current: Mapping[str, FloatArray]
    previous: Mapping[str, FloatArray]
    last_year: Mapping[str, FloatArray]
    targets: Mapping[str, FloatArray]
    node: str = ""
    months: int | None = None
    names: tuple[str, ...] = ()

    @classmethod
    def build(
        cls,
        *,
        units: Sequence[str],
        current: Mapping[str, Any],
        categories: Sequence[str] | None = None,
        previous: Mapping[str, Any] | None = None,
        last_year: Mapping[str, Any] | None = None,
        targets: Mapping[str, Any] | None = None,
        node: str = "",
        months: int | None = None,
        names: Sequence[str] | None = None,
    ) -> MonitoringFrame:
        """Validate and freeze the inputs (float64 copies; NaN = missing); raises DataError."""
        units_t = tuple(str(u) for u in units)
        n = len(units_t)
        if len(set(units_t)) != n:
            dup = next(u for i, u in enumerate(units_t) if u in units_t[:i])
            raise DataError(f"duplicate unit id {dup!r}", column="units")
        cats = tuple(str(c) for c in categories) if categories is not None else ("",) * n
        if len(cats) != n:
            raise DataError(f"{len(cats)} categories for {n} units", column="categories")
        names_t = tuple(str(x) for x in names) if names is not None else ()
        if names_t and len(names_t) != n:
            raise DataError(f"{len(names_t)} names for {n} units", column="names")
        if months is None:
            months = NODE_MONTHS.get(node)
        elif not 1 <= months <= 12:
            raise DataError(f"months must be 1..12 (got {months})", column="months")
        return cls(
            units=units_t,
            categories=cats,
            current=_frozen_map(current, n, "current"),
            previous=_frozen_map(previous, n, "previous"),
            last_year=_frozen_map(last_year, n, "last_year"),
            targets=_frozen_map(targets, n, "targets"),
            node=node,
            months=months,
            names=names_t,
        )

    @cached_property
    def category_codes(self) -> tuple[IntArray, int]:
        """Integer category codes in ``0..n_categories-1`` (sorted labels) and their count."""
        labels, codes = np.unique(np.asarray(self.categories, dtype=object), return_inverse=True)
        return codes.astype(np.intp).reshape(-1), len(labels)

    @cached_property
    def group_slots(self) -> tuple[IntArray | None, int]:
        """Where each unit goes in a (category × largest category) table, and its width.

        None when that table would hold more than 4× the units (very unequal categories);
        the grouped statistics then sort by value and category instead.
        """
        codes, ngroups = self.category_codes
        n = len(codes)
        counts = np.bincount(codes, minlength=ngroups)
        width = int(counts.max()) if ngroups else 0
        if ngroups * width > 4 * n + 1024:
            return None, width
        order = np.argsort(codes, kind="stable")
        starts = np.zeros(ngroups, dtype=np.intp)
        np.cumsum(counts[:-1], out=starts[1:])
        sorted_codes = codes[order]
        dest = np.empty(n, dtype=np.intp)
        dest[order] = sorted_codes * width + (np.arange(n) - starts[sorted_codes])
        return dest, width

    def series(self, which: str, code: str) -> FloatArray:
        """One array: ``current``/``previous``/``last_year``/``targets``; absent → all NaN."""
        arrays: Mapping[str, FloatArray] = getattr(self, which)
        arr = arrays.get(code)
        if arr is not None:
            return arr
        if which == "current":
            raise DataError(f"no current values for indicator {code!r}", column=code)
        return np.full(len(self.units), np.nan)


# --- grouped order statistics ----------------------------------------------------------------


@dataclass(frozen=True)
class _Groups:
    """Values sorted within each category (missing ones last), for order statistics."""

    sorted_values: FloatArray  # non-finite values replaced by +inf, so they sort last
    starts: IntArray
    n_valid: IntArray

    def quantile(self, q: float) -> FloatArray:
        """Per-group quantile with linear interpolation (R type 7, numpy's default)."""
        n = self.n_valid
        pos = q * (np.maximum(n, 1) - 1)
        lo = np.floor(pos).astype(np.intp)
        hi = np.ceil(pos).astype(np.intp)
        last = len(self.sorted_values) - 1
        a = self.sorted_values[np.clip(self.starts + lo, 0, last)]
        b = self.sorted_values[np.clip(self.starts + hi, 0, last)]
        with np.errstate(invalid="ignore"):
            # written as a + frac·(b − a) so that an exact middle value is returned exactly
            out = np.where(hi == lo, a, a + (pos - lo) * (b - a))
        out[n == 0] = np.nan
        return out

    def sum_sorted(self, values_in_sorted_order: FloatArray) -> FloatArray:
        """Per-group sums over values in the sorted order (so the unit order cannot matter)."""
        if not self.starts.size:
            return np.zeros(0)
        return np.add.reduceat(values_in_sorted_order, self.starts)


def _group(values: FloatArray, frame: MonitoringFrame) -> _Groups:
    """Sort `values` within each category of `frame` (non-finite values last)."""
    codes, ngroups = frame.category_codes
    valid = np.isfinite(values)
    key = np.where(valid, values, np.inf)
    n_valid = np.bincount(codes[valid], minlength=ngroups).astype(np.intp)
    dest, width = frame.group_slots
    if dest is not None:
        # padded layout: one row per category, +inf filler after its units; a plain sort of
        # each row (no argsort, no gather) is several times faster than a grouped argsort
        buf = np.full(ngroups * width, np.inf)
        buf[dest] = key
        buf.reshape(ngroups, width).sort(axis=1)
        return _Groups(buf, np.arange(ngroups, dtype=np.intp) * width, n_valid)
    # very unequal categories would make the padded table too big: sort by value, then stably
    # by category. The value sort need not be stable (tied values are equal, so the sorted
    # values do not depend on the unit order); the category sort is a radix sort.
    order = np.argsort(key)
    small = codes.astype(np.uint16) if ngroups <= 65536 else codes
    order = order[np.argsort(small[order], kind="stable")]
    counts = np.bincount(codes, minlength=ngroups)
    starts = np.zeros(ngroups, dtype=np.intp)
    np.cumsum(counts[:-1], out=starts[1:])
    return _Groups(key[order], starts, n_valid)


# --- results -------------------------------------------------------------------------------


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


def _readonly(arr: npt.NDArray[Any]) -> npt.NDArray[Any]:
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
            out["share_pct"] = _share(rule, self.frame) * 100.0
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
        words = _WORDS[lang]
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
        return _readonly(out)

    @property
    def findings(self) -> tuple[Finding, ...]:
        """All findings, most severe first, then in rule order and unit order."""
        rank = {s: i for i, s in enumerate(reversed(SEVERITIES))}
        ordered = sorted(self.results, key=lambda r: rank[r.rule.severity])
        return tuple(f for res in ordered for f in res.findings)


# --- kernels -------------------------------------------------------------------------------


class _Reasons:
    """Collects 'insufficient data' reasons as integer codes (first reason wins)."""

    def __init__(self, n: int) -> None:
        self.code = np.zeros(n, dtype=np.intp)
        self.texts: list[str] = [""]

    def add(self, mask: BoolArray, text: str) -> None:
        if not mask.any():
            return
        self.texts.append(text)
        self.code[mask & (self.code == 0)] = len(self.texts) - 1

    @property
    def any(self) -> BoolArray:
        return self.code > 0


def _result(
    rule: Rule,
    frame: MonitoringFrame,
    flagged: BoolArray,
    reasons: _Reasons,
    numbers: dict[str, FloatArray],
    operands: tuple[str, ...] = (),
) -> RuleResult:
    insufficient = reasons.any
    flagged = flagged & ~insufficient
    for arr in numbers.values():
        _readonly(arr)
    return RuleResult(
        rule=rule,
        frame=frame,
        flagged=_readonly(flagged),
        insufficient=_readonly(insufficient),
        reason_code=_readonly(reasons.code),
        reasons=tuple(reasons.texts),
        numbers=MappingProxyType(numbers),
        operands=operands,
    )


def _threshold(rule: ThresholdRule, frame: MonitoringFrame) -> RuleResult:
    x = frame.series("current", rule.indicator)
    reasons = _Reasons(len(x))
    reasons.add(~np.isfinite(x), "missing value")
    flagged = np.zeros(len(x), dtype=bool)
    if rule.min is not None:
        flagged |= x < rule.min
    if rule.max is not None:
        flagged |= x > rule.max
    return _result(rule, frame, flagged, reasons, {"value": x})


def _drop(rule: DropRule, frame: MonitoringFrame) -> RuleResult:
    x = frame.series("current", rule.indicator)
    which = "previous" if rule.against == "previous" else "last_year"
    base = frame.series(which, rule.indicator)
    reasons = _Reasons(len(x))
    reasons.add(~np.isfinite(x), "missing value")
    reasons.add(~np.isfinite(base), f"missing value of {_WORDS['en'][rule.against]}")
    reasons.add(base == 0, "the base value is zero: a change in % is not defined")
    with np.errstate(divide="ignore", invalid="ignore"):
        # ×100 before dividing so that round figures give round percentages (−10, not −10.000…2)
        change = (x - base) * 100.0 / np.abs(base)
    flagged = change < -rule.percent if rule.direction == "higher" else change > rule.percent
    return _result(
        rule,
        frame,
        flagged,
        reasons,
        {"value": x, "base": base, "change_pct": change},
    )


def _share(rule: PaceRule, frame: MonitoringFrame) -> float:
    if rule.shares is not None:
        if frame.node not in rule.shares:
            known = ", ".join(rule.shares)
            raise DataError(
                f"rule {rule.id!r}: no expected share for node {frame.node!r} (shares: {known})",
                column="node",
            )
        return rule.shares[frame.node]
    if frame.months is None:
        raise DataError(
            f"rule {rule.id!r}: a linear pace needs the months elapsed by node {frame.node!r}",
            column="months",
        )
    return frame.months / 12.0


def _pace(rule: PaceRule, frame: MonitoringFrame) -> RuleResult:
    x = frame.series("current", rule.indicator)
    target = frame.series("targets", rule.indicator)
    share = _share(rule, frame)
    reasons = _Reasons(len(x))
    reasons.add(~np.isfinite(x), "missing value")
    reasons.add(~np.isfinite(target), "missing target")
    expected = target * share
    with np.errstate(divide="ignore", invalid="ignore"):
        gap = (x - expected) * 100.0 / np.abs(expected)
    tol = rule.tolerance / 100.0
    if rule.direction == "higher":
        flagged = x < expected - tol * np.abs(expected)
    else:
        flagged = x > expected + tol * np.abs(expected)
    numbers = {
        "value": x,
        "target": target,
        "expected": expected,
        "gap_pct": gap,
    }
    return _result(rule, frame, flagged, reasons, numbers)


def _tail(score: FloatArray, low: FloatArray | float, high: FloatArray | float, tail: str) -> Any:
    if tail == "upper":
        return score > high
    if tail == "lower":
        return score < low
    return (score < low) | (score > high)


def _peer_outlier(rule: PeerOutlierRule, frame: MonitoringFrame) -> RuleResult:
    x = frame.series("current", rule.indicator)
    codes = frame.category_codes[0]
    valid = np.isfinite(x)
    reasons = _Reasons(len(x))
    reasons.add(~valid, "missing value")
    groups = _group(x, frame)
    reasons.add(
        groups.n_valid[codes] < rule.min_peers,
        f"fewer than {rule.min_peers} peers with a value in the category",
    )
    med = groups.quantile(0.5)[codes]
    dev = np.abs(x - med)
    dev_groups = _group(dev, frame)
    mad = dev_groups.quantile(0.5)[codes]
    # MAD = 0 (over half the peers share one value): fall back on the mean absolute deviation,
    # scaled by 1.253314 (= sqrt(pi/2), its consistency constant for the normal) as Iglewicz
    # and Hoaglin's modified z does; if that is 0 too, every peer has the same value: z = 0.
    finite_dev = np.where(np.isfinite(dev_groups.sorted_values), dev_groups.sorted_values, 0.0)
    mean_ad = (dev_groups.sum_sorted(finite_dev) / np.maximum(dev_groups.n_valid, 1))[codes]
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(
            mad > 0,
            0.6745 * (x - med) / mad,
            np.where(mean_ad > 0, (x - med) / (1.253314 * mean_ad), 0.0),
        )
    z = np.where(valid, z, np.nan)
    flagged = _tail(z, -rule.k, rule.k, rule.tail)
    numbers = {"value": x, "median": med, "mad": mad, "z": z}
    return _result(rule, frame, flagged, reasons, numbers)


def _hb(rule: HBRule, frame: MonitoringFrame) -> RuleResult:
    x = frame.series("current", rule.indicator)
    which = "previous" if rule.against == "previous" else "last_year"
    prev = frame.series(which, rule.indicator)
    codes = frame.category_codes[0]
    reasons = _Reasons(len(x))
    reasons.add(~np.isfinite(x), "missing value")
    reasons.add(~np.isfinite(prev), f"missing value of {_WORDS['en'][rule.against]}")
    reasons.add((x <= 0) | (prev <= 0), "the HB test needs positive values at both times")
    usable = ~reasons.any
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(usable, x / prev, np.nan)
        ratio_groups = _group(ratio, frame)
        reasons.add(
            ratio_groups.n_valid[codes] < rule.min_peers,
            f"fewer than {rule.min_peers} peers with both values in the category",
        )
        med_r = ratio_groups.quantile(0.5)[codes]
        # centring: symmetric around 0 for rises and falls of the same factor
        s = np.where(ratio < med_r, 1.0 - med_r / ratio, ratio / med_r - 1.0)
        # the size term lets larger units weigh more: a doubling of 1 is less than of 1,000
        effect = s * np.maximum(x, prev) ** rule.U
        effect_groups = _group(effect, frame)
        q1 = effect_groups.quantile(0.25)
        q2 = effect_groups.quantile(0.5)
        q3 = effect_groups.quantile(0.75)
        d1 = np.maximum(q2 - q1, np.abs(rule.A * q2))
        d3 = np.maximum(q3 - q2, np.abs(rule.A * q2))
        lower = (q2 - rule.C * d1)[codes]
        upper = (q2 + rule.C * d3)[codes]
    flagged = _tail(effect, lower, upper, rule.tail)
    numbers = {
        "value": x,
        "previous": prev,
        "ratio": ratio,
        "median_ratio": med_r,
        "effect": effect,
        "median_effect": q2[codes],
        "lower": lower,
        "upper": upper,
    }
    return _result(rule, frame, flagged, reasons, numbers)


def _env(names: Iterable[str], frame: MonitoringFrame) -> dict[str, FloatArray]:
    env: dict[str, FloatArray] = {}
    for name in names:
        code, _, suffix = name.partition("@")
        which = {"": "current", "prev": "previous", "last_year": "last_year", "target": "targets"}
        env[name] = frame.series(which[suffix], code)
    return env


def _sub_names(node: Node) -> frozenset[str]:
    # an Expression for a sub-tree needs its names; re-use the parser's own walk
    return frozenset(_names(node))


def _cross_check(rule: CrossCheckRule, frame: MonitoringFrame) -> RuleResult:
    expr = rule.expression
    env = _env(expr.names, frame)
    ok = np.broadcast_to(np.asarray(expr.evaluate(env), dtype=bool), (len(frame.units),))
    operands = tuple(sorted(expr.names))
    missing = np.zeros(len(frame.units), dtype=bool)
    for name in operands:
        missing |= ~np.isfinite(env[name])
    reasons = _Reasons(len(frame.units))
    # a condition that holds is trusted even with a missing operand (coalesce() may cover it);
    # one that fails with a missing operand cannot be told from a comparison with NaN
    reasons.add(missing & ~ok, "missing operand")
    numbers: dict[str, FloatArray] = {f"operand:{name}": env[name] for name in operands}
    tree = expr.tree
    if isinstance(tree, Binary) and tree.op in COMPARISONS:
        # the two sides of a top-level comparison, side by side for the person checking
        for side, sub in (("left", tree.left), ("right", tree.right)):
            sub_expr = Expression(expr.source, sub, "num", _sub_names(sub))
            val = np.asarray(sub_expr.evaluate(env), dtype=np.float64)
            numbers[side] = np.array(np.broadcast_to(val, (len(frame.units),)), dtype=np.float64)
    return _result(rule, frame, ~ok, reasons, numbers, operands)


_KERNELS: dict[str, Any] = {
    "threshold": _threshold,
    "drop": _drop,
    "pace": _pace,
    "peer_outlier": _peer_outlier,
    "hb": _hb,
    "cross_check": _cross_check,
}


def evaluate_rules(rules: Iterable[Rule], frame: MonitoringFrame) -> MonitoringResult:
    """Evaluate every rule on every unit of `frame`; raises DataError for an absent indicator.

    Loops run over rules only; each rule is a handful of whole-array numpy operations (plus two
    sorts for the rules within a category).
    """
    results = tuple(_KERNELS[rule.kind](rule, frame) for rule in rules)
    return MonitoringResult(units=frame.units, results=results)
