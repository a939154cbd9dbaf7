"""The audit trail's FilterSet: page and API answer one query string with the same events; a
unit outside the reader's audit scope is not a choice; bad values are refused by name."""

from __future__ import annotations

import pytest
from django.test import Client

from kaohe.core.events import EventType
from kaohe.core.roles import Role
from kaohe.testing.world import make_user
from kaohe.units import services as units

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def events(client: Client, query: str) -> tuple[list[str], list[str]]:
    page = client.get(f"/audit/?{query}")
    api = client.get(f"/api/v1/audit-events/?{query}&limit=1000")
    assert (page.status_code, api.status_code) == (200, 200)
    return (
        [f"{e.event_type}:{e.object_repr}" for e in page.context["page"].object_list],
        [f"{e['event_type']}:{e['object_repr']}" for e in api.json()["results"]],
    )


def test_the_page_and_the_api_show_the_same_events(world):  # type: ignore[no-untyped-def]
    auditor = client_for(world.users["auditor"])
    post, person = int(EventType.POST_CREATED), int(EventType.PERSON_CREATED)
    assert events(auditor, f"event={post}&unit=D02") == ([f"{post}:Mayor"],) * 2
    assert events(auditor, f"event_type={person}&unit__code=D01") == ([f"{person}:东区负责人"],) * 2
    assert events(auditor, f"event={person}&q=西区") == ([f"{person}:西区负责人"],) * 2


def test_a_unit_outside_the_audit_scope_is_not_a_choice(world):  # type: ignore[no-untyped-def]
    inspector = make_user("d1_inspector")
    units.add_grant(acting_user=world.admin, user=inspector, role=Role.AUDITOR, unit=world.d1)
    client = client_for(inspector)
    page = client.get("/audit/?unit=D02")
    field = page.context["filters"].form.fields["unit"]
    assert [str(v) for v, _label in field.choices] == ["", "D01"]
    assert list(page.context["filters"].errors) == ["unit"]
    assert list(page.context["page"].object_list) == []
    refused = client.get("/api/v1/audit-events/?unit=D02")
    assert refused.status_code == 400 and list(refused.json()) == ["unit"]


def test_a_bad_event_is_refused_with_the_field_named(world):  # type: ignore[no-untyped-def]
    auditor = client_for(world.users["auditor"])
    for value in ("abc", "99999"):
        refused = auditor.get(f"/api/v1/audit-events/?event={value}")
        assert refused.status_code == 400 and list(refused.json()) == ["event"]
        page = auditor.get(f"/audit/?event={value}")
        assert page.status_code == 200 and list(page.context["filters"].errors) == ["event"]
