"""The explanation tree, rank robustness, imputation and result immutability."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from engine_helpers import run, scheme

from kaohe.engine import InputTable, dump_scheme, evaluate, load_scheme
from kaohe.engine.robustness import assess_robustness

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

TWO = """
kaohe_scheme: 1
id: t
points: 100
root:
  children:
    - id: growth
      points: 60
      input: g
      periods: {H1: 0.4, Y: 0.6}
      method: {type: target, target: {input: goal}, mode: proportional}
    - id: share
      points: 40
      input: {expr: "tax / fiscal * 100"}
      method: {type: ratio, full: 80}
adjustments:
  - {id: crit, kind: deduction, input: crit, method: {type: events, per_event: 2}, cap: 4}
  - {id: fraud, kind: veto, when: "fraud > 0"}
grades:
  - {code: a, min: 90}
  - {code: b}
"""


def _two() -> dict[str, list[float]]:
    return {
        "g@H1": [4.0, 8.0],
        "g@Y": [8.0, 10.0],
        "goal@H1": [8.0, 8.0],
        "goal@Y": [8.0, 8.0],
        "tax": [60.0, 70.0],
        "fiscal": [100.0, 100.0],
        "crit": [1.0, 0.0],
        "fraud": [0.0, 0.0],
    }


def test_explain_goes_from_total_to_raw_inputs_with_provenance() -> None:
    res = run(scheme(TWO), _two())
    tree = res.explain("u0", provenance={("u0", "g@H1"): "obs:17/v3", ("u0", "tax"): "obs:9/v1"})
    assert (tree["total"], tree["rank"], tree["grade"], tree["status"]) == (76.0, 2, "b", "scored")
    growth, share = tree["tree"]["children"]
    # 60 × (0.4 × 4/8 + 0.6 × 8/8) = 48
    assert (growth["fraction"], growth["points"], growth["full_points"]) == (0.8, 48.0, 60.0)
    h1, y = growth["periods"]
    assert h1 == {
        "period": "H1",
        "weight": 0.4,
        "inputs": [
            {"code": "g@H1", "value": 4.0, "provenance": "obs:17/v3"},
            {"code": "goal@H1", "value": 8.0, "provenance": None, "parameter": "target"},
        ],
        "value": 4.0,
        "used": 4.0,
        "imputed": False,
        "intermediate": {"target": 8.0, "met": False},
        "fraction": 0.5,
    }
    assert y["fraction"] == 1.0
    assert growth["method"] == {
        "type": "target", "target": {"input": "goal"}, "mode": "proportional", "cap": 1,
    }  # fmt: skip
    assert share["input"] == {"expr": "tax / fiscal * 100"}
    assert share["periods"][0]["inputs"] == [
        {"code": "fiscal", "value": 100.0, "provenance": None},
        {"code": "tax", "value": 60.0, "provenance": "obs:9/v1"},
    ]
    assert (share["periods"][0]["value"], share["points"]) == (60.0, 30.0)
    crit, fraud = tree["adjustments"]
    assert (crit["points"], crit["input"]["value"]) == (-2.0, 1.0)
    assert fraud == {
        "id": "fraud",
        "kind": "veto",
        "name": None,
        "when": "fraud > 0",
        "vetoed": False,
    }


def test_missing_input_unit_not_scored_unless_imputed() -> None:
    cols = _two()
    cols["g@Y"] = [np.nan, 10.0]
    res = run(scheme(TWO), cols)
    assert res.status.tolist() == ["not_scored", "scored"]
    assert res.reason[0] == "missing input g@Y (growth)"
    assert np.isnan(res.rank[0]) and res.rank[1] == 1.0 and res.grade[0] == ""
    imputed = scheme(TWO.replace("      periods:", "      impute: {value: 6}\n      periods:"))
    res = run(imputed, cols)
    assert res.status.tolist() == ["scored", "scored"]
    # Y imputed as 6: 60 × (0.4 × 0.5 + 0.6 × 0.75) = 39; + 30 − 2
    assert round(float(res.total[0]), 10) == 67.0
    assert res.flags[0] == ("imputed:growth",)


def test_missing_reason_names_the_raw_input_of_a_derived_value() -> None:
    res = run(scheme(TWO), {**_two(), "tax": [np.nan, 70.0], "fiscal": [100.0, 0.0]})
    assert res.reason.tolist() == [
        "missing input tax (share)",
        "no value for tax / fiscal * 100 (share)",  # a division by zero
    ]


def test_category_imputation() -> None:
    s = scheme(
        """
        kaohe_scheme: 1
        id: t
        root:
          children:
            - {id: x, points: 10, input: x, method: {type: identity}, impute: category_mean}
            - {id: y, points: 10, input: y, method: {type: identity}, impute: category_min}
        """
    )
    res = run(
        s,
        {"x": [0.2, 0.4, np.nan, 0.9], "y": [0.3, 0.1, np.nan, np.nan]},
        categories=["a", "a", "a", "b"],
    )
    assert [round(float(v), 10) for v in res.fraction["x"]] == [0.2, 0.4, 0.3, 0.9]
    assert [round(float(v), 10) for v in res.fraction["y"][:3]] == [0.3, 0.1, 0.1]
    assert res.status.tolist() == ["scored", "scored", "scored", "not_scored"]  # b has no y


def test_robustness_intervals_and_borderline() -> None:
    """Two units far apart keep their grade in every draw; two close ones do not."""
    s = load_scheme(
        """
kaohe_scheme: 1
id: r
root:
  children:
    - {id: a, points: 50, input: a, method: {type: identity}}
    - {id: b, points: 50, input: b, method: {type: identity}}
grades:
  - {code: top, min: 0, quota: 0.25}
  - {code: rest}
robustness: {draws: 400, weight_jitter: 0.5, seed: 7, borderline_below: 0.9}
"""
    )
    table = InputTable.build(
        ["best", "close1", "close2", "worst"],
        {"a": np.array([1.0, 0.9, 0.5, 0.0]), "b": np.array([1.0, 0.5, 0.9, 0.0])},
    )
    res = evaluate(s, table, robustness=True)
    rob = res.robustness
    assert rob is not None
    assert rob.rank_p5.tolist() == [1.0, 2.0, 2.0, 4.0]
    assert rob.rank_p95.tolist() == [1.0, 3.0, 3.0, 4.0]
    assert rob.grade_probability.tolist() == [1.0, 1.0, 1.0, 1.0]
    assert rob.borderline.tolist() == [False, False, False, False]
    # with a quota of two, the close pair competes for the second place
    s2 = load_scheme(dump_with_quota(s, 0.5))
    res2 = evaluate(s2, table, robustness=True)
    rob2 = res2.robustness
    assert rob2 is not None
    assert rob2.borderline.tolist() == [False, True, True, False]
    assert [("borderline" in f) for f in res2.flags] == [False, True, True, False]
    p = rob2.grade_probability
    # in 0.25% of the draws the pair ties on the rounded total and both share the quota place
    assert p.tolist() == [1.0, 0.4925, 0.51, 1.0]
    again = assess_robustness(res2)
    assert again.grade_probability.tobytes() == rob2.grade_probability.tobytes()


def dump_with_quota(s: object, quota: float) -> str:
    text = dump_scheme(s)  # type: ignore[arg-type]
    return text.replace("quota: 0.25", f"quota: {quota}")


def test_alternative_methods_enter_the_draws() -> None:
    s = load_scheme(
        """
kaohe_scheme: 1
id: alt
root:
  children:
    - id: a
      points: 100
      input: a
      method: {type: identity}
      alternatives: [{type: rank, step: 0.5}]
robustness: {draws: 200, weight_jitter: 0, seed: 1}
"""
    )
    table = InputTable.build(["x", "y", "z"], {"a": np.array([0.9, 0.8, 0.1])})
    res = evaluate(s, table, robustness=True)
    assert res.robustness is not None
    # identity gives 90/80/10, rank gives 100/50/0: the order never changes
    assert res.robustness.rank_p5.tolist() == [1.0, 2.0, 3.0]
    assert res.robustness.rank_p95.tolist() == [1.0, 2.0, 3.0]


def test_result_arrays_are_read_only() -> None:
    res = run(scheme(TWO), _two())
    with pytest.raises(ValueError, match="read-only"):
        res.total[0] = 1.0
    with pytest.raises(TypeError):
        res.points["growth"] = np.zeros(2)  # type: ignore[index]


def test_to_rows_for_export() -> None:
    res = run(scheme(TWO), _two(), previous={"u0": 1, "u1": 2})
    rows = res.to_rows()
    assert rows[1] == {
        "unit": "u1",
        "category": "",
        "growth": 60.0,
        "share": 35.0,
        "crit": 0.0,
        "total": 95.0,
        "rank": 1,
        "grade": "a",
        "flags": "",
        "status": "scored",
        "reason": None,
        "rank_change": 1,
    }


def test_district_example_explains_every_unit() -> None:
    s = load_scheme((EXAMPLES / "district-2025.yaml").read_text(encoding="utf-8"))
    from kaohe.commands.score import read_data

    table = read_data(EXAMPLES / "district-2025.csv", s)
    res = evaluate(s, table)
    for unit in res.units:
        tree = res.explain(unit)
        sections = tree["tree"]["children"]
        assert round(
            sum(c["points"] for c in sections)
            + sum(a.get("points") or 0.0 for a in tree["adjustments"]),
            8,
        ) == round(tree["total"], 8)
    with pytest.raises(KeyError):
        res.explain("nowhere")


def test_dirichlet_robustness_on_the_department_example() -> None:
    """Dirichlet weights (concentration 200, seed 2025) over the department scheme: the
    intervals and grade probabilities are fixed by the seed."""
    from kaohe.commands.score import read_data

    s = load_scheme((EXAMPLES / "department-2025.yaml").read_text(encoding="utf-8"))
    assert s.robustness is not None and s.robustness.mode == "dirichlet"
    res = evaluate(s, read_data(EXAMPLES / "department-2025.csv", s), robustness=True)
    rob = res.robustness
    assert rob is not None and rob.draws == 1000
    got = {
        u: (int(p5), int(p95), round(float(gp), 4), bool(b))
        for u, p5, p95, gp, b in zip(
            res.units,
            rob.rank_p5,
            rob.rank_p95,
            rob.grade_probability,
            rob.borderline,
            strict=True,
        )
    }
    assert got["gxj"] == (1, 1, 0.834, True)
    assert got["zgh"] == (3, 4, 0.512, True)
    assert got["twq"] == (3, 4, 0.488, True)
    assert got["rsj"] == (3, 3, 1.0, False)  # vetoed: always the veto grade
    assert sum(b for *_, b in got.values()) == 7
