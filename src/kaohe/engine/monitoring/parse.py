"""Reading rules from plain mappings (JSON or YAML) and writing them back."""

from __future__ import annotations

import math
import re
import string
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

from ..errors import ExprError
from ..expr import compile_expr
from .rules import (
    KINDS,
    SEVERITIES,
    CrossCheckRule,
    DropRule,
    HBRule,
    Messages,
    PaceRule,
    PeerOutlierRule,
    Rule,
    RuleError,
    ThresholdRule,
)

_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")
# expression suffixes that read the other arrays of the frame instead of the current node
_SUFFIXES = ("prev", "last_year", "target")

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
