"""Golden tests: every rule of SCORING-RULES.md replayed through schemes, with exact values.

Each test quotes the rule it replays. Points are compared after rounding to 10 decimals
(exact to the published precision, immune to the last binary digit).
"""

from __future__ import annotations

import numpy as np
from engine_helpers import fractions, one_leaf, run, scheme


def r10(values: object) -> list[float | None]:
    return [None if np.isnan(v) else round(float(v), 10) for v in np.asarray(values, dtype=float)]


# --- indicator scoring methods -----------------------------------------------------------------


def test_rule1_target_all_or_nothing() -> None:
    """Rule 1: "指标完成年度目标即得该项指标满分，未完成目标不得分" — full points when the annual
    target is met, zero otherwise."""
    s = one_leaf("{type: target, target: 8}")
    res = run(s, {"x": [8.0, 7.99, 9.5]})
    assert r10(res.points["x"]) == [10.0, 0.0, 10.0]


def test_rule1_target_proportional_with_cap() -> None:
    """Rule 1 variant: proportional, points × min(actual / target, cap)."""
    s = one_leaf("{type: target, target: 200, mode: proportional, cap: 1.2}")
    assert r10(run(s, {"x": [100.0, 230.0, 300.0]}).points["x"]) == [5.0, 11.5, 12.0]


def test_rule1_target_lower_is_better() -> None:
    """Rule 1, direction-aware: for a lower-is-better input the target is a ceiling."""
    s = one_leaf("{type: target, target: 50, mode: proportional, direction: lower}")
    assert r10(run(s, {"x": [40.0, 50.0, 100.0]}).points["x"]) == [10.0, 10.0, 5.0]


def test_rule2_rank_within_category() -> None:
    """Rule 2: "完成实绩最高的县(市)区得该项指标满分，其余按高低排序计算得分，第二位得满分的95%，
    第三位得满分的90%，以后按5%依次递减" — ties share the better place; within the category."""
    s = one_leaf("{type: rank}")
    res = run(
        s,
        {"x": [10.0, 9.0, 9.0, 8.0, 7.0, 12.0, 3.0, 4.0]},
        categories=["d"] * 6 + ["c"] * 2,
    )
    assert r10(res.fraction["x"]) == [0.95, 0.9, 0.9, 0.8, 0.75, 1.0, 0.95, 1.0]
    assert r10(res.points["x"]) == [9.5, 9.0, 9.0, 8.0, 7.5, 10.0, 9.5, 10.0]


def test_rule2_rank_lower_is_better_and_floor() -> None:
    """Rule 2 for a lower-is-better indicator, with a floor share."""
    s = one_leaf("{type: rank, step: 0.3, floor: 0.5, direction: lower}")
    assert r10(fractions(s, [1.0, 2.0, 3.0, 4.0])) == [1.0, 0.7, 0.5, 0.5]


def test_rule3_target_then_rank() -> None:
    """Rule 3: "GDP growth: meeting the 8% target earns 4 points; above 8%, ranked by 争先进位,
    the best earning the full 6 points." """
    s = one_leaf("{type: target_rank, target: 8, base: 0.6666666667, step: 0.1}", points=6)
    res = run(s, {"x": [9.5, 8.0, 7.9, 8.6, 8.6, 8.1, 8.05, 8.01]})
    # places among those meeting 8%: 9.5→1, 8.6→2 (tied), 8.1→4, 8.05→5, 8.01→6, 8.0→7
    expected = [6.0, 4.0000000002, 0.0, 5.4, 5.4, 4.2, 4.0000000002, 4.0000000002]
    assert r10(res.points["x"]) == expected


def test_rule4_band_bonus_and_penalty() -> None:
    """Rule 4: "完成得基本分；大于目标值的，每增加1%加1分，最高加2分；小于目标值的，每少1%扣1分，
    扣分至基本分值扣完为止" — base when met; +1 per point above, at most +2; −1 per point below,
    never below zero."""
    s = one_leaf(
        "{type: band, target: 10, bonus_per_step: 1, bonus_cap: 2, penalty_per_step: 1}",
        points=5,
    )
    res = run(s, {"x": [10.0, 11.5, 14.0, 8.0, 2.0]})
    assert r10(res.points["x"]) == [5.0, 6.5, 7.0, 3.0, 0.0]


def test_rule4_band_half_point_capped_at_base() -> None:
    """Rule 4 variant: "+0.5 per 1% above, capped at the base value" (relative to the target)."""
    s = one_leaf(
        "{type: band, target: 200, relative: true, bonus_per_step: 0.5, bonus_cap: 4}", points=4
    )
    # 210 is 5% above → +2.5; 240 is 20% above → +10, capped at +4; 190 misses → 0
    assert r10(run(s, {"x": [200.0, 210.0, 240.0, 190.0]}).points["x"]) == [4.0, 6.5, 8.0, 0.0]


def test_rule4_band_base_if_met_none_if_not() -> None:
    """Rule 4 variant: "base points if met, none if not"."""
    s = one_leaf("{type: band, target: 3}", points=2)
    assert r10(run(s, {"x": [3.0, 5.0, 2.9]}).points["x"]) == [2.0, 2.0, 0.0]


def test_rule4_band_one_point_per_ten_percent_short() -> None:
    """Rule 4 variant: "−1 per 10% short of the target" (whole steps: a step begun counts)."""
    s = one_leaf(
        "{type: band, target: 100, relative: true, step: 10, penalty_per_step: 1,"
        " whole_steps: true}",
        points=5,
    )
    assert r10(run(s, {"x": [100.0, 95.0, 80.0, 79.0, 10.0]}).points["x"]) == [
        5.0,
        4.0,
        3.0,
        2.0,
        0.0,
    ]


def test_rule5_efficacy_coefficient() -> None:
    """Rule 5: score = 60 + 40 × (x − x_lowest_allowed) / (x_satisfactory − x_lowest_allowed),
    clipped to [0, 100]; for a lower-is-better indicator the direction flips."""
    s = one_leaf("{type: efficacy, low: 50, satisfactory: 90}")
    assert r10(fractions(s, [50.0, 70.0, 90.0, 110.0, 0.0])) == [0.6, 0.8, 1.0, 1.0, 0.1]
    lower = one_leaf("{type: efficacy, low: 10, satisfactory: 2, direction: lower}")
    assert r10(fractions(lower, [10.0, 6.0, 2.0, 1.0])) == [0.6, 0.8, 1.0, 1.0]
    clipped = one_leaf("{type: efficacy, low: 50, satisfactory: 90, clip: [40, 100]}")
    assert r10(fractions(clipped, [0.0])) == [0.4]


def test_rule6_interpolation_baseline_benchmark() -> None:
    """Rule 6: "full points at or beyond the benchmark value, a floor share at the baseline,
    linear between." """
    s = one_leaf("{type: interpolate, baseline: 20, benchmark: 40, floor: 0.6}")
    assert r10(fractions(s, [20.0, 30.0, 40.0, 50.0, 10.0])) == [0.6, 0.8, 1.0, 1.0, 0.0]
    floor = one_leaf("{type: interpolate, baseline: 20, benchmark: 40, floor: 0.6, below: floor}")
    assert r10(fractions(floor, [10.0])) == [0.6]
    per_unit = one_leaf("{type: interpolate, baseline: {input: base}, benchmark: {input: bench}}")
    res = run(per_unit, {"x": [5.0, 5.0], "base": [0.0, 4.0], "bench": [10.0, 6.0]})
    assert r10(res.fraction["x"]) == [0.5, 0.5]


def test_rule7_goalposts_with_log_and_caps() -> None:
    """Rule 7: (x − min) / (max − min) with fixed goalposts, values capped at the goalposts;
    optional log transform first (income: ln 100 … ln 75,000)."""
    s = one_leaf("{type: goalpost, min: 100, max: 75000, log: true}")
    got = fractions(s, [100.0, 75000.0, 100000.0, 50.0, 2738.6127875258306])
    assert r10(got) == [0.0, 1.0, 1.0, 0.0, 0.5]
    lin = one_leaf("{type: goalpost, min: 20, max: 85}")
    assert r10(fractions(lin, [20.0, 52.5, 90.0])) == [0.0, 0.5, 1.0]
    uncapped = one_leaf("{type: goalpost, min: 20, max: 85, cap: false}")
    assert r10(fractions(uncapped, [91.5])) == [1.1]


def test_rule8_per_event_deductions_capped() -> None:
    """Rule 8: "−0.5 per serious accident, −1 per accident beyond the control figure, −2 per
    public criticism (通报批评); capped at the item's points." """
    s = scheme(
        """
        kaohe_scheme: 1
        id: t
        root:
          children:
            - {id: base, points: 100, input: x, method: {type: identity}}
        adjustments:
          - id: accidents
            kind: deduction
            input: serious
            method: {type: events, per_event: 0.5, cap: 3}
          - id: criticism
            kind: deduction
            input: crit
            method: {type: events, per_event: 2, cap: 4}
        """
    )
    res = run(s, {"x": [1.0, 1.0, 1.0], "serious": [1.0, 9.0, 0.0], "crit": [0.0, 1.0, 3.0]})
    assert r10(res.adjustment_points["accidents"]) == [-0.5, -3.0, 0.0]
    assert r10(res.adjustment_points["criticism"]) == [0.0, -2.0, -4.0]
    assert r10(res.total) == [99.5, 95.0, 96.0]
    leaf = one_leaf("{type: events, per_event: 1}", points=3)
    assert r10(run(leaf, {"x": [0.0, 1.0, 5.0]}).points["x"]) == [3.0, 2.0, 0.0]


def test_rule9_graded_ratings() -> None:
    """Rule 9: "A/B/C/D or 好/较好/一般/差 mapped to shares of the points." """
    s = one_leaf("{type: graded, map: {好: 1, 较好: 0.9, 一般: 0.75, 差: 0.5}}", points=5)
    res = run(s, {"x": np.array(["好", "较好", "一般", "差", ""], dtype=object)})
    assert r10(res.points["x"]) == [5.0, 4.5, 3.75, 2.5, None]
    assert res.reason[4] == "missing input x (x)"


def test_rule10_survey_rate_and_expert_score() -> None:
    """Rule 10: "Survey and expert scores feed an indicator as a rate or an index" — e.g. the
    97.54% satisfaction rate of the source."""
    s = one_leaf("{type: ratio, full: 100}", points=5)
    assert r10(run(s, {"x": [97.54, 100.0]}).points["x"]) == [4.877, 5.0]
    idx = one_leaf("{type: identity}", points=5)
    assert r10(run(idx, {"x": [0.9754]}).points["x"]) == [4.877]


# --- period weights ---------------------------------------------------------------------------


def test_period_weights_15_25_25_35() -> None:
    """ "分一季度、上半年、前三季度和全年4个报告期……分别按15%、25%、25%、35%计入" — quarterly
    indicators for Q1, H1, Q1–Q3 and the full year count 15%, 25%, 25% and 35%."""
    s = scheme(
        """
        kaohe_scheme: 1
        id: t
        root:
          children:
            - id: growth
              points: 10
              input: g
              periods: {Q1: 0.15, H1: 0.25, Q3: 0.25, Y: 0.35}
              method: {type: target, target: 8}
        """
    )
    res = run(
        s,
        {
            "g@Q1": [8.0, 7.0, 9.0],
            "g@H1": [7.0, 8.0, 9.0],
            "g@Q3": [7.0, 8.0, 7.0],
            "g@Y": [7.0, 8.0, 9.0],
        },
    )
    assert r10(res.points["growth"]) == [1.5, 8.5, 7.5]


# --- bonus, deduction and veto -------------------------------------------------------------------

ADJ = """
kaohe_scheme: 1
id: t
root:
  children:
    - {id: base, points: 100, input: x, method: {type: ratio, full: 100}}
adjustments:
  - id: practice
    kind: bonus
    input: level
    method: {type: graded_points, map: {city: 1, province: 3, national: 5}}
  - id: monthly_top3
    kind: bonus
    input: monthly_rank
    method: {type: rank_points, points: [0.5, 0.3, 0.1]}
    condition: "gdp_growth >= 6 and fai_growth >= 5 and retail_growth >= 6"
  - id: fraud
    kind: veto
    when: "stat_fraud_cases > 0"
grades:
  - {code: excellent, min: 90, quota: 0.5}
  - {code: qualified, min: 60}
  - {code: unqualified}
results: {top_flags: 2, progress_award: {min_rise: 2}}
"""


def _adj_columns(**over: list[object]) -> dict[str, object]:
    cols: dict[str, object] = {
        "x": [90.0, 90.0, 90.0, 90.0],
        "level": np.array(["city;province", "national", "", "city"], dtype=object),
        "monthly_rank": [1.0, 2.0, 3.0, 4.0],
        "gdp_growth": [6.0, 6.0, 5.9, 7.0],
        "fai_growth": [5.0, 5.0, 9.0, 5.0],
        "retail_growth": [6.0, 7.0, 7.0, 7.0],
        "stat_fraud_cases": [0.0, 0.0, 0.0, 0.0],
    }
    cols.update(over)
    return cols


def test_practice_bonus_counts_once_at_highest_level() -> None:
    """ "Bonus for a practice adopted at city / province / national level: +1 / +3 / +5; the same
    practice counts once, at its highest level." """
    res = run(scheme(ADJ), _adj_columns())
    assert r10(res.adjustment_points["practice"]) == [3.0, 5.0, 0.0, 1.0]


def test_monthly_top3_bonus_with_preconditions() -> None:
    """ "Bonus for the monthly top three (+0.5 / +0.3 / +0.1) only where GDP, investment and
    spending growth reached their thresholds — a bonus can carry preconditions." """
    res = run(scheme(ADJ), _adj_columns())
    # unit 3 is third but its GDP growth (5.9) misses the threshold; unit 4 is fourth
    assert r10(res.adjustment_points["monthly_top3"]) == [0.5, 0.3, 0.0, 0.0]
    assert r10(res.total) == [93.5, 95.3, 90.0, 91.0]


def test_veto_forces_lowest_grade_and_removes_honours() -> None:
    """ "One-vote veto (一票否决) items, e.g. … statistical fraud (统计造假) …: a vetoed unit takes
    the lowest grade whatever its score, and is not eligible for honours." """
    res = run(
        scheme(ADJ),
        _adj_columns(stat_fraud_cases=[0.0, 1.0, 0.0, 0.0]),
        previous={"u0": 1, "u1": 4, "u2": 2, "u3": 3},
    )
    assert r10(res.total) == [93.5, 95.3, 90.0, 91.0]
    assert list(res.rank) == [2.0, 1.0, 4.0, 3.0]
    # the vetoed unit takes no place in the excellent quota (2 of 4): u0 and u3 fill it
    assert list(res.grade) == ["excellent", "unqualified", "qualified", "excellent"]
    # the vetoed unit ranks first and rose 3 places, yet gets neither top flag nor award
    assert res.flags[1] == ("veto:fraud",)
    assert res.flags[0] == ("top2",)
    assert res.flags[3] == ()


# --- grades ---------------------------------------------------------------------------------------

GRADES = """
kaohe_scheme: 1
id: t
root:
  children:
    - {id: base, points: 100, input: x, method: {type: identity}}
grades:
  - {code: excellent, min: 95}
  - {code: good, min: 90}
  - {code: qualified, min: 80}
  - {code: unqualified}
ranking: {round: 0}
"""


def test_grades_by_thresholds() -> None:
    """ "95分以上优秀；90-94良好；80-89达标；80分以下不达标" (on the rounded total)."""
    res = run(scheme(GRADES), {"x": [0.95, 0.946, 0.944, 0.9, 0.8, 0.795, 0.79]})
    assert list(res.total_rounded) == [95.0, 95.0, 94.0, 90.0, 80.0, 80.0, 79.0]
    assert list(res.grade) == [
        "excellent", "excellent", "good", "good", "qualified", "qualified", "unqualified",
    ]  # fmt: skip


QINGDAO = """
kaohe_scheme: 1
id: t
root:
  children:
    - {id: base, points: 100, input: x, method: {type: identity}}
grades:
  - {code: excellent, min: 90, quota: 0.3}
  - {code: good, min: 80, quota: 0.4}
  - {code: qualified, min: 60}
  - {code: unqualified}
veto_grade: unqualified
"""


def test_grades_by_threshold_and_quota() -> None:
    """Qingdao 2021/2022: "3 of 10 districts 优秀 (30%), 3–4 良好, the rest 合格. A scheme combines
    both: a grade needs the threshold AND a place inside the quota." """
    x = [0.97, 0.95, 0.93, 0.92, 0.91, 0.89, 0.85, 0.82, 0.79, 0.70]
    res = run(scheme(QINGDAO), {"x": x})
    assert list(res.grade) == ["excellent"] * 3 + ["good"] * 4 + ["qualified"] * 3
    # the threshold binds too: with only one unit at 90+, only one is excellent
    res = run(scheme(QINGDAO), {"x": [0.95, 0.89, 0.88, 0.87, 0.86, 0.85, 0.6, 0.6, 0.6, 0.5]})
    assert list(res.grade) == (["excellent"] + ["good"] * 4 + ["qualified"] * 4 + ["unqualified"])


def test_quota_tie_at_the_last_place_shares_it() -> None:
    """Ties share the better place, also at a quota's last place."""
    res = run(scheme(QINGDAO), {"x": [0.97, 0.95, 0.93, 0.93, 0.91, 0.3, 0.3, 0.3, 0.3, 0.3]})
    assert list(res.rank[:5]) == [1.0, 2.0, 3.0, 3.0, 5.0]
    assert list(res.grade[:5]) == ["excellent"] * 4 + ["good"]


def test_certain_events_force_unqualified() -> None:
    """ "Vetoes and certain events ("发生特别重大事故…按不合格评定") force 不合格." """
    s = scheme(QINGDAO + 'adjustments:\n  - {id: major_accident, kind: veto, when: "major > 0"}\n')
    res = run(s, {"x": [0.99, 0.5], "major": [1.0, 0.0]})
    assert list(res.grade) == ["unqualified", "unqualified"]
    assert list(res.rank) == [1.0, 2.0]
    assert res.flags[0] == ("veto:major_accident",)


# --- use of results ---------------------------------------------------------------------------

USE = """
kaohe_scheme: 1
id: t
root:
  children:
    - {id: base, points: 100, input: x, method: {type: identity}}
results:
  progress_award: {min_rise: 2}
  interview: {bottom: 3, min_fall: 10}
  top_flags: 2
"""


def test_progress_award_for_rising_places() -> None:
    """ "Progress award (进位显著奖): to units that rose markedly against last year (Qingdao 2022:
    Laixi, up 2 places)." Quarterly variant: "flags for the top two and for rising 2+ places"."""
    units = ["shinan", "shibei", "laixi", "pingdu"]
    res = run(
        scheme(USE),
        {"x": [0.95, 0.9, 0.85, 0.8]},
        units=units,
        previous={"shinan": 1, "shibei": 3, "laixi": 5, "pingdu": 2},
    )
    assert list(res.rank_change) == [0.0, 1.0, 2.0, -2.0]
    assert [("progress_award" in f) for f in res.flags] == [False, False, True, False]
    assert [("top2" in f) for f in res.flags] == [True, True, False, False]


def test_interview_list_bottom_three_and_fallers() -> None:
    """ "Interview list (约谈): the last three of the overall ranking and every unit that fell 10 or
    more places (Qingdao's practice)." """
    x = [1.0 - 0.01 * i for i in range(14)]  # u0 ranks 1st … u13 ranks 14th
    previous = {f"u{i}": i + 1 for i in range(14)}
    previous["u10"] = 1  # now 11th: fell 10 places
    previous["u9"] = 2  # now 10th: fell 8 places, not enough
    res = run(scheme(USE), {"x": x}, previous=previous)
    interview = [u for u, f in zip(res.units, res.flags, strict=True) if "interview" in f]
    assert interview == ["u10", "u11", "u12", "u13"]
    assert res.rank_change[10] == -10.0


BOTTOM = """
kaohe_scheme: 1
id: t
root:
  children:
    - {id: base, points: 100, input: x, method: {type: identity}}
results:
  interview: {bottom: 3}
"""


def interviewed(x: list[float]) -> list[str]:
    res = run(scheme(BOTTOM), {"x": x})
    return [u for u, f in zip(res.units, res.flags, strict=True) if "interview" in f]


def test_bottom_three_includes_units_tied_at_the_bottom() -> None:
    """Ten units, the last four tied at 7th: all four hold the bottom places (ranks 7, 7, 7, 7
    counted from the top; 1st counted from the bottom) and all four are interviewed."""
    x = [0.99, 0.98, 0.97, 0.96, 0.95, 0.94, 0.5, 0.5, 0.5, 0.5]
    assert interviewed(x) == ["u6", "u7", "u8", "u9"]


def test_bottom_three_with_a_tie_above_the_last_place() -> None:
    """Ranks …, 7, 8, 8, 10: from the bottom 1, 2, 2, 4 → u7, u8, u9 (three units), not u6."""
    x = [0.99, 0.98, 0.97, 0.96, 0.95, 0.94, 0.9, 0.8, 0.8, 0.7]
    assert interviewed(x) == ["u7", "u8", "u9"]
    # exactly three places from the bottom: the unit in the third place counts (<=, not <)
    assert interviewed([0.9, 0.8, 0.7, 0.6, 0.5]) == ["u2", "u3", "u4"]


def test_nobody_is_interviewed_when_every_unit_ties() -> None:
    """All equal: every unit is first, so there is no backward group."""
    assert interviewed([0.8] * 6) == []


def test_section_stars_ten_to_one() -> None:
    """Quarterly variant: ""10-star to 1-star" bands per section" — by the section's rank."""
    s = scheme(
        """
        kaohe_scheme: 1
        id: t
        root:
          children:
            - {id: a, points: 50, input: x, method: {type: identity}}
            - {id: b, points: 50, input: y, method: {type: identity}}
        results: {stars: 10}
        """
    )
    x = [1.0 - 0.05 * i for i in range(10)]
    res = run(s, {"x": x, "y": x[::-1]})
    assert list(res.stars["a"]) == [10.0, 9.0, 8.0, 7.0, 6.0, 5.0, 4.0, 3.0, 2.0, 1.0]
    assert list(res.stars["b"]) == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0]
    five = run(s, {"x": x[:5], "y": x[:5]})
    assert list(five.stars["a"]) == [10.0, 8.0, 6.0, 4.0, 2.0]


def test_staff_excellent_share_follows_the_unit_grade() -> None:
    """ "Staff quota: in units rated excellent, the civil servants' "excellent" share rises (one
    scheme: to 25%); in unqualified units it falls." """
    s = scheme(
        """
        kaohe_scheme: 1
        id: t
        root:
          children:
            - {id: base, points: 100, input: x, method: {type: identity}}
        grades:
          - {code: excellent, min: 90, staff_excellent_share: 0.25}
          - {code: qualified, min: 60, staff_excellent_share: 0.15}
          - {code: unqualified, staff_excellent_share: 0.1}
        """
    )
    res = run(s, {"x": [0.95, 0.7, 0.5, np.nan]})
    assert list(res.staff_excellent_share[:3]) == [0.25, 0.15, 0.1]
    assert np.isnan(res.staff_excellent_share[3])
