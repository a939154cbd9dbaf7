"""The unit, post and people FilterSets: the unit page and the API answer one query string with
the same units; a category or unit out of the user's scope is not a choice; bad values are
refused with the field named."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def page_codes(client: Client, query: str) -> list[str]:
    page = client.get(f"/units/?{query}")
    assert page.status_code == 200
    return [u.code for g in page.context["groups"] for u in g["units"]]


def api_codes(client: Client, url: str) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200, response.content
    return [row["code"] for row in response.json()["results"]]


@pytest.mark.parametrize(
    ("query", "codes"),
    [
        ("kind=district&is_assessed=true", ["D01", "D02"]),
        ("category=dept&is_assessed=true", ["DEPT_TJJ"]),
        ("kind=department&category=district&is_assessed=true", []),
    ],
)
def test_the_page_and_the_api_show_the_same_units(world, query, codes):  # type: ignore[no-untyped-def]
    office = client_for(world.users["office"])
    assert page_codes(office, query) == codes
    assert api_codes(office, f"/api/v1/units/?{query}") == codes


def test_the_api_still_reads_the_category_by_its_old_name(world):  # type: ignore[no-untyped-def]
    office = client_for(world.users["office"])
    assert api_codes(office, "/api/v1/units/?category__code=dept") == ["DEPT_TJJ"]


def test_a_category_outside_the_scope_is_not_offered(world):  # type: ignore[no-untyped-def]
    reporter = client_for(world.users["d1_reporter"])
    page = reporter.get("/units/")
    choices = [value for value, _label in page.context["filters"].form.fields["category"].choices]
    assert [str(v) for v in choices] == ["", "district"]
    refused = reporter.get("/api/v1/units/?category=dept")
    assert refused.status_code == 400 and list(refused.json()) == ["category"]
    shown = reporter.get("/units/?category=dept")
    assert shown.status_code == 200 and list(shown.context["filters"].errors) == ["category"]
    assert shown.context["groups"] == []


def test_a_bad_kind_is_refused_with_the_field_named(world):  # type: ignore[no-untyped-def]
    office = client_for(world.users["office"])
    refused = office.get("/api/v1/units/?kind=planet")
    assert refused.status_code == 400 and list(refused.json()) == ["kind"]
    page = office.get("/units/?kind=planet")
    assert page.status_code == 200 and list(page.context["filters"].errors) == ["kind"]
    assert 'class="errorlist"' in page.content.decode()


def test_people_and_posts_are_filtered_by_a_unit_in_scope(world):  # type: ignore[no-untyped-def]
    reporter = client_for(world.users["d1_reporter"])
    assert api_codes(reporter, "/api/v1/people/?unit=D01") == ["P-D01"]
    assert api_codes(reporter, "/api/v1/people/?unit__code=D01") == ["P-D01"]
    assert api_codes(reporter, "/api/v1/posts/?unit=D01") == ["D01-HEAD"]
    for url in ("/api/v1/people/?unit=D02", "/api/v1/posts/?unit=D02"):
        refused = reporter.get(url)
        assert refused.status_code == 400 and list(refused.json()) == ["unit"]
    office = client_for(world.users["office"])
    assert api_codes(office, "/api/v1/posts/?unit=D02") == ["D02-HEAD"]
    assert api_codes(office, "/api/v1/people/?gender=F") == []
