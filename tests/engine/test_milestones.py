"""The `milestones` method (major tasks, 攻坚战): on time full, late reduced, missed none,
pending left out — every expected value worked out by hand in the comments."""

from __future__ import annotations

import json
import textwrap
from typing import Any

import numpy as np
import pytest

from kaohe.engine import (
    DataError,
    InputTable,
    SchemeError,
    diff_schemes,
    dump_scheme,
    evaluate,
    load_scheme,
)
from kaohe.engine.batch import method_batch_key
from kaohe.engine.milestones import Involvement, Milestone, score_involvements
from kaohe.engine.scheme import Scheme

AS_OF = "2025-12-31"
DUE = "2025-03-31"


def offensive(method: str = "", *, impute: str = "", inputs: bool = True) -> Scheme:
    """A scheme of one 10-point milestones leaf `major` reading `offensive`."""
    declared = "inputs:\n  offensive: {type: milestones}\n" if inputs else ""
    text = (
        "kaohe_scheme: 1\nid: t\npoints: 10\n"
        + declared
        + textwrap.dedent(
            f"""\
            root:
              children:
                - id: major
                  points: 10
                  input: offensive
                  method: {{type: milestones, roles: {{lead: 1, cooperating: 0.6}}{method}}}
                  {impute}
            """
        )
    )
    return load_scheme(text)


def ms(*items: tuple[str, float, str, str | None]) -> tuple[Milestone, ...]:
    return tuple(Milestone(i, w, due, done) for i, w, due, done in items)


def lead(*items: tuple[str, float, str, str | None], as_of: str = AS_OF) -> Involvement:
    return Involvement("lead", as_of, ms(*items))


def score(s: Scheme, cells: list[Involvement | None], units: list[str] | None = None) -> Any:
    ids = units or [f"u{i}" for i in range(len(cells))]
    column = np.empty(len(cells), dtype=object)
    column[:] = cells
    table = InputTable.build(ids, {"offensive": column}, milestone_codes=s.milestone_codes)
    return evaluate(s, table)


def frac(s: Scheme, cell: Involvement | None) -> float:
    return float(score(s, [cell]).fraction["major"][0])


# --- the rule ----------------------------------------------------------------------------------


def test_on_time_earns_full_marks() -> None:
    # done on the due date: done ≤ due + 0 → on_time, share 1; lead share 1 → 1 → 10 points
    r = score(offensive(), [lead(("m1", 1, DUE, DUE))])
    assert r.fraction["major"][0] == 1.0
    assert r.total[0] == 10.0
    assert r.status[0] == "scored"


def test_late_with_a_constant_share() -> None:
    # m1 (weight 2) a day early: 1; m2 (weight 1) 10 days late: late 0.5 (per_day 0)
    # fraction = (2·1 + 1·0.5) / 3 = 2.5 / 3
    s = offensive()
    f = frac(s, lead(("m1", 2, DUE, "2025-03-30"), ("m2", 1, DUE, "2025-04-10")))
    assert f == pytest.approx(2.5 / 3)


@pytest.mark.parametrize(
    ("done", "grace", "expected"),
    [
        ("2025-04-04", 0, 0.6),  # 4 days late: 0.8 − 0.05·4 = 0.6
        ("2025-04-20", 0, 0.2),  # 20 days late: 0.8 − 1.0 = −0.2 → floor 0.2
        ("2025-04-04", 2, 0.7),  # 4 days late, 2 of grace: 0.8 − 0.05·(4 − 2) = 0.7
        ("2025-04-14", 2, 0.2),  # 14 days late, 2 of grace: 0.8 − 0.05·12 = 0.2, the floor
        ("2025-04-30", 2, 0.2),  # 30 days late: 0.8 − 0.05·28 = −0.6 → floor 0.2
    ],
)
def test_late_with_per_day_and_floor(done: str, grace: int, expected: float) -> None:
    s = offensive(f", late: 0.8, per_day: 0.05, floor: 0.2, grace_days: {grace}")
    assert frac(s, lead(("m1", 1, DUE, done))) == pytest.approx(expected)


def test_grace_days_boundary() -> None:
    s = offensive(", late: 0.5, per_day: 0.1, grace_days: 3")
    # done exactly due + 3 (2025-04-03): on time → 1
    assert frac(s, lead(("m1", 1, DUE, "2025-04-03"))) == 1.0
    # a day later: late, days_late 4, share 0.5 − 0.1·(4 − 3) = 0.4
    assert frac(s, lead(("m1", 1, DUE, "2025-04-04"))) == pytest.approx(0.4)
    # not done, looking from exactly due + 3: not yet missed → pending → nothing due yet:
    # on schedule so far, the lead's share 1 (none_due: full, the default)
    assert frac(s, lead(("m1", 1, DUE, None), as_of="2025-04-03")) == 1.0
    # a day later it is missed: share `missed` = 0
    assert frac(s, lead(("m1", 1, DUE, None), as_of="2025-04-04")) == 0.0


def test_missed_takes_the_missed_share() -> None:
    # m1 on time 1; m2 not done, due long past: missed 0.1 → (1 + 0.1) / 2 = 0.55
    s = offensive(", missed: 0.1")
    f = frac(s, lead(("m1", 1, DUE, DUE), ("m2", 1, "2025-06-30", None)))
    assert f == pytest.approx(0.55)


def test_pending_milestones_are_left_out() -> None:
    # m2 (weight 3) is due next year and not done: pending, left out → 1·1 / 1 = 1, not 1/4
    s = offensive()
    assert frac(s, lead(("m1", 1, DUE, DUE), ("m2", 3, "2026-06-30", None))) == 1.0
    # done early although not yet due: it counts (on time)
    assert frac(s, lead(("m1", 1, DUE, DUE), ("m2", 3, "2026-06-30", "2025-11-01"))) == 1.0


def test_nothing_due_yet_earns_the_role_share_by_default() -> None:
    # all pending (lead, share 1) and none listed (cooperating, share 0.6): on schedule so far
    s = offensive()
    r = score(s, [lead(("m1", 1, "2026-06-30", None)), Involvement("cooperating", AS_OF, ())])
    assert list(r.status) == ["scored", "scored"]
    assert list(r.total) == [pytest.approx(10.0), pytest.approx(6.0)]


def test_all_pending_or_none_listed_is_not_scored_with_the_reason() -> None:
    # impute is for units with no record only
    s = offensive(", none_due: not_scored", impute="impute: {value: 1}")
    r = score(s, [lead(("m1", 1, "2026-06-30", None)), Involvement("lead", AS_OF, ())])
    assert list(r.status) == ["not_scored", "not_scored"]
    assert list(r.reason) == ["no milestone of offensive is due yet (major)"] * 2
    assert "imputed:major" not in r.flags[0]


def test_lead_and_cooperating_shares() -> None:
    # the same record: share 2.5/3 (as above); lead × 1, cooperating × 0.6 → 0.5
    items = ms(("m1", 2, DUE, DUE), ("m2", 1, DUE, "2025-04-10"))
    r = score(
        offensive(), [Involvement("lead", AS_OF, items), Involvement("cooperating", AS_OF, items)]
    )
    assert r.fraction["major"][0] == pytest.approx(2.5 / 3)
    assert r.fraction["major"][1] == pytest.approx(0.5)
    assert list(r.total_rounded) == [8.33, 5.0]
    assert list(r.rank) == [1, 2]


def test_a_unit_not_involved_is_missing_unless_imputed() -> None:
    record = lead(("m1", 1, DUE, DUE))
    r = score(offensive(), [record, None])
    assert r.status[1] == "not_scored"
    assert r.reason[1] == "missing input offensive (major)"
    r = score(offensive(impute="impute: {value: 1}"), [record, None])
    assert list(r.total) == [10.0, 10.0]  # full marks for the uninvolved unit
    assert "imputed:major" in r.flags[1] and "imputed:major" not in r.flags[0]
    r = score(offensive(impute="impute: zero"), [record, None])
    assert list(r.total) == [10.0, 0.0]


def test_nobody_involved_is_an_all_missing_column() -> None:
    s = offensive(impute="impute: {value: 1}")
    for column in ([None, None], [np.nan, np.nan]):
        table = InputTable.build(["a", "b"], {"offensive": np.array(column, dtype=object)})
        assert list(evaluate(s, table).total) == [10.0, 10.0]
    table = InputTable.build(["a", "b"], {"offensive": [None, None]}, milestone_codes={"offensive"})
    assert "offensive" in table.records


def test_unknown_role_is_a_data_error_naming_unit_and_column() -> None:
    cell = Involvement("observer", AS_OF, ms(("m1", 1, DUE, DUE)))
    with pytest.raises(DataError) as info:
        score(offensive(), [lead(("m1", 1, DUE, DUE)), cell], units=["a", "b"])
    assert info.value.column == "offensive"
    assert info.value.line == 2
    assert info.value.rule == "unit 'b': role 'observer' is not one of lead, cooperating"


def test_reordering_units_changes_no_result() -> None:
    cells = [
        lead(("m1", 2, DUE, DUE), ("m2", 1, DUE, "2025-04-10")),
        Involvement("cooperating", AS_OF, ms(("m1", 1, DUE, None))),
        None,
        lead(("m1", 1, "2026-06-30", None)),
        Involvement("cooperating", AS_OF, ms(("m1", 1, DUE, "2025-04-02"))),
    ]
    units = ["a", "b", "c", "d", "e"]
    s = offensive(", per_day: 0.1, floor: 0.1, none_due: not_scored", impute="impute: {value: 0.5}")
    forward = score(s, cells, units)
    order = [3, 0, 4, 2, 1]
    backward = score(s, [cells[i] for i in order], [units[i] for i in order])
    for k, i in enumerate(order):
        for name in ("total", "rank"):
            np.testing.assert_equal(getattr(backward, name)[k], getattr(forward, name)[i])
        np.testing.assert_equal(backward.fraction["major"][k], forward.fraction["major"][i])
        assert backward.reason[k] == forward.reason[i]
        assert backward.flags[k] == forward.flags[i]
        assert backward.explain(units[i]) == forward.explain(units[i])
    assert list(forward.reason).count("no milestone of offensive is due yet (major)") == 1


# --- the explanation ---------------------------------------------------------------------------


def test_explain_lists_role_share_and_every_milestone() -> None:
    s = offensive(", per_day: 0.1")
    cell = Involvement(
        "cooperating",
        AS_OF,
        (
            Milestone("m1", 2, DUE, "2025-04-03", name_zh="开工", name_en="Start"),
            Milestone("m2", 1, "2026-06-30", None),
        ),
    )
    r = score(s, [cell, None])
    leaf = r.explain("u0")["tree"]["children"][0]
    json.dumps(leaf)  # plain JSON-ready values
    # m1: 3 days late → 0.5 − 0.1·3 = 0.2; m2 pending. share 0.2, × cooperating 0.6 = 0.12
    assert leaf["fraction"] == pytest.approx(0.12)
    explained = leaf["milestones"]
    assert explained == {
        "role": "cooperating",
        "role_share": 0.6,
        "as_of": AS_OF,
        "grace_days": 0,
        "share": pytest.approx(0.2),
        "milestones": [
            {
                "id": "m1",
                "name": {"zh": "开工", "en": "Start"},
                "weight": 2.0,
                "due": DUE,
                "done": "2025-04-03",
                "status": "late",
                "days_late": 3,
                "share": pytest.approx(0.2),
            },
            {
                "id": "m2",
                "name": None,
                "weight": 1.0,
                "due": "2026-06-30",
                "done": None,
                "status": "pending",
                "days_late": None,
                "share": None,
            },
        ],
    }
    assert leaf["periods"][0]["inputs"][0]["value"]["role"] == "cooperating"
    uninvolved = r.explain("u1")["tree"]["children"][0]
    assert uninvolved["milestones"] is None
    assert uninvolved["periods"][0]["value"] is None


# --- a scheme mixing it with ordinary leaves ---------------------------------------------------

MIXED = """\
kaohe_scheme: 1
id: mixed
points: 100
inputs:
  offensive: {type: milestones}
  party: {type: grade}
root:
  children:
    - id: growth
      points: 60
      input: gdp
      method: {type: ratio, full: 8}
    - id: party_rating
      points: 20
      input: party
      method: {type: graded, map: {A: 1, B: 0.5}}
    - id: major
      points: 20
      input: offensive
      method: {type: milestones, roles: {lead: 1, cooperating: 0.5}}
      impute: {value: 1}
adjustments:
  - {id: bonus, kind: bonus, input: practice, method: {type: value}, cap: 2}
grades:
  - {code: excellent, min: 90}
  - {code: good, min: 70}
  - {code: other}
robustness: {draws: 50, seed: 3}
"""


def test_a_scheme_mixing_milestones_with_ordinary_leaves() -> None:
    s = load_scheme(MIXED)
    assert s.milestone_codes == frozenset({"offensive"})
    assert s.label_codes == frozenset({"party"})
    assert s.input_codes == ("gdp", "offensive", "party", "practice")
    assert "offensive" not in s.label_codes
    offensive_cells = np.empty(3, dtype=object)
    offensive_cells[:] = [
        Involvement("lead", AS_OF, ms(("m1", 1, DUE, "2025-04-10"))),  # late 0.5 → 10 points
        Involvement("cooperating", AS_OF, ms(("m1", 1, DUE, DUE))),  # 0.5 × 1 → 10 points
        None,  # not involved: imputed 1 → 20 points
    ]
    table = InputTable.build(
        ["a", "b", "c"],
        {
            "gdp": [8.0, 6.0, 4.0],  # 60, 45, 30
            "party": ["A", "A", "B"],  # 20, 20, 10
            "offensive": offensive_cells,
            "practice": [1.0, 0.0, 0.0],
        },
        label_codes=s.label_codes,
        milestone_codes=s.milestone_codes,
    )
    r = evaluate(s, table, robustness=True)
    # a: 60 + 20 + 10 + 1 = 91; b: 45 + 20 + 10 = 75; c: 30 + 10 + 20 = 60
    assert list(r.total_rounded) == [91.0, 75.0, 60.0]
    assert list(r.rank) == [1, 2, 3]
    assert list(r.grade) == ["excellent", "good", "other"]
    assert r.flags[2][0] == "imputed:major"
    assert r.robustness is not None
    assert np.isfinite(r.robustness.rank_median).all()
    assert [row["major"] for row in r.to_rows()] == [10.0, 10.0, 20.0]


def test_never_batched_and_round_trips_and_diffs() -> None:
    s = load_scheme(MIXED)
    leaf = s.node("major")
    assert method_batch_key(leaf) is None
    text = dump_scheme(s)
    assert load_scheme(text) == s
    assert "type: milestones" in text
    d = s.to_dict()
    d["root"]["children"][2]["method"]["roles"]["cooperating"] = 0.7
    changes = diff_schemes(s, load_scheme(d))
    assert [(c.change, c.path, c.field) for c in changes] == [("changed", "node:major", "method")]
    assert changes[0].new["roles"] == {"lead": 1, "cooperating": 0.7}


# --- the table and the column checks -----------------------------------------------------------


def test_a_column_mixing_records_with_other_values_is_refused() -> None:
    with pytest.raises(DataError) as info:
        InputTable.build(["a", "b"], {"offensive": [lead(("m1", 1, DUE, DUE)), 3.0]})
    assert info.value.column == "offensive" and info.value.line == 2
    column = np.array([None, "", lead(("m1", 1, DUE, DUE))], dtype=object)
    table = InputTable.build(["a", "b", "c"], {"offensive": column})
    assert table.columns["offensive"].tolist()[:2] == [None, None]  # blanks are missing


def test_columns_are_read_as_the_kind_they_hold() -> None:
    records = np.empty(1, dtype=object)
    records[0] = lead(("m1", 1, DUE, DUE))
    numeric = load_scheme(
        "kaohe_scheme: 1\nid: t\nroot:\n  children:\n    - {id: x, points: 1, input: offensive,"
        " method: {type: ratio, full: 1}}\n"
    )
    with pytest.raises(DataError, match="holds milestone records; node 'x' reads numbers"):
        evaluate(numeric, InputTable.build(["a"], {"offensive": records}))
    with pytest.raises(DataError, match="must hold milestone records"):
        evaluate(offensive(), InputTable.build(["a"], {"offensive": [3.0]}))
    with pytest.raises(DataError, match="must hold milestone records"):
        evaluate(offensive(), InputTable.build(["a"], {"offensive": ["A"]}))


def test_the_records_validate_themselves() -> None:
    with pytest.raises(ValueError, match="ISO date"):
        Milestone("m1", 1, "2025/03/31", None)
    with pytest.raises(ValueError, match="not a date"):
        Milestone("m1", 1, "2025-02-30", None)
    with pytest.raises(ValueError, match="weight"):
        Milestone("m1", 0, DUE, None)
    with pytest.raises(ValueError, match="listed twice"):
        lead(("m1", 1, DUE, None), ("m1", 1, DUE, None))
    assert isinstance(Involvement("lead", AS_OF, [Milestone("m", 1, DUE, None)]).milestones, tuple)


def test_the_pure_function_on_its_own() -> None:
    cells = [lead(("m1", 1, DUE, "2025-04-02")), None]
    fraction, details, breakdown = score_involvements(cells, roles={"lead": 0.8}, late=0.5)
    # 2 days late: 0.5; × lead 0.8 = 0.4
    assert fraction[0] == pytest.approx(0.4) and np.isnan(fraction[1])
    assert details["milestones_due"][0] == 1 and np.isnan(details["role_share"][1])
    assert breakdown[1] is None and breakdown[0] is not None
    assert breakdown[0].milestones[0].status == "late"
    assert breakdown[0].milestones[0].days_late == 2


# --- load-time checks --------------------------------------------------------------------------

LEAF = """\
kaohe_scheme: 1
id: t
inputs:
  offensive: {type: milestones}
  gdp: {type: number}
root:
  children:
    - id: major
      points: 10
      input: offensive
      method: {type: milestones, roles: {lead: 1}}
"""


@pytest.mark.parametrize(
    ("old", "new", "path", "rule"),
    [
        ("input: offensive", "input: {expr: 'offensive * 2'}", "root/major/input",
         "a milestones leaf reads an input code, not a derived input {expr: ...}"),
        ("input: offensive", "input: offensive@Y", "root/major/input",
         "a milestones leaf reads a plain input code, not a period column ('offensive@Y')"),
        ("{lead: 1}}", "{lead: 1}}\n      periods: {H1: 1, Y: 1}", "root/major/periods",
         "a milestones leaf cannot have 'periods'"),
        ("{lead: 1}}", "{lead: 1}}\n      alternatives: [{type: milestones, roles: {lead: 1}}]",
         "root/major/alternatives", "a milestones leaf cannot have 'alternatives'"),
        ("{lead: 1}}", "{lead: 1}}\n      alternatives: [{type: identity}]",
         "root/major/alternatives/0",
         "an alternative must read the same kind of input (labels vs numbers)"),
        ("{lead: 1}}", "{lead: 1}}\n      impute: category_mean", "root/major/impute",
         "a milestones input can only be imputed with {value: share} or zero"),
        ("{lead: 1}}", "{lead: 1}}\n      impute: {value: 1.5}", "root/major/impute/value",
         "must be a share between 0 and 1, got 1.5"),
        ("roles: {lead: 1}", "late: 0.5", "root/major/method", "method 'milestones' needs 'roles'"),
        ("{lead: 1}", "{lead: 1.2}", "root/major/method/roles",
         "role shares are fractions of the points (0..1)"),
        ("{lead: 1}}", "{lead: 1}, grace_days: 1.5}", "root/major/method/grace_days",
         "grace_days must be whole days, got 1.5"),
        ("{lead: 1}}", "{lead: 1}, late: 0.3, floor: 0.4}", "root/major/method/floor",
         "floor (0.4) must not exceed late (0.3)"),
        ("{lead: 1}}", "{lead: 1}, late: 2}", "root/major/method/late",
         "must be a share between 0 and 1, got 2"),
        ("{lead: 1}}", "{lead: 1}, direction: lower}", "root/major/method/direction",
         "unknown key 'direction' in method 'milestones'; allowed: type, roles, late, per_day, "
         "floor, grace_days, missed, none_due"),
        ("input: offensive", "input: gdp", "root/major/method",
         "input 'gdp' is declared as numbers; method 'milestones' needs milestone records"),
        ("method: {type: milestones, roles: {lead: 1}}", "method: {type: ratio, full: 1}",
         "root/major/method",
         "input 'offensive' is declared as milestone records; method 'ratio' needs numbers"),
        ("method: {type: milestones, roles: {lead: 1}}", "method: {type: graded, map: {A: 1}}",
         "root/major/method",
         "input 'offensive' is declared as milestone records; method 'graded' needs labels"),
    ],
)  # fmt: skip
def test_load_time_checks(old: str, new: str, path: str, rule: str) -> None:
    assert old in LEAF
    with pytest.raises(SchemeError) as info:
        load_scheme(LEAF.replace(old, new))
    assert (info.value.path, info.value.rule) == (path, rule)


OTHER_LEAF = """\
    - id: other
      points: 10
      input: {input}
      method: {{type: ratio, full: {full}}}
"""


@pytest.mark.parametrize(
    ("text", "path", "rule"),
    [
        # an undeclared column read as records by one leaf and as numbers by another
        (LEAF.replace("  offensive: {type: milestones}\n", "")
         + OTHER_LEAF.format(input="offensive", full=1), "root/other",
         "input 'offensive' holds milestone records (root/major); only a milestones leaf can "
         "read it"),
        (LEAF.replace("  offensive: {type: milestones}\n", "")
         + OTHER_LEAF.format(input="{expr: 'offensive + gdp'}", full=1), "root/other",
         "input 'offensive' holds milestone records (root/major); only a milestones leaf can "
         "read it"),
        (LEAF + OTHER_LEAF.format(input="gdp", full="{input: offensive}"), "root/other",
         "input 'offensive' holds milestone records (root/major); only a milestones leaf can "
         "read it"),
        (LEAF.replace("input: offensive", "input: gdp2").replace(
            "  offensive: {type: milestones}\n", "")
         .replace("    - id: major", OTHER_LEAF.format(input="gdp2", full=1) + "    - id: major"),
         "root/major/input",
         "input 'gdp2' holds milestone records here but is read as a value by root/other"),
    ],
)  # fmt: skip
def test_a_column_is_records_or_values_never_both(text: str, path: str, rule: str) -> None:
    with pytest.raises(SchemeError) as info:
        load_scheme(text)
    assert (info.value.path, info.value.rule) == (path, rule)


@pytest.mark.parametrize(
    ("adjustment", "path"),
    [
        ("{id: a, kind: bonus, input: offensive, method: {type: value}}", "adjustments/a/input"),
        ("{id: a, kind: veto, input: offensive}", "adjustments/a/input"),
        ("{id: a, kind: veto, when: 'offensive > 0'}", "adjustments/a/when"),
        (
            "{id: a, kind: bonus, input: gdp, method: {type: value}, condition: 'offensive > 1'}",
            "adjustments/a/condition",
        ),
    ],
)
def test_adjustments_cannot_read_milestone_inputs(adjustment: str, path: str) -> None:
    for text in (LEAF, LEAF.replace("  offensive: {type: milestones}\n", "")):
        with pytest.raises(SchemeError) as info:
            load_scheme(text + f"adjustments:\n  - {adjustment}\n")
        assert info.value.path == path
        assert info.value.rule == (
            "input 'offensive' holds milestone records; an adjustment cannot read it"
        )
