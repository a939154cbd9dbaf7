"""Scope by hand: what a district's reporter finds in lists and pages, and the writes it cannot
make to another district (the generated matrix is test_scope_matrix.py)."""

from __future__ import annotations

import pytest
from django.test import Client

from kaohe.indicators import services as indicator_services
from kaohe.indicators.models import AdmissionRequest
from kaohe.observations.models import Observation, ObservationVersion

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def proposal(world, unit):  # type: ignore[no-untyped-def]
    return indicator_services.propose_indicator(
        acting_user=world.admin,
        unit=unit,
        code=f"innov_{unit.code.lower()}",
        name_zh="创新项目数",
        reason="重点工作",
        unit_zh="个",
    )


def object_urls(world, unit, obs, post, person, request):  # type: ignore[no-untyped-def]
    return [
        f"/units/{unit.code}/",
        f"/observations/{obs.pk}/history/",
        f"/api/v1/units/{unit.code}/",
        f"/api/v1/posts/{post.code}/",
        f"/api/v1/people/{person.code}/",
        f"/api/v1/observations/{obs.pk}/",
        f"/api/v1/observations/{obs.pk}/versions/",
        f"/api/v1/admission-requests/{request.pk}/",
    ]


def test_reporter_reaches_own_objects_and_gets_404_on_others(world):  # type: ignore[no-untyped-def]
    own_request, other_request = proposal(world, world.d1), proposal(world, world.d2)
    client = client_for(world.users["d1_reporter"])
    own = object_urls(world, world.d1, world.obs_d1, world.post_d1, world.person_d1, own_request)
    other = object_urls(
        world, world.d2, world.obs_d2, world.post_d2, world.person_d2, other_request
    )
    assert [client.get(url).status_code for url in own] == [200] * len(own)
    assert [client.get(url).status_code for url in other] == [404] * len(other)


def test_lists_hold_only_objects_in_scope(world):  # type: ignore[no-untyped-def]
    client = client_for(world.users["d1_reporter"])
    units = client.get("/api/v1/units/").json()["results"]
    assert [u["code"] for u in units] == ["D01"]
    observations = client.get("/api/v1/observations/?limit=1000").json()["results"]
    assert {o["unit"] for o in observations} == {"D01"}
    assert len(observations) == 8
    people = client.get("/api/v1/people/").json()["results"]
    assert [p["code"] for p in people] == ["P-D01"]
    page = client.get("/units/").content.decode()
    assert "东区" in page and "西区" not in page
    indicator_page = client.get("/indicators/gdp/").content.decode()
    assert "东区" in indicator_page and "西区" not in indicator_page


def test_reporter_cannot_record_values_for_another_district(world):  # type: ignore[no-untyped-def]
    client = client_for(world.users["d1_reporter"])
    before = ObservationVersion.objects.count()
    response = client.post(
        "/api/v1/observations/",
        {"rows": [{"unit": "D02", "indicator": "gdp", "period": "2025Q3", "value": 1}]},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "row": 1,
            "field": "unit",
            "rule": "not a unit you may report values for",
            "value": "D02",
        }
    ]
    assert ObservationVersion.objects.count() == before
    assert not Observation.objects.filter(unit=world.d2, time_node__period="2025Q3").exists()


def test_reporter_cannot_decide_or_touch_another_units_proposal(world):  # type: ignore[no-untyped-def]
    other = proposal(world, world.d2)
    client = client_for(world.users["d1_reporter"])
    api = client.post(f"/api/v1/admission-requests/{other.pk}/approve/", {"reason": "x"})
    page = client.post(f"/indicators/admission/{other.pk}/decide/", {"decision": "approve"})
    assert (api.status_code, page.status_code) == (404, 404)
    other.refresh_from_db()
    assert other.status == AdmissionRequest.Status.PENDING
    created = client.post(
        "/api/v1/admission-requests/",
        {"unit": "D02", "code": "sneaky", "name_zh": "x", "reason": "x"},
        content_type="application/json",
    )
    assert created.status_code == 400
    assert not AdmissionRequest.objects.filter(indicator__code="sneaky").exists()


def test_responsible_department_sees_its_indicator_in_every_unit(world):  # type: ignore[no-untyped-def]
    client = client_for(world.users["stats_reporter"])
    observations = client.get("/api/v1/observations/?indicator__code=gdp&limit=100").json()
    assert sorted({o["unit"] for o in observations["results"]}) == ["D01", "D02"]
    assert client.get(f"/api/v1/observations/{world.obs_d2.pk}/").status_code == 200
    assert client.get("/units/D02/").status_code == 404  # the unit itself stays out of scope


def test_user_without_grants_sees_nothing(world):  # type: ignore[no-untyped-def]
    client = client_for(world.users["nobody"])
    assert client.get("/api/v1/units/").json()["results"] == []
    assert client.get("/api/v1/observations/").json()["results"] == []
    assert client.get("/units/D01/").status_code == 404
    assert client.get("/audit/").status_code == 403


def test_anonymous_is_sent_to_login_and_api_refuses(world):  # type: ignore[no-untyped-def]
    client = Client()
    response = client.get("/units/D01/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert client.get("/api/v1/units/").status_code == 403
