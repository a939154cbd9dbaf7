"""The numpy kernels: each rule kind over all units at once, and `evaluate_rules`."""

from __future__ import annotations

from collections.abc import Iterable
from types import MappingProxyType
from typing import Any

import numpy as np

from ..expr import COMPARISONS, Binary, Expression, Node, node_names
from .frame import MonitoringFrame, group, pace_share
from .results import WORDS, MonitoringResult, RuleResult, readonly
from .rules import (
    BoolArray,
    CrossCheckRule,
    DropRule,
    FloatArray,
    HBRule,
    PaceRule,
    PeerOutlierRule,
    Rule,
    ThresholdRule,
)


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
        readonly(arr)
    return RuleResult(
        rule=rule,
        frame=frame,
        flagged=readonly(flagged),
        insufficient=readonly(insufficient),
        reason_code=readonly(reasons.code),
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
    reasons.add(~np.isfinite(base), f"missing value of {WORDS['en'][rule.against]}")
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


def _pace(rule: PaceRule, frame: MonitoringFrame) -> RuleResult:
    x = frame.series("current", rule.indicator)
    target = frame.series("targets", rule.indicator)
    share = pace_share(rule, frame)
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
    groups = group(x, frame)
    reasons.add(
        groups.n_valid[codes] < rule.min_peers,
        f"fewer than {rule.min_peers} peers with a value in the category",
    )
    med = groups.quantile(0.5)[codes]
    dev = np.abs(x - med)
    dev_groups = group(dev, frame)
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
    reasons.add(~np.isfinite(prev), f"missing value of {WORDS['en'][rule.against]}")
    reasons.add((x <= 0) | (prev <= 0), "the HB test needs positive values at both times")
    usable = ~reasons.any
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(usable, x / prev, np.nan)
        ratio_groups = group(ratio, frame)
        reasons.add(
            ratio_groups.n_valid[codes] < rule.min_peers,
            f"fewer than {rule.min_peers} peers with both values in the category",
        )
        med_r = ratio_groups.quantile(0.5)[codes]
        # centring: symmetric around 0 for rises and falls of the same factor
        s = np.where(ratio < med_r, 1.0 - med_r / ratio, ratio / med_r - 1.0)
        # the size term lets larger units weigh more: a doubling of 1 is less than of 1,000
        effect = s * np.maximum(x, prev) ** rule.U
        effect_groups = group(effect, frame)
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
    return frozenset(node_names(node))


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
