"""Every write to units, posts, people and grants. One transaction each, with its audit row."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils.translation import gettext as _

from kaohe.core import access, audit
from kaohe.core.errors import BatchRejected, RowError
from kaohe.core.events import EventType
from kaohe.core.models import Grant
from kaohe.core.roles import Action, Role
from kaohe.units.geojson import check_city_map
from kaohe.units.models import Category, CityMap, Person, Post, Unit


@transaction.atomic
def create_category(
    *,
    acting_user: Any,
    code: str,
    name_zh: str,
    name_en: str = "",
    kind: str,
    parent: Category | None = None,
    order: int = 0,
) -> Category:
    """Add a comparison category (the office only)."""
    access.check_citywide(acting_user, Action.ADMINISTER)
    category = Category(
        code=code, name_zh=name_zh, name_en=name_en, kind=kind, parent=parent, order=order
    )
    category.full_clean()
    category.save()
    audit.record(
        EventType.CATEGORY_CREATED,
        acting_user=acting_user,
        obj=category,
        changes=[audit.created(category)],
    )
    return category


@transaction.atomic
def create_unit(
    *,
    acting_user: Any,
    code: str,
    name_zh: str,
    name_en: str = "",
    kind: str,
    parent: Unit | None = None,
    category: Category | None = None,
    is_assessed: bool = False,
) -> Unit:
    """Add a unit under `parent` (or as a root). Office admins anywhere; a unit's own
    administrators may add divisions below their unit."""
    if kind == Unit.Kind.DIVISION and parent is not None:
        access.check_unit(acting_user, Action.CHANGE, parent)
    else:
        access.check_citywide(acting_user, Action.ADMINISTER)
    fields: dict[str, Any] = {
        "code": code,
        "name_zh": name_zh,
        "name_en": name_en,
        "kind": kind,
        "category": category,
        "is_assessed": is_assessed,
    }
    probe = Unit(path="0", depth=1, **fields)
    probe.full_clean(exclude=["path", "depth", "numchild"])
    if parent is None:
        unit = Unit.objects.add_root(create_kwargs=fields)
    else:
        parent.refresh_from_db()
        unit = Unit.objects.add_child(parent, create_kwargs=fields)
    audit.record(
        EventType.UNIT_CREATED,
        acting_user=acting_user,
        obj=unit,
        unit=unit,
        extra={"parent": parent.code if parent else None},
        changes=[audit.created(unit)],
    )
    return unit


@transaction.atomic
def update_unit(unit: Unit, *, acting_user: Any, reason: str = "", **fields: Any) -> Unit:
    """Rename or re-categorise a unit (the office only)."""
    access.check_citywide(acting_user, Action.ADMINISTER)
    allowed = {"name_zh", "name_en", "category", "is_assessed", "active"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"update_unit cannot change {sorted(unknown)}")
    before = audit.snapshot(unit, allowed | {"category"})
    for name, value in fields.items():
        setattr(unit, name, value)
    unit.full_clean(exclude=["path", "depth", "numchild"])
    unit.save()
    audit.record(
        EventType.UNIT_UPDATED,
        acting_user=acting_user,
        obj=unit,
        unit=unit,
        reason=reason,
        changes=[audit.updated(unit, before)],
    )
    return unit


@transaction.atomic
def create_post(
    *, acting_user: Any, unit: Unit, code: str, title_zh: str, title_en: str = "", rank: str
) -> Post:
    """Add a post to a unit or division."""
    access.check_unit(acting_user, Action.CHANGE, unit)
    post = Post(unit=unit, code=code, title_zh=title_zh, title_en=title_en, rank=rank)
    post.full_clean()
    post.save()
    audit.record(
        EventType.POST_CREATED,
        acting_user=acting_user,
        obj=post,
        unit=unit,
        changes=[audit.created(post)],
    )
    return post


@transaction.atomic
def create_person(
    *,
    acting_user: Any,
    unit: Unit,
    code: str,
    name: str,
    gender: str,
    post: Post | None = None,
    user: Any = None,
) -> Person:
    """Add a civil servant to an assessed unit, optionally in a post of that unit."""
    access.check_unit(acting_user, Action.CHANGE, unit)
    if post is not None and not post.unit.path.startswith(unit.path):
        raise ValueError(f"post {post.code} does not belong to unit {unit.code}")
    person = Person(unit=unit, code=code, name=name, gender=gender, post=post, user=user)
    person.full_clean()
    person.save()
    audit.record(
        EventType.PERSON_CREATED,
        acting_user=acting_user,
        obj=person,
        unit=unit,
        changes=[audit.created(person)],
    )
    return person


@transaction.atomic
def add_grant(
    *,
    acting_user: Any,
    role: str,
    user: Any = None,
    group: Group | None = None,
    unit: Unit | None = None,
    include_descendants: bool = True,
    reason: str = "",
) -> Grant:
    """Give a role over a unit (or the whole city) to a user or group (the office only)."""
    access.check_citywide(acting_user, Action.ADMINISTER)
    if Role(role) is None:  # pragma: no cover - Role() raises on an unknown value
        raise ValueError(role)
    grant = Grant(
        user=user, group=group, role=role, unit=unit, include_descendants=include_descendants
    )
    grant.full_clean()
    grant.save()
    audit.record(
        EventType.GRANT_ADDED,
        acting_user=acting_user,
        obj=grant,
        unit=unit,
        reason=reason,
        changes=[audit.created(grant)],
    )
    if user is not None:
        access.forget(user)
    return grant


@transaction.atomic
def revoke_grant(grant: Grant, *, acting_user: Any, reason: str) -> None:
    """Take a grant back; the audit row keeps what it was."""
    access.check_citywide(acting_user, Action.ADMINISTER)
    before = audit.snapshot(grant)
    change = audit.Change(grant, before, None)
    audit.record(
        EventType.GRANT_REVOKED,
        acting_user=acting_user,
        obj=grant,
        unit=grant.unit,
        reason=reason,
        changes=[change],
    )
    if grant.user is not None:
        access.forget(grant.user)
    grant.delete()


# What the audit trail keeps of a map version: everything but the geometry itself (the row keeps
# that, and it never changes).
_MAP_AUDIT_FIELDS = {"version", "codes", "feature_count", "byte_size", "sha256", "note"}


@transaction.atomic
def upload_city_map(*, acting_user: Any, content: bytes | str, note: str = "") -> CityMap:
    """Store an uploaded GeoJSON map of the city's units as its next version (the office only).

    The whole file is checked first (`units.geojson.check_city_map`); a file with any problem
    raises `BatchRejected` naming each one and stores nothing. The previous versions are kept;
    the new one becomes current. A file identical to the current version is refused."""
    access.check_citywide(acting_user, Action.ADMINISTER)
    checked = check_city_map(content, unit_codes=set(Unit.objects.values_list("code", flat=True)))
    latest = CityMap.objects.select_for_update().order_by("-version").first()
    if latest is not None and latest.sha256 == checked.sha256:
        raise BatchRejected(
            [
                RowError(
                    0,
                    "file",
                    _("is the same map as version %(version)s, the current one: nothing to store")
                    % {"version": latest.version},
                )
            ]
        )
    city_map = CityMap(
        version=latest.version + 1 if latest is not None else 1,
        geojson=checked.geojson,
        codes=checked.codes,
        feature_count=len(checked.codes),
        byte_size=checked.byte_size,
        sha256=checked.sha256,
        note=note,
        created_by=acting_user if getattr(acting_user, "is_authenticated", False) else None,
    )
    city_map.full_clean(exclude=["geojson", "codes", "created_by"])
    city_map.save()
    audit.record(
        EventType.CITY_MAP_UPLOADED,
        acting_user=acting_user,
        obj=city_map,
        reason=note,
        extra={"previous_version": latest.version if latest is not None else None},
        changes=[audit.Change(city_map, None, audit.snapshot(city_map, _MAP_AUDIT_FIELDS))],
    )
    return city_map
