"""Monitoring rules from plain mappings and back (`kaohe.engine.monitoring.parse`)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from kaohe.engine.monitoring import (
    CrossCheckRule,
    DropRule,
    HBRule,
    RuleError,
    ThresholdRule,
    parse_rules,
    rule_to_mapping,
)


def test_parse_rules_builds_immutable_dataclasses_with_defaults() -> None:
    rules = parse_rules(
        {
            "rules": [
                {"id": "t", "kind": "threshold", "indicator": "gdp", "max": 5},
                {"id": "d", "kind": "drop", "indicator": "gdp", "percent": 3.5},
                {"id": "h", "kind": "hb", "indicator": "gdp", "C": 7, "severity": "info"},
                {"id": "x", "kind": "cross_check", "expression": "a <= b"},
            ]
        }
    )
    t, d, h, x = rules
    assert isinstance(t, ThresholdRule) and (t.min, t.max, t.severity) == (None, 5.0, "warning")
    assert isinstance(d, DropRule) and (d.against, d.direction, d.percent) == (
        "previous",
        "higher",
        3.5,
    )
    assert isinstance(h, HBRule) and (h.U, h.A, h.C, h.min_peers, h.severity) == (
        0.5,
        0.05,
        7.0,
        5,
        "info",
    )
    assert isinstance(x, CrossCheckRule) and x.expression.names == frozenset({"a", "b"})
    with pytest.raises(AttributeError):
        t.max = 6  # type: ignore[misc]


@pytest.mark.parametrize(
    ("rule", "text"),
    [
        ({"kind": "threshold"}, "rule '#1', field 'id': must be a non-empty identifier"),
        ({"id": "a", "kind": "trend"}, "rule 'a', field 'kind': must be one of threshold, drop"),
        ({"id": "a", "kind": "threshold", "indicator": "x"},
         "rule 'a', field 'min': a threshold rule needs min, max or both"),
        ({"id": "a", "kind": "threshold", "indicator": "x", "min": 3, "max": 2},
         "rule 'a', field 'max': must be ≥ min (2 < 3)"),
        ({"id": "a", "kind": "threshold", "indicator": "x", "min": "3"},
         "rule 'a', field 'min': must be a number (got '3')"),
        ({"id": "a", "kind": "drop", "indicator": "x"}, "rule 'a', field 'percent': is required"),
        ({"id": "a", "kind": "drop", "indicator": "x", "percent": -2},
         "rule 'a', field 'percent': must be > 0 (got -2)"),
        ({"id": "a", "kind": "drop", "indicator": "x", "percent": 2, "against": "Q1"},
         "rule 'a', field 'against': must be one of previous, last_year (got 'Q1')"),
        ({"id": "a", "kind": "drop", "indicator": "x", "percent": 2, "k": 3},
         "rule 'a', field 'k': is not a field of a drop rule"),
        ({"id": "a", "kind": "drop", "percent": 2}, "rule 'a', field 'indicator': is required"),
        ({"id": "a", "kind": "hb", "indicator": "x", "U": 1.5},
         "rule 'a', field 'U': must be ≤ 1 (got 1.5)"),
        ({"id": "a", "kind": "pace", "indicator": "x", "share": {"Q1": 1.5}},
         "rule 'a', field 'share.Q1': must be a share in (0, 1] per node (got 1.5)"),
        ({"id": "a", "kind": "peer_outlier", "indicator": "x", "min_peers": 2},
         "rule 'a', field 'min_peers': must be ≥ 3 (got 2)"),
        ({"id": "a", "kind": "threshold", "indicator": "x", "max": 1, "severity": "high"},
         "rule 'a', field 'severity': must be one of info, warning, serious (got 'high')"),
        ({"id": "a", "kind": "threshold", "indicator": "x", "max": 1,
          "message": {"en": "{value.__class__}"}},
         "rule 'a', field 'message.en': unknown field {value.__class__}"),
        ({"id": "a", "kind": "threshold", "indicator": "x", "max": 1,
          "message": {"zh": "{z}"}}, "rule 'a', field 'message.zh': unknown field {z}"),
    ],
)  # fmt: skip
def test_invalid_rules_name_the_rule_and_the_field(rule: dict[str, Any], text: str) -> None:
    with pytest.raises(RuleError) as err:
        parse_rules([rule])
    assert str(err.value).startswith(text)


def test_duplicate_rule_ids_are_refused() -> None:
    rule = {"id": "a", "kind": "threshold", "indicator": "x", "max": 1}
    with pytest.raises(RuleError, match="rule 'a', field 'id': duplicate rule id"):
        parse_rules([rule, rule])


def test_rules_round_trip_through_plain_mappings() -> None:
    rules = parse_rules(
        [
            {"id": "t", "kind": "threshold", "indicator": "gdp", "min": 1},
            {"id": "d", "kind": "drop", "indicator": "gdp", "percent": 5, "direction": "lower"},
            {"id": "p", "kind": "pace", "indicator": "fai", "share": {"H1": 0.4, "Y": 1}},
            {"id": "q", "kind": "pace", "indicator": "fai", "tolerance": 2},
            {"id": "o", "kind": "peer_outlier", "indicator": "gdp", "tail": "lower"},
            {"id": "h", "kind": "hb", "indicator": "gdp", "U": 0.3, "against": "last_year"},
            {"id": "c", "kind": "cross_check", "expression": "a <= b",
             "message": {"en": "{unit}: {left} > {right}"}},
        ]
    )  # fmt: skip
    mappings = [rule_to_mapping(r) for r in rules]
    assert mappings[0] == {"id": "t", "kind": "threshold", "severity": "warning",
                           "indicator": "gdp", "min": 1.0}  # fmt: skip
    assert mappings[6]["message"] == {"en": "{unit}: {left} > {right}"}
    assert json.loads(json.dumps(mappings)) == mappings
    assert parse_rules(mappings) == rules
