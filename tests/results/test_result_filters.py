"""The scoring-run and provisional-standing FilterSets: page and API answer one query string
with the same rows; a unit the user may not see is not a choice; bad values are refused with
the field named."""

from __future__ import annotations

import pytest
from django.test import Client

from kaohe.flows.ingest import ingest
from kaohe.observations.models import Source
from kaohe.observations.services import ValueRow, record_observations
from kaohe.results import services
from kaohe.schemes import services as schemes

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def runs(world):  # type: ignore[no-untyped-def]
    rows = [
        ValueRow(unit, code, "2025Y", value, reason="年报")
        for unit, values in (("D01", (5000, 7.0, 120)), ("D02", (3000, 5.0, 80)))
        for code, value in zip(("gdp", "gdp_growth", "fiscal_revenue"), values, strict=True)
    ]
    record_observations(rows, acting_user=world.admin, source=Source.IMPORT)
    version = schemes.publish_scheme_version(world.version, acting_user=world.admin)
    first = services.run_scoring(version, acting_user=world.admin)
    services.publish_scoring_run(first, acting_user=world.admin)
    second = services.run_scoring(version, acting_user=world.admin, reason="a correction")
    return {"published": first.pk, "draft": second.pk}


def run_ids(client: Client, query: str) -> tuple[list[int], list[int]]:
    page = client.get(f"/results/?{query}")
    api = client.get(f"/api/v1/scoring-runs/?{query}")
    assert (page.status_code, api.status_code) == (200, 200)
    return [r.pk for r in page.context["runs"]], [r["id"] for r in api.json()["results"]]


def test_the_page_and_the_api_show_the_same_runs(world, runs):  # type: ignore[no-untyped-def]
    office = client_for(world.users["office"])
    assert run_ids(office, "status=draft") == ([runs["draft"]],) * 2
    assert (
        run_ids(office, "cycle=2025&category=district&status=published")
        == ([runs["published"]],) * 2
    )
    assert run_ids(office, "cycle__year=2025&category__code=dept") == ([], [])
    reporter = client_for(world.users["d1_reporter"])
    assert run_ids(reporter, "cycle=2025") == ([runs["published"]],) * 2
    assert run_ids(reporter, "status=draft") == ([], [])


def test_a_bad_run_filter_is_refused_with_the_field_named(world, runs):  # type: ignore[no-untyped-def]
    office = client_for(world.users["office"])
    for query, field in (("cycle=20x5", "cycle"), ("status=final", "status")):
        refused = office.get(f"/api/v1/scoring-runs/?{query}")
        assert refused.status_code == 400 and list(refused.json()) == [field]
        page = office.get(f"/results/?{query}")
        assert list(page.context["filters"].errors) == [field]
        assert list(page.context["runs"]) == []


@pytest.fixture
def live(world):  # type: ignore[no-untyped-def]
    schemes.publish_scheme_version(world.version, acting_user=world.admin)
    schemes.advance_cycle(world.cycle, acting_user=world.admin)  # goal setting
    schemes.advance_cycle(world.cycle, acting_user=world.admin)  # in progress
    ingest(
        [ValueRow("D01", "gdp", "2025H1", "1300", reason="revised")],
        acting_user=world.admin,
        source=Source.API,
    )
    return world


def standings(client: Client, query: str) -> tuple[list[str], list[str], list[str]]:
    page = client.get(f"/results/provisional/?{query}")
    rows = client.get(f"/results/provisional/rows/?{query}")
    api = client.get(f"/api/v1/provisional-standings/?{query}")
    assert (page.status_code, rows.status_code, api.status_code) == (200, 200, 200)
    return (
        [r.unit.code for g in page.context["groups"] for r in g["rows"]],
        [r.unit.code for g in rows.context["groups"] for r in g["rows"]],
        [r["unit"] for r in api.json()],
    )


@pytest.mark.parametrize(
    ("query", "units"),
    [
        ("unit=D01", ["D01"]),
        ("cycle=2025&category=district", ["D01", "D02"]),
        ("category=dept", []),
    ],
)
def test_the_page_and_the_api_show_the_same_standings(live, query, units):  # type: ignore[no-untyped-def]
    assert standings(client_for(live.users["office"]), query) == (units,) * 3


def test_another_units_standing_is_not_a_choice(live):  # type: ignore[no-untyped-def]
    reporter = client_for(live.users["d2_reporter"])
    page = reporter.get("/results/provisional/?unit=D01")
    assert [str(v) for v, _label in page.context["filters"].form.fields["unit"].choices] == [
        "",
        "D02",
    ]
    assert list(page.context["filters"].errors) == ["unit"] and page.context["groups"] == []
    refused = reporter.get("/api/v1/provisional-standings/?unit=D01")
    assert refused.status_code == 400 and list(refused.json()) == ["unit"]
    refused = reporter.get("/api/v1/provisional-standings/?cycle=this-year")
    assert refused.status_code == 400 and list(refused.json()) == ["cycle"]
