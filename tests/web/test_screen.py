"""The big screen: for city-wide viewers only; the districts' map coloured by grade in the last
published district run, the rankings, open warnings by severity, an honest empty survey panel,
and panels that refresh by polling (304 while nothing changed)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from kaohe import charts
from kaohe.core.roles import Role
from kaohe.testing.maps import as_file, square_map
from kaohe.testing.monitoring import save_test_rules, send_inflated_tax
from kaohe.testing.results import published_run
from kaohe.testing.world import make_user
from kaohe.units import services as unit_services

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def json_script(body: str, element_id: str) -> Any:
    found = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', body)
    assert found is not None, element_id
    return json.loads(found.group(1))


@pytest.fixture
def year(world):  # type: ignore[no-untyped-def]
    """A published district run (D01 qualified, D02 unqualified), one serious warning, a map."""
    run = published_run(world)
    save_test_rules(world.admin)
    send_inflated_tax(world)
    unit_services.upload_city_map(
        acting_user=world.users["office"], content=as_file(square_map(["D01", "D02"]))
    )
    return run


def test_the_map_is_coloured_by_grade_in_the_last_district_run(world, year):  # type: ignore[no-untyped-def]
    response = client_for(world.users["office"]).get("/screen/")
    assert response.status_code == 200
    body = response.content.decode()
    assert json_script(body, "screen-map-geojson") == square_map(["D01", "D02"])
    option = json_script(body, "screen-map-option")
    (series,) = option["series"]
    assert (series["type"], series["map"], series["nameProperty"]) == ("map", "kaohe-city", "code")
    assert series["nameMap"] == {"D01": "东区", "D02": "西区"}
    tones = charts.grade_tones(["excellent", "qualified", "unqualified"])
    scores = {r.unit.code: r.total_rounded for r in year.results.all()}
    assert series["data"] == [
        {"name": "东区", "value": scores["D01"], "itemStyle": {"areaColor": tones["qualified"]}},
        {"name": "西区", "value": scores["D02"], "itemStyle": {"areaColor": tones["unqualified"]}},
    ]
    assert tones == {"excellent": "#2bb673", "qualified": "#e6a23c", "unqualified": "#e8534a"}
    legend = response.context["screen"].map.legend
    assert [(name, n) for name, _tone, n in legend] == [
        ("优秀", 0),
        ("合格", 1),
        ("不合格", 1),
    ]


def test_the_screen_shows_rankings_warnings_and_an_honest_survey_panel(world, year):  # type: ignore[no-untyped-def]
    response = client_for(world.users["office"]).get("/screen/")
    body = response.content.decode()
    assert 'hx-get="/screen/panels/"' in body
    assert 'hx-trigger="every 60s"' in body  # a cached page's survey counts are fresh within 60 s
    assert "<script>" not in body
    assert re.findall(r'data-severity="(\w+)"><span class="count">(\d+)', body) == [
        ("info", "0"),
        ("warning", "0"),
        ("serious", "1"),
    ]
    ranking = re.search(r'<table class="ranking">.*?</table>', body, re.S)
    assert ranking is not None
    assert re.findall(r'<td class="num rank">(\d+)</td><td>([^<]+)</td>', ranking.group(0)) == [
        ("1", "东区"),
        ("2", "西区"),
    ]
    assert 'data-surveys="0"' in body
    surveys = response.context["screen"].surveys
    assert surveys.surveys == []
    assert surveys.empty_reason != ""
    assert surveys.empty_reason in body  # why there are no figures, instead of invented ones


def test_without_a_map_or_results_the_screen_says_so(world):  # type: ignore[no-untyped-def]
    response = client_for(world.users["office"]).get("/screen/")
    assert response.status_code == 200
    screen = response.context["screen"]
    assert (screen.map.city_map, screen.map.option, screen.look.runs) == (None, None, [])
    assert b'id="screen-map"' not in response.content


def test_only_city_wide_viewers_see_the_screen(world, year):  # type: ignore[no-untyped-def]
    leader = make_user("leader")
    unit_services.add_grant(acting_user=world.admin, user=leader, role=Role.LEADER, unit=world.dept)
    city_leader = make_user("city_leader")
    unit_services.add_grant(acting_user=world.admin, user=city_leader, role=Role.LEADER)
    users = {**world.users, "leader": leader, "city_leader": city_leader}
    allowed = {"office", "committee", "auditor", "city_leader"}
    for name, user in users.items():
        client = client_for(user)
        want = 200 if name in allowed else 403
        got = (
            client.get("/screen/").status_code,
            client.get("/screen/panels/").status_code,
            client.get("/api/v1/screen/").status_code,
        )
        assert got == (want, want, want), name
    assert Client().get("/screen/").status_code == 302


def test_the_panels_answer_304_until_something_on_them_changes(world, year):  # type: ignore[no-untyped-def]
    office = client_for(world.users["office"])
    first = office.get("/screen/panels/")
    assert first.status_code == 200
    etag = first["ETag"]
    assert office.get("/screen/panels/", HTTP_IF_NONE_MATCH=etag).status_code == 304
    unit_services.upload_city_map(
        acting_user=world.users["office"], content=as_file(square_map(["D02", "D01"]))
    )
    changed = office.get("/screen/panels/", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag
    # another reader has an ETag of their own: a 304 never hands one user's page to another
    assert (
        client_for(world.users["committee"])
        .get("/screen/panels/", HTTP_IF_NONE_MATCH=changed["ETag"])
        .status_code
        == 200
    )


def test_the_api_gives_what_the_screen_shows(world, year):  # type: ignore[no-untyped-def]
    data = client_for(world.users["office"]).get("/api/v1/screen/").json()
    assert data["cycle"] == 2025
    (run,) = data["runs"]
    assert (run["run"], run["category"]) == (year.pk, "district")
    assert [(r["unit"], r["rank"], r["grade_name"]) for r in run["top"]] == [
        ("D01", 1, "合格"),  # in the reader's language, as the scheme names it
        ("D02", 2, "不合格"),
    ]
    assert data["map"]["version"] == 1
    assert data["map"]["run"] == year.pk
    assert [(r["unit"], r["grade"], r["colour"]) for r in data["map"]["regions"]] == [
        ("D01", "qualified", "#e6a23c"),
        ("D02", "unqualified", "#e8534a"),
    ]
    assert data["open_warnings"] == 1
    assert [(w["code"], w["count"]) for w in data["warnings"]] == [
        ("info", 0),
        ("warning", 0),
        ("serious", 1),
    ]
    with translation.override("zh-hans"):  # the API answers in the page's language
        reason = gettext("No survey is open, so there are no live survey figures to show.")
    assert data["surveys"] == {"surveys": [], "empty_reason": reason}
