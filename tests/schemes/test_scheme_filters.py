"""The cycle and scheme FilterSets: page and API answer one query string with the same rows;
bad values are refused with the field named. (Cycles and schemes are public within the
platform: no unit choice to scope.)"""

from __future__ import annotations

import pytest
from django.test import Client

from kaohe.schemes import services

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def cycles(world):  # type: ignore[no-untyped-def]
    services.create_cycle(acting_user=world.admin, year=2026)
    services.advance_cycle(world.cycle, acting_user=world.admin)  # 2025: goal setting
    return world


@pytest.mark.parametrize(
    ("query", "years"),
    [("state=planning", [2026]), ("state=goal_setting", [2025]), ("", [2026, 2025])],
)
def test_the_page_and_the_api_show_the_same_cycles(cycles, query, years):  # type: ignore[no-untyped-def]
    reporter = client_for(cycles.users["d1_reporter"])
    page = [c.year for c in reporter.get(f"/schemes/cycles/?{query}").context["cycles"]]
    api = [c["year"] for c in reporter.get(f"/api/v1/cycles/?{query}").json()["results"]]
    assert page == api == years


def test_a_bad_state_is_refused_with_the_field_named(cycles):  # type: ignore[no-untyped-def]
    reporter = client_for(cycles.users["d1_reporter"])
    refused = reporter.get("/api/v1/cycles/?state=finished")
    assert refused.status_code == 400 and list(refused.json()) == ["state"]
    page = reporter.get("/schemes/cycles/?state=finished")
    assert list(page.context["filters"].errors) == ["state"] and list(page.context["cycles"]) == []


@pytest.mark.parametrize(
    ("query", "codes"),
    [
        ("cycle=2025&category=district", ["district-2025"]),
        ("cycle__year=2025&category__code=district", ["district-2025"]),
        ("category=dept", []),
        ("cycle=2026", []),
    ],
)
def test_the_page_and_the_api_show_the_same_schemes(cycles, query, codes):  # type: ignore[no-untyped-def]
    office = client_for(cycles.users["office"])
    page = [s.code for s in office.get(f"/schemes/?{query}").context["schemes"]]
    api = [s["code"] for s in office.get(f"/api/v1/schemes/?{query}").json()["results"]]
    assert page == api == codes


def test_an_unknown_cycle_is_refused_with_the_field_named(cycles):  # type: ignore[no-untyped-def]
    office = client_for(cycles.users["office"])
    refused = office.get("/api/v1/schemes/?cycle=1999")
    assert refused.status_code == 400 and list(refused.json()) == ["cycle"]
    page = office.get("/schemes/?cycle=1999")
    assert list(page.context["filters"].errors) == ["cycle"] and list(page.context["schemes"]) == []
