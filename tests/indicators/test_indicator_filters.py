"""The catalogue's and the admission review's FilterSets: page and API answer one query string
with the same rows; a unit the user may not see is not a choice; bad values are refused with
the field named."""

from __future__ import annotations

import pytest
from django.test import Client

from kaohe.indicators import services

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def api_rows(client: Client, url: str) -> list[dict]:  # type: ignore[type-arg]
    response = client.get(url)
    assert response.status_code == 200, response.content
    return response.json()["results"]


@pytest.fixture
def catalogue(world):  # type: ignore[no-untyped-def]
    services.create_indicator(
        acting_user=world.admin, code="population", name_zh="常住人口", frequency="annual"
    )
    services.create_indicator(
        acting_user=world.admin,
        code="d2_secret",
        name_zh="西区内部指标",
        frequency="annual",
        sensitive=True,
        responsible_department=world.d2,
    )
    return world


@pytest.mark.parametrize(
    ("query", "codes"),
    [
        ("status=active&frequency=annual", ["d2_secret", "population"]),
        (
            "status=active&responsible_department=DEPT_TJJ",
            ["fiscal_revenue", "gdp", "gdp_growth", "tax_revenue", "tax_share"],
        ),
        ("status=active&frequency=annual&direction=lower", []),
    ],
)
def test_the_page_and_the_api_show_the_same_indicators(catalogue, query, codes):  # type: ignore[no-untyped-def]
    office = client_for(catalogue.users["office"])
    page = office.get(f"/indicators/?{query}")
    assert sorted(i.code for i in page.context["indicators"]) == codes
    assert sorted(i["code"] for i in api_rows(office, f"/api/v1/indicators/?{query}")) == codes


def test_a_department_the_user_may_not_see_is_not_offered(catalogue):  # type: ignore[no-untyped-def]
    reporter = client_for(catalogue.users["d1_reporter"])
    field = reporter.get("/indicators/").context["filters"].form.fields["responsible_department"]
    assert [str(v) for v, _label in field.choices] == ["", "DEPT_TJJ"]
    refused = reporter.get("/api/v1/indicators/?responsible_department=D02")
    assert refused.status_code == 400 and list(refused.json()) == ["responsible_department"]
    office = client_for(catalogue.users["office"])
    shown = api_rows(office, "/api/v1/indicators/?responsible_department__code=D02")
    assert [i["code"] for i in shown] == ["d2_secret"]


def test_a_bad_frequency_is_refused_with_the_field_named(catalogue):  # type: ignore[no-untyped-def]
    office = client_for(catalogue.users["office"])
    refused = office.get("/api/v1/indicators/?frequency=weekly")
    assert refused.status_code == 400 and list(refused.json()) == ["frequency"]
    page = office.get("/indicators/?frequency=weekly")
    assert page.status_code == 200 and list(page.context["filters"].errors) == ["frequency"]
    assert list(page.context["indicators"]) == []


@pytest.fixture
def proposals(world):  # type: ignore[no-untyped-def]
    made = {}
    for unit in (world.d1, world.d2):
        made[unit.code] = services.propose_indicator(
            acting_user=world.admin,
            unit=unit,
            code=f"innov_{unit.code.lower()}",
            name_zh="创新项目数",
            reason="重点工作",
        )
    services.reject_admission(made["D02"], acting_user=world.admin, reason="routine work")
    return made


@pytest.mark.parametrize(
    ("query", "codes"),
    [
        ("unit=D01", ["innov_d01"]),
        ("status=rejected", ["innov_d02"]),
        ("status=pending&unit=D02", []),
    ],
)
def test_the_page_and_the_api_show_the_same_proposals(world, proposals, query, codes):  # type: ignore[no-untyped-def]
    office = client_for(world.users["office"])
    page = office.get(f"/indicators/admission/?{query}")
    assert [r.indicator.code for r in page.context["requests"]] == codes
    rows = api_rows(office, f"/api/v1/admission-requests/?{query}")
    assert [r["indicator"]["code"] for r in rows] == codes


def test_another_units_proposals_are_not_a_choice(world, proposals):  # type: ignore[no-untyped-def]
    reporter = client_for(world.users["d1_reporter"])
    page = reporter.get("/indicators/admission/?unit=D02")
    assert list(page.context["filters"].errors) == ["unit"]
    assert list(page.context["requests"]) == []
    field = page.context["filters"].form.fields["unit"]
    assert [str(v) for v, _label in field.choices] == ["", "D01"]
    refused = reporter.get("/api/v1/admission-requests/?unit=D02")
    assert refused.status_code == 400 and list(refused.json()) == ["unit"]
    refused = reporter.get("/api/v1/admission-requests/?status=maybe")
    assert refused.status_code == 400 and list(refused.json()) == ["status"]


def test_a_proposal_is_read_only_by_its_unit_and_city_wide_readers(world, proposals):  # type: ignore[no-untyped-def]
    """Under review (or rejected), an indicator is not yet the city's: East District's proposal
    is hidden from West District, on the page and the API, until the office admits it."""
    d1, d2 = client_for(world.users["d1_reporter"]), client_for(world.users["d2_reporter"])
    office, auditor = client_for(world.users["office"]), client_for(world.users["auditor"])
    for url in ("/api/v1/indicators/innov_d01/", "/indicators/innov_d01/"):
        assert d1.get(url).status_code == 200, url
        assert d2.get(url).status_code == 404, url
        assert office.get(url).status_code == 200 and auditor.get(url).status_code == 200
    listed = {i["code"] for i in d2.get("/api/v1/indicators/?limit=1000").json()["results"]}
    assert "innov_d01" not in listed and "innov_d02" in listed  # its own, rejected
    assert "innov_d01" not in d2.get("/indicators/").content.decode()
    services.approve_admission(proposals["D01"], acting_user=world.admin, reason="重点")
    assert d2.get("/api/v1/indicators/innov_d01/").status_code == 200  # now in the catalogue
