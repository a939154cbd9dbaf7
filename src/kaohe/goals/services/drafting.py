"""Drafting a unit's goal portfolio: opening it, adding, changing and removing its key and
excellence goals with their targets per time node and milestones, and the goal's snapshot that
versions and audit records freeze."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.utils.translation import gettext as _

from kaohe.core import access, audit
from kaohe.core.events import EventType
from kaohe.core.roles import Action
from kaohe.goals.models import Goal, GoalMilestone, GoalSet, GoalShare, GoalTarget
from kaohe.goals.services.rules import check_benchmark, format_decimal
from kaohe.schemes.models import Cycle, TimeNode
from kaohe.schemes.services import ensure_open
from kaohe.units.models import Unit

GOAL_FIELDS = (
    "kind",
    "order",
    "title_zh",
    "title_en",
    "description",
    "indicator",
    "direction",
    "target_value",
    "unit_of_measure",
    "benchmark_name",
    "benchmark_value",
    "benchmark_year",
    "benchmark_source",
)


@transaction.atomic
def create_goal_set(unit: Unit, cycle: Cycle, *, acting_user: Any) -> GoalSet:
    """Open a unit's (empty) goal portfolio for a cycle."""
    access.check_unit(acting_user, Action.CHANGE, unit)
    ensure_open(cycle)
    if not unit.is_assessed:
        raise ValidationError(_("Only assessed units propose goals."))
    if GoalSet.objects.filter(unit=unit, cycle=cycle).exists():
        raise ValidationError(
            _("%(unit)s already has a goal portfolio for %(cycle)s.")
            % {"unit": unit, "cycle": cycle}
        )
    goal_set = GoalSet.objects.create(unit=unit, cycle=cycle)
    audit.record(
        EventType.GOAL_SET_CREATED,
        acting_user=acting_user,
        obj=goal_set,
        unit=unit,
        changes=[audit.created(goal_set)],
    )
    return goal_set


def lock_editable(goal_set: GoalSet, acting_user: Any) -> GoalSet:
    """Fetch and lock the goal set, check the user may change it and that it is editable."""
    access.check_unit(acting_user, Action.CHANGE, goal_set.unit)
    locked = GoalSet.objects.select_for_update().select_related("unit", "cycle").get(pk=goal_set.pk)
    ensure_open(locked.cycle)
    if not locked.editable:
        raise ValidationError(
            _(
                "The goals of %(unit)s can only be changed in draft or when returned for "
                "revision (now: %(state)s)."
            )
            % {"unit": locked.unit, "state": locked.status_label}
        )
    return locked


def _time_nodes(goal_set: GoalSet, targets: dict[str, Any]) -> dict[str, TimeNode]:
    nodes = {n.code: n for n in goal_set.cycle.time_nodes.all()}
    nodes.update({n.period: n for n in nodes.values()})
    unknown = sorted(set(targets) - set(nodes))
    if unknown:
        raise ValidationError(
            {
                "targets": _("Unknown time node(s) of %(cycle)s: %(nodes)s")
                % {"cycle": goal_set.cycle, "nodes": ", ".join(unknown)}
            }
        )
    return nodes


def parse_decimal(value: Any, field: str) -> Decimal:
    """`value` (as typed or sent) as a Decimal; a ValidationError on `field` otherwise."""
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError(
            {field: _("“%(value)s” is not a number.") % {"value": value}}
        ) from None


def _write_targets_and_milestones(
    goal: Goal, targets: dict[str, Any] | None, milestones: Sequence[Any] | None
) -> None:
    if targets is not None:
        nodes = _time_nodes(goal.goal_set, targets)
        goal.targets.all().delete()
        GoalTarget.objects.bulk_create(
            [
                GoalTarget(goal=goal, time_node=nodes[key], value=parse_decimal(value, "targets"))
                for key, value in targets.items()
                if value is not None and value != ""
            ]
        )
    if milestones is not None:
        goal.milestones.all().delete()
        rows = []
        for item in milestones:
            if isinstance(item, dict):
                title, due, done = item["title"], item["due_date"], item.get("done", False)
            else:
                title, due, done = (*item, False)[:3]
            if isinstance(due, str):
                try:
                    due = dt.date.fromisoformat(due)
                except ValueError:
                    raise ValidationError(
                        {
                            "milestones": _("“%(value)s” is not a date (YYYY-MM-DD).")
                            % {"value": due}
                        }
                    ) from None
            rows.append(GoalMilestone(goal=goal, title=title, due_date=due, done=bool(done)))
        for row in rows:
            row.full_clean(exclude=["goal"])
        GoalMilestone.objects.bulk_create(rows)


def goal_snapshot(goal: Goal) -> dict[str, Any]:
    """The goal with its targets and milestones as JSON-ready data (for versions and audit)."""
    return {
        "id": goal.pk,
        "kind": goal.kind,
        "order": goal.order,
        "title_zh": goal.title_zh,
        "title_en": goal.title_en,
        "description": goal.description,
        "indicator": goal.indicator.code if goal.indicator_id else None,  # type: ignore[union-attr]
        "direction": goal.direction,
        "target_value": format_decimal(goal.target_value) or None,
        "unit_of_measure": goal.unit_of_measure,
        "benchmark_name": goal.benchmark_name,
        "benchmark_value": format_decimal(goal.benchmark_value) or None,
        "benchmark_year": goal.benchmark_year,
        "benchmark_source": goal.benchmark_source,
        # `.all()` sorted here, so a list's prefetch (GOAL_PREFETCH) serves every goal
        "targets": {
            t.time_node.period: format_decimal(t.value)
            for t in sorted(goal.targets.all(), key=lambda t: t.time_node.order)
        },
        "milestones": [
            [m.due_date.isoformat(), m.title, m.done]
            for m in sorted(goal.milestones.all(), key=lambda m: (m.due_date, m.pk))
        ],
    }


# What reading goals in bulk prefetches: their targets (with time nodes), milestones and shares.
GOAL_PREFETCH = (
    Prefetch("targets", queryset=GoalTarget.objects.select_related("time_node")),
    "milestones",
    Prefetch("shares", queryset=GoalShare.objects.select_related("division", "post")),
)


def sort_goals(goals: Iterable[Goal]) -> list[Goal]:
    """Key goals first, then excellence goals, each in their order."""
    return sorted(goals, key=lambda g: (g.kind != Goal.Kind.KEY, g.order, g.pk))


def ordered_goals(goal_set: GoalSet) -> list[Goal]:
    """The set's goals in order, read with what a snapshot of them needs (a fixed number of
    queries however many goals)."""
    return sort_goals(goal_set.goals.select_related("indicator").prefetch_related(*GOAL_PREFETCH))


def _apply(goal: Goal, fields: dict[str, Any]) -> None:
    unknown = set(fields) - set(GOAL_FIELDS)
    if unknown:
        raise ValueError(f"unknown goal field(s): {sorted(unknown)}")
    for name, value in fields.items():
        if name in {"target_value", "benchmark_value"} and value not in (None, ""):
            value = parse_decimal(value, name).quantize(Decimal("0.0001"))
        if name in {"target_value", "benchmark_value", "benchmark_year"} and value == "":
            value = None
        setattr(goal, name, value)
    if "direction" not in fields and goal.indicator_id and "indicator" in fields:
        goal.direction = goal.indicator.direction  # type: ignore[union-attr]
    goal.full_clean(exclude=["goal_set"])
    check_benchmark(goal)


@transaction.atomic
def add_goal(
    goal_set: GoalSet,
    *,
    acting_user: Any,
    targets: dict[str, Any] | None = None,
    milestones: Sequence[Any] | None = None,
    **fields: Any,
) -> Goal:
    """Add a key or excellence goal to a draft (or returned) portfolio. Targets are keyed by
    time-node code or period; milestones are (title, due date) pairs or dicts."""
    goal_set = lock_editable(goal_set, acting_user)
    goal = Goal(goal_set=goal_set)
    if "order" not in fields:
        fields["order"] = goal_set.goals.filter(kind=fields.get("kind", "key")).count() + 1
    _apply(goal, fields)
    goal.save()
    _write_targets_and_milestones(goal, targets, milestones)
    audit.record(
        EventType.GOAL_ADDED,
        acting_user=acting_user,
        obj=goal,
        unit=goal_set.unit,
        extra={"goal_set": goal_set.pk, "goal": goal_snapshot(goal)},
        changes=[audit.created(goal)],
    )
    return goal


@transaction.atomic
def update_goal(
    goal: Goal,
    *,
    acting_user: Any,
    targets: dict[str, Any] | None = None,
    milestones: Sequence[Any] | None = None,
    **fields: Any,
) -> Goal:
    """Change a goal of a draft (or returned) portfolio; targets and milestones, when given,
    replace the old ones."""
    goal_set = lock_editable(goal.goal_set, acting_user)
    goal = Goal.objects.select_for_update().get(pk=goal.pk)
    before_row = audit.snapshot(goal)
    before = goal_snapshot(goal)
    _apply(goal, fields)
    goal.save()
    _write_targets_and_milestones(goal, targets, milestones)
    after = goal_snapshot(goal)
    audit.record(
        EventType.GOAL_UPDATED,
        acting_user=acting_user,
        obj=goal,
        unit=goal_set.unit,
        extra={"goal_set": goal_set.pk, "before": before, "after": after},
        changes=[audit.updated(goal, before_row)],
    )
    return goal


@transaction.atomic
def remove_goal(goal: Goal, *, acting_user: Any, reason: str = "") -> None:
    """Take a goal out of a draft (or returned) portfolio; submitted versions keep it."""
    goal_set = lock_editable(goal.goal_set, acting_user)
    before = goal_snapshot(goal)
    row = audit.snapshot(goal)
    audit.record(
        EventType.GOAL_REMOVED,
        acting_user=acting_user,
        obj=goal,
        unit=goal_set.unit,
        reason=reason,
        extra={"goal_set": goal_set.pk, "goal": before},
        changes=[audit.Change(goal, row, None)],
    )
    goal.delete()
