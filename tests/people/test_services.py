"""Assessing people through the real services, on SQLite and PostgreSQL: a staff run over the
test city's published unit results, the unit head's proposal within the quota its unit's grade
allows, the office's confirmation (an exception needs a reason), reward pools, and scope."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from kaohe.core.errors import BatchRejected
from kaohe.core.events import EventType
from kaohe.core.models import AuditEvent
from kaohe.core.roles import Action
from kaohe.people import services
from kaohe.people.models import PersonGrade, RewardShare, StaffRating, StaffResult, UnitGrading
from kaohe.people.services import RatingRow
from kaohe.testing.people import STAFF_SCHEME_YAML, staffed_world
from kaohe.testing.results import published_run
from kaohe.units.models import Person


@pytest.fixture
def staff(world):  # type: ignore[no-untyped-def]
    published_run(world, STAFF_SCHEME_YAML)
    return staffed_world(world)


def _grades(run, unit, **overrides):  # type: ignore[no-untyped-def]
    """Every person of the unit at the grade the rule suggests, with `overrides` by code."""
    rows = StaffResult.objects.filter(run=run, unit=unit).select_related("person")
    return {r.person_id: overrides.get(r.person.code, r.suggested_grade) for r in rows}


def _propose_suggested(world, staff):  # type: ignore[no-untyped-def]
    grading = UnitGrading.objects.get(run=staff.run, unit=world.d1)
    return services.propose_grades(
        grading, _grades(staff.run, world.d1), acting_user=world.users["d1_head"]
    )


def test_a_run_scores_everyone_from_the_units_results_and_ratings(world, staff):  # type: ignore[no-untyped-def]
    run = staff.run
    d1 = {r.person.code: r for r in StaffResult.objects.filter(run=run, unit=world.d1)}
    # D01 scored 100 and has no measured goal: 30 + 30 (the unit's result stands in) + 0.4 × r
    assert d1["S01"].score == pytest.approx(60 + 0.4 * 95)  # 98.0
    assert d1["S01"].inputs["goals"]["basis"] == "unit_result"
    assert d1["S01"].explanation["total_rounded"] == 98.0
    assert d1["S01"].rank_in_unit == 1
    # the quota: D01 is excellent (share 25 %): floor(0.25 × 10) = 2; S02 and S03 tie at the
    # second place and share it, S04 reaches 90 but is past the quota: competent
    assert [d1[c].suggested_grade for c in ("S01", "S02", "S03", "S04")] == [
        "excellent", "excellent", "excellent", "competent",
    ]  # fmt: skip
    gradings = {g.unit.code: g for g in UnitGrading.objects.filter(run=run)}
    assert (gradings["D01"].quota, gradings["D01"].headcount) == (2, 10)
    assert gradings["D01"].unit_grade == "excellent"
    # D02 is unqualified: share 0, nobody excellent whatever the score
    assert (gradings["D02"].quota, gradings["D02"].unit_grade) == (0, "unqualified")
    d2 = StaffResult.objects.filter(run=run, unit=world.d2)
    assert {r.suggested_grade for r in d2} <= {"competent", "basic", "incompetent"}
    assert run.people_scored == 14 and run.people_not_scored == 0


def test_the_head_proposes_within_the_quota_and_is_refused_past_it(world, staff):  # type: ignore[no-untyped-def]
    head = world.users["d1_head"]
    grading = UnitGrading.objects.get(run=staff.run, unit=world.d1)
    too_many = _grades(staff.run, world.d1, S04="excellent")
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        services.propose_grades(grading, too_many, acting_user=head)
    assert "at most 3 people excellent (quota 2 of 10 assessed, share 25%" in str(refused.value)
    assert not PersonGrade.objects.filter(grading=grading).exists()
    services.propose_grades(grading, _grades(staff.run, world.d1), acting_user=head)
    grading.refresh_from_db()
    assert grading.state == UnitGrading.State.PROPOSED
    assert PersonGrade.objects.filter(grading=grading, proposed="excellent").count() == 3
    # the head of D01 is not the head of D02
    other = UnitGrading.objects.get(run=staff.run, unit=world.d2)
    with pytest.raises(PermissionDenied):
        services.propose_grades(other, _grades(staff.run, world.d2), acting_user=head)


def test_a_grade_the_score_does_not_reach_is_refused(world, staff):  # type: ignore[no-untyped-def]
    grading = UnitGrading.objects.get(run=staff.run, unit=world.d1)
    low = StaffResult.objects.filter(run=staff.run, unit=world.d1).order_by("score").first()
    assert low is not None and low.score is not None and low.score < 90
    grades = _grades(staff.run, world.d1, **{low.person.code: "excellent"})
    grades = {pid: ("competent" if g == "excellent" and pid != low.person_id else g)
              for pid, g in grades.items()}  # fmt: skip
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        services.propose_grades(grading, grades, acting_user=world.users["d1_head"])
    assert f"{low.person.name}: a score of {low.score:.2f} does not reach Excellent" in str(
        refused.value
    )


def test_the_office_confirms_and_an_exception_needs_a_reason(world, staff):  # type: ignore[no-untyped-def]
    office = world.users["office"]
    grading = UnitGrading.objects.get(run=staff.run, unit=world.d1)
    _propose_suggested(world, staff)
    s04 = Person.objects.get(code="S04")
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        services.confirm_grades(grading, acting_user=office, changes={s04.pk: "excellent"})
    assert "give the reason" in str(refused.value)
    services.confirm_grades(
        grading, acting_user=office, changes={s04.pk: "excellent"}, reason="抗洪抢险记一等功"
    )
    grading.refresh_from_db()
    assert grading.state == UnitGrading.State.CONFIRMED
    assert grading.exception_reason == "抗洪抢险记一等功"
    assert PersonGrade.objects.get(grading=grading, person=s04).final == "excellent"
    event = AuditEvent.objects.filter(event_type=EventType.STAFF_GRADES_CONFIRMED).get()
    assert event.extra_data["exception"] is True
    assert event.extra_data["changed"] == {str(s04.pk): "excellent"}
    assert event.reason == "抗洪抢险记一等功"
    # confirmed grades no longer change
    with pytest.raises(ValidationError):
        _propose_suggested(world, staff)


def test_no_one_confirms_the_grades_of_their_own_unit(world, staff):  # type: ignore[no-untyped-def]
    grading = UnitGrading.objects.get(run=staff.run, unit=world.d1)
    _propose_suggested(world, staff)
    insider = staff.office_member_of_d1
    with translation.override("en"), pytest.raises(PermissionDenied) as refused:
        services.confirm_grades(grading, acting_user=insider)
    assert "No one judges their own unit: you belong to" in str(refused.value)


def test_a_reward_pool_is_split_into_tiers_and_sums_to_the_fen(world, staff):  # type: ignore[no-untyped-def]
    office = world.users["office"]
    grading = UnitGrading.objects.get(run=staff.run, unit=world.d1)
    _propose_suggested(world, staff)
    with pytest.raises(ValidationError):  # grades first
        services.set_reward_pool(
            UnitGrading.objects.get(run=staff.run, unit=world.d2), acting_user=office, amount="1"
        )
    services.confirm_grades(grading, acting_user=office)
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        services.set_reward_pool(grading, acting_user=office, amount="100.001")
    assert "to the fen" in str(refused.value)
    pool = services.set_reward_pool(grading, acting_user=office, amount="100000.00")
    lines, undistributed = services.reward_preview(pool)
    assert undistributed == 0
    assert sum(line.amount_cents for line in lines) == 10_000_000
    by_code = {line.person.code: line for line in lines}
    # excellent (1.5) above competent (1.0); the same grade, a higher score: more
    assert by_code["S01"].amount_cents > by_code["S02"].amount_cents > by_code["S04"].amount_cents
    assert by_code["S02"].amount_cents == by_code["S03"].amount_cents  # a tie is a tie
    services.confirm_reward_pool(pool, acting_user=office)
    stored = RewardShare.objects.filter(pool=pool)
    assert sum(s.amount_cents for s in stored) == 10_000_000
    assert {s.person.code: s.amount_cents for s in stored} == {
        code: line.amount_cents for code, line in by_code.items()
    }
    with pytest.raises(ValidationError):
        services.set_reward_pool(grading, acting_user=office, amount="1")


def test_bad_ratings_are_refused_whole_naming_row_and_field(world, staff):  # type: ignore[no-untyped-def]
    before = StaffRating.objects.count()
    rows = [
        RatingRow("S01", "leader", "ability", "88"),
        RatingRow("S01", "leader", "ability", "101"),
        RatingRow("S01", "boss", "ability", "80"),
        RatingRow("NOBODY", "peer", "ability", "80"),
        RatingRow("S01", "peer", "ability", "80", raters="0"),
    ]
    with translation.override("en"), pytest.raises(BatchRejected) as refused:
        services.record_ratings(world.cycle, rows, acting_user=world.users["office"])
    found = [(e.row, e.field) for e in refused.value.errors]
    assert found == [(2, "score"), (3, "source"), (4, "person"), (5, "raters")]
    assert StaffRating.objects.count() == before
    # a unit head assesses their own unit's people only
    with pytest.raises(BatchRejected):
        services.record_ratings(
            world.cycle, [RatingRow("T01", "leader", "ability", "80")],
            acting_user=world.users["d1_head"],
        )  # fmt: skip


def test_each_role_sees_exactly_its_people(world, staff):  # type: ignore[no-untyped-def]
    results = StaffResult.objects.filter(run=staff.run)
    everyone = set(results.values_list("person__code", flat=True))
    d1_codes = set(results.filter(unit=world.d1).values_list("person__code", flat=True))

    def seen(user):  # type: ignore[no-untyped-def]
        return set(results.restrict(user, Action.PERSONNEL).values_list("person__code", flat=True))

    assert seen(world.users["office"]) == everyone
    assert seen(staff.organisation) == everyone
    assert seen(world.users["d1_head"]) == d1_codes
    assert seen(staff.civil_servant) == {"S05"}
    for outsider in ("committee", "auditor", "d1_reporter", "nobody"):
        assert seen(world.users[outsider]) == set(), outsider
