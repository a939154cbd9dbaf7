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

The modules, by job: `rules` (the rule kinds and `RuleError`), `parse` (rules from and to plain
mappings), `frame` (the input frame and order statistics within categories), `kernels` (the
numpy kernels and `evaluate_rules`), `results` (the verdicts and their messages).
"""

from .frame import MonitoringFrame
from .kernels import evaluate_rules
from .parse import DEFAULT_MESSAGES, parse_rule, parse_rules, rule_to_mapping
from .results import Finding, MonitoringResult, RuleResult
from .rules import (
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
