"""API inputs that used to fail with a server error are read or refused: a limit past the
ceiling, and a cycle year outside 1990–2100."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


LISTS = [
    "categories",
    "units",
    "posts",
    "people",
    "indicators",
    "admission-requests",
    "cycles",
    "schemes",
    "observations",
    "warnings",
    "monitoring-rules",
    "audit-events",
    "jobs",
]


def test_a_huge_limit_is_read_as_the_ceiling(world):  # type: ignore[no-untyped-def]
    client = signed_in(world.users["office"])
    for name in LISTS:
        response = client.get(f"/api/v1/{name}/", {"limit": str(2**64), "offset": str(2**70)})
        assert response.status_code == 200, name
        assert response.json()["results"] == [], name
    gdp = client.get("/api/v1/observations/", {"limit": "99999999999999999999"})
    assert gdp.status_code == 200 and 0 < len(gdp.json()["results"]) <= 1000


@pytest.mark.parametrize("year", [0, 1989, 2101, 99999])
def test_a_cycle_year_outside_1990_2100_is_refused(world, year):  # type: ignore[no-untyped-def]
    client = signed_in(world.users["office"])
    response = client.post("/api/v1/cycles/", {"year": year}, content_type="application/json")
    assert response.status_code == 400
    assert "year" in response.json()


@pytest.mark.parametrize("kind", ["json", "form", "multipart"])
def test_text_with_a_nul_character_is_a_400_naming_the_field(world, kind):  # type: ignore[no-untyped-def]
    """PostgreSQL cannot even compare text holding NUL: it is refused before any lookup."""
    office = Client(headers={"accept-language": "en"})
    office.force_login(world.users["office"])
    body = {"goal_set": 1, "title_zh": "目标", "indicator": "gdp\x00"}
    if kind == "json":
        answer = office.post("/api/v1/goals/", body, content_type="application/json")
    elif kind == "form":
        answer = office.post(
            "/api/v1/goals/",
            "goal_set=1&title_zh=x&indicator=gdp%00",
            content_type="application/x-www-form-urlencoded",
        )
    else:
        answer = office.post("/api/v1/goals/", body)
    assert answer.status_code == 400, answer.content
    assert answer.json() == {"detail": "indicator: text may not contain a NUL character."}
