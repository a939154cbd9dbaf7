"""Reads of the joint review: who may act at each level, who hears of it, each level's inbox,
and comparing two frozen versions of a portfolio.

For the services (who to notify, who may decide), the pages and the API; no writes here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kaohe.core import access
from kaohe.core.models import Grant
from kaohe.core.roles import Action, Role
from kaohe.goals.models import Goal, GoalSet, ReviewLevel


def _covers(grant: Grant, unit: Any) -> bool:
    if grant.unit_id is None:
        return True
    if grant.unit_id == unit.pk:
        return True
    return bool(
        grant.include_descendants
        and grant.unit is not None
        and unit.path.startswith(grant.unit.path)
    )


def _grants_of(user: Any, role: str) -> list[Grant]:
    return list(
        Grant.objects.filter(Q(user=user) | Q(group__in=user.groups.all()), role=role)
        .select_related("unit")
        .order_by("id")
    )


def can_act_at(user: Any, level: str, unit: Any) -> bool:
    """May `user` decide at `level` on the goals of `unit`?

    office: a city-wide `administer` grant; comprehensive departments: anyone holding the
    reviewer role (they review every department's goals in their field); leader in charge: a
    leader grant covering the unit; committee: a city-wide `approve` grant. Never on a unit
    the user belongs to (`access.own_unit_ids`)."""
    if not (user is not None and user.is_authenticated and user.is_active):
        return False
    if access.judges_own_unit(user, unit):
        return False
    if user.is_superuser:
        return True
    if level == ReviewLevel.OFFICE:
        return access.has_citywide(user, Action.ADMINISTER)
    if level == ReviewLevel.COMPREHENSIVE:
        return Role.REVIEWER in access.roles_of(user)
    if level == ReviewLevel.LEADER:
        return any(_covers(g, unit) for g in _grants_of(user, Role.LEADER))
    if level == ReviewLevel.COMMITTEE:
        return access.has_citywide(user, Action.APPROVE)
    return False


def levels_of(user: Any) -> list[str]:
    """The levels at which `user` may act on at least some unit (for the inbox)."""
    if not (user is not None and user.is_authenticated):
        return []
    levels = []
    if user.is_superuser or access.has_citywide(user, Action.ADMINISTER):
        levels.append(ReviewLevel.OFFICE.value)
    roles = access.roles_of(user)
    if user.is_superuser or Role.REVIEWER in roles:
        levels.append(ReviewLevel.COMPREHENSIVE.value)
    if user.is_superuser or Role.LEADER in roles:
        levels.append(ReviewLevel.LEADER.value)
    if user.is_superuser or access.has_citywide(user, Action.APPROVE):
        levels.append(ReviewLevel.COMMITTEE.value)
    return levels


def inbox(user: Any, level: str) -> list[GoalSet]:
    """Goal sets waiting for `user`'s decision at `level`."""
    waiting = (
        GoalSet.objects.filter(state=GoalSet.State.IN_REVIEW, level=level)
        .select_related("unit", "cycle")
        .order_by("updated_at", "id")
    )
    return [gs for gs in waiting if can_act_at(user, level, gs.unit)]


def _holders(
    roles: set[str], unit: Any = None, *, citywide_only: bool = False, local_only: bool = False
) -> list[Any]:
    """Active users holding one of `roles` by a grant that covers `unit` (any unit when None);
    `citywide_only` keeps city-wide grants, `local_only` grants on a unit."""
    users: dict[int, Any] = {}
    for grant in Grant.objects.filter(role__in=sorted(roles)).select_related(
        "unit", "user", "group"
    ):
        if citywide_only and grant.unit_id is not None:
            continue
        if local_only and grant.unit_id is None:
            continue
        if unit is not None and not _covers(grant, unit):
            continue
        members = [grant.user] if grant.user is not None else list(grant.group.user_set.all())  # type: ignore[union-attr]
        for member in members:
            if member.is_active:
                users[member.pk] = member
    return [users[pk] for pk in sorted(users)]


def level_users(level: str, unit: Any) -> list[Any]:
    """Who should hear that a goal set waits at `level` (for in-app notifications)."""
    if level == ReviewLevel.OFFICE:
        return _holders({Role.OFFICE_ADMIN}, citywide_only=True)
    if level == ReviewLevel.COMPREHENSIVE:
        return _holders({Role.REVIEWER})
    if level == ReviewLevel.LEADER:
        return _holders({Role.LEADER}, unit)
    if level == ReviewLevel.COMMITTEE:
        return _holders({Role.COMMITTEE}, citywide_only=True)
    return []


def unit_users(unit: Any) -> list[Any]:
    """The unit's own heads and reporters (they hear of returns and approvals)."""
    return _holders({Role.UNIT_HEAD, Role.REPORTER}, unit, local_only=True)


# The goal fields compared between two versions, with their labels.
DIFF_FIELDS: list[tuple[str, Any]] = [
    ("kind", _("Kind")),
    ("title_zh", _("Title (Chinese)")),
    ("title_en", _("Title (English)")),
    ("description", _("Description")),
    ("indicator", _("Indicator")),
    ("direction", _("Direction")),
    ("target_value", _("Target")),
    ("unit_of_measure", _("Unit of measure")),
    ("targets", _("Targets per time node")),
    ("milestones", _("Milestones")),
    ("benchmark_name", _("Benchmark")),
    ("benchmark_value", _("Benchmark value")),
    ("benchmark_year", _("Benchmark year")),
    ("benchmark_source", _("Benchmark source")),
]


@dataclass(frozen=True)
class GoalDiff:
    """One goal in two versions, field by field (None on a side where it does not exist)."""

    goal_id: int
    title: str
    status: str  # added, removed, changed, unchanged
    rows: list[tuple[str, Any, Any, bool]]


def _show(value: Any, field: str = "") -> str:
    choices = {"kind": Goal.Kind, "direction": Goal.Direction}.get(field)
    if choices is not None and value in choices.values:
        return str(choices(value).label)
    if value is None or value == "" or value == {} or value == []:
        return "—"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {v}" for k, v in value.items())
    if isinstance(value, list):
        return "; ".join(" ".join(str(part) for part in item) for item in value)
    return str(value)


def diff_snapshots(a: dict[str, Any], b: dict[str, Any]) -> list[GoalDiff]:
    """Compare two frozen versions goal by goal (goals keep their id across versions)."""
    before = {g["id"]: g for g in a.get("goals", [])}
    after = {g["id"]: g for g in b.get("goals", [])}
    order = [g["id"] for g in b.get("goals", [])] + [
        g["id"] for g in a.get("goals", []) if g["id"] not in after
    ]
    result = []
    for goal_id in order:
        old, new = before.get(goal_id), after.get(goal_id)
        rows = []
        for field, label in DIFF_FIELDS:
            left = _show(old.get(field), field) if old is not None else ""
            right = _show(new.get(field), field) if new is not None else ""
            rows.append((str(label), left, right, left != right))
        if old is None:
            status = "added"
        elif new is None:
            status = "removed"
        else:
            status = "changed" if any(r[3] for r in rows) else "unchanged"
        title = (new or old or {}).get("title_zh", "")
        result.append(GoalDiff(goal_id, title, status, rows))
    return result
