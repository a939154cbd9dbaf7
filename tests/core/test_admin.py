"""The admin reads; only grants are written there, and only through the grant services."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import Client, RequestFactory

from kaohe.core.admin import GrantAdmin
from kaohe.core.events import EventType
from kaohe.core.models import AuditEvent, Grant
from kaohe.units.models import Category, Person

pytestmark = pytest.mark.django_db


def test_every_model_but_grants_is_read_only_in_the_admin(world) -> None:  # type: ignore[no-untyped-def]
    request = RequestFactory().get("/admin/")
    request.user = world.admin
    writable = []
    for model, model_admin in admin.site._registry.items():
        if isinstance(model_admin, GrantAdmin) or not model.__module__.startswith("kaohe."):
            continue
        if (
            model_admin.has_add_permission(request)
            or model_admin.has_change_permission(request)
            or model_admin.has_delete_permission(request)
            or "delete_selected" in model_admin.get_actions(request)
        ):
            writable.append(model._meta.label)
    assert writable == []


def test_an_admin_post_to_a_read_only_model_changes_nothing(world) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(world.admin)
    person = Person.objects.order_by("pk").first()
    assert person is not None
    response = client.post(f"/admin/units/person/{person.pk}/change/", {"name": "Changed"})
    assert response.status_code == 403
    category = Category.objects.order_by("pk").first()
    assert category is not None
    response = client.post(f"/admin/units/category/{category.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    person.refresh_from_db()
    assert person.name != "Changed"
    assert Category.objects.filter(pk=category.pk).exists()


def test_deleting_grants_in_bulk_revokes_each_through_the_service(world) -> None:  # type: ignore[no-untyped-def]
    grants = list(Grant.objects.filter(user__isnull=False).order_by("pk")[:3])
    before = AuditEvent.objects.filter(event_type=EventType.GRANT_REVOKED).count()
    client = Client()
    client.force_login(world.admin)
    response = client.post(
        "/admin/core/grant/",
        {"action": "delete_selected", "_selected_action": [g.pk for g in grants], "post": "yes"},
    )
    assert response.status_code == 302
    assert not Grant.objects.filter(pk__in=[g.pk for g in grants]).exists()
    events = AuditEvent.objects.filter(event_type=EventType.GRANT_REVOKED).order_by("pk")
    assert events.count() == before + 3
    assert [e.reason for e in events[before:]] == ["deleted in admin"] * 3
