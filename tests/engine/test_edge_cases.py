"""Edge cases of the scoring rules, each computed by hand: a missing parameter, a benchmark
equal to its baseline, a log scale at zero, a negative value bonus, period weights that don't
sum to one, row order, and quotas that aren't whole numbers of units."""

from __future__ import annotations

import numpy as np
import pytest
from engine_helpers import one_leaf, run, scheme

from kaohe.engine import DataError

NAN = float("nan")


def test_a_missing_per_unit_target_is_not_scored_and_says_why() -> None:
    """All-or-nothing reads 9 ≥ NaN as 'not met' (0 points); the unit must not be scored."""
    for mode in ("all_or_nothing", "proportional"):
        s = one_leaf(f"{{type: target, target: {{input: t}}, mode: {mode}}}")
        res = run(s, {"x": [9.0, 9.0], "t": [8.0, NAN]})
        assert list(res.status) == ["scored", "not_scored"]
        assert list(res.reason) == ["", "missing target for x (x)"]
        assert np.isnan(res.total[1]) and res.total[0] == 10.0


def test_missing_period_target_names_the_period() -> None:
    s = scheme(
        """
        kaohe_scheme: 1
        id: t
        root:
          children:
            - id: g
              points: 10
              input: g
              periods: {Q1: 0.5, Y: 0.5}
              method: {type: target, target: {input: goal}}
        """
    )
    res = run(s, {"g@Q1": [9.0, 9.0], "g@Y": [9.0, 9.0], "goal@Q1": [8.0, 8.0],
                  "goal@Y": [8.0, NAN]})  # fmt: skip
    assert list(res.status) == ["scored", "not_scored"]
    assert res.reason[1] == "missing target for g@Y (g)"


def test_interpolate_with_baseline_equal_to_benchmark() -> None:
    """A unit's baseline = benchmark = 20 (per-unit inputs; the scheme refuses equal constants):
    20 or more is full marks; 10 is below the baseline, so `below: zero` gives 0 (not the 0.6
    floor share) and `below: floor` gives 0.6."""
    cols = {"x": [10.0, 20.0, 30.0, 10.0], "b": [20.0] * 4, "m": [20.0, 20.0, 20.0, 40.0]}
    zero = one_leaf("{type: interpolate, baseline: {input: b}, benchmark: {input: m}, floor: 0.6}")
    assert [float(v) for v in run(zero, cols).fraction["x"]] == [0.0, 1.0, 1.0, 0.0]
    floor = one_leaf(
        "{type: interpolate, baseline: {input: b}, benchmark: {input: m}, floor: 0.6, below: floor}"
    )
    assert [float(v) for v in run(floor, cols).fraction["x"]] == [0.6, 1.0, 1.0, 0.6]
    lower = one_leaf(
        "{type: interpolate, baseline: {input: b}, benchmark: {input: b}, direction: lower}"
    )
    assert [float(v) for v in run(lower, cols).fraction["x"]] == [1.0, 1.0, 0.0, 1.0]


def test_uncapped_log_goalpost_at_zero_is_not_scored() -> None:
    """ln 0 = −inf: uncapped, a total of −inf was reported as 'scored'."""
    s = one_leaf("{type: goalpost, min: 100, max: 75000, log: true, cap: false}")
    res = run(s, {"x": [0.0, -5.0, 100.0]})
    assert list(res.status) == ["not_scored", "not_scored", "scored"]
    assert res.reason[0] == "the value of x has no score under goalpost (x)"
    assert np.isnan(res.total[:2]).all() and res.total[2] == 0.0
    assert np.isnan(res.rank[:2]).all() and res.rank[2] == 1.0
    capped = one_leaf("{type: goalpost, min: 100, max: 75000, log: true}")
    assert list(run(capped, {"x": [0.0]}).total) == [0.0]  # below the low goalpost


def test_every_unscored_unit_carries_a_reason() -> None:
    s = scheme(
        """
        kaohe_scheme: 1
        id: t
        root:
          children:
            - id: a
              points: 50
              input: a
              method: {type: goalpost, min: 1, max: 100, log: true, cap: false}
            - {id: b, points: 50, input: b, method: {type: target, target: {input: tb}}}
        """
    )
    res = run(s, {"a": [0.0, 10.0, NAN, 10.0], "b": [1.0, 1.0, 1.0, NAN],
                  "tb": [1.0, NAN, 1.0, 1.0]})  # fmt: skip
    assert list(res.status) == ["not_scored"] * 4
    assert list(res.reason) == [
        "the value of a has no score under goalpost (a)",
        "missing target for b (b)",
        "missing input a (a)",
        "missing input b (b)",
    ]


VALUE_ADJ = """
kaohe_scheme: 1
id: t
root:
  children:
    - {id: base, points: 100, input: x, method: {type: ratio, full: 100}}
adjustments:
  - {id: award, kind: bonus, input: award_points, method: {type: value}}
  - {id: penalty, kind: deduction, input: penalty_points, method: {type: value}}
"""


def test_value_adjustments_take_the_sign_from_their_kind() -> None:
    res = run(scheme(VALUE_ADJ), {"x": [80.0, 80.0], "award_points": [2.0, 0.0],
                                  "penalty_points": [0.0, 1.5]})  # fmt: skip
    assert list(res.total) == [82.0, 78.5]


def test_a_negative_value_bonus_is_refused_naming_the_unit() -> None:
    """A bonus input of −2 used to add 2 (abs)."""
    with pytest.raises(DataError) as err:
        run(
            scheme(VALUE_ADJ),
            {"x": [80.0, 80.0], "award_points": [1.0, -2.0], "penalty_points": [0.0, 0.0]},
            units=["east", "west"],
        )
    assert "unit 'west': award_points = -2 is negative" in str(err.value)
    assert err.value.line == 2 and err.value.column == "award_points"


def test_period_weights_are_divided_by_their_sum() -> None:
    """Weights 1 and 3 are 25% and 75%: Q1 met, the year not → 2.5 of 10 points."""
    s = scheme(
        """
        kaohe_scheme: 1
        id: t
        root:
          children:
            - id: g
              points: 10
              input: g
              periods: {Q1: 1, Y: 3}
              method: {type: target, target: 8}
        """
    )
    res = run(s, {"g@Q1": [9.0, 7.0], "g@Y": [7.0, 9.0]})
    assert list(res.points["g"]) == [2.5, 7.5]


def test_raw_totals_are_bitwise_equal_whatever_the_row_order() -> None:
    """Period weighting summed in a fixed order: reversing the rows gives the same last bits
    (a BLAS dot product over the stacked periods did not, for about 1 unit in 40)."""
    s = scheme(
        """
        kaohe_scheme: 1
        id: t
        root:
          children:
            - id: g
              points: 100
              input: g
              periods: {Q1: 0.15, H1: 0.25, Q3: 0.25, Y: 0.35}
              method: {type: identity}
        """
    )
    rng = np.random.default_rng(20261206)
    n = 9
    for _ in range(40):
        cols = {f"g@{p}": rng.random(n) for p in ("Q1", "H1", "Q3", "Y")}
        forward = run(s, cols)
        back = run(s, {k: v[::-1] for k, v in cols.items()})
        assert np.array_equal(forward.total, back.total[::-1])
        assert np.array_equal(forward.fraction["g"], back.fraction["g"][::-1])


QUOTA = """
kaohe_scheme: 1
id: t
root:
  children:
    - {id: x, points: 100, input: x, method: {type: identity}}
grades:
  - {code: excellent, quota: 0.3}
  - {code: qualified}
"""


@pytest.mark.parametrize(("n", "excellent"), [(7, 2), (9, 2), (3, 0), (10, 3)])
def test_a_quota_rounds_down_to_whole_units(n: int, excellent: int) -> None:
    """30% of 7 units is 2.1 → 2, of 9 is 2.7 → 2 (not 3), of 3 is 0.9 → none."""
    x = [1.0 - i / 100 for i in range(n)]
    res = run(scheme(QUOTA), {"x": x})
    assert list(res.grade).count("excellent") == excellent
