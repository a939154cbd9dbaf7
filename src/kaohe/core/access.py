"""Access control: which units a user may act on, from typed grants.

A grant (user or group, role, unit, include descendants) gives the role's actions over that unit,
or the unit and everything below it, or (no unit) the whole city. `unit_scope(user, action)` is
computed once per user object and action, then reused by every `.restrict()` in the request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from django.core.exceptions import PermissionDenied
from django.db.models import Q

# The module, not its names: core.models (a Job's scoped manager) imports this module back.
from kaohe.core import models as core_models
from kaohe.core import sql
from kaohe.core.roles import RESPONSIBLE_DEPARTMENT_ROLES, Role, role_allows


@dataclass(frozen=True)
class UnitScope:
    """The units a user may take an action on: everything, or a set of unit ids."""

    everything: bool
    unit_ids: frozenset[int]

    def q(self, path: str) -> Q:
        """Rows whose unit (reached by `path`; "" = the row itself) is in scope."""
        if self.everything:
            return Q()
        lookup = f"{path}__in" if path else "pk__in"
        return Q(**{lookup: sorted(self.unit_ids)})

    def __contains__(self, unit_id: object) -> bool:
        return self.everything or unit_id in self.unit_ids

    @property
    def is_empty(self) -> bool:
        return not self.everything and not self.unit_ids


NOTHING = UnitScope(False, frozenset())
EVERYTHING = UnitScope(True, frozenset())


class GrantRow(NamedTuple):
    """What scope is worked out from, of one grant of the user or of one of their groups."""

    role: str
    unit_id: int | None  # None: the whole city
    include_descendants: bool
    subtree: frozenset[int]  # with descendants: the unit and every unit below it


def _grants(user: Any) -> list[GrantRow]:
    """The user's grants and their groups' grants, in the order they were given, each with
    its subtree when it includes the sub-units — one hand-written query, read once per user
    object (every request reads it)."""
    cache = user.__dict__.setdefault("_kaohe_access", {})
    if "grants" not in cache:
        grant, unit = core_models.Grant, _unit_model()
        groups = user._meta.get_field("groups")
        member = groups.remote_field.through
        g, u, d, m = "g", "u", "d", "m"
        top, below = sql.column(unit, "path", u), sql.column(unit, "path", d)
        descendants = sql.column(grant, "include_descendants", g)
        rows = sql.fetch(
            f"SELECT {sql.column(grant, 'id', g)}, {sql.column(grant, 'role', g)}, "
            f"{sql.column(grant, 'unit', g)}, {descendants}, {sql.column(unit, 'id', d)} "
            f"FROM {sql.table(grant)} {g} LEFT JOIN {sql.table(unit)} {u} "
            f"ON {sql.column(unit, 'id', u)} = {sql.column(grant, 'unit', g)} "
            # the subtree: the units whose place in the tree starts with the unit's
            f"LEFT JOIN {sql.table(unit)} {d} ON {descendants} = %s "
            f"AND substr({below}, 1, length({top})) = {top} "
            f"WHERE {sql.column(grant, 'user', g)} = %s OR {sql.column(grant, 'group', g)} IN "
            f"(SELECT {m}.{sql.quote(groups.m2m_reverse_name())} FROM {sql.table(member)} {m} "
            f"WHERE {m}.{sql.quote(groups.m2m_column_name())} = %s) "
            f"ORDER BY {sql.column(grant, 'id', g)}",
            [True, user.pk, user.pk],
        )
        found: dict[int, tuple[str, int | None, bool, set[int]]] = {}
        for pk, role, unit_id, with_descendants, below_id in rows:
            entry = found.setdefault(pk, (role, unit_id, bool(with_descendants), set()))
            if below_id is not None:
                entry[3].add(below_id)
        cache["grants"] = [
            GrantRow(role, unit_id, with_descendants, frozenset(subtree))
            for role, unit_id, with_descendants, subtree in found.values()
        ]
    return cache["grants"]


def _unit_model() -> Any:
    """The unit model, as the grant's relation names it: core stands below the units app and
    knows it only through that relation (a materialised-path tree with a ``path`` field)."""
    return core_models.Grant._meta.get_field("unit").related_model


def _active(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def unit_scope(user: Any, action: str) -> UnitScope:
    """The units `user` may take `action` on."""
    if not _active(user):
        return NOTHING
    if user.is_superuser:
        return EVERYTHING
    cache = user.__dict__.setdefault("_kaohe_access", {})
    key = ("scope", action)
    if key in cache:
        return cache[key]
    ids: set[int] = set()
    scope: UnitScope | None = None
    for grant in _grants(user):
        if not role_allows(grant.role, action):
            continue
        if grant.unit_id is None:
            scope = EVERYTHING
            break
        if grant.include_descendants:
            ids.update(grant.subtree)
        else:
            ids.add(grant.unit_id)
    if scope is None:
        scope = UnitScope(False, frozenset(ids))
    cache[key] = scope
    return scope


def responsible_unit_ids(user: Any, action: str) -> frozenset[int]:
    """Units for which `user` acts as the responsible department (考核责任单位) for `action`."""
    if not _active(user):
        return frozenset()
    return frozenset(
        grant.unit_id
        for grant in _grants(user)
        if grant.unit_id is not None
        and grant.role in RESPONSIBLE_DEPARTMENT_ROLES
        and role_allows(grant.role, action)
    )


def own_unit_ids(user: Any) -> frozenset[int]:
    """The units `user` belongs to, which they may never judge: the unit of each grant in which
    they act for a unit (reporter, unit head, a department's reviewer) and the unit of the
    person record linked to their login. A leader's grant names the units in their charge, not
    their own, so it is not counted."""
    if not _active(user):
        return frozenset()
    ids = {
        grant.unit_id
        for grant in _grants(user)
        if grant.unit_id is not None and grant.role in RESPONSIBLE_DEPARTMENT_ROLES
    }
    person = getattr(user, "person", None)  # the units app's Person, through its relation
    if person is not None and person.unit_id is not None:
        ids.add(person.unit_id)
    return frozenset(ids)


def judges_own_unit(user: Any, unit: Any) -> bool:
    """Would `user` be deciding on a unit they belong to?"""
    return unit is not None and unit.pk in own_unit_ids(user)


def roles_of(user: Any) -> frozenset[str]:
    """Every role the user holds anywhere (for navigation and role-level checks)."""
    if not _active(user):
        return frozenset()
    roles = {grant.role for grant in _grants(user)}
    if user.is_superuser:
        roles.add(Role.OFFICE_ADMIN)
    return frozenset(roles)


def has_citywide(user: Any, action: str) -> bool:
    """True when the user may take `action` on every unit (office, committee, auditors)."""
    return unit_scope(user, action).everything


def check_unit(user: Any, action: str, unit: Any) -> None:
    """Raise PermissionDenied unless `user` may take `action` on `unit` (None = city-level)."""
    scope = unit_scope(user, action)
    if unit is None:
        if not scope.everything:
            raise PermissionDenied(f"{action}: needs a city-wide grant")
        return
    if unit.pk not in scope:
        raise PermissionDenied(f"{action}: {unit} is outside your units")


def check_citywide(user: Any, action: str) -> None:
    check_unit(user, action, None)


def forget(user: Any) -> None:
    """Drop the cached grants (after grants change within one request or test)."""
    user.__dict__.pop("_kaohe_access", None)
