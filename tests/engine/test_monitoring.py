"""Monitoring and cross-validation rules: hand-computed verdicts for every rule kind."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kaohe.engine.errors import DataError
from kaohe.engine.monitoring import (
    MonitoringFrame,
    RuleError,
    evaluate_rules,
    parse_rule,
    parse_rules,
)

NAN = math.nan


def run(rule: dict[str, Any], **frame: Any) -> Any:
    """Evaluate one rule (given as a mapping) on a frame built from keyword arguments."""
    units = frame.pop("units", None)
    if units is None:
        first = next(iter(frame["current"].values()))
        units = [f"u{i}" for i in range(len(first))]
    return evaluate_rules(parse_rules([rule]), MonitoringFrame.build(units=units, **frame))[
        rule["id"]
    ]


# --- threshold -----------------------------------------------------------------------------


def test_threshold_flags_below_min_and_above_max_and_reports_missing() -> None:
    res = run(
        {"id": "t", "kind": "threshold", "indicator": "gdp", "min": 10, "max": 20},
        units=["a", "b", "c", "d", "e"],
        names=["甲区", "乙区", "丙区", "丁区", "戊区"],
        current={"gdp": [5.0, 10.0, 20.0, 25.5, NAN]},
    )
    assert res.flagged.tolist() == [True, False, False, True, False]
    assert res.insufficient.tolist() == [False, False, False, False, True]
    assert res.flagged_units == ("a", "d")
    assert res.details(4) == {
        "unit": "e",
        "status": "insufficient_data",
        "reason": "missing value",
        "value": None,
        "min": 10.0,
        "max": 20.0,
    }
    assert res.details(1)["status"] == "ok"
    assert [f.message_zh for f in res.findings] == [
        "甲区：gdp为5，低于下限10",
        "丁区：gdp为25.5，高于上限20",
    ]
    assert [f.message_en for f in res.findings] == [
        "甲区: gdp is 5, below the minimum 10",
        "丁区: gdp is 25.5, above the maximum 20",
    ]
    assert not res.flagged.flags.writeable


def test_threshold_with_only_a_minimum_and_custom_messages() -> None:
    res = run(
        {
            "id": "low-rd",
            "kind": "threshold",
            "indicator": "rd",
            "min": 2.5,
            "severity": "serious",
            "message": {
                "zh": "{unit} 研发投入 {value:.1f} 过低",
                "en": "{unit}: R&D {value} < {min}",
            },
        },
        current={"rd": [2.4, 2.5, 1e9]},
    )
    assert res.flagged.tolist() == [True, False, False]
    (finding,) = res.findings
    assert (finding.severity, finding.message_zh, finding.message_en) == (
        "serious",
        "u0 研发投入 2.4 过低",
        "u0: R&D 2.4 < 2.5",
    )


# --- drop ----------------------------------------------------------------------------------


def test_drop_against_previous_node_is_strictly_beyond_the_percent() -> None:
    res = run(
        {"id": "d", "kind": "drop", "indicator": "rev", "percent": 10},
        current={"rev": [90.0, 89.0, 110.0, NAN, 50.0, -12.0]},
        previous={"rev": [100.0, 100.0, 100.0, 100.0, 0.0, -10.0]},
    )
    # changes: −10 (not beyond 10), −11, +10, missing, base 0, (−12 − −10)/|−10| = −20
    assert res.numbers["change_pct"][[0, 1, 2, 5]].tolist() == [-10.0, -11.0, 10.0, -20.0]
    assert res.flagged.tolist() == [False, True, False, False, False, True]
    assert res.insufficient.tolist() == [False, False, False, True, True, False]
    assert res.details(4)["reason"] == "the base value is zero: a change in % is not defined"
    assert res.details(1) == {
        "unit": "u1",
        "status": "flagged",
        "value": 89.0,
        "base": 100.0,
        "change_pct": -11.0,
        "percent": 10.0,
        "against": "previous",
        "direction": "higher",
    }
    assert res.findings[0].message_en == (
        "u1: rev is 89, -11% against the previous node (100), beyond 10%"
    )
    assert res.findings[0].message_zh == "u1：rev为89，较上一节点（100）变化-11%，超过10%"


def test_drop_is_direction_aware_and_can_compare_with_last_year() -> None:
    rule = {
        "id": "energy",
        "kind": "drop",
        "indicator": "energy",
        "percent": 5,
        "against": "last_year",
        "direction": "lower",
    }
    res = run(
        rule,
        current={"energy": [106.0, 105.0, 80.0, 120.0]},
        previous={"energy": [100.0, 100.0, 100.0, NAN]},  # not read: last year is the base
        last_year={"energy": [100.0, 100.0, 100.0, 100.0]},
    )
    # where lower is better, a rise is the adverse change; a fall of 20 % is good news
    assert res.flagged.tolist() == [True, False, False, True]
    assert res.details(0)["against"] == "last_year"
    assert "the same node last year" in res.findings[0].message_en
    # no last-year data at all: every unit is insufficient, none flagged
    res = run(rule, current={"energy": [106.0, 80.0]})
    assert res.flagged.tolist() == [False, False]
    assert res.details(0)["reason"] == "missing value of the same node last year"


# --- pace ----------------------------------------------------------------------------------


def test_pace_with_shares_per_node_and_a_tolerance() -> None:
    rule = {
        "id": "p",
        "kind": "pace",
        "indicator": "fai",
        "share": {"Q1": 0.2, "H1": 0.45, "Q3": 0.7, "Y": 1.0},
        "tolerance": 10,
    }
    res = run(
        rule,
        node="H1",
        current={"fai": [45.0, 40.5, 40.0, 10.0, 30.0]},
        targets={"fai": [100.0, 100.0, 100.0, NAN, 100.0]},
    )
    # expected 45; 10 % tolerance → flagged below 40.5
    assert res.numbers["expected"].tolist()[:3] == [45.0, 45.0, 45.0]
    assert res.flagged.tolist() == [False, False, True, False, True]
    assert res.insufficient.tolist() == [False, False, False, True, False]
    assert res.details(4)["gap_pct"] == pytest.approx(-100.0 / 3.0, rel=1e-15)
    assert res.findings[1].message_en == (
        "u4: fai is 30 by H1; the pace of the target needs 45 (45% of 100), a gap of -33.33%"
    )
    with pytest.raises(DataError, match=r"no expected share for node 'M5'"):
        run(rule, node="M5", current={"fai": [1.0]}, targets={"fai": [2.0]})


def test_pace_linear_in_months_and_direction_lower() -> None:
    res = run(
        {"id": "p", "kind": "pace", "indicator": "fai"},
        node="M5",
        current={"fai": [50.0, 49.0]},
        targets={"fai": [120.0, 120.0]},
    )
    assert res.details(0)["share_pct"] == pytest.approx(500.0 / 12.0, rel=1e-15)
    assert res.numbers["expected"].tolist() == [50.0, 50.0]
    assert res.flagged.tolist() == [False, True]
    # a ceiling (e.g. energy use): ahead of the allowed pace is the adverse side
    res = run(
        {"id": "p", "kind": "pace", "indicator": "e", "direction": "lower", "tolerance": 5},
        node="Q3",
        current={"e": [78.0, 78.7, 78.8]},
        targets={"e": [100.0, 100.0, 100.0]},
    )
    assert res.flagged.tolist() == [False, False, True]  # allowed 75 × 1.05 = 78.75
    with pytest.raises(DataError, match="a linear pace needs the months elapsed"):
        run({"id": "p", "kind": "pace", "indicator": "e"}, node="week3", current={"e": [1.0]})


# --- peer outliers -------------------------------------------------------------------------


def test_peer_outlier_robust_z_within_category() -> None:
    res = run(
        {"id": "o", "kind": "peer_outlier", "indicator": "x"},
        units=["a", "b", "c", "d", "e", "f", "g"],
        categories=["区", "区", "区", "区", "区", "县", "县"],
        current={"x": [10.0, 12.0, 11.0, 13.0, 50.0, 1000.0, 1.0]},
    )
    # 区: median 12, |x − 12| = 2, 0, 1, 1, 38 → MAD 1; z = 0.6745·(x − 12)
    assert res.numbers["z"][:5].tolist() == pytest.approx(
        [-1.349, 0.0, -0.6745, 0.6745, 25.631], rel=1e-12
    )
    assert res.flagged.tolist() == [False, False, False, False, True, False, False]
    # 县 has two units: fewer than the 5 peers a robust z needs
    assert res.insufficient.tolist() == [False] * 5 + [True, True]
    assert res.details(5)["reason"] == "fewer than 5 peers with a value in the category"
    assert res.findings[0].message_en == (
        "e: x is 50 against a peer median of 12 (robust z = 25.63, beyond ±3.5)"
    )


def test_peer_outlier_when_mad_is_zero() -> None:
    rule = {"id": "o", "kind": "peer_outlier", "indicator": "x", "tail": "upper"}
    res = run(rule, current={"x": [5.0, 5.0, 5.0, 5.0, 100.0, 5.0]})
    # MAD = 0 → mean absolute deviation 95/6, z = 95 / (1.253314 · 95/6) = 6/1.253314
    assert res.numbers["mad"][0] == 0.0
    assert res.numbers["z"].tolist() == pytest.approx([0.0] * 4 + [6 / 1.253314, 0.0], rel=1e-12)
    assert res.flagged.tolist() == [False, False, False, False, True, False]
    # every peer equal: no spread at all, nobody is an outlier (no division by zero)
    res = run(rule, current={"x": [7.0] * 6})
    assert res.numbers["z"].tolist() == [0.0] * 6
    assert not res.flagged.any()


def test_peer_outlier_tails_and_missing_values() -> None:
    values = [10.0, 12.0, 11.0, 13.0, -30.0, NAN]
    upper = run({"id": "o", "kind": "peer_outlier", "indicator": "x", "tail": "upper"},
                current={"x": values})  # fmt: skip
    both = run({"id": "o", "kind": "peer_outlier", "indicator": "x"}, current={"x": values})
    assert upper.flagged.tolist() == [False] * 6
    assert both.flagged.tolist() == [False, False, False, False, True, False]
    assert both.insufficient.tolist() == [False] * 5 + [True]
    assert both.details(5)["z"] is None


# --- Hidiroglou–Berthelot ------------------------------------------------------------------


HB_PREV = [100.0] * 7
HB_CUR = [90.0, 95.0, 100.0, 100.0, 105.0, 110.0, 200.0]


def test_hb_hand_computed_with_u_zero() -> None:
    """U = 0, so E = s: ratios .9 .95 1 1 1.05 1.1 2, median 1.

    E = 1 − 1/.9, 1 − 1/.95, 0, 0, .05, .1, 1; quartiles (type 7, n = 7):
    Q1 = (E₂ + E₃)/2 = −0.0263158, median 0, Q3 = (.05 + .1)/2 = .075.
    dQ1 = max(0.0263158, |0.05·0|), dQ3 = .075; C = 4 → bounds [−0.1052632, 0.3].
    """
    res = run(
        {"id": "hb", "kind": "hb", "indicator": "x", "U": 0},
        current={"x": HB_CUR},
        previous={"x": HB_PREV},
    )
    e = [1 - 1 / 0.9, 1 - 1 / 0.95, 0.0, 0.0, 1.05 - 1, 1.1 - 1, 1.0]
    assert res.numbers["effect"].tolist() == pytest.approx(e, rel=1e-12, abs=1e-15)
    q1 = (1 - 1 / 0.95) / 2
    assert res.numbers["lower"][0] == pytest.approx(4 * q1, rel=1e-12)
    assert res.numbers["upper"][0] == pytest.approx(0.3, rel=1e-12)
    # the fall to 90 is just outside the lower bound with C = 4, the doubling far above
    assert res.flagged.tolist() == [True, False, False, False, False, False, True]
    assert res.details(6) == pytest.approx(
        {
            "unit": "u6",
            "status": "flagged",
            "value": 200.0,
            "previous": 100.0,
            "ratio": 2.0,
            "median_ratio": 1.0,
            "effect": 1.0,
            "median_effect": 0.0,
            "lower": 4 * q1,
            "upper": 0.3,
            "U": 0.0,
            "A": 0.05,
            "C": 4.0,
        }
    )
    assert res.findings[1].message_en == (
        "u6: x went from 100 to 200 (ratio 2, peer median 1); "
        "HB effect 1 is outside [-0.1053, 0.3], please verify"
    )
    # C = 7 (the wider interval also in use) keeps only the doubling; tail=upper likewise
    wide = run({"id": "hb", "kind": "hb", "indicator": "x", "U": 0, "C": 7},
               current={"x": HB_CUR}, previous={"x": HB_PREV})  # fmt: skip
    assert wide.flagged.tolist() == [False] * 6 + [True]
    upper = run({"id": "hb", "kind": "hb", "indicator": "x", "U": 0, "tail": "upper"},
                current={"x": HB_CUR}, previous={"x": HB_PREV})  # fmt: skip
    assert upper.flagged.tolist() == [False] * 6 + [True]


def test_hb_size_term_and_a_floor_on_the_spread() -> None:
    """U = 0.5 and every ratio equal except one: quartile distances are 0, A·|med| is the floor."""
    cur = [110.0, 220.0, 330.0, 440.0, 550.0, 1000.0]
    prev = [100.0, 200.0, 300.0, 400.0, 500.0, 600.0]
    res = run({"id": "hb", "kind": "hb", "indicator": "x"}, current={"x": cur},
              previous={"x": prev})  # fmt: skip
    # median ratio 1.1 (five of six); s = 0 for those, so E = 0 there and the quartiles are 0
    assert res.numbers["median_ratio"][0] == pytest.approx(1.1, rel=1e-15)
    e_last = (1000 / 600 / 1.1 - 1) * 1000**0.5
    assert res.numbers["effect"][5] == pytest.approx(e_last, rel=1e-12)
    assert res.numbers["effect"][:5].tolist() == pytest.approx([0.0] * 5, abs=1e-12)
    # d = max(0, |0.05 · 0|) = 0 → bounds collapse onto the median: any non-zero E is flagged
    assert res.flagged.tolist() == [False] * 5 + [True]


@pytest.mark.parametrize("layout", ["three balanced categories", "one big and 60 single units"])
def test_hb_matches_a_direct_transcription_of_the_method_per_category(layout: str) -> None:
    """Against the published recipe written plainly (per category, numpy quantiles).

    The second layout makes the padded (category × largest category) table too big, so the
    grouped statistics take the other path (argsort by value, radix sort by category).
    """
    rng = np.random.default_rng(7)
    n = 300
    prev = rng.lognormal(4, 1, n)
    cur = prev * rng.lognormal(0.05, 0.1, n)
    cur[:6] *= [3.0, 0.2, 5.0, 1.0, 1.0, 1.0]
    prev[6] = NAN
    cur[7] = -1.0
    if layout == "three balanced categories":
        cats = np.array(["A", "B", "C"])[rng.integers(0, 3, n)]
    else:
        cats = np.array(["A"] * 240 + [f"s{i}" for i in range(60)])
        rng.shuffle(cats)
    frame = MonitoringFrame.build(units=[str(i) for i in range(n)], categories=cats.tolist(),
                                  current={"x": cur})  # fmt: skip
    assert (frame.group_slots[0] is None) == (layout != "three balanced categories")
    res = run(
        {"id": "hb", "kind": "hb", "indicator": "x", "U": 0.4, "C": 7},
        units=[f"u{i}" for i in range(n)],
        categories=cats.tolist(),
        current={"x": cur},
        previous={"x": prev},
    )
    expected = np.zeros(n, dtype=bool)
    for cat in sorted(set(cats.tolist())):
        idx = np.flatnonzero((cats == cat) & (cur > 0) & (prev > 0) & np.isfinite(prev))
        if len(idx) < 5:
            continue  # too few peers: insufficient data, never flagged
        r = cur[idx] / prev[idx]
        med = np.median(r)
        s = np.where(r < med, 1 - med / r, r / med - 1)
        e = s * np.maximum(cur[idx], prev[idx]) ** 0.4
        q1, q2, q3 = np.quantile(e, [0.25, 0.5, 0.75])
        d1, d3 = max(q2 - q1, abs(0.05 * q2)), max(q3 - q2, abs(0.05 * q2))
        expected[idx] = (e < q2 - 7 * d1) | (e > q2 + 7 * d3)
    assert res.flagged.tolist() == expected.tolist()
    assert res.flagged[[0, 1, 2]].tolist() == [cats[i] in "ABC" for i in (0, 1, 2)]
    assert res.insufficient[[6, 7]].tolist() == [True, True]
    assert res.details(7)["reason"] == "the HB test needs positive values at both times"


# --- cross-checks --------------------------------------------------------------------------


def test_cross_check_tax_not_above_fiscal_revenue_side_by_side() -> None:
    res = run(
        {"id": "tax", "kind": "cross_check", "expression": "tax_revenue <= fiscal_revenue",
         "severity": "serious"},
        current={"tax_revenue": [80.0, 120.0, NAN, 100.0],
                 "fiscal_revenue": [100.0, 100.0, 100.0, 100.0]},
    )  # fmt: skip
    assert res.flagged.tolist() == [False, True, False, False]
    assert res.insufficient.tolist() == [False, False, True, False]
    assert res.details(1) == {
        "unit": "u1",
        "status": "flagged",
        "left": 120.0,
        "right": 100.0,
        "expression": "tax_revenue <= fiscal_revenue",
        "operands": {"fiscal_revenue": 100.0, "tax_revenue": 120.0},
    }
    assert res.details(2)["reason"] == "missing operand"
    assert res.findings[0].message_en == (
        "u1 fails the cross-check tax_revenue <= fiscal_revenue: "
        "fiscal_revenue = 100, tax_revenue = 120"
    )
    assert res.findings[0].message_zh == (
        "u1：未通过印证规则 tax_revenue <= fiscal_revenue：fiscal_revenue = 100, tax_revenue = 120"
    )


def test_cross_check_growth_band_and_key_project_sum() -> None:
    band = run(
        {"id": "g", "kind": "cross_check",
         "expression": "abs(fiscal_revenue_growth - tax_revenue_growth) <= 5"},
        current={"fiscal_revenue_growth": [8.0, 8.0, 2.0],
                 "tax_revenue_growth": [3.0, 2.5, 9.0]},
    )  # fmt: skip
    assert band.flagged.tolist() == [False, True, True]
    assert band.numbers["left"].tolist() == [5.0, 5.5, 7.0]
    assert band.numbers["right"].tolist() == [5.0, 5.0, 5.0]
    fai = run(
        {"id": "f", "kind": "cross_check", "expression": "fai >= 0.8 * key_project_investment"},
        current={"fai": [100.0, 79.0], "key_project_investment": [125.0, 100.0]},
    )
    assert fai.flagged.tolist() == [False, True]
    assert fai.numbers["right"].tolist() == [100.0, 80.0]


def test_cross_check_reads_previous_last_year_and_targets_by_suffix() -> None:
    res = run(
        {"id": "c", "kind": "cross_check",
         "expression": "rev >= rev@prev and rev <= 2 * rev@last_year and rev <= rev@target"},
        current={"rev": [150.0, 90.0, 150.0, 150.0]},
        previous={"rev": [100.0, 100.0, 100.0, 100.0]},
        last_year={"rev": [100.0, 100.0, 70.0, 100.0]},
        targets={"rev": [200.0, 200.0, 200.0, 140.0]},
    )  # fmt: skip
    assert res.flagged.tolist() == [False, True, True, True]
    assert "left" not in res.numbers  # no single top-level comparison to show
    assert res.details(2)["operands"] == {
        "rev": 150.0, "rev@last_year": 70.0, "rev@prev": 100.0, "rev@target": 200.0,
    }  # fmt: skip


def test_cross_check_condition_holding_through_coalesce_is_not_insufficient() -> None:
    res = run(
        {"id": "c", "kind": "cross_check", "expression": "coalesce(a, 0) <= b"},
        current={"a": [NAN, NAN], "b": [1.0, -1.0]},
    )
    assert res.flagged.tolist() == [False, False]
    assert res.insufficient.tolist() == [False, True]


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("__import__('os') == 1", "name '__import__' is not allowed (dunder names)"),
        ("a.__class__ == 1", "unexpected '.': attribute access is not allowed"),
        ("open(a) > 1", "function 'open' is not allowed"),
        ("a + b", "the expression must give a condition (a comparison, true/false)"),
        ("a@Q1 > 1", "'a@Q1': the suffix after @ must be one of prev, last_year, target"),
    ],
)
def test_cross_check_refuses_expressions_outside_the_language(
    expression: str, message: str
) -> None:
    with pytest.raises(RuleError) as err:
        parse_rule({"id": "bad", "kind": "cross_check", "expression": expression})
    assert (err.value.rule_id, err.value.field) == ("bad", "expression")
    assert message in str(err.value)
    assert str(err.value).startswith("rule 'bad', field 'expression': ")


# --- frame and result ----------------------------------------------------------------------


def test_frame_validation_and_absent_indicator() -> None:
    with pytest.raises(DataError, match="duplicate unit id 'a'"):
        MonitoringFrame.build(units=["a", "a"], current={})
    with pytest.raises(DataError, match=r"current\['x'\] has shape \(3,\), expected \(2,\)"):
        MonitoringFrame.build(units=["a", "b"], current={"x": [1, 2, 3]})
    frame = MonitoringFrame.build(units=["a"], current={"x": [1.0]}, node="Q3")
    assert frame.months == 9
    rules = parse_rules([{"id": "t", "kind": "threshold", "indicator": "y", "max": 1}])
    with pytest.raises(DataError, match="no current values for indicator 'y'"):
        evaluate_rules(rules, frame)


def test_monitoring_result_orders_findings_by_severity() -> None:
    rules = parse_rules(
        [
            {"id": "i", "kind": "threshold", "indicator": "x", "max": 1, "severity": "info"},
            {"id": "s", "kind": "threshold", "indicator": "x", "max": 2, "severity": "serious"},
        ]
    )
    frame = MonitoringFrame.build(units=["a", "b"], current={"x": [3.0, 1.5]})
    result = evaluate_rules(rules, frame)
    assert [(f.rule_id, f.unit) for f in result.findings] == [("s", "a"), ("i", "a"), ("i", "b")]
    assert result.any_flagged.tolist() == [True, True]
    with pytest.raises(KeyError):
        result["nope"]


# --- property: neither the order of the units nor the sorting path matters -------------------

ALL_KINDS = parse_rules(
    [
        {"id": "t", "kind": "threshold", "indicator": "x", "min": 5, "max": 80},
        {"id": "d", "kind": "drop", "indicator": "x", "percent": 15},
        {"id": "p", "kind": "pace", "indicator": "x", "tolerance": 5},
        {"id": "o", "kind": "peer_outlier", "indicator": "x", "k": 2.0, "min_peers": 3},
        {"id": "h", "kind": "hb", "indicator": "x", "C": 2.0, "min_peers": 3},
        {"id": "c", "kind": "cross_check", "expression": "x <= 1.2 * x@prev"},
    ]
)

values = st.one_of(st.just(NAN), st.floats(min_value=1.0, max_value=100.0).map(round))


@settings(max_examples=60, deadline=None)
@given(
    data=st.lists(st.tuples(values, values, st.sampled_from("ABC")), min_size=1, max_size=25),
    seed=st.integers(0, 2**32 - 1),
)
def test_unit_order_does_not_change_the_verdicts(
    data: list[tuple[float, float, str]], seed: int
) -> None:
    n = len(data)
    cur = np.array([d[0] for d in data])
    prev = np.array([d[1] for d in data])
    cats = [d[2] for d in data]
    units = [f"u{i}" for i in range(n)]
    perm = np.random.default_rng(seed).permutation(n)

    def verdicts(
        order: np.ndarray, *, padded: bool = True
    ) -> dict[str, dict[str, tuple[bool, bool]]]:
        frame = MonitoringFrame.build(
            units=[units[i] for i in order],
            categories=[cats[i] for i in order],
            current={"x": cur[order]},
            previous={"x": prev[order]},
            targets={"x": np.full(n, 150.0)},
            node="H1",
        )
        if not padded:
            # take the path used for very unequal categories (argsort + radix sort)
            frame.__dict__["group_slots"] = (None, 0)
        result = evaluate_rules(ALL_KINDS, frame)
        return {
            res.rule.id: {
                u: (bool(f), bool(i))
                for u, f, i in zip(res.units, res.flagged, res.insufficient, strict=True)
            }
            for res in result.results
        }

    assert verdicts(np.arange(n)) == verdicts(perm) == verdicts(perm, padded=False)


def test_hb_against_last_year_and_the_documented_rule_set_parses() -> None:
    res = run(
        {"id": "hb", "kind": "hb", "indicator": "x", "U": 0, "against": "last_year"},
        current={"x": HB_CUR},
        previous={"x": [1.0] * 7},  # not read
        last_year={"x": HB_PREV},
    )
    assert res.flagged.tolist() == [True, False, False, False, False, False, True]
    assert (res.details(0)["previous"], res.details(0)["value"]) == (100.0, 90.0)
    yaml = pytest.importorskip("yaml")
    doc = (Path(__file__).parents[2] / "docs" / "monitoring.md").read_text(encoding="utf-8")
    block = doc.split("```yaml\n", 1)[1].split("```", 1)[0]
    rules = parse_rules(yaml.safe_load(block))
    assert [(r.id, r.kind, r.severity) for r in rules] == [
        ("rd-floor", "threshold", "serious"),
        ("revenue-drop", "drop", "warning"),
        ("fai-pace", "pace", "warning"),
        ("gdp-peers", "peer_outlier", "warning"),
        ("industry-output-hb", "hb", "warning"),
        ("tax-le-fiscal", "cross_check", "serious"),
    ]


def test_every_kind_on_no_units_and_on_all_missing_values() -> None:
    rules = parse_rules(
        [
            {"id": "t", "kind": "threshold", "indicator": "x", "max": 1},
            {"id": "d", "kind": "drop", "indicator": "x", "percent": 1},
            {"id": "p", "kind": "pace", "indicator": "x"},
            {"id": "o", "kind": "peer_outlier", "indicator": "x"},
            {"id": "h", "kind": "hb", "indicator": "x"},
            {"id": "c", "kind": "cross_check", "expression": "x <= 1"},
        ]
    )
    empty = evaluate_rules(rules, MonitoringFrame.build(units=[], current={"x": []}, node="Q1"))
    assert [r.flagged.shape for r in empty.results] == [(0,)] * 6 and empty.findings == ()
    frame = MonitoringFrame.build(
        units=["a", "b", "c"],
        current={"x": [NAN] * 3},
        previous={"x": [1.0, 2.0, 3.0]},
        targets={"x": [4.0, 4.0, 4.0]},
        node="Q1",
    )
    result = evaluate_rules(rules, frame)
    assert [r.insufficient.tolist() for r in result.results] == [[True] * 3] * 6
    assert not result.any_flagged.any()
    assert {r.details(0)["reason"] for r in result.results} == {"missing value", "missing operand"}


def test_messages_name_indicators_when_given_labels() -> None:
    frame = MonitoringFrame.build(
        units=["a"],
        current={"tax": np.array([12.0]), "fiscal": np.array([10.0])},
        node="Q1",
    )
    rule = parse_rule({"id": "c", "kind": "cross_check", "expression": "tax <= fiscal"})
    verdict = evaluate_rules([rule], frame)["c"]
    labels = {"tax": "税收收入", "fiscal": "财政收入"}
    assert (
        verdict.message(0, "zh", labels)
        == "a：未通过印证规则 税收收入 <= 财政收入：财政收入 = 10, 税收收入 = 12"
    )
    assert verdict.message(0, "zh") == "a：未通过印证规则 tax <= fiscal：fiscal = 10, tax = 12"
