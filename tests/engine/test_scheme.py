"""Scheme validation (line, column, node path, rule), canonical dump and structural diff."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from kaohe.engine import SchemeError, diff_schemes, dump_scheme, load_scheme

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
BASE = """\
kaohe_scheme: 1
id: t
points: 10
root:
  aggregate: sum
  children:
    - id: gdp
      points: 10
      input: gdp
      method: {type: target, target: 8}
"""


def error(text: str) -> SchemeError:
    with pytest.raises(SchemeError) as info:
        load_scheme(textwrap.dedent(text))
    return info.value


@pytest.mark.parametrize(
    ("old", "new", "line", "path", "rule"),
    [
        ("target: 8}", "targt: 8}", 10, "root/gdp/method/targt",
         "unknown key 'targt' in method 'target'; allowed: type, target, mode, cap, direction"),
        ("target: 8}", "target: eight}", 10, "root/gdp/method/target",
         "must be a number, got 'eight'"),
        ("{type: target, target: 8}", "{type: magic}", 10, "root/gdp/method/type",
         "must be one of target, rank, target_rank, band, efficacy, interpolate, goalpost, "
         "zscore, frontier, events, graded, ratio, identity, milestones; got 'magic'"),
        ("      points: 10\n      input", "      input", 7, "root/gdp",
         "a child of a 'sum' group needs 'points'"),
        ("      points: 10\n      input", "      points: 9\n      input", 3, "points",
         "the root's children's points add up to 9, not the scheme's points 10"),
        ("id: gdp", "id: GDP", 7, "root/GDP/id", "'GDP' does not match ^[a-z0-9_]+$"),
        ("kaohe_scheme: 1", "kaohe_scheme: 2", 1, "kaohe_scheme",
         "unsupported format version 2; this engine reads 1"),
        ("input: gdp", "input: gdp.value", 9, "root/gdp/input",
         "'gdp.value' does not match ^[A-Za-z_][A-Za-z0-9_]*(@[A-Za-z0-9_]+)?$"),
        ("input: gdp", "input: {expr: \"gdp.__class__\"}", 9, "root/gdp/input/expr",
         "expression 'gdp.__class__' at column 4: unexpected '.': attribute access is not "
         "allowed"),
        ("aggregate: sum", "aggregate: median", 5, "root/aggregate",
         "must be one of sum, weighted_mean, geometric, harmonic; got 'median'"),
        ("      points: 10\n", "      points: 10\n      weight: 2\n", 9, "root/gdp/weight",
         "'weight' only counts under a mean parent; under 'sum' the points are the weight"),
    ],
)  # fmt: skip
def test_errors_name_line_path_and_rule(
    old: str, new: str, line: int, path: str, rule: str
) -> None:
    assert old in BASE
    exc = error(BASE.replace(old, new, 1))
    assert (exc.line, exc.path, exc.rule) == (line, path, rule)
    assert str(exc).startswith(f"line {exc.line}, column {exc.column}, {path}: ")


def test_duplicate_ids_and_keys() -> None:
    exc = error(BASE + "    - {id: gdp, points: 1, input: x, method: {type: identity}}\n")
    assert exc.rule == "id 'gdp' is used twice (first at root/gdp/id)"
    assert exc.line == 11
    exc = error(BASE.replace("id: t\n", "id: t\nid: u\n"))
    assert (exc.line, exc.rule) == (3, "duplicate key 'id'")


def test_invalid_yaml_names_the_line() -> None:
    exc = error("kaohe_scheme: 1\nid: [unclosed\n")
    assert exc.line == 3
    assert exc.rule.startswith("not valid YAML")


def test_method_parameter_rules() -> None:
    gp = BASE.replace("{type: target, target: 8}", "{type: goalpost, min: 5, max: 1}")
    assert error(gp).rule == "goalpost max (1) must exceed min (5)"
    eff = BASE.replace("{type: target, target: 8}", "{type: efficacy, low: 90, satisfactory: 60}")
    assert error(eff).rule == ("efficacy for a higher-is-better input needs satisfactory above low")
    band = BASE.replace("{type: target, target: 8}", "{type: band, target: 1, bonus_per_step: 1}")
    assert error(band).rule == "bonus_per_step needs a bonus_cap (points)"
    graded = BASE.replace("{type: target, target: 8}", "{type: graded, map: {A: 100}}")
    assert error(graded).rule == "graded shares are fractions of the points (0..1)"


def test_adjustment_grade_and_result_rules() -> None:
    exc = error(BASE + "adjustments:\n  - {id: b, kind: bonus, input: x}\n")
    assert (exc.path, exc.rule) == ("adjustments/b", "a bonus needs 'input' and 'method'")
    exc = error(BASE + 'adjustments:\n  - {id: v, kind: veto, when: "x + 1"}\n')
    assert exc.rule == (
        "expression 'x + 1' at column 1: the expression must give a condition (a comparison, "
        "true/false)"
    )
    exc = error(BASE + "grades:\n  - {code: a, min: 80}\n  - {code: b, min: 90}\n  - {code: c}\n")
    assert (exc.line, exc.rule) == (13, "grades are listed best first: min must not rise")
    exc = error(BASE + "grades:\n  - {code: a, min: 80}\n")
    assert exc.rule == "the last grade takes every remaining unit: it has no 'min' and no 'quota'"
    exc = error(BASE + "grades:\n  - {code: a, min: 80}\n  - {code: b}\nveto_grade: z\n")
    assert exc.rule == "must be one of a, b; got 'z'"
    exc = error(BASE + "results: {interview: {bottom: -1}}\n")
    assert (exc.path, exc.rule) == ("results/interview/bottom", "must be at least 0, got -1")


def test_input_type_must_suit_the_method() -> None:
    text = BASE.replace("root:", "inputs:\n  gdp: {type: grade}\nroot:")
    exc = error(text)
    assert (exc.line, exc.path) == (12, "root/gdp/method")
    assert exc.rule == (
        "input 'gdp' is declared as labels (type: grade); method 'target' needs numbers"
    )
    graded = BASE.replace("{type: target, target: 8}", "{type: graded, map: {A: 1}}")
    exc = error(graded.replace("root:", "inputs:\n  gdp: {type: count}\nroot:"))
    assert exc.rule == "input 'gdp' is declared as counts; method 'graded' needs labels"


def test_aspect_composite_needs_all_three() -> None:
    text = BASE.replace(
        "    - id: gdp\n      points: 10\n      input: gdp\n"
        "      method: {type: target, target: 8}\n",
        "    - id: gdp\n      points: 10\n      children:\n"
        "        - {id: s, aspect: scale, points: 5, input: a, method: {type: identity}}\n"
        "        - {id: v, aspect: speed, points: 5, input: b, method: {type: identity}}\n",
    )
    exc = error(text)
    assert exc.rule == (
        "a scale/speed/quality composite needs exactly one child tagged each of scale, speed, "
        "quality; got scale, speed"
    )


def test_mapping_input_and_input_codes() -> None:
    s = load_scheme(
        {
            "kaohe_scheme": 1,
            "id": "m",
            "root": {
                "children": [
                    {
                        "id": "a",
                        "points": 60,
                        "input": {"expr": "tax_revenue / fiscal_revenue * 100"},
                        "periods": {"H1": 1, "Y": 1},
                        "method": {"type": "ratio", "full": 100},
                    },
                    {
                        "id": "b",
                        "points": 40,
                        "input": "grade",
                        "method": {"type": "graded", "map": {"A": 1}},
                    },
                ]
            },
            "adjustments": [{"id": "v", "kind": "veto", "input": "fraud"}],
        }
    )
    assert s.points == 100.0
    assert s.input_codes == (
        "fiscal_revenue@H1", "fiscal_revenue@Y", "fraud", "grade", "tax_revenue@H1",
        "tax_revenue@Y",
    )  # fmt: skip
    assert s.label_codes == frozenset({"grade"})
    assert s.adjustments[0].when is not None and s.adjustments[0].when.source == "fraud > 0"


@pytest.mark.parametrize(
    "path", ["hdi/hdi-2022.yaml", "district-2025.yaml", "department-2025.yaml"]
)
def test_dump_is_canonical_and_round_trips(path: str) -> None:
    original = load_scheme((EXAMPLES / path).read_text(encoding="utf-8"))
    text = dump_scheme(original)
    again = load_scheme(text)
    assert again == original
    assert dump_scheme(again) == text
    assert diff_schemes(original, again) == []


def test_diff_lists_added_removed_and_changed_nodes() -> None:
    a = load_scheme((EXAMPLES / "district-2025.yaml").read_text(encoding="utf-8"))
    d = a.to_dict()
    dev = d["root"]["children"][0]
    gdp_key = dev["children"][0]
    gdp_key["children"][1]["method"]["target"] = 7.5  # gdp_speed target changes
    dev["children"] = [c for c in dev["children"] if c["id"] != "rd"]  # rd removed …
    dev["children"].append(  # … and its 5 points go to a new indicator
        {"id": "patents", "points": 5, "input": "patents", "method": {"type": "rank"}}
    )
    d["grades"][0]["quota"] = 0.2
    b = load_scheme(d)
    changes = {(c.change, c.path, c.field): (c.old, c.new) for c in diff_schemes(a, b)}
    assert changes[("changed", "node:gdp_speed", "method")][1]["target"] == 7.5
    assert ("removed", "node:rd", None) in changes
    assert ("added", "node:patents", None) in changes
    assert changes[("changed", "grade:excellent", "quota")] == (0.3, 0.2)
    # the two siblings after rd move up one place
    assert changes[("changed", "node:energy", "position")] == (10, 9)
    assert changes[("changed", "node:land_efficiency", "position")] == (11, 10)
    assert len(changes) == 6


def test_every_method_is_documented_with_its_parameters() -> None:
    """docs/scheme-format.md has a methods-table row for every method in the vocabulary
    (milestones included), naming each of its parameters (`direction` is described once)."""
    from kaohe.engine.scheme.vocabulary import METHOD_PARAMS

    doc = (EXAMPLES.parent / "docs" / "scheme-format.md").read_text(encoding="utf-8")
    rows = {line.split("`")[1]: line for line in doc.splitlines() if line.startswith("| `")}
    for mtype, params in METHOD_PARAMS.items():
        assert mtype in rows, f"method {mtype!r} has no row in the methods table"
        for pname in params:
            if pname != "direction":
                named = f"`{pname}`" in rows[mtype] or f"`{pname}:" in rows[mtype]
                assert named, f"{mtype}: parameter {pname!r} undocumented"
    assert "### Milestones" in doc and "no milestone of CODE is due yet (node)" in doc
