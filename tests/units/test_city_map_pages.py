"""The city map page and API: everyone signed in reads the current map; the office uploads a new
version through the same service, and a refused file lists its problems and stores nothing."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from kaohe.core.events import EventType
from kaohe.core.models import AuditEvent
from kaohe.testing.maps import as_file, square_map
from kaohe.units.models import CityMap
from kaohe.units.services import upload_city_map

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    """A signed-in client that reads the pages and answers in English (quoted below)."""
    client = Client(headers={"accept-language": "en"})
    client.force_login(user)
    return client


def json_script(body: str, element_id: str) -> str:
    found = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', body)
    assert found is not None, element_id
    return found.group(1)


def geojson_file(document: Any, name: str = "districts.geojson") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, as_file(document), content_type="application/geo+json")


def test_the_office_uploads_a_map_on_the_page(world):  # type: ignore[no-untyped-def]
    office = client_for(world.users["office"])
    page = office.get("/units/map/")
    assert page.status_code == 200
    assert b'enctype="multipart/form-data"' in page.content
    assert "No map of the districts has been uploaded yet." in page.content.decode()
    response = office.post(
        "/units/map/", {"file": geojson_file(square_map(["D01", "D02"])), "note": "首版"}
    )
    assert response.status_code == 302
    stored = CityMap.objects.get()
    assert (stored.version, stored.codes, stored.note) == (1, ["D01", "D02"], "首版")
    page = office.get("/units/map/")
    body = page.content.decode()
    assert 'data-map="city"' in body
    assert 'id="city-map-geojson"' in body
    option = json.loads(json_script(body, "city-map-option"))
    assert json.loads(json_script(body, "city-map-geojson")) == stored.geojson
    series = option["series"][0]
    assert (series["type"], series["map"], series["nameProperty"]) == ("map", "city", "code")
    assert series["nameMap"] == {"D01": "East District", "D02": "West District"}


def test_a_refused_file_is_listed_on_the_page_and_nothing_is_stored(world):  # type: ignore[no-untyped-def]
    office = client_for(world.users["office"])
    events = AuditEvent.objects.count()
    response = office.post("/units/map/", {"file": geojson_file(square_map(["D01", "D99"]))})
    assert response.status_code == 400
    assert [(e.row, e.field, e.rule, e.value) for e in response.context["errors"]] == [
        (2, "properties.code", "names no unit", "D99")
    ]
    assert b'<tr data-row="2">' in response.content
    assert CityMap.objects.count() == 0
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize("who", ["d1_reporter", "committee"])
def test_others_read_the_page_but_may_not_upload(world, who):  # type: ignore[no-untyped-def]
    upload_city_map(acting_user=world.users["office"], content=as_file(square_map(["D01"])))
    client = client_for(world.users[who])
    page = client.get("/units/map/")
    assert page.status_code == 200
    assert b"multipart/form-data" not in page.content
    response = client.post("/units/map/", {"file": geojson_file(square_map(["D02"]))})
    assert response.status_code == 403
    assert list(CityMap.objects.values_list("version", flat=True)) == [1]


def test_the_api_gives_the_current_map_to_everyone_signed_in(world):  # type: ignore[no-untyped-def]
    reporter = client_for(world.users["d1_reporter"])
    missing = reporter.get("/api/v1/city-maps/current/")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "No map of the districts has been uploaded yet."}
    upload_city_map(acting_user=world.users["office"], content=as_file(square_map(["D01"])))
    second = upload_city_map(
        acting_user=world.users["office"], content=as_file(square_map(["D01", "D02"]))
    )
    current = reporter.get("/api/v1/city-maps/current/")
    assert current.status_code == 200
    assert current.json() == second.geojson
    versions = reporter.get("/api/v1/city-maps/").json()
    assert [(v["version"], v["codes"], v["created_by"]) for v in versions["results"]] == [
        (2, ["D01", "D02"], "office"),
        (1, ["D01"], "office"),
    ]
    first = reporter.get("/api/v1/city-maps/1/").json()
    assert first["geojson"] == square_map(["D01"])
    assert reporter.get("/api/v1/city-maps/3/").status_code == 404
    assert Client().get("/api/v1/city-maps/current/").status_code == 403


def test_the_office_uploads_through_the_api(world):  # type: ignore[no-untyped-def]
    office = client_for(world.users["office"])
    made = office.post(
        "/api/v1/city-maps/", {"file": geojson_file(square_map(["D01", "D02"])), "note": "api"}
    )
    assert made.status_code == 201
    assert (made.json()["version"], made.json()["note"]) == (1, "api")
    event = AuditEvent.objects.get(event_type=EventType.CITY_MAP_UPLOADED)
    assert event.acting_user == world.users["office"]

    bad = office.post("/api/v1/city-maps/", {"file": geojson_file(square_map(["D01", "D01"]))})
    assert bad.status_code == 400
    assert bad.json()["errors"] == [
        {
            "row": 2,
            "field": "properties.code",
            "rule": "repeats the code of feature 1: one feature per unit",
            "value": "D01",
        }
    ]
    assert CityMap.objects.count() == 1


def test_a_reporter_cannot_upload_through_the_api(world):  # type: ignore[no-untyped-def]
    reporter = client_for(world.users["d1_reporter"])
    events = AuditEvent.objects.count()
    response = reporter.post("/api/v1/city-maps/", {"file": geojson_file(square_map(["D01"]))})
    assert response.status_code == 403
    assert CityMap.objects.count() == 0
    assert AuditEvent.objects.count() == events
