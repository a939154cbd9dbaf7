"""The assessing-people part of the demo city (考人), loaded through the services: for each scored
year, the default rule, every person's evaluations by leaders, peers and staff below on the five
dimensions (德能勤绩廉), a staff run, every unit's grades proposed as the rule suggests and
confirmed by the office — one exception past the quota in 2025, with its reason — and every
unit's reward pool, split and confirmed. The grading of the `d01_head` login's unit stays open
in the last year, for the head to propose; the `organisation` login reads everyone's record.

Called from `kaohe.demo.load.load_demo` after the scoring runs and the other demo parts, before
the past years close (inside its transaction); the people app knows nothing of it. The
evaluations are drawn from seeded generators (pure numpy): a person's ability once, so that
the two years agree, plus the year's form, plus a small lift in a unit graded well."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import numpy as np
from django.contrib.auth import get_user_model

from kaohe.core.models import Grant
from kaohe.core.roles import Role
from kaohe.demo.logins import DemoLogin, create_user
from kaohe.people import services, upward
from kaohe.people.models import (
    Dimension,
    RatingSource,
    StaffGrade,
    StaffResult,
    StaffRun,
    UnitGrading,
)
from kaohe.people.services import RatingRow
from kaohe.results.models import ScoringRun, UnitResult
from kaohe.schemes.models import Cycle
from kaohe.surveys import services as survey_services
from kaohe.surveys.models import AccessCode
from kaohe.surveys.questions import Posted
from kaohe.units import services as unit_services
from kaohe.units.models import Person, Unit

PEOPLE_YEARS = (2024, 2025)  # the demo's scored years (`load.EVALUATED_YEARS`)

# A civil servant's evaluations sit high (most are rated 80–95): the mean and spread of the
# ability drawn once per person, and how far a year's form moves it.
ABILITY_MEAN, ABILITY_SD, FORM_SD = 85.0, 5.0, 2.5
# Leaders rate a little higher than peers, staff below a little lower and more widely.
SOURCE_OFFSET = {RatingSource.LEADER: 0.5, RatingSource.PEER: 0.0, RatingSource.UPWARD: -1.0}
SOURCE_SD = {RatingSource.LEADER: 1.5, RatingSource.PEER: 2.0, RatingSource.UPWARD: 3.0}
# How many raters each source summarises (inclusive ranges).
RATERS = {RatingSource.LEADER: (3, 5), RatingSource.PEER: (5, 12), RatingSource.UPWARD: (4, 12)}
# Conduct and integrity are rarely marked down, ability a little more often than the rest.
DIMENSION_OFFSET = {
    Dimension.CONDUCT: 1.5,
    Dimension.ABILITY: -0.5,
    Dimension.DILIGENCE: 0.5,
    Dimension.PERFORMANCE: 0.0,
    Dimension.INTEGRITY: 2.0,
}
DIMENSION_SD = 1.5
# The lift of everyone's evaluations in a unit graded well that year.
UNIT_LIFT = {"excellent": 3.0, "good": 1.5}
# The reward pool per assessed person (yuan) by the unit's grade, moved by up to ± POOL_JITTER
# per unit and rounded to 100 yuan: 3,000–8,000 yuan a head.
POOL_PER_HEAD = {"excellent": 7700, "good": 6500, "qualified": 5000, "unqualified": 3300}
POOL_JITTER = 300
# The one exception of the demo: the office grades one more person excellent past the quota.
EXCEPTION_YEAR = 2025
EXCEPTION_REASON = "抗洪抢险中表现突出，记个人二等功"


def _abilities(people: list[Person], seed: int) -> dict[int, float]:
    """Each person's ability, drawn once (in code order) for every year."""
    draws = np.random.default_rng(seed).normal(ABILITY_MEAN, ABILITY_SD, len(people))
    return {p.pk: float(a) for p, a in zip(people, draws, strict=True)}


def _unit_grades(year: int) -> dict[int, str]:
    """Each unit's grade in the year's published scoring runs, by unit id."""
    return dict(
        UnitResult.objects.filter(
            run__cycle__year=year, run__status=ScoringRun.Status.PUBLISHED
        ).values_list("unit_id", "grade")
    )


def _ratings(
    people: list[Person], abilities: dict[int, float], grades: dict[int, str], rng: Any
) -> list[RatingRow]:
    """Every person's evaluations of the year: ability + form + the unit's lift + the source's
    and the dimension's offsets and noise, within 40–99, to the hundredth."""
    rows: list[RatingRow] = []
    for person in people:
        base = (
            abilities[person.pk]
            + rng.normal(0.0, FORM_SD)
            + UNIT_LIFT.get(grades.get(person.unit_id, ""), 0.0)
        )
        for source in RatingSource:
            level = base + SOURCE_OFFSET[source] + rng.normal(0.0, SOURCE_SD[source])
            low, high = RATERS[source]
            raters = int(rng.integers(low, high + 1))
            for dimension in Dimension:
                value = level + DIMENSION_OFFSET[dimension] + rng.normal(0.0, DIMENSION_SD)
                score = Decimal(f"{min(max(value, 40.0), 99.0):.2f}")
                rows.append(RatingRow(person.code, source, dimension, score, raters))
    return rows


def _suggested(grading: UnitGrading) -> dict[int, str]:
    """The grades the rule suggests for the unit's scored people (person id → grade)."""
    return dict(
        StaffResult.objects.filter(run=grading.run_id, unit=grading.unit_id)
        .exclude(suggested_grade="")
        .values_list("person_id", "suggested_grade")
    )


def _exception(run: StaffRun, units: list[int]) -> tuple[int, int] | None:
    """(unit id, person id) of the best score that reaches excellent but lies past its unit's
    quota, among `units` (None when there is none)."""
    best = (
        StaffResult.objects.filter(
            run=run,
            unit__in=units,
            suggested_grade=StaffGrade.COMPETENT,
            score__gte=float(run.rule.excellent_min),
        )
        .order_by("-score", "person__code")
        .first()
    )
    return None if best is None else (best.unit_id, best.person_id)


def _pool_amount(grading: UnitGrading, rng: Any) -> Decimal:
    """A realistic pool (yuan): so much per assessed person by the unit's grade."""
    per_head = POOL_PER_HEAD.get(grading.unit_grade, POOL_PER_HEAD["qualified"])
    per_head += int(rng.integers(-POOL_JITTER, POOL_JITTER + 1))
    return Decimal(grading.headcount * round(per_head, -2))


def _staff_year(
    year: int,
    people: list[Person],
    abilities: dict[int, float],
    *,
    admin: Any,
    office: Any,
    head: Any,
    seed: int,
) -> None:
    """The year's rule, evaluations, staff run, grades and reward pools: `head` proposes for
    their unit (but for the last year, left open), `admin` for the others, `office` confirms."""
    rng = np.random.default_rng(seed + year)
    cycle = Cycle.objects.get(year=year)
    services.set_rule(cycle, acting_user=admin, note=f"{year}年度公务员考核：沿用默认规则")
    rows = _ratings(people, abilities, _unit_grades(year), rng)
    services.record_ratings(cycle, rows, acting_user=admin)
    head_unit = Grant.objects.get(user=head, role=Role.UNIT_HEAD).unit_id
    if year == PEOPLE_YEARS[-1]:  # the head's unit rated its leaders through a survey
        _upward_survey(cycle, Unit.objects.get(pk=head_unit), abilities, admin, office, rng)
    run = services.run_staff_scoring(cycle, acting_user=admin)
    gradings = list(UnitGrading.objects.filter(run=run).order_by("unit__path"))
    if year == PEOPLE_YEARS[-1]:  # the head proposes the last year's grades in the demo
        gradings = [g for g in gradings if g.unit_id != head_unit]
    exception = None
    if year == EXCEPTION_YEAR:  # only where the unit's grade allows excellent staff at all
        exception = _exception(run, [g.unit_id for g in gradings if g.quota > 0])
    for grading in gradings:
        proposer = head if grading.unit_id == head_unit else admin
        services.propose_grades(grading, _suggested(grading), acting_user=proposer)
        if exception is not None and exception[0] == grading.unit_id:
            services.confirm_grades(
                grading,
                acting_user=office,
                changes={exception[1]: StaffGrade.EXCELLENT},
                reason=EXCEPTION_REASON,
            )
        else:
            services.confirm_grades(grading, acting_user=office)
        pool = services.set_reward_pool(
            grading, acting_user=office, amount=_pool_amount(grading, rng)
        )
        services.confirm_reward_pool(pool, acting_user=office)


def _upward_survey(
    cycle: Cycle,
    unit: Unit,
    abilities: dict[int, float],
    admin: Any,
    office: Any,
    rng: Any,
) -> None:
    """An anonymous upward survey of `unit`'s leaders, answered by all of its staff with
    their one-time codes (each answer near the leader's ability), closed and fed."""
    made = upward.create_upward_survey(cycle, unit, acting_user=admin)
    survey = made.survey
    survey = survey_services.open_survey(survey, acting_user=admin)
    leaders = list(made.rated.order_by("code"))
    codes = AccessCode.objects.filter(survey=survey).select_related("group", "survey")
    for code in codes.order_by("pk"):
        one = {"overall": str(int(rng.integers(3, 6)))}
        for leader in leaders:
            level = 1 + 4 * abilities.get(leader.pk, ABILITY_MEAN) / 100  # 0–100 → 1–5
            for dimension in Dimension.values:
                value = int(np.clip(round(level + rng.normal(0, 0.6)), 1, 5))
                one[f"p{leader.pk}_{dimension}"] = str(value)
        survey_services.submit(survey, Posted(one=one, many={}), code=code)
    survey_services.close_survey(survey, acting_user=admin)
    upward.feed_upward_ratings(made, acting_user=office)


def load_people_demo(admin: Any, *, seed: int) -> list[DemoLogin]:
    """Two years of the staff's evaluations, grades and rewards, and the organisation
    department's login. Needs the demo's logins (`office`, `d01_head`) and its published
    runs; the scored years must still be open."""
    organisation = create_user("organisation", "组织部干部科")
    unit_services.add_grant(acting_user=admin, user=organisation, role=Role.ORGANISATION)
    User = get_user_model()
    office, head = User.objects.get(username="office"), User.objects.get(username="d01_head")
    people = list(Person.objects.filter(unit__is_assessed=True, unit__active=True).order_by("code"))
    abilities = _abilities(people, seed)
    for year in PEOPLE_YEARS:
        _staff_year(year, people, abilities, admin=admin, office=office, head=head, seed=seed)
    return [
        DemoLogin(
            "organisation", Role.ORGANISATION, "organisation department: every person's grades"
        )
    ]
