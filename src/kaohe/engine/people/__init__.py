"""Assessing people (考人): staff grades under their unit's quota, tiered rewards, leader flags.

The unit assessment (考事) grades every unit; this package carries that result down to the
people of each unit. numpy only, never Django: codes and numbers out, the web side words them.

Rules, and why:

1. **Quota of "excellent" per unit** (`staff_quotas`): floor(share × headcount + 1e-9), the
   share coming from the unit's grade (`Grade.staff_excellent_share`). A unit whose grade sets
   no share (NaN) uses `default_share`, 0.20 unless told otherwise: China's civil-servant
   assessment rule keeps 优秀 generally within 20% of a unit's assessed staff. A share of 0 (an
   unqualified or vetoed unit) gives quota 0: nobody of that unit is excellent. The floor
   never rounds a quota up (0.25 × 10 = 2.5 → 2): the share is a ceiling, not a target; the
   1e-9 absorbs binary noise (0.29 × 100 = 28.999999999999996 → 29).

2. **Staff grades** (`assign_staff_grades`), best first: excellent 优秀, competent 称职, basic
   基本称职, incompetent 不称职, by minimum score (`StaffGradeRule`: 90 / 60 / 50; below 50 →
   incompetent). Scores are compared after rounding half up to 2 decimals, as unit totals are,
   so that binary noise (59.995, 92.9999999999) never splits a tie or misses a threshold.
   Within a unit, in descending score order, a person is excellent when the score reaches
   excellent_min and the place among the unit's excellent candidates is within the quota.
   People tied at the quota's last place all share it, exactly as `ranking.assign_grades` does
   for unit grades: equal scores cannot be told apart, and excluding all of them would punish
   the tie — so the quota may be exceeded by those ties, and only by them. Everyone else takes
   the best threshold grade they reach: an excellent-level score beyond the quota is
   competent.

3. **Checking a unit head's proposal** (`check_proposal`): problems, as codes and numbers, in
   order of unit, then `PROBLEM_CODES`, then person — "over_quota" (more excellent proposed
   than allowed, the allowed count being what `assign_staff_grades` would grant: the quota
   plus the ties at its last place), "below_threshold" (a proposed grade whose minimum the
   score does not reach), "unscored" (a grade proposed for someone without a score), and
   "ungraded" (a scored person without a proposal). Only counts and thresholds are checked:
   who, among those who qualify, is proposed is the head's call.

4. **Tiered rewards** (`split_pool`, 分档分级, no equal shares): weight = the grade's
   coefficient (`RewardRule`: 1.5 / 1.0 / 0.5 / 0.0) × the rounded score (unless
   `score_weighted` is off); a person without a score or grade weighs 0. Each takes
   pool × weight / Σ weight, floored to a whole cent; the cents left over go one each to the
   largest remainders (ties: larger weight, then lower index), so the amounts sum to the pool
   exactly — money is counted in cents and none appears or vanishes. The arithmetic is exact
   integer arithmetic (coefficients as the decimals written, scores in hundredths): a tie in
   remainder is a real tie, not float noise, and the order of the people never matters. When
   nobody weighs anything, nobody is paid and `PoolSplit.undistributed` says the whole pool
   is left, for the caller to decide.

5. **Leader flags across years** (`leader_flags`): for the latest year, "promotion priority"
   when the unit's last three consecutive years are all excellent (a year without a grade
   breaks the run: three excellent years must be three years in a row), and "adjustment" when
   the latest year's grade is unqualified. The unit-grade codes that count as excellent or
   unqualified are parameters: they come from the scheme.
"""

from .flags import LeaderFlags, leader_flags
from .grades import (
    PROBLEM_CODES,
    STAFF_GRADES,
    ProposalProblem,
    StaffGradeRule,
    assessed_headcounts,
    assign_staff_grades,
    check_proposal,
    staff_quotas,
)
from .rewards import PoolSplit, RewardRule, RewardTiers, reward_tiers, split_pool

__all__ = [
    "PROBLEM_CODES",
    "STAFF_GRADES",
    "LeaderFlags",
    "PoolSplit",
    "ProposalProblem",
    "RewardRule",
    "RewardTiers",
    "StaffGradeRule",
    "assessed_headcounts",
    "assign_staff_grades",
    "check_proposal",
    "leader_flags",
    "reward_tiers",
    "split_pool",
    "staff_quotas",
]
