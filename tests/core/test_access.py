"""Grants → unit scope: whole city, a unit and below, a unit alone, group grants."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from kaohe.core import access
from kaohe.core.roles import Role
from kaohe.observations.models import Observation
from kaohe.testing.world import make_user
from kaohe.units import services
from kaohe.units.models import Person, Unit

pytestmark = pytest.mark.django_db


def ids(*units):  # type: ignore[no-untyped-def]
    return frozenset(u.pk for u in units)


def test_citywide_grant_sees_everything(world):  # type: ignore[no-untyped-def]
    scope = access.unit_scope(world.users["office"], "change")
    assert scope.everything
    assert Unit.objects.restrict(world.users["office"]).count() == Unit.objects.count() == 5


def test_grant_with_descendants_covers_divisions(world):  # type: ignore[no-untyped-def]
    user = make_user("tjj")
    services.add_grant(acting_user=world.admin, user=user, role=Role.REPORTER, unit=world.dept)
    assert access.unit_scope(user, "view").unit_ids == ids(world.dept, world.division)


def test_grant_without_descendants_covers_the_unit_alone(world):  # type: ignore[no-untyped-def]
    user = make_user("tjj_only")
    services.add_grant(
        acting_user=world.admin,
        user=user,
        role=Role.REPORTER,
        unit=world.dept,
        include_descendants=False,
    )
    assert access.unit_scope(user, "view").unit_ids == ids(world.dept)


def test_role_limits_actions(world):  # type: ignore[no-untyped-def]
    reporter = world.users["d1_reporter"]
    assert access.unit_scope(reporter, "report").unit_ids == ids(world.d1)
    assert access.unit_scope(reporter, "approve").is_empty
    assert access.unit_scope(world.users["committee"], "approve").everything
    assert access.unit_scope(world.users["committee"], "report").is_empty


def test_group_grant(world):  # type: ignore[no-untyped-def]
    group = Group.objects.create(name="west reporters")
    user = make_user("west")
    user.groups.add(group)
    services.add_grant(acting_user=world.admin, group=group, role=Role.REPORTER, unit=world.d2)
    assert access.unit_scope(user, "view").unit_ids == ids(world.d2)


def test_restrict_follows_scope_path(world):  # type: ignore[no-untyped-def]
    reporter = world.users["d2_reporter"]
    assert list(Person.objects.restrict(reporter).values_list("code", flat=True)) == ["P-D02"]
    units = set(Observation.objects.restrict(reporter).values_list("unit__code", flat=True))
    assert units == {"D02"}


def test_inactive_and_anonymous_users_have_no_scope(world):  # type: ignore[no-untyped-def]
    from django.contrib.auth.models import AnonymousUser

    reporter = world.users["d1_reporter"]
    reporter.is_active = False
    assert access.unit_scope(reporter, "view").is_empty
    assert access.unit_scope(AnonymousUser(), "view").is_empty
    assert Unit.objects.restrict(AnonymousUser()).count() == 0


def test_revoked_grant_takes_scope_away(world):  # type: ignore[no-untyped-def]
    reporter = world.users["d1_reporter"]
    grant = reporter.kaohe_grants.get()
    services.revoke_grant(grant, acting_user=world.admin, reason="moved to another post")
    assert access.unit_scope(reporter, "view").is_empty
