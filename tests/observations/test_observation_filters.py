"""The observation FilterSet (API list): the unit choice holds the units the user may see values
of — its own, and for a responsible department every unit reporting its indicators — and
bad values are refused with the field named."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def slots(client: Client, query: str) -> list[tuple[str, str, str]]:
    response = client.get(f"/api/v1/observations/?{query}&limit=1000")
    assert response.status_code == 200, response.content
    return [(o["unit"], o["indicator"], o["period"]) for o in response.json()["results"]]


def test_values_are_filtered_by_unit_indicator_period_and_cycle(world):  # type: ignore[no-untyped-def]
    office = client_for(world.users["office"])
    assert slots(office, "unit=D02&indicator=gdp") == [
        ("D02", "gdp", "2025H1"),
        ("D02", "gdp", "2025Q1"),
    ]
    assert slots(office, "unit__code=D02&indicator__code=gdp&time_node__period=2025Q1") == [
        ("D02", "gdp", "2025Q1")
    ]
    assert slots(office, "indicator=gdp&period=2025H1&cycle=2025") == [
        ("D01", "gdp", "2025H1"),
        ("D02", "gdp", "2025H1"),
    ]


def test_a_unit_out_of_scope_is_refused_and_not_offered(world):  # type: ignore[no-untyped-def]
    reporter = client_for(world.users["d1_reporter"])
    assert slots(reporter, "indicator=gdp&period=2025Q1") == [("D01", "gdp", "2025Q1")]
    refused = reporter.get("/api/v1/observations/?unit=D02")
    assert refused.status_code == 400 and list(refused.json()) == ["unit"]


def test_a_responsible_department_may_choose_the_units_reporting_its_indicators(world):  # type: ignore[no-untyped-def]
    bureau = client_for(world.users["stats_reporter"])
    assert slots(bureau, "unit=D02&indicator=gdp&period=2025Q1") == [("D02", "gdp", "2025Q1")]


def test_bad_values_are_refused_with_the_field_named(world):  # type: ignore[no-untyped-def]
    office = client_for(world.users["office"])
    for query, field in (("indicator=nope", "indicator"), ("cycle=20x5", "cycle")):
        refused = office.get(f"/api/v1/observations/?{query}")
        assert refused.status_code == 400 and list(refused.json()) == [field]
