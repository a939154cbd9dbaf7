"""The people pages and API over the staffed test city: what each role opens, the head's
proposal refused past the quota and accepted within it, the office's confirmation, the reward
pool's preview, confirmation and Excel export, and the cadre record."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from kaohe.people.models import PersonGrade, RewardPool, StaffRating, StaffResult, UnitGrading
from kaohe.testing.people import STAFF_SCHEME_YAML, staffed_world
from kaohe.testing.results import published_run


@pytest.fixture
def staff(world):  # type: ignore[no-untyped-def]
    published_run(world, STAFF_SCHEME_YAML)
    return staffed_world(world)


def _client(user, language: str = "zh-hans") -> Client:  # type: ignore[no-untyped-def]
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def _form(grading, **overrides):  # type: ignore[no-untyped-def]
    data = {}
    for r in StaffResult.objects.filter(run=grading.run, unit=grading.unit).select_related(
        "person"
    ):
        if r.score is not None:
            data[f"grade_{r.person_id}"] = overrides.get(r.person.code, r.suggested_grade)
    return data


def test_the_head_proposes_on_the_page_and_the_office_confirms(world, staff):  # type: ignore[no-untyped-def]
    grading = UnitGrading.objects.get(run=staff.run, unit=world.d1)
    head = _client(world.users["d1_head"], "en")
    page = head.get(f"/people/gradings/{grading.pk}/")
    assert page.status_code == 200
    assert b'id="propose"' in page.content and b'id="quota-count">2<' in page.content
    refused = head.post(f"/people/gradings/{grading.pk}/", _form(grading, S04="excellent"))
    assert refused.status_code == 200
    assert b"may grade at most 3 people excellent" in refused.content
    assert not PersonGrade.objects.filter(grading=grading).exists()
    done = head.post(f"/people/gradings/{grading.pk}/", _form(grading))
    assert done.status_code == 302
    office = _client(world.users["office"], "en")
    page = office.get(f"/people/gradings/{grading.pk}/")
    assert b'id="confirm"' in page.content
    confirmed = office.post(f"/people/gradings/{grading.pk}/", {**_form(grading), "reason": ""})
    assert confirmed.status_code == 302
    grading.refresh_from_db()
    assert grading.state == UnitGrading.State.CONFIRMED
    # the reward pool: preview, confirm, export
    pool_url = f"/people/gradings/{grading.pk}/reward/"
    assert office.post(pool_url, {"amount": "50000"}).status_code == 302
    preview = office.get(pool_url)
    assert b'id="shares"' in preview.content and b"50,000.00" in preview.content
    assert office.post(pool_url, {"amount": "50000", "confirm": "1"}).status_code == 302
    assert RewardPool.objects.get(grading=grading).state == "confirmed"
    export = office.get(f"/people/gradings/{grading.pk}/reward.xlsx")
    sheet = load_workbook(io.BytesIO(export.content)).active
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    assert rows[-1][0] == "Total" and float(rows[-1][5]) == 50000.0
    assert sum(float(r[5]) for r in rows[:-1]) == 50000.0
    # the head sees the result, not the office's forms; nor the export
    assert b'id="confirm-pool"' not in head.get(pool_url).content
    assert head.get(f"/people/gradings/{grading.pk}/reward.xlsx").status_code == 404


def test_each_role_opens_exactly_its_pages(world, staff):  # type: ignore[no-untyped-def]
    d1 = UnitGrading.objects.get(run=staff.run, unit=world.d1)
    d2 = UnitGrading.objects.get(run=staff.run, unit=world.d2)
    pages = {
        "grading d1": f"/people/gradings/{d1.pk}/",
        "grading d2": f"/people/gradings/{d2.pk}/",
        "reward d1": f"/people/gradings/{d1.pk}/reward/",
        "record S05": "/people/people/S05/",
        "record T01": "/people/people/T01/",
        "flags": "/people/flags/",
        "rule": f"/people/rule/{world.cycle.year}/",
    }
    expected = {
        "office": set(pages),
        "organisation": set(pages) - {"rule"},
        "d1_head": {"grading d1", "reward d1", "record S05"},
        "civil_servant": {"record S05"},
        "committee": set(),
        "auditor": set(),
        "d2_reporter": set(),
    }
    users = {
        **world.users,
        "organisation": staff.organisation,
        "civil_servant": staff.civil_servant,
    }
    for who, allowed in expected.items():
        client = _client(users[who])
        opened = {name for name, url in pages.items() if client.get(url).status_code == 200}
        assert opened == allowed, who
    # a civil servant's own page: the chart, the years
    page = _client(staff.civil_servant).get("/people/mine/", follow=True)
    assert page.status_code == 200 and b'data-year="2025"' in page.content
    assert b"chart-trend" in page.content
    # explained like a unit's score: the rule's tree with each node's points
    assert b'id="explanation"' in page.content and "单位绩效".encode() in page.content


def test_the_api_lists_exactly_what_each_role_may_see_and_takes_the_proposal(world, staff):  # type: ignore[no-untyped-def]
    users = {
        **world.users,
        "organisation": staff.organisation,
        "civil_servant": staff.civil_servant,
    }
    listed = "/api/v1/staff-results/?page_size=100"
    seen = {
        who: {row["person"] for row in _client(users[who]).get(listed).json()["results"]}
        for who in ("office", "organisation", "d1_head", "civil_servant", "committee", "auditor")
    }
    assert len(seen["office"]) == len(seen["organisation"]) == 14
    assert len(seen["d1_head"]) == 10 and "T01" not in seen["d1_head"]
    assert seen["civil_servant"] == {"S05"}
    assert seen["committee"] == seen["auditor"] == set()
    grading = UnitGrading.objects.get(run=staff.run, unit=world.d1)
    head = _client(world.users["d1_head"], "en")
    url = f"/api/v1/staff-gradings/{grading.pk}/propose/"
    grades = {
        r.person.code: r.suggested_grade
        for r in StaffResult.objects.filter(run=staff.run, unit=world.d1).select_related("person")
    }
    refused = head.post(
        url, {"grades": {**grades, "S04": "excellent"}}, content_type="application/json"
    )
    assert refused.status_code == 400
    assert "may grade at most 3 people excellent" in str(refused.json())
    done = head.post(url, {"grades": grades}, content_type="application/json")
    assert done.status_code == 200 and done.json()["state"] == "proposed"
    # the head cannot confirm; the office can
    confirm = f"/api/v1/staff-gradings/{grading.pk}/confirm/"
    assert head.post(confirm, {"grades": {}}, content_type="application/json").status_code == 403
    office = _client(world.users["office"])
    answer = office.post(confirm, {"grades": {}}, content_type="application/json")
    assert answer.status_code == 200 and answer.json()["state"] == "confirmed"
    assert {g["final"] for g in answer.json()["grades"]} <= {
        "excellent",
        "competent",
        "basic",
        "incompetent",
    }
    # a civil servant cannot see the unit's gradings
    assert (
        _client(staff.civil_servant).get(f"/api/v1/staff-gradings/{grading.pk}/").status_code == 404
    )


def test_evaluations_come_in_by_workbook_all_rows_or_none(world, staff):  # type: ignore[no-untyped-def]
    head = _client(world.users["d1_head"], "en")
    template = head.get(f"/people/ratings/{world.cycle.year}/template.xlsx")
    assert template.status_code == 200
    book = load_workbook(io.BytesIO(template.content))
    sheet = book.active
    keys = [c.value for c in sheet[1]]
    people = [sheet.cell(r, 1).value for r in range(3, sheet.max_row + 1)]
    assert len(people) == 10 and "T01" not in people  # the head's unit only
    column = {key: i + 1 for i, key in enumerate(keys)}
    sheet.cell(3, column["leader.conduct"], 91)
    sheet.cell(3, column["leader.raters"], 4.0)  # Excel's number for 4
    sheet.cell(4, column["peer.ability"], "一百")  # not a number
    buffer = io.BytesIO()
    book.save(buffer)
    before = StaffRating.objects.count()
    upload = {"file": SimpleUploadedFile("ratings.xlsx", buffer.getvalue())}
    refused = head.post(f"/people/ratings/{world.cycle.year}/", upload)
    assert refused.status_code == 200
    assert b"A score is a number from 0 to 100." in refused.content
    assert (
        b"<td>peer.ability</td>" in refused.content and b'<td class="num">4</td>' in refused.content
    )
    assert StaffRating.objects.count() == before
    sheet.cell(4, column["peer.ability"], 77.5)
    buffer = io.BytesIO()
    book.save(buffer)
    upload = {"file": SimpleUploadedFile("ratings.xlsx", buffer.getvalue())}
    assert head.post(f"/people/ratings/{world.cycle.year}/", upload).status_code == 302
    assert StaffRating.objects.count() == before + 2
    newest = StaffRating.objects.latest("pk")
    assert (newest.source, newest.dimension, float(newest.score)) == ("peer", "ability", 77.5)
    # the API takes the same rows; a civil servant may not enter any
    rows = [{"person": "S02", "rated_by": "upward", "dimension": "integrity", "score": "88"}]
    body = {"cycle": world.cycle.year, "rows": rows}
    made = head.post("/api/v1/staff-ratings/", body, content_type="application/json")
    assert made.status_code == 201 and made.json() == {"stored": 1}
    refused = _client(staff.civil_servant).post(
        "/api/v1/staff-ratings/", body, content_type="application/json"
    )
    assert refused.status_code == 400
    page = _client(staff.civil_servant, "en").get(f"/people/ratings/{world.cycle.year}/")
    assert b"You assess nobody" in page.content and b'id="ratings-form"' not in page.content


def test_the_pages_ask_the_same_number_of_queries_for_4_people_as_for_10(world, staff):  # type: ignore[no-untyped-def]
    office = _client(world.users["office"])
    d1 = UnitGrading.objects.get(run=staff.run, unit=world.d1)  # 10 people
    d2 = UnitGrading.objects.get(run=staff.run, unit=world.d2)  # 4 people

    def queries(url: str) -> int:
        office.get(url)  # warm: the session, the caches of the first request
        with CaptureQueriesContext(connection) as seen:
            assert office.get(url).status_code == 200
        return len(seen)

    for path in ("/people/gradings/{}/", "/people/gradings/{}/reward/"):
        assert queries(path.format(d1.pk)) == queries(path.format(d2.pk)), path
    assert queries("/people/people/S01/") == queries("/people/people/T01/")
