"""Anonymous upward ratings through the real survey machinery: the office fields a survey of
D01 rating its head, the staff answer with one-time codes on the answer page, the survey
closes, and the counted answers become the head's upward ratings — a dimension with fewer
answers than the survey's minimum is left out, so that no answer can be told from its author."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from kaohe.people import services, upward
from kaohe.people.models import StaffRating, StaffResult, UnitGrading, UpwardSurvey
from kaohe.surveys import services as survey_services
from kaohe.surveys.models import AccessCode, Response
from kaohe.testing.people import STAFF_SCHEME_YAML, staffed_world
from kaohe.testing.results import published_run
from kaohe.units.models import Person

# (overall, conduct, ability, diligence, performance, integrity) per respondent; None: skipped
ANSWERS = [
    (5, 5, 4, 5, 4, None),
    (4, 4, 4, 3, 4, 5),
    (4, 4, 3, 4, 5, None),
    (3, 3, 5, 4, 4, 4),
]


def _post(code: str, head: Person, row: tuple[int | None, ...]) -> int:
    c = Client(enforce_csrf_checks=True)
    page = c.get(f"/s/c/{code}/").content.decode()
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    data = {k: v for k, v in hidden.items() if k in ("csrfmiddlewaretoken", "shown")}
    data["overall"] = str(row[0])
    for dimension, value in zip(
        ("conduct", "ability", "diligence", "performance", "integrity"), row[1:], strict=True
    ):
        if value is not None:
            data[f"p{head.pk}_{dimension}"] = str(value)
    return c.post(f"/s/c/{code}/", data).status_code


def test_the_staff_rate_their_head_anonymously_and_the_answers_feed_the_rating(world):  # type: ignore[no-untyped-def]
    published_run(world, STAFF_SCHEME_YAML)
    staff = staffed_world(world)
    office = world.users["office"]
    head = Person.objects.get(code="P-D01")
    made = upward.create_upward_survey(world.cycle, world.d1, acting_user=office)
    assert list(made.rated.all()) == [head]
    survey = made.survey
    codes = list(AccessCode.objects.filter(survey=survey).order_by("pk"))
    assert len(codes) == 10  # one per person of the unit
    with pytest.raises(ValidationError):  # not before it is closed
        upward.feed_upward_ratings(made, acting_user=office)
    survey_services.open_survey(survey, acting_user=office)
    for code, row in zip(codes, ANSWERS, strict=False):
        assert _post(code.code, head, row) == 302
    assert Response.objects.filter(survey=survey).count() == 4
    assert AccessCode.objects.filter(survey=survey, burned=True).count() == 4
    survey_services.close_survey(survey, acting_user=office)
    fed = upward.feed_upward_ratings(made, acting_user=office)
    # integrity: 2 answers, fewer than the survey's minimum of 3
    assert fed.stored == 4 and fed.too_few == (("P-D01", "integrity", 2),)
    newest = {
        r.dimension: r
        for r in StaffRating.objects.filter(person=head, source="upward").order_by("pk")
    }
    # conduct 5, 4, 4, 3 → (4 + 3 + 3 + 2) / 4 × 25 = 75.00, from 4 raters
    assert (float(newest["conduct"].score), newest["conduct"].raters) == (75.0, 4)
    assert float(newest["ability"].score) == 75.0  # 4, 4, 3, 5
    assert float(newest["performance"].score) == 81.25  # 4, 4, 5, 4
    assert float(newest["integrity"].score) == 20.0  # the earlier aggregate stays the newest
    with pytest.raises(ValidationError):
        upward.feed_upward_ratings(made, acting_user=office)
    # the next staff run reads them: upward = mean of the newest per dimension
    run = services.run_staff_scoring(world.cycle, acting_user=world.admin)
    result = StaffResult.objects.get(run=run, person=head)
    expected = (75.0 + 75.0 + 75.0 + 81.25 + 20.0) / 5  # diligence 5, 3, 4, 4 → 75
    assert result.inputs["values"]["upward_rating"] == pytest.approx(expected)
    assert staff.run.pk != run.pk


def test_a_unit_without_leaders_has_no_upward_survey(world):  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError):
        upward.create_upward_survey(world.cycle, world.dept, acting_user=world.users["office"])


def test_the_office_fields_and_feeds_it_from_the_grading_page(world):  # type: ignore[no-untyped-def]
    published_run(world, STAFF_SCHEME_YAML)
    staff = staffed_world(world)
    grading = UnitGrading.objects.get(run=staff.run, unit=world.d1)
    head = Client()
    head.force_login(world.users["d1_head"])
    assert head.post(f"/people/gradings/{grading.pk}/upward/").status_code == 403
    office = Client(HTTP_ACCEPT_LANGUAGE="en")
    office.force_login(world.users["office"])
    made = office.post(f"/people/gradings/{grading.pk}/upward/")
    item = UpwardSurvey.objects.get()
    assert made.status_code == 302 and made["Location"] == f"/surveys/{item.survey_id}/"
    page = office.get(f"/people/gradings/{grading.pk}/").content.decode()
    assert f'href="/surveys/{item.survey_id}/"' in page and "upward-create" not in page
    survey_services.open_survey(item.survey, acting_user=world.users["office"])
    survey_services.close_survey(item.survey, acting_user=world.users["office"])
    fed = office.post(f"/people/upward/{item.pk}/feed/", {"next": "/people/"}, follow=True)
    assert b"0 upward ratings stored; 5 left out for too few answers." in fed.content
