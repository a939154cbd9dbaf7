"""The admin reads; only grants are written there, and only through the grant services."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
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


def test_logins_are_written_in_the_admin_through_audited_services(world) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(world.admin)
    added = client.post(
        "/admin/auth/user/add/",
        {"username": "d1_new", "password1": "Lanhu-Report-2027", "password2": "Lanhu-Report-2027"},
    )
    assert added.status_code == 302
    user = get_user_model().objects.get(username="d1_new")
    created = AuditEvent.objects.get(event_type=EventType.USER_CREATED, object_id=str(user.pk))
    assert created.acting_user == world.admin
    assert "password" not in str(created.changes.get().after)

    group = Group.objects.create(name="东区填报组")
    changed = client.post(
        f"/admin/auth/user/{user.pk}/change/",
        {
            "username": "d1_new",
            "first_name": "小王",
            "is_active": "",  # turned off
            "groups": [group.pk],
            "date_joined_0": "2026-12-07",
            "date_joined_1": "09:00:00",
        },
    )
    assert changed.status_code == 302, changed.content.decode()[:2000]
    update = AuditEvent.objects.get(event_type=EventType.USER_UPDATED, object_id=str(user.pk))
    assert update.acting_user == world.admin
    assert update.extra_data == {"groups": ["东区填报组"], "groups_before": []}
    diff = update.changes.get()
    assert (diff.before["is_active"], diff.after["is_active"]) == (True, False)
    assert diff.after["first_name"] == "小王"

    password = client.post(
        f"/admin/auth/user/{user.pk}/password/",
        {
            "password1": "Xiaowang-2027-new",
            "password2": "Xiaowang-2027-new",
            "usable_password": "true",
        },
    )
    assert password.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Xiaowang-2027-new")
    set_by = AuditEvent.objects.get(event_type=EventType.USER_PASSWORD_SET, object_id=str(user.pk))
    assert set_by.acting_user == world.admin

    assert client.post(f"/admin/auth/user/{user.pk}/delete/", {"post": "yes"}).status_code == 403
    assert get_user_model().objects.filter(pk=user.pk).exists()
