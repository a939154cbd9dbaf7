"""Assessing people (考人): staff quotas and grades, proposal checks, reward pools, leader flags.

Every expected value is computed by hand in the comments; the property tests at the end check
that the amounts always add up and that the order of the people never matters.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from kaohe.engine.people import (
    PROBLEM_CODES,
    ProposalProblem,
    RewardRule,
    StaffGradeRule,
    assessed_headcounts,
    assign_staff_grades,
    check_proposal,
    leader_flags,
    reward_tiers,
    split_pool,
    staff_quotas,
)
from kaohe.engine.ranking import round_half_up

EXC, COMP, BASIC, INCOMP = range(4)
NAN = math.nan


def ints(values: list[int]) -> np.ndarray:
    return np.array(values, dtype=np.intp)


def floats(values: list[float]) -> np.ndarray:
    return np.array(values, dtype=np.float64)


def one_unit(scores: list[float], share: float) -> list[int]:
    """Grades of one unit of people with the quota its share gives."""
    s = floats(scores)
    unit = np.zeros(len(scores), dtype=np.intp)
    quotas = staff_quotas(floats([share]), assessed_headcounts(s, unit, 1))
    return list(assign_staff_grades(s, unit, quotas))


# --- rule 1: quotas ----------------------------------------------------------------------------


def test_quotas_floor_the_share_of_the_headcount() -> None:
    # 0.25 × 10 = 2.5 → 2 (never rounded up); NaN → default 0.20 × 10 = 2; 0 (vetoed) → 0;
    # 0.29 × 100 = 28.999999999999996 in binary → 29 thanks to the +1e-9; 0.2 × 4 = 0.8 → 0
    q = staff_quotas(floats([0.25, NAN, 0.0, 0.29, 0.2]), ints([10, 10, 10, 100, 4]))
    assert list(q) == [2, 2, 0, 29, 0]


def test_quotas_take_another_default_share() -> None:
    # NaN → 0.30 × 10 = 3; a share that is set is kept: 0.25 × 10 → 2
    q = staff_quotas(floats([NAN, 0.25]), ints([10, 10]), default_share=0.30)
    assert list(q) == [3, 2]


def test_headcounts_count_only_assessed_people() -> None:
    # unit 0: three people, one without a score → 2; unit 1: one; unit 2: nobody
    s = floats([80.0, NAN, 70.0, 65.0])
    assert list(assessed_headcounts(s, ints([0, 0, 0, 1]), 3)) == [2, 1, 0]


@pytest.mark.parametrize(("shares", "heads"), [([1.5], [10]), ([-0.1], [10]), ([0.2], [-1])])
def test_quotas_reject_impossible_inputs(shares: list[float], heads: list[int]) -> None:
    with pytest.raises(ValueError):
        staff_quotas(floats(shares), ints(heads))


# --- rule 2: staff grades ----------------------------------------------------------------------


def test_tie_at_the_quotas_last_place_shares_it() -> None:
    # 10 people, share 0.25 → quota floor(2.5) = 2. Excellent candidates (≥ 90): 96, 93, 93, 91
    # with places 1, 2, 2, 4. The two 93s tie at place 2 = the quota's last place: both are
    # excellent → 3 excellent. 91 is excellent-level but place 4 > 2 → competent.
    # 88, 80, 75, 62 ≥ 60 → competent; 55 ≥ 50 → basic; 40 → incompetent.
    scores = [93.0, 80.0, 96.0, 55.0, 91.0, 62.0, 93.0, 40.0, 88.0, 75.0]
    assert one_unit(scores, 0.25) == [EXC, COMP, EXC, BASIC, COMP, COMP, EXC, INCOMP, COMP, COMP]


def test_tie_just_beyond_the_quota_gets_nothing() -> None:
    # Quota 2 again; candidates 96, 94, 92, 92 have places 1, 2, 3, 3: the tie is at place 3,
    # beyond the quota, so neither 92 is excellent → exactly 2 excellent, the 92s competent.
    scores = [92.0, 96.0, 70.0, 92.0, 94.0, 85.0, 61.0, 50.0, 49.0, 66.0]
    assert one_unit(scores, 0.25) == [COMP, EXC, COMP, COMP, EXC, COMP, COMP, BASIC, INCOMP, COMP]


def test_float_noise_does_not_split_a_tie() -> None:
    # 92.9999999999 rounds half up to 93.00: it ties with 93.0 at place 2 → both excellent.
    scores = [96.0, 93.0, 92.9999999999, 70.0, 70.0, 70.0, 70.0, 70.0, 70.0, 70.0]
    assert one_unit(scores, 0.25)[:3] == [EXC, EXC, EXC]


def test_excellent_level_scores_beyond_the_quota_are_competent() -> None:
    # 10 people, share 0.1 → quota 1: only the best (99) is excellent; 97, 95, 90 → competent.
    scores = [95.0, 99.0, 90.0, 97.0, 70.0, 70.0, 70.0, 70.0, 70.0, 70.0]
    assert one_unit(scores, 0.1)[:4] == [COMP, EXC, COMP, COMP]


def test_unqualified_unit_has_nobody_excellent() -> None:
    # share 0 → quota 0: no place is ≤ 0, so even 99 is competent.
    scores = [99.0, 95.0, 91.0, 70.0, 58.0]
    assert one_unit(scores, 0.0) == [COMP, COMP, COMP, COMP, BASIC]


def test_unit_without_a_share_uses_twenty_percent() -> None:
    # share NaN → 0.20 × 10 = 2: 99 and 98 excellent, 97 (place 3) competent.
    scores = [99.0, 98.0, 97.0, 70.0, 70.0, 70.0, 70.0, 70.0, 70.0, 70.0]
    assert one_unit(scores, NAN)[:3] == [EXC, EXC, COMP]


def test_threshold_boundaries_after_rounding() -> None:
    # Quota large enough (10) that only the thresholds 90 / 60 / 50 matter. Rounded half up:
    # 90.0 → excellent; 89.995 → 90.00 excellent; 89.994 → 89.99 competent;
    # 60.0 → competent (the minimum is reached); 59.995 → 60.00 competent; 59.994 → 59.99 basic;
    # 50.0 → basic; 49.995 → 50.00 basic; 49.99 → incompetent; NaN → not graded (−1).
    s = floats([90.0, 89.995, 89.994, 60.0, 59.995, 59.994, 50.0, 49.995, 49.99, NAN])
    grades = assign_staff_grades(s, np.zeros(10, dtype=np.intp), ints([10]))
    assert list(grades) == [EXC, EXC, COMP, COMP, COMP, BASIC, BASIC, BASIC, INCOMP, -1]


def test_units_are_graded_in_one_call_with_their_own_quotas() -> None:
    # Interleaved people of two units. Unit 0 (quota 1): 95, 94 → 95 excellent, 94 competent.
    # Unit 1 (quota 2): 94, 93, 92 → 94 and 93 excellent, 92 competent. Unit 1's 94 does not
    # compete with unit 0's people.
    s = floats([95.0, 94.0, 94.0, 93.0, 92.0])
    unit = ints([0, 1, 0, 1, 1])
    assert list(assign_staff_grades(s, unit, ints([1, 2]))) == [EXC, EXC, COMP, EXC, COMP]


def test_a_stricter_rule_moves_the_thresholds() -> None:
    # excellent_min 95: 94 is not a candidate although the quota (2) has room → competent.
    rule = StaffGradeRule(excellent_min=95.0, competent_min=70.0, basic_min=60.0)
    s = floats([96.0, 94.0, 69.99, 60.0, 59.0])
    grades = assign_staff_grades(s, np.zeros(5, dtype=np.intp), ints([2]), rule)
    assert list(grades) == [EXC, COMP, BASIC, BASIC, INCOMP]


def test_nobody_to_grade() -> None:
    # a unit without people: nothing to grade, nothing to check, the pool stays undistributed
    nobody, none = floats([]), ints([])
    assert assign_staff_grades(nobody, none, ints([2])).size == 0
    assert check_proposal(none, nobody, none, ints([2])) == []
    assert split_pool(100, none, nobody).undistributed == 100


def test_grade_rule_minimums_must_not_increase() -> None:
    with pytest.raises(ValueError):
        StaffGradeRule(excellent_min=50.0, competent_min=60.0)


# --- rule 3: checking a proposal ---------------------------------------------------------------

# unit 0, quota 2: scores 96, 93, 93, 85, (none) → assign_staff_grades grants 3 excellent
#   (the 93s tie at the quota's last place), so 3 excellent may be proposed.
# unit 1, quota 1: scores 95, 92, 70, 58 → 1 excellent may be proposed.
SCORES = floats([96.0, 93.0, 93.0, 85.0, NAN, 95.0, 92.0, 70.0, 58.0])
UNIT = ints([0, 0, 0, 0, 0, 1, 1, 1, 1])
QUOTAS = ints([2, 1])


def test_a_sound_proposal_has_no_problems() -> None:
    # 3 excellent in unit 0 (quota 2 + the tie at place 2), the person without a score proposes
    # nothing; unit 1: one excellent, 92 competent, 70 competent, 58 basic.
    proposed = ints([EXC, EXC, EXC, COMP, -1, EXC, COMP, COMP, BASIC])
    assert check_proposal(proposed, SCORES, UNIT, QUOTAS) == []


def test_every_problem_code_in_order() -> None:
    # unit 0: 85 proposed excellent → 4 proposed > 3 allowed (over_quota, people 0–3) and
    #   85 < 90 (below_threshold, person 3); person 4 has no score but is proposed (unscored).
    # unit 1: 95 and 92 both excellent → 2 > quota 1 = allowed (over_quota, people 5, 6);
    #   58 proposed competent < 60 (below_threshold, person 8); 70 without proposal (ungraded).
    proposed = ints([EXC, EXC, EXC, EXC, COMP, EXC, EXC, -1, COMP])
    problems = check_proposal(proposed, SCORES, UNIT, QUOTAS)
    assert problems == [
        ProposalProblem(0, "over_quota", (0, 1, 2, 3), {"proposed": 4, "quota": 2, "allowed": 3}),
        ProposalProblem(0, "below_threshold", (3,), {"grade": EXC, "score": 85.0, "min": 90.0}),
        ProposalProblem(0, "unscored", (4,), {"grade": COMP}),
        ProposalProblem(1, "over_quota", (5, 6), {"proposed": 2, "quota": 1, "allowed": 1}),
        ProposalProblem(1, "below_threshold", (8,), {"grade": COMP, "score": 58.0, "min": 60.0}),
        ProposalProblem(1, "ungraded", (7,), {"score": 70.0}),
    ]
    assert {p.code for p in problems} == set(PROBLEM_CODES)
    assert isinstance(problems[0].numbers["allowed"], int)  # plain numbers, not numpy scalars


def test_fewer_excellent_than_the_quota_is_fine_and_incompetent_needs_no_minimum() -> None:
    # unit 0 proposes 1 excellent (< quota 2); 93 as competent, 85 as incompetent: a worse grade
    # than earned is not a threshold problem (incompetent has no minimum).
    proposed = ints([EXC, COMP, COMP, INCOMP, -1, EXC, COMP, COMP, BASIC])
    assert check_proposal(proposed, SCORES, UNIT, QUOTAS) == []


def test_proposal_grades_must_exist() -> None:
    with pytest.raises(ValueError):
        check_proposal(ints([4, 0, 0, 0, 0, 0, 0, 0, 0]), SCORES, UNIT, QUOTAS)


# --- rule 4: reward pools ----------------------------------------------------------------------


def test_pool_split_by_hand() -> None:
    # Pool 10,000.00 yuan = 1,000,000 cents. Weights = coefficient × score:
    #   P0 excellent 95.00 → 1.5 × 95.00 = 142.5
    #   P1 competent 88.00 → 1.0 × 88.00 =  88.0
    #   P2 competent 75.50 → 1.0 × 75.50 =  75.5
    #   P3 basic     55.00 → 0.5 × 55.00 =  27.5      Σ = 333.5
    # Shares 1,000,000 × w / 333.5:
    #   P0 427,286.3568…  P1 263,868.0659…  P2 226,386.8065…  P3 82,458.7706…
    # Floors sum to 427,286 + 263,868 + 226,386 + 82,458 = 999,998 → 2 cents left, to the two
    # largest remainders: P2 (.8065) and P3 (.7706).
    split = split_pool(1_000_000, ints([EXC, COMP, COMP, BASIC]), floats([95.0, 88.0, 75.5, 55.0]))
    assert list(split.amounts) == [427_286, 263_868, 226_387, 82_459]
    assert split.amounts.sum() == 1_000_000
    assert split.undistributed == 0


def test_same_grade_different_scores_get_different_amounts() -> None:
    # Two competent people, 90 and 60: weights 90 and 60, pool 1,500 cents → 900 and 600.
    split = split_pool(1_500, ints([COMP, COMP]), floats([90.0, 60.0]))
    assert list(split.amounts) == [900, 600]


def test_equal_remainders_go_to_the_larger_weight() -> None:
    # Tier only (score_weighted off): basic 0.5 and excellent 1.5, pool 10 cents:
    # shares 10 × 0.5 / 2 = 2.5 and 10 × 1.5 / 2 = 7.5 → floors 2 + 7 = 9, 1 cent left;
    # both remainders are .5, the larger weight (excellent) takes it → 2 and 8.
    rule = RewardRule(score_weighted=False)
    split = split_pool(10, ints([BASIC, EXC]), floats([80.0, 80.0]), rule)
    assert list(split.amounts) == [2, 8]


def test_equal_remainders_and_weights_go_to_the_lower_index() -> None:
    # Three competent people at 80, pool 100 cents: 33.33… each, floors 99, 1 cent left,
    # everything tied → the lowest index takes it.
    split = split_pool(100, ints([COMP, COMP, COMP]), floats([80.0, 80.0, 80.0]))
    assert list(split.amounts) == [34, 33, 33]


def test_equal_remainders_are_exactly_equal() -> None:
    # Tier only, a custom rule giving weights 1, 2, 7 (Σ 10), pool 2 cents: shares 0.2, 0.4,
    # 1.4 → floors 0 + 0 + 1 = 1, 1 cent left. The remainders 0.4 and 0.4 tie exactly (in
    # floats 1.4 − 1 = 0.3999999999999999 would lose), so the larger weight (7) takes it → 0, 0, 2.
    rule = RewardRule(excellent=7.0, competent=2.0, basic=1.0, score_weighted=False)
    split = split_pool(2, ints([BASIC, COMP, EXC]), floats([70.0, 70.0, 70.0]), rule)
    assert list(split.amounts) == [0, 0, 2]


def test_people_without_score_or_grade_weigh_nothing() -> None:
    # P1 has no score, P2 no grade, P3 is incompetent (coefficient 0): only P0 weighs → all.
    split = split_pool(12_345, ints([COMP, EXC, -1, INCOMP]), floats([70.0, NAN, 99.0, 40.0]))
    assert list(split.amounts) == [12_345, 0, 0, 0]


def test_nobody_with_weight_leaves_the_pool_undistributed() -> None:
    split = split_pool(50_000, ints([INCOMP, -1]), floats([30.0, 80.0]))
    assert list(split.amounts) == [0, 0]
    assert split.undistributed == 50_000


def test_reward_tiers_for_a_preview() -> None:
    # tier = grade code ('' for none); coefficient 1.5 / 1.0 / NaN; weight 1.5 × 92.00 = 138,
    # 1.0 × 70.125 → 70.13 (rounded half up) = 70.13, no grade → 0.
    tiers = reward_tiers(ints([EXC, COMP, -1]), floats([92.0, 70.125, 80.0]))
    assert list(tiers.tier) == ["excellent", "competent", ""]
    assert list(tiers.coefficient[:2]) == [1.5, 1.0]
    assert np.isnan(tiers.coefficient[2])
    assert list(tiers.weight) == [138.0, 70.13, 0.0]


@pytest.mark.parametrize("kwargs", [{"basic": 1.2}, {"incompetent": -0.1}, {"excellent": math.inf}])
def test_reward_rule_keeps_tiers_in_order(kwargs: dict[str, float]) -> None:
    # basic 1.2 > competent 1.0 would reward a worse grade more; negative or infinite: nonsense
    with pytest.raises(ValueError):
        RewardRule(**kwargs)


def test_pool_must_not_be_negative() -> None:
    with pytest.raises(ValueError):
        split_pool(-1, ints([COMP]), floats([80.0]))


# --- rule 5: leader flags ----------------------------------------------------------------------


def test_leader_flags() -> None:
    history = [
        {2023: "excellent", 2024: "excellent", 2025: "excellent"},  # 3 in a row → priority
        {2022: "excellent", 2023: "excellent", 2025: "excellent"},  # 2024 missing: a gap
        {2023: "excellent", 2024: None, 2025: "excellent"},  # 2024 without a grade: a gap
        {2024: "excellent", 2025: "excellent"},  # only two years
        {2023: "excellent", 2024: "excellent", 2025: "unqualified"},  # unqualified now
        {2023: "excellent", 2024: "excellent"},  # no grade in 2025: nothing
    ]
    flags = leader_flags(history, excellent={"excellent"}, unqualified={"unqualified"})
    assert flags.year == 2025
    assert list(flags.promotion_priority) == [True, False, False, False, False, False]
    assert list(flags.adjustment) == [False, False, False, False, True, False]


def test_leader_flags_for_an_earlier_year() -> None:
    # Flagged for 2024 (the caller's year, not the latest): 2022–2024 all "A" → priority, and
    # the "D" of 2025 does not count yet.
    history = [{2022: "A", 2023: "A", 2024: "A", 2025: "D"}]
    flags = leader_flags(history, excellent={"A"}, unqualified={"D"}, year=2024)
    assert list(flags.promotion_priority) == [True]
    assert list(flags.adjustment) == [False]


def test_leader_flags_without_any_year() -> None:
    flags = leader_flags([{}, {}], excellent={"A"}, unqualified={"D"})
    assert flags.year is None
    assert list(flags.promotion_priority) == list(flags.adjustment) == [False, False]


def test_leader_flags_want_collections_of_codes() -> None:
    with pytest.raises(TypeError):
        leader_flags([{2025: "A"}], excellent="A", unqualified={"D"})


# --- properties ----------------------------------------------------------------------------------

people = st.integers(min_value=1, max_value=20)


@st.composite
def staff(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Grades −1..3, scores with 2 decimals (some NaN) and a permutation, for 1–20 people."""
    n = draw(people)
    grades = draw(st.lists(st.integers(-1, 3), min_size=n, max_size=n))
    score = st.one_of(st.integers(0, 10_000).map(lambda v: v / 100), st.just(NAN))
    scores = draw(st.lists(score, min_size=n, max_size=n))
    perm = draw(st.permutations(range(n)))
    return ints(grades), floats(scores), ints(perm)


@settings(max_examples=200, deadline=None)
@given(staff(), st.integers(0, 10**10), st.booleans())
def test_split_always_sums_to_the_pool_and_follows_a_permutation(
    person: tuple[np.ndarray, np.ndarray, np.ndarray], pool: int, weighted: bool
) -> None:
    grades, scores, perm = person
    rule = RewardRule(score_weighted=weighted)
    split = split_pool(pool, grades, scores, rule)
    assert (split.amounts >= 0).all()
    assert int(split.amounts.sum()) + split.undistributed == pool
    weight = reward_tiers(grades, scores, rule).weight
    assert split.undistributed == (0 if weight.any() else pool)
    assert not split.amounts[weight == 0].any()
    positive = weight[weight > 0]
    assume(len(set(positive.tolist())) == positive.size)  # distinct weights: no index tie-break
    again = split_pool(pool, grades[perm], scores[perm], rule)
    assert list(again.amounts) == list(split.amounts[perm])


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_staff_grades_do_not_depend_on_the_order_of_people(data: st.DataObject) -> None:
    n = data.draw(people)
    # few distinct scores so that ties, also at the quota's boundary, are frequent
    score = st.sampled_from([NAN, 40.0, 55.0, 60.0, 89.995, 90.0, 92.0, 95.0])
    scores = floats(data.draw(st.lists(score, min_size=n, max_size=n)))
    unit = ints(data.draw(st.lists(st.integers(0, 2), min_size=n, max_size=n)))
    quotas = ints(data.draw(st.lists(st.integers(0, 3), min_size=3, max_size=3)))
    perm = ints(data.draw(st.permutations(range(n))))
    grades = assign_staff_grades(scores, unit, quotas)
    assert list(assign_staff_grades(scores[perm], unit[perm], quotas)) == list(grades[perm])
    assert list(grades == -1) == list(np.isnan(scores))
    # the quota is exceeded only by ties: the worst excellent person's place is within it
    rounded = round_half_up(scores, 2)
    for u in range(3):
        mine = rounded[(unit == u) & (grades == EXC)]
        if mine.size:
            assert 1 + (mine > mine.min()).sum() <= quotas[u]
