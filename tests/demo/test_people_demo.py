"""The people demo: two years of the staff's evaluations, grades under the quota (one exception,
with its reason), confirmed reward pools, the head's open grading and the logins that read them."""

from __future__ import annotations

import numpy as np
import pytest
from django.contrib.auth import get_user_model
from django.db.models import Avg, Sum

from kaohe.core.models import Grant
from kaohe.core.roles import Role
from kaohe.demo.load import EVALUATED_YEARS, load_demo
from kaohe.demo.people import EXCEPTION_REASON, PEOPLE_YEARS, _abilities, _ratings
from kaohe.people.models import (
    PersonGrade,
    RewardPool,
    RewardShare,
    StaffRating,
    StaffResult,
    StaffRun,
    UnitGrading,
    UpwardSurvey,
)
from kaohe.units.models import Person


@pytest.mark.django_db
def test_the_people_demo_grades_and_rewards_two_years():  # type: ignore[no-untyped-def]
    logins = load_demo()
    people = Person.objects.count()
    runs = {run.cycle.year: run for run in StaffRun.objects.select_related("cycle")}
    assert sorted(runs) == list(PEOPLE_YEARS) == list(EVALUATED_YEARS)
    for run in runs.values():
        assert (run.people_scored, run.people_not_scored) == (people, 0)
        assert 250 <= run.people_scored <= 350
    drawn = StaffRating.objects.filter(entered_by__username="admin")  # the aggregates
    assert set(drawn.values_list("raters", flat=True)) <= set(range(3, 13))
    assert not drawn.filter(score__lt=40).exists()
    assert not drawn.filter(score__gt=99).exists()
    # the head's unit rated its leaders through an anonymous survey, closed and fed
    upward = UpwardSurvey.objects.select_related("survey", "unit").get()
    assert upward.survey.state == "closed" and upward.fed_at is not None
    assert upward.unit.code == Grant.objects.get(user__username="d01_head").unit.code
    fed = StaffRating.objects.filter(
        source="upward", entered_by__username="office", person__in=upward.rated.all()
    )
    assert fed.count() == upward.fed["stored"] == 5 * upward.rated.count()
    assert set(fed.values_list("raters", flat=True)) == {upward.survey.responses.count()}

    # grades: the rule's suggestions within the quota, but for the one exception of 2025
    head = get_user_model().objects.get(username="d01_head")
    head_unit = Grant.objects.get(user=head, role=Role.UNIT_HEAD).unit_id
    for year, run in runs.items():
        for grading in UnitGrading.objects.filter(run=run, state="confirmed"):
            excellent = PersonGrade.objects.filter(grading=grading, final="excellent").count()
            if grading.exception_reason:
                assert (year, grading.exception_reason) == (2025, EXCEPTION_REASON)
                assert excellent == grading.quota + 1
            else:
                assert excellent <= grading.quota
            assert grading.grades.count() == grading.headcount
            assert grading.confirmed_by.username == "office"
    assert UnitGrading.objects.exclude(exception_reason="").count() == 1
    assert PersonGrade.objects.filter(grading__run=runs[2024], final="excellent").count() > 20
    assert UnitGrading.objects.get(run=runs[2024], unit=head_unit).proposed_by == head
    open_grading = UnitGrading.objects.get(run=runs[2025], unit=head_unit)
    assert (open_grading.state, open_grading.grades.count()) == ("open", 0)
    assert not UnitGrading.objects.filter(run=runs[2025], state="open").exclude(unit=head_unit)

    # every confirmed grading has its pool, confirmed and split to the fen
    units = UnitGrading.objects.filter(run=runs[2024]).count()
    pools = RewardPool.objects.filter(state="confirmed")
    assert pools.count() == UnitGrading.objects.filter(state="confirmed").count() == 2 * units - 1
    for pool in pools.select_related("grading"):
        shares = RewardShare.objects.filter(pool=pool)
        assert shares.aggregate(s=Sum("amount_cents"))["s"] == pool.amount_cents
        per_head = pool.amount_cents / 100 / pool.grading.headcount
        assert pool.amount_cents % 10000 == 0 and 3000 <= per_head <= 8000
        assert shares.count() == pool.grading.headcount

    # a person's ability carries over: their evaluations of the two years agree
    means = {
        year: dict(
            StaffRating.objects.filter(cycle__year=year)
            .values_list("person_id")
            .annotate(m=Avg("score"))
            .values_list("person_id", "m")
        )
        for year in PEOPLE_YEARS
    }
    ids = sorted(means[2024])
    first, second = (np.array([float(means[y][i]) for i in ids]) for y in PEOPLE_YEARS)
    assert np.corrcoef(first, second)[0, 1] > 0.6

    # the organisation department reads every person; the civil servant their own record
    organisation = next(login for login in logins if login.username == "organisation")
    assert organisation.role == Role.ORGANISATION
    grant = Grant.objects.get(user__username="organisation")
    assert (grant.role, grant.unit_id) == (Role.ORGANISATION, None)
    staff = Person.objects.get(user__username="staff")
    for run in runs.values():
        assert StaffResult.objects.get(run=run, person=staff).score is not None
        assert PersonGrade.objects.get(grading__run=run, person=staff).final
        assert RewardShare.objects.get(pool__grading__run=run, person=staff).amount_cents > 0


def test_the_evaluations_are_drawn_the_same_from_the_same_seed():  # type: ignore[no-untyped-def]
    people = [Person(pk=n, code=f"P{n:03d}", unit_id=1 + n % 3) for n in range(1, 21)]
    grades = {1: "excellent", 2: "qualified"}

    def draw(seed: int, year: int) -> list[tuple[str, str, str, str, int]]:
        rng = np.random.default_rng(seed + year)
        rows = _ratings(people, _abilities(people, seed), grades, rng)
        return [(r.person, r.source, r.dimension, str(r.score), r.raters) for r in rows]

    assert draw(2025, 2024) == draw(2025, 2024)
    assert draw(2025, 2024) != draw(2026, 2024)
    assert draw(2025, 2024) != draw(2025, 2025)
    assert len(draw(2025, 2024)) == 20 * 3 * 5
