"""Commendations of a published run's award units: the top places (and the progress award),
once per unit and reason, audited and notified; read in the unit's scope; the office's alone to
issue, from a published run of an open cycle."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from kaohe.core.events import EventType
from kaohe.core.models import AuditEvent, Notification
from kaohe.rectification import services
from kaohe.rectification.models import Commendation
from kaohe.results import services as results
from kaohe.testing.results import published_run
from kaohe.testing.world import SCHEME_YAML

pytestmark = pytest.mark.django_db

YAML = SCHEME_YAML + "results:\n  top_flags: 1\n"


def test_the_top_place_is_commended_once(world):  # type: ignore[no-untyped-def]
    run = published_run(world, YAML)
    made = services.issue_commendations(run, acting_user=world.users["office"])
    assert [(c.unit.code, c.reason) for c in made] == [("D01", "top")]
    assert made[0].citation_en == (
        "East District ranks 1 in 2025 annual assessment · Districts and is commended."
    )
    assert made[0].citation_zh == "东区 在2025年度综合考核 · 区市排名第 1，予以通报表扬。"
    assert services.issue_commendations(run, acting_user=world.users["office"]) == []
    event = AuditEvent.objects.get(event_type=EventType.COMMENDATIONS_ISSUED)
    assert (event.unit, event.extra_data["reason"]) == (world.d1, "top")
    assert Notification.objects.filter(user=world.users["d1_reporter"]).exists()
    assert not Notification.objects.filter(user=world.users["d2_reporter"]).exists()


def test_only_the_office_issues_and_only_from_a_published_run(world):  # type: ignore[no-untyped-def]
    run = published_run(world, YAML)
    with pytest.raises(PermissionDenied):
        services.issue_commendations(run, acting_user=world.users["d1_head"])
    draft = results.run_scoring(run.scheme_version, acting_user=world.admin, reason="再算")
    with pytest.raises(ValidationError) as refused:
        services.issue_commendations(draft, acting_user=world.users["office"])
    assert refused.value.messages == ["Commendations come from a published run."]
    assert not Commendation.objects.exists()


def test_pages_and_api_show_a_unit_its_own(world):  # type: ignore[no-untyped-def]
    run = published_run(world, YAML)
    office, east, west = Client(), Client(), Client()
    office.force_login(world.users["office"])
    east.force_login(world.users["d1_reporter"])
    west.force_login(world.users["d2_reporter"])
    assert east.post(f"/rectification/runs/{run.pk}/commend/").status_code == 403
    answer = east.post("/api/v1/commendations/issue/", {"run": run.pk})
    assert answer.status_code == 403
    assert office.post(f"/rectification/runs/{run.pk}/commend/").status_code == 302
    assert [c["unit"] for c in east.get("/api/v1/commendations/").json()["results"]] == ["D01"]
    assert west.get("/api/v1/commendations/").json()["results"] == []
    page = east.get("/rectification/commendations/").content.decode()
    assert 'data-unit="D01"' in page and "予以通报表扬" in page
    assert 'data-unit="D01"' not in west.get("/rectification/commendations/").content.decode()
    again = office.post("/api/v1/commendations/issue/", {"run": run.pk})
    assert (again.status_code, again.json()) == (201, [])
