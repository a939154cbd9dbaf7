"""The overview's first look: the last published run per category (top places, grades, the
interview list), open warnings by severity and where rectification stands, each within the
reader's scope."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from kaohe.rectification import services as rectification
from kaohe.testing.monitoring import save_test_rules, send_inflated_tax
from kaohe.testing.results import published_run
from kaohe.web.dashboard import first_look

pytestmark = pytest.mark.django_db


@pytest.fixture
def year(world):  # type: ignore[no-untyped-def]
    run = published_run(world)
    save_test_rules(world.admin)
    send_inflated_tax(world)
    rectification.open_item(
        run,
        world.d2,
        acting_user=world.users["office"],
        cause="排名末位",
        due_date=timezone.localdate() + dt.timedelta(days=30),
    )
    return run


def test_the_office_sees_the_ranking_warnings_and_rectification_first(world, year):  # type: ignore[no-untyped-def]
    look = first_look(world.users["office"])
    (glance,) = look.runs
    assert glance.run == year
    assert [(r.unit.code, r.grade_name) for r in glance.top] == [
        ("D01", "Qualified"),
        ("D02", "Unqualified"),
    ]
    assert glance.grades == [("Excellent", 0), ("Qualified", 1), ("Unqualified", 1)]
    assert look.warnings == [
        ("info", "information", 0),
        ("warning", "warning", 0),
        ("serious", "serious", 1),
    ]
    assert look.rectification == [("open", "waiting for the plan", 1)]
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(world.users["office"])
    page = client.get("/overview/").content.decode()
    assert f'href="/results/runs/{year.pk}/"' in page
    assert 'data-severity="serious">serious 1<' in page
    assert 'data-state="open">waiting for the plan 1<' in page


def test_a_district_sees_its_own_counts_only(world, year):  # type: ignore[no-untyped-def]
    west = first_look(world.users["d2_reporter"])
    assert west.open_warnings == 0  # the warning is East District's
    assert west.rectification == [("open", "waiting for the plan", 1)]
    east = first_look(world.users["d1_reporter"])
    assert east.open_warnings == 1 and east.rectification == []
    assert [g.run for g in east.runs] == [year]  # a published ranking is everyone's
