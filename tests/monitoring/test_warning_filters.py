"""The warnings and rules FilterSets: the board (and its polled rows) and the API answer one
query string with the same warnings; a unit the user may not see is not a choice (a sender
may choose the units its batches raised warnings for); bad values are refused by name."""

from __future__ import annotations

import pytest
from django.test import Client

from kaohe.flows.ingest import ingest
from kaohe.monitoring import services
from kaohe.monitoring.models import Warning
from kaohe.observations.models import Source
from kaohe.observations.services import ValueRow
from kaohe.testing.monitoring import save_test_rules

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def warnings(world):  # type: ignore[no-untyped-def]
    save_test_rules(world.admin)
    ingest(
        [
            ValueRow("D01", "fiscal_revenue", "2025Q3", 100),
            ValueRow("D01", "tax_revenue", "2025Q3", 118),
            ValueRow("D02", "gdp_growth", "2025Q3", -1),
        ],
        acting_user=world.users["stats_reporter"],
        source=Source.API,
    )
    raised = {w.unit.code: w for w in Warning.objects.select_related("unit")}
    services.acknowledge_warning(raised["D01"], acting_user=world.admin)
    return raised


def board_and_api(client: Client, query: str) -> tuple[list[int], list[int], list[int]]:
    page = client.get(f"/monitoring/?{query}")
    rows = client.get(f"/monitoring/rows/?{query}")
    api = client.get(f"/api/v1/warnings/?{query}")
    assert (page.status_code, rows.status_code, api.status_code) == (200, 200, 200)
    return (
        [w.pk for w in page.context["page"].object_list],
        [w.pk for w in rows.context["page"].object_list],
        [w["id"] for w in api.json()["results"]],
    )


@pytest.mark.parametrize(
    ("query", "units"),
    [
        ("state=all&severity=serious", ["D01"]),
        ("state=active&kind=threshold", ["D02"]),
        ("state=acknowledged", ["D01"]),
        ("state=open&unit=D01", []),
        ("state=all&period=2025Q3&rule=growth_floor", ["D02"]),
        ("state=all&unit__code=D01&rule__kind=cross_check&time_node__period=2025Q3", ["D01"]),
    ],
)
def test_the_board_and_the_api_show_the_same_warnings(world, warnings, query, units):  # type: ignore[no-untyped-def]
    expected = [warnings[code].pk for code in units]
    assert board_and_api(client_for(world.users["office"]), query) == (expected,) * 3


def test_a_unit_out_of_scope_is_not_a_choice(world, warnings):  # type: ignore[no-untyped-def]
    reporter = client_for(world.users["d1_reporter"])
    page = reporter.get("/monitoring/?unit=D02")
    field = page.context["filters"].form.fields["unit"]
    assert [str(v) for v, _label in field.choices] == ["", "D01"]
    assert list(page.context["filters"].errors) == ["unit"]
    assert list(page.context["page"].object_list) == []
    refused = reporter.get("/api/v1/warnings/?unit=D02")
    assert refused.status_code == 400 and list(refused.json()) == ["unit"]
    sender = client_for(world.users["stats_reporter"])
    assert board_and_api(sender, "state=all&unit=D02") == ([warnings["D02"].pk],) * 3


def test_bad_values_are_refused_with_the_field_named(world, warnings):  # type: ignore[no-untyped-def]
    office = client_for(world.users["office"])
    for query, field in (("severity=huge", "severity"), ("state=gone", "state")):
        refused = office.get(f"/api/v1/warnings/?{query}")
        assert refused.status_code == 400 and list(refused.json()) == [field]
        page = office.get(f"/monitoring/?{query}")
        assert page.status_code == 200 and list(page.context["filters"].errors) == [field]


def test_the_rules_page_and_the_api_show_the_same_rules(world, warnings):  # type: ignore[no-untyped-def]
    office = client_for(world.users["office"])
    for query, codes in (
        ("kind=threshold", ["growth_floor"]),
        ("severity=serious", ["tax_within_fiscal"]),
    ):
        page = office.get(f"/monitoring/rules/?{query}")
        api = office.get(f"/api/v1/monitoring-rules/?{query}").json()["results"]
        assert [r.code for r in page.context["rules"]] == [r["code"] for r in api] == codes
    refused = office.get("/api/v1/monitoring-rules/?kind=magic")
    assert refused.status_code == 400 and list(refused.json()) == ["kind"]
