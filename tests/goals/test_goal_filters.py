"""The goal-portfolio, goal and target-suggestion FilterSets: page and API answer one query
string with the same rows; a unit or portfolio the user may not see is not a choice; bad values
are refused with the field named."""

from __future__ import annotations

import pytest
from django.test import Client

from kaohe.goals import services
from kaohe.goals.models import TargetSuggestion
from kaohe.observations.models import Source
from kaohe.observations.services import ValueRow, record_observations
from kaohe.schemes import services as scheme_services
from kaohe.testing.goals import fill_portfolio

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def portfolios(gw):  # type: ignore[no-untyped-def]
    fill_portfolio(gw.goal_set, gw.users["tjj_head"])
    services.submit_goal_set(gw.goal_set, acting_user=gw.users["tjj_head"], note="")
    d1 = services.create_goal_set(gw.d1, gw.cycle, acting_user=gw.users["d1_head"])
    return {"DEPT_TJJ": gw.goal_set.pk, "D01": d1.pk}


def goal_set_ids(client: Client, query: str) -> tuple[list[int], list[int]]:
    page = client.get(f"/goals/portfolios/?{query}")
    api = client.get(f"/api/v1/goal-sets/?{query}")
    assert (page.status_code, api.status_code) == (200, 200)
    return sorted(g.pk for g in page.context["goal_sets"]), sorted(
        g["id"] for g in api.json()["results"]
    )


def test_the_page_and_the_api_show_the_same_portfolios(gw, portfolios):  # type: ignore[no-untyped-def]
    office = client_for(gw.users["office"])
    both = sorted(portfolios.values())
    assert goal_set_ids(office, "cycle=2025") == (both, both)
    assert goal_set_ids(office, "cycle=2025&state=draft") == ([portfolios["D01"]],) * 2
    assert goal_set_ids(office, "cycle=2025&unit=DEPT_TJJ") == ([portfolios["DEPT_TJJ"]],) * 2
    assert goal_set_ids(office, "cycle__year=2025&level=office") == ([portfolios["DEPT_TJJ"]],) * 2


def test_the_page_defaults_to_the_latest_cycle(gw, portfolios):  # type: ignore[no-untyped-def]
    scheme_services.create_cycle(acting_user=gw.admin, year=2026)
    office = client_for(gw.users["office"])
    assert list(office.get("/goals/portfolios/").context["goal_sets"]) == []
    assert goal_set_ids(office, "cycle=2025&state=draft") == ([portfolios["D01"]],) * 2


def test_a_unit_or_portfolio_out_of_scope_is_not_a_choice(gw, portfolios):  # type: ignore[no-untyped-def]
    head = client_for(gw.users["d1_head"])
    page = head.get("/goals/portfolios/?cycle=2025&unit=DEPT_TJJ")
    field = page.context["filters"].form.fields["unit"]
    assert [str(v) for v, _label in field.choices] == ["", "D01"]
    assert list(page.context["filters"].errors) == ["unit"]
    assert list(page.context["goal_sets"]) == []
    refused = head.get("/api/v1/goal-sets/?unit=DEPT_TJJ")
    assert refused.status_code == 400 and list(refused.json()) == ["unit"]
    refused = head.get(f"/api/v1/goals/?goal_set={portfolios['DEPT_TJJ']}")
    assert refused.status_code == 400 and list(refused.json()) == ["goal_set"]


def test_goals_are_filtered_by_portfolio_and_kind(gw, portfolios):  # type: ignore[no-untyped-def]
    head = client_for(gw.users["tjj_head"])
    url = f"/api/v1/goals/?goal_set={portfolios['DEPT_TJJ']}&kind=excellence"
    assert [g["title_en"] for g in head.get(url).json()["results"]] == ["Excellence goal 1"]
    refused = head.get("/api/v1/goals/?kind=stretch")
    assert refused.status_code == 400 and list(refused.json()) == ["kind"]


def test_bad_portfolio_filters_are_refused_with_the_field_named(gw, portfolios):  # type: ignore[no-untyped-def]
    office = client_for(gw.users["office"])
    for query, field in (("cycle=1999", "cycle"), ("cycle=2025&state=lost", "state")):
        refused = office.get(f"/api/v1/goal-sets/?{query}")
        assert refused.status_code == 400 and list(refused.json()) == [field]
        page = office.get(f"/goals/portfolios/?{query}")
        assert list(page.context["filters"].errors) == [field]


@pytest.fixture
def suggestions(gw):  # type: ignore[no-untyped-def]
    for year in (2021, 2022, 2023, 2024):
        scheme_services.create_cycle(acting_user=gw.admin, year=year)
    history = {"D01": (1000, 1070, 1150, 1225), "D02": (700, 730, 772, 801)}
    rows = [
        ValueRow(unit, "gdp", f"{2021 + i}Y", value)
        for unit, values in history.items()
        for i, value in enumerate(values)
    ]
    record_observations(rows, acting_user=gw.admin, source=Source.IMPORT)
    made = services.suggest_district_targets(gw.cycle, acting_user=gw.users["office"])
    d1 = next(s for s in made if s.unit.code == "D01")
    services.accept_suggestion(d1, acting_user=gw.users["office"])
    return TargetSuggestion.objects.order_by("unit__code", "indicator__code")


def suggestion_units(client: Client, query: str) -> tuple[list[tuple[str, int]], list[str]]:
    page = client.get(f"/goals/targets/?{query}")
    api = client.get(f"/api/v1/target-suggestions/?{query}")
    assert (page.status_code, api.status_code) == (200, 200)
    return (
        [(row["unit__code"], row["total"]) for row in page.context["rows"]],
        [s["unit"] for s in api.json()["results"]],
    )


def test_the_page_and_the_api_count_the_same_suggestions(gw, suggestions):  # type: ignore[no-untyped-def]
    assert [(s.unit.code, s.indicator.code) for s in suggestions] == [
        ("D01", "gdp"),
        ("D02", "gdp"),
    ]
    office = client_for(gw.users["office"])
    assert suggestion_units(office, "cycle=2025&state=accepted") == ([("D01", 1)], ["D01"])
    assert suggestion_units(office, "cycle=2025&unit=D02") == ([("D02", 1)], ["D02"])
    reporter = client_for(gw.users["d1_reporter"])
    assert suggestion_units(reporter, "cycle=2025") == ([("D01", 1)], ["D01"])
    refused = reporter.get("/api/v1/target-suggestions/?unit=D02")
    assert refused.status_code == 400 and list(refused.json()) == ["unit"]
    page = reporter.get("/goals/targets/?unit=D02")
    assert list(page.context["filters"].errors) == ["unit"] and page.context["rows"] == []
