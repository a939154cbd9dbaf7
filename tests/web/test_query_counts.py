"""The main pages and API lists run the same number of queries however many units there are:
measured on the test world with its 2 districts, then with 48 more (each with its year's
values), as the office. A query per row would show here as 48 more."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from kaohe.goals import services as goals
from kaohe.observations.models import Source
from kaohe.observations.services import ValueRow, record_observations
from kaohe.testing.goals import fill_portfolio
from kaohe.testing.results import record_full_year
from kaohe.units import services as unit_services
from kaohe.units.models import Unit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def uncached(settings):  # type: ignore[no-untyped-def]
    """Count the queries of an answer built afresh (as after every write), not the cache's."""
    settings.KAOHE_FRAGMENT_SECONDS = 0


URLS = [
    "/overview/",
    "/units/",
    "/results/provisional/",
    "/monitoring/",
    "/api/v1/units/",
    "/api/v1/observations/",
    "/api/v1/indicators/",
    "/goals/portfolios/",
    "/api/v1/goal-sets/",
    "/api/v1/goals/",
]


def counts(client: Client) -> dict[str, int]:
    found = {}
    for url in URLS:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200, url
        found[url] = len(queries)
    return found


def add_districts(world, n: int) -> None:  # type: ignore[no-untyped-def]
    rows = []
    for i in range(n):
        code = f"X{i:02d}"
        unit_services.create_unit(
            acting_user=world.admin,
            code=code,
            name_zh=f"新区{i}",
            kind="district",
            parent=type(world.city).objects.get(pk=world.city.pk),
            category=world.district_category,
            is_assessed=True,
        )
        goal_set = goals.create_goal_set(
            Unit.objects.get(code=code), world.cycle, acting_user=world.admin
        )
        fill_portfolio(goal_set, world.admin, key=2, excellence=1)
        rows += [
            ValueRow(code, "gdp", "2025Y", 1000 + i, reason="年报"),
            ValueRow(code, "gdp_growth", "2025Y", 5.0, reason="年报"),
        ]
    record_observations(rows, acting_user=world.admin, source=Source.IMPORT)


def test_queries_do_not_grow_with_the_units(world):  # type: ignore[no-untyped-def]
    record_full_year(world)  # both sizes have a year of values and goal portfolios
    for unit in (world.d1, world.d2):
        goal_set = goals.create_goal_set(unit, world.cycle, acting_user=world.admin)
        fill_portfolio(goal_set, world.admin, key=2, excellence=1)
    office = Client()
    office.force_login(world.users["office"])
    counts(office)  # warm the caches a first request fills
    small = counts(office)
    add_districts(world, 48)
    counts(office)
    large = counts(office)
    assert large == small
