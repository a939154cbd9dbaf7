"""People to assess in the test city, built through the real services: ten in D01 (an excellent
unit), four in D02 (an unqualified one), their evaluations, the cycle's rule and a staff run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kaohe.core.roles import Role
from kaohe.people import services
from kaohe.people.models import (
    Dimension,
    RatingSource,
    RewardShare,
    StaffResult,
    StaffRun,
    UnitGrading,
)
from kaohe.people.services import RatingRow
from kaohe.testing.world import SCHEME_YAML, make_user
from kaohe.units import services as unit_services
from kaohe.units.models import Person

# The test scheme with a quota that lets one of the two districts be excellent, and the staff
# share of excellent per grade (SCORING-RULES.md: 25 % in an excellent unit, none in an
# unqualified one).
STAFF_SCHEME_YAML = SCHEME_YAML.replace(
    "  - {code: excellent, name: {zh: 优秀, en: Excellent}, min: 90, quota: 0.3}\n"
    "  - {code: qualified, name: {zh: 合格, en: Qualified}, min: 60}\n"
    "  - {code: unqualified, name: {zh: 不合格, en: Unqualified}}\n",
    "  - {code: excellent, name: {zh: 优秀, en: Excellent}, min: 90, quota: 0.5,"
    " staff_excellent_share: 0.25}\n"
    "  - {code: qualified, name: {zh: 合格, en: Qualified}, min: 60, staff_excellent_share: 0.15}\n"
    "  - {code: unqualified, name: {zh: 不合格, en: Unqualified}, staff_excellent_share: 0}\n",
)

# Every dimension of every source rated alike: a person's score is 0.6 × the unit's result
# (the unit's result stands in for goals: the test city has none) + 0.4 × the rating.
D01_RATINGS = {"S01": 95, "S02": 80, "S03": 80, "S04": 75, "S05": 70, "S06": 60, "S07": 50,
               "S08": 40, "S09": 30, "P-D01": 20}  # fmt: skip
D02_RATINGS = {"T01": 90, "T02": 60, "T03": 50, "P-D02": 40}


@dataclass(frozen=True)
class StaffWorld:
    run: StaffRun
    civil_servant: Any  # S05's login
    organisation: Any  # the organisation department
    office_member_of_d1: Any  # an office administrator whose person record is S09, in D01


def staffed_world(world: Any) -> StaffWorld:
    """After `published_run(world, STAFF_SCHEME_YAML)`: the people, ratings, rule and a run."""
    admin = world.admin
    logins = {"S05": make_user("s05"), "S09": make_user("office_s09")}
    for unit, codes in ((world.d1, D01_RATINGS), (world.d2, D02_RATINGS)):
        for code in codes:
            if code.startswith("P-"):
                continue  # the world's own head of the district
            unit_services.create_person(
                acting_user=admin,
                unit=unit,
                code=code,
                name=f"职员{code}",
                gender="F" if code[-1] in "13579" else "M",
                user=logins.get(code),
            )
    unit_services.add_grant(acting_user=admin, user=logins["S05"], role=Role.CIVIL_SERVANT,
                            unit=world.d1)  # fmt: skip
    unit_services.add_grant(acting_user=admin, user=logins["S09"], role=Role.OFFICE_ADMIN)
    organisation = make_user("organisation")
    unit_services.add_grant(acting_user=admin, user=organisation, role=Role.ORGANISATION)
    rows = [
        RatingRow(code, source, dimension, str(score), raters=5)
        for codes in (D01_RATINGS, D02_RATINGS)
        for code, score in codes.items()
        for source in RatingSource.values
        for dimension in Dimension.values
    ]
    services.record_ratings(world.cycle, rows, acting_user=admin)
    services.set_rule(world.cycle, acting_user=admin, note="默认规则")
    run = services.run_staff_scoring(world.cycle, acting_user=admin)
    return StaffWorld(run, logins["S05"], organisation, logins["S09"])


@dataclass(frozen=True)
class StaffObjects:
    """For the scope matrix: each district's person scored, graded and paid (keyed by side)."""

    run: StaffRun
    results: dict[str, StaffResult]
    gradings: dict[str, UnitGrading]
    shares: dict[str, RewardShare]


def build_staff_objects(world: Any, heads: dict[str, tuple[Any, Any]], office: Any) -> StaffObjects:
    """`heads`: side → (unit, its head). Each unit's people are rated, scored, graded by the
    head, confirmed by `office` and paid from a confirmed pool."""
    admin = world.admin
    people = list(Person.objects.filter(unit__in=[u for u, _ in heads.values()]))
    rows = [
        RatingRow(p.code, source, dimension, "85", raters=3)
        for p in people
        for source in RatingSource.values
        for dimension in Dimension.values
    ]
    services.record_ratings(world.cycle, rows, acting_user=admin)
    services.set_rule(world.cycle, acting_user=admin)
    run = services.run_staff_scoring(world.cycle, acting_user=admin)
    results, gradings, shares = {}, {}, {}
    for side, (unit, head) in heads.items():
        grading = UnitGrading.objects.get(run=run, unit=unit)
        unit_results = StaffResult.objects.filter(run=run, unit=unit)
        services.propose_grades(
            grading, {r.person_id: r.suggested_grade for r in unit_results}, acting_user=head
        )
        services.confirm_grades(grading, acting_user=office)
        pool = services.set_reward_pool(grading, acting_user=office, amount="6000")
        services.confirm_reward_pool(pool, acting_user=office)
        results[side] = unit_results.earliest("pk")
        gradings[side] = grading
        shares[side] = RewardShare.objects.filter(pool=pool).earliest("pk")
    return StaffObjects(run, results, gradings, shares)
