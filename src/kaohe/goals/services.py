"""Every write of the goals app: portfolio rules and deadlines, drafting goals, the four-level
joint review (四级联审), decomposition to divisions and posts, and district target suggestions.

Each service takes a keyword-only `acting_user`, runs in one transaction and writes its audit
event inside it; a refused call leaves nothing behind (no rows, no notifications)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kaohe.core import access, audit
from kaohe.core.events import EventType
from kaohe.core.models import Notification
from kaohe.core.roles import Action
from kaohe.goals import review
from kaohe.goals.models import (
    Goal,
    GoalMilestone,
    GoalPortfolioRules,
    GoalSet,
    GoalSetVersion,
    GoalShare,
    GoalTarget,
    ReviewAction,
    ReviewDeadline,
    ReviewLevel,
    TargetSuggestion,
    next_level,
)
from kaohe.indicators.models import Indicator
from kaohe.schemes.models import Cycle, TimeNode
from kaohe.units.models import Post, Unit

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
SUGGESTION_YEARS = 5
HUNDRED = Decimal("100")


# --- rules and deadlines (the office) -------------------------------------------------------


def rules_for(cycle: Cycle) -> GoalPortfolioRules:
    """The cycle's portfolio rules, or the defaults (5–9 key, 1–3 excellence) when unset."""
    rules = GoalPortfolioRules.objects.filter(cycle=cycle).first()
    return rules if rules is not None else GoalPortfolioRules(cycle=cycle)


@transaction.atomic
def set_portfolio_rules(
    cycle: Cycle,
    *,
    acting_user: Any,
    min_key: int,
    max_key: int,
    min_excellence: int,
    max_excellence: int,
) -> GoalPortfolioRules:
    """Set how many key and excellence goals a portfolio of this cycle must hold."""
    access.check_citywide(acting_user, Action.ADMINISTER)
    rules = GoalPortfolioRules.objects.filter(cycle=cycle).first()
    before = audit.snapshot(rules) if rules is not None else None
    rules = rules or GoalPortfolioRules(cycle=cycle)
    rules.min_key, rules.max_key = min_key, max_key
    rules.min_excellence, rules.max_excellence = min_excellence, max_excellence
    if min_key > max_key or min_excellence > max_excellence:
        raise ValidationError(_("The fewest goals of a kind cannot exceed the most."))
    rules.full_clean()
    rules.save()
    change = audit.created(rules) if before is None else audit.updated(rules, before)
    audit.record(
        EventType.GOAL_PORTFOLIO_RULES_SET, acting_user=acting_user, obj=rules, changes=[change]
    )
    return rules


@transaction.atomic
def set_review_deadline(
    cycle: Cycle, *, acting_user: Any, level: str, due_date: dt.date
) -> ReviewDeadline:
    """Set the date by which one review level should decide."""
    access.check_citywide(acting_user, Action.ADMINISTER)
    deadline = ReviewDeadline.objects.filter(cycle=cycle, level=level).first()
    before = audit.snapshot(deadline) if deadline is not None else None
    deadline = deadline or ReviewDeadline(cycle=cycle, level=level)
    deadline.due_date = due_date
    deadline.full_clean()
    deadline.save()
    change = audit.created(deadline) if before is None else audit.updated(deadline, before)
    audit.record(
        EventType.GOAL_REVIEW_DEADLINE_SET,
        acting_user=acting_user,
        obj=deadline,
        changes=[change],
    )
    return deadline


def deadline_for(goal_set: GoalSet) -> dt.date | None:
    if goal_set.state != GoalSet.State.IN_REVIEW:
        return None
    deadline = ReviewDeadline.objects.filter(cycle=goal_set.cycle, level=goal_set.level).first()
    return deadline.due_date if deadline is not None else None


# --- drafting --------------------------------------------------------------------------------


def _goal_set_link(goal_set: GoalSet) -> str:
    return reverse("goals:set_detail", args=[goal_set.pk])


@transaction.atomic
def create_goal_set(unit: Unit, cycle: Cycle, *, acting_user: Any) -> GoalSet:
    """Open a unit's (empty) goal portfolio for a cycle."""
    access.check_unit(acting_user, Action.CHANGE, unit)
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


def _lock_editable(goal_set: GoalSet, acting_user: Any) -> GoalSet:
    """Fetch and lock the goal set, check the user may change it and that it is editable."""
    access.check_unit(acting_user, Action.CHANGE, goal_set.unit)
    locked = GoalSet.objects.select_for_update().select_related("unit", "cycle").get(pk=goal_set.pk)
    if not locked.editable:
        raise ValidationError(
            _(
                "The goals of %(unit)s can only be changed in draft or when returned for "
                "revision (now: %(state)s)."
            )
            % {"unit": locked.unit, "state": locked.status_label}
        )
    return locked


def _fmt(value: Decimal | None) -> str:
    if value is None:
        return ""
    return f"{value.normalize():f}"


def check_benchmark(goal: Goal) -> None:
    """An excellence goal names its benchmark in full and may not aim below it (above it when
    lower is better)."""
    if goal.kind != Goal.Kind.EXCELLENCE:
        return
    named = (
        goal.benchmark_name.strip()
        and goal.benchmark_value is not None
        and goal.benchmark_year is not None
        and goal.benchmark_source.strip()
    )
    if not named:
        raise ValidationError(
            {
                "benchmark_name": _(
                    "Excellence goal “%(title)s” must name its benchmark: the peer city or "
                    "unit, its value, the year and the source."
                )
                % {"title": goal.title_zh}
            }
        )
    if goal.target_value is None:
        raise ValidationError(
            {
                "target_value": _(
                    "Excellence goal “%(title)s” needs a quantitative target to set against "
                    "its benchmark."
                )
                % {"title": goal.title_zh}
            }
        )
    values = {
        "title": goal.title_zh,
        "target": _fmt(goal.target_value),
        "benchmark": _fmt(goal.benchmark_value),
        "name": goal.benchmark_name,
        "year": goal.benchmark_year,
    }
    if goal.direction == Goal.Direction.HIGHER and goal.target_value < goal.benchmark_value:  # type: ignore[operator]
        raise ValidationError(
            {
                "target_value": _(
                    "Excellence goal “%(title)s”: the target %(target)s is below the benchmark "
                    "%(benchmark)s (%(name)s, %(year)s); an excellence goal may not aim lower "
                    "than its benchmark."
                )
                % values
            }
        )
    if goal.direction == Goal.Direction.LOWER and goal.target_value > goal.benchmark_value:  # type: ignore[operator]
        raise ValidationError(
            {
                "target_value": _(
                    "Excellence goal “%(title)s”: the target %(target)s is above the benchmark "
                    "%(benchmark)s (%(name)s, %(year)s); for a lower-is-better goal the target "
                    "may not exceed its benchmark."
                )
                % values
            }
        )


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


def _decimal(value: Any, field: str) -> Decimal:
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
                GoalTarget(goal=goal, time_node=nodes[key], value=_decimal(value, "targets"))
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
        "target_value": _fmt(goal.target_value) or None,
        "unit_of_measure": goal.unit_of_measure,
        "benchmark_name": goal.benchmark_name,
        "benchmark_value": _fmt(goal.benchmark_value) or None,
        "benchmark_year": goal.benchmark_year,
        "benchmark_source": goal.benchmark_source,
        "targets": {
            t.time_node.period: _fmt(t.value)
            for t in goal.targets.select_related("time_node").order_by("time_node__order")
        },
        "milestones": [
            [m.due_date.isoformat(), m.title, m.done] for m in goal.milestones.order_by("due_date")
        ],
    }


def ordered_goals(goal_set: GoalSet) -> list[Goal]:
    """Key goals first, then excellence goals, each in their order."""
    goals = goal_set.goals.select_related("indicator")
    return sorted(goals, key=lambda g: (g.kind != Goal.Kind.KEY, g.order, g.pk))


def _apply(goal: Goal, fields: dict[str, Any]) -> None:
    unknown = set(fields) - set(GOAL_FIELDS)
    if unknown:
        raise ValueError(f"unknown goal field(s): {sorted(unknown)}")
    for name, value in fields.items():
        if name in {"target_value", "benchmark_value"} and value not in (None, ""):
            value = _decimal(value, name).quantize(Decimal("0.0001"))
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
    goal_set = _lock_editable(goal_set, acting_user)
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
    goal_set = _lock_editable(goal.goal_set, acting_user)
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
    goal_set = _lock_editable(goal.goal_set, acting_user)
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


# --- the joint review ------------------------------------------------------------------------


def portfolio_problems(goal_set: GoalSet) -> list[str]:
    """Everything that keeps the portfolio from being submitted, each naming goal and rule."""
    rules = rules_for(goal_set.cycle)
    goals = list(goal_set.goals.prefetch_related("targets", "milestones"))
    problems = []
    key = sum(1 for g in goals if g.kind == Goal.Kind.KEY)
    excellence = len(goals) - key
    if not rules.min_key <= key <= rules.max_key:
        problems.append(
            _(
                "The portfolio has %(count)d key goal(s); the rules of %(cycle)s ask for "
                "%(min)d to %(max)d."
            )
            % {"count": key, "cycle": goal_set.cycle, "min": rules.min_key, "max": rules.max_key}
        )
    if not rules.min_excellence <= excellence <= rules.max_excellence:
        problems.append(
            _(
                "The portfolio has %(count)d excellence goal(s); the rules of %(cycle)s ask for "
                "%(min)d to %(max)d."
            )
            % {
                "count": excellence,
                "cycle": goal_set.cycle,
                "min": rules.min_excellence,
                "max": rules.max_excellence,
            }
        )
    for goal in goals:
        if goal.target_value is None and not goal.targets.all() and not goal.milestones.all():
            problems.append(
                _("Goal “%(title)s” has neither a quantitative target nor a milestone.")
                % {"title": goal.title_zh}
            )
        try:
            check_benchmark(goal)
        except ValidationError as exc:
            problems.extend(exc.messages)
    return problems


def _notify_level(goal_set: GoalSet, level: str) -> None:
    due = ReviewDeadline.objects.filter(cycle=goal_set.cycle, level=level).first()
    text = _("Goals of %(unit)s (%(cycle)s) wait for your review at the level: %(level)s.") % {
        "unit": goal_set.unit,
        "cycle": goal_set.cycle,
        "level": ReviewLevel(level).label,
    }
    if due is not None:
        text += " " + _("Due %(date)s.") % {"date": due.due_date.isoformat()}
    Notification.objects.notify(
        review.level_users(level, goal_set.unit), text, _goal_set_link(goal_set)
    )


@transaction.atomic
def submit_goal_set(goal_set: GoalSet, *, acting_user: Any, note: str = "") -> GoalSetVersion:
    """Submit the portfolio (the unit head): the rules are checked, the content is frozen as a
    new version, and review starts at the office — or, after a return, goes back to the level
    that returned it."""
    access.check_unit(acting_user, Action.SUBMIT, goal_set.unit)
    goal_set = _lock_editable(goal_set, acting_user)
    problems = portfolio_problems(goal_set)
    if problems:
        raise ValidationError(problems)
    before = audit.snapshot(goal_set)
    resumed = goal_set.state == GoalSet.State.RETURNED
    goal_set.version_count += 1
    version = GoalSetVersion.objects.create(
        goal_set=goal_set,
        number=goal_set.version_count,
        snapshot={"goals": [goal_snapshot(g) for g in ordered_goals(goal_set)]},
        note=note,
        submitted_by=acting_user,
    )
    goal_set.state = GoalSet.State.IN_REVIEW
    goal_set.level = goal_set.level if resumed and goal_set.level else ReviewLevel.OFFICE
    goal_set.save()
    audit.record(
        EventType.GOAL_SET_SUBMITTED,
        acting_user=acting_user,
        obj=goal_set,
        unit=goal_set.unit,
        reason=note,
        extra={"version": version.number, "level": goal_set.level, "resubmitted": resumed},
        changes=[audit.updated(goal_set, before)],
    )
    _notify_level(goal_set, goal_set.level)
    return version


def _lock_for_review(goal_set: GoalSet, acting_user: Any) -> GoalSet:
    locked = GoalSet.objects.select_for_update().select_related("unit", "cycle").get(pk=goal_set.pk)
    if locked.state != GoalSet.State.IN_REVIEW:
        raise ValidationError(
            _("The goals of %(unit)s are not waiting for review (now: %(state)s).")
            % {"unit": locked.unit, "state": locked.status_label}
        )
    if not review.can_act_at(acting_user, locked.level, locked.unit):
        raise PermissionDenied(
            _("You cannot decide at the level “%(level)s” on the goals of %(unit)s.")
            % {"level": locked.get_level_display(), "unit": locked.unit}
        )
    return locked


def _latest_version(goal_set: GoalSet) -> GoalSetVersion:
    return goal_set.versions.order_by("-number").first()  # type: ignore[return-value]


def _approve(goal_set: GoalSet, acting_user: Any, comment: str) -> ReviewAction:
    goal_set = _lock_for_review(goal_set, acting_user)
    before = audit.snapshot(goal_set)
    level = goal_set.level
    action = ReviewAction.objects.create(
        goal_set=goal_set,
        version=_latest_version(goal_set),
        level=level,
        decision=ReviewAction.Decision.APPROVE,
        comment=comment,
        actor=acting_user,
    )
    following = next_level(level)
    if following is None:
        goal_set.state = GoalSet.State.APPROVED
        goal_set.level = ""
        goal_set.approved_at = timezone.now()
    else:
        goal_set.level = following
    goal_set.save()
    audit.record(
        EventType.GOAL_SET_APPROVED if following is None else EventType.GOAL_SET_APPROVED_AT_LEVEL,
        acting_user=acting_user,
        obj=goal_set,
        unit=goal_set.unit,
        reason=comment,
        extra={"level": level, "next_level": following, "version": action.version.number},
        changes=[audit.updated(goal_set, before)],
    )
    if following is None:
        Notification.objects.notify(
            review.unit_users(goal_set.unit),
            _("The goals of %(unit)s (%(cycle)s) are approved.")
            % {"unit": goal_set.unit, "cycle": goal_set.cycle},
            _goal_set_link(goal_set),
        )
    else:
        _notify_level(goal_set, following)
    return action


@transaction.atomic
def approve_goal_set(goal_set: GoalSet, *, acting_user: Any, comment: str = "") -> ReviewAction:
    """Approve at the current level; the portfolio moves to the next level (or is approved)."""
    return _approve(goal_set, acting_user, comment)


@transaction.atomic
def approve_goal_sets_in_batch(
    goal_sets: Iterable[GoalSet], *, acting_user: Any, comment: str = ""
) -> list[ReviewAction]:
    """The committee approves several portfolios at once: all of them, or none."""
    access.check_citywide(acting_user, Action.APPROVE)
    chosen = sorted(goal_sets, key=lambda gs: gs.pk)
    if not chosen:
        raise ValidationError(_("Choose at least one goal portfolio."))
    for goal_set in chosen:
        current = GoalSet.objects.select_related("unit").get(pk=goal_set.pk)
        if current.state != GoalSet.State.IN_REVIEW or current.level != ReviewLevel.COMMITTEE:
            raise ValidationError(
                _("The goals of %(unit)s are not waiting for the committee (now: %(state)s).")
                % {"unit": current.unit, "state": current.status_label}
            )
    return [_approve(goal_set, acting_user, comment) for goal_set in chosen]


@transaction.atomic
def return_goal_set_for_revision(
    goal_set: GoalSet, *, acting_user: Any, comment: str
) -> ReviewAction:
    """Send the portfolio back to its unit with comments; it is editable again."""
    if not comment.strip():
        raise ValidationError({"comment": _("Say what should be revised.")})
    goal_set = _lock_for_review(goal_set, acting_user)
    before = audit.snapshot(goal_set)
    action = ReviewAction.objects.create(
        goal_set=goal_set,
        version=_latest_version(goal_set),
        level=goal_set.level,
        decision=ReviewAction.Decision.RETURN,
        comment=comment,
        actor=acting_user,
    )
    goal_set.state = GoalSet.State.RETURNED
    goal_set.save()
    audit.record(
        EventType.GOAL_SET_RETURNED,
        acting_user=acting_user,
        obj=goal_set,
        unit=goal_set.unit,
        reason=comment,
        extra={"level": goal_set.level, "version": action.version.number},
        changes=[audit.updated(goal_set, before)],
    )
    Notification.objects.notify(
        review.unit_users(goal_set.unit),
        _("The goals of %(unit)s were returned for revision by: %(level)s. “%(comment)s”")
        % {"unit": goal_set.unit, "level": goal_set.get_level_display(), "comment": comment},
        _goal_set_link(goal_set),
    )
    return action


@transaction.atomic
def send_review_reminders(
    cycle: Cycle, *, acting_user: Any, today: dt.date | None = None, within_days: int = 3
) -> int:
    """Remind each level's reviewers of portfolios due within `within_days` or overdue.
    Returns the number of messages left."""
    access.check_citywide(acting_user, Action.ADMINISTER)
    today = today or timezone.localdate()
    deadlines = {d.level: d.due_date for d in ReviewDeadline.objects.filter(cycle=cycle)}
    sent = 0
    waiting = GoalSet.objects.filter(cycle=cycle, state=GoalSet.State.IN_REVIEW).select_related(
        "unit"
    )
    for goal_set in waiting.order_by("id"):
        due = deadlines.get(goal_set.level)
        if due is None or (due - today).days > within_days:
            continue
        text = _("Reminder: the goals of %(unit)s wait at the level: %(level)s.") % {
            "unit": goal_set.unit,
            "level": goal_set.get_level_display(),
        }
        when = _("Overdue since %(date)s.") if due < today else _("Due %(date)s.")
        text += " " + when % {"date": due.isoformat()}
        sent += len(
            Notification.objects.notify(
                review.level_users(goal_set.level, goal_set.unit), text, _goal_set_link(goal_set)
            )
        )
    audit.record(
        EventType.GOAL_REVIEW_REMINDERS_SENT,
        acting_user=acting_user,
        obj=cycle,
        extra={"messages": sent, "today": today.isoformat()},
    )
    return sent


# --- decomposition ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ShareRow:
    """One holder of part of a goal: a division (Unit) or a post, and its percentage."""

    holder: Unit | Post
    share: Decimal | float | int | str


@transaction.atomic
def decompose_goal(goal: Goal, *, acting_user: Any, shares: Sequence[ShareRow]) -> list[GoalShare]:
    """Split an approved goal over the unit's divisions and posts; the shares must add up to
    exactly 100%. Replaces any earlier decomposition."""
    goal = Goal.objects.select_related("goal_set__unit").get(pk=goal.pk)
    unit = goal.goal_set.unit
    access.check_unit(acting_user, Action.CHANGE, unit)
    if goal.goal_set.state != GoalSet.State.APPROVED:
        raise ValidationError(
            _("Goal “%(title)s” can be decomposed once its portfolio is approved.")
            % {"title": goal.title_zh}
        )
    if not shares:
        raise ValidationError(_("Name at least one division or post."))
    rows = []
    seen: set[tuple[str, int]] = set()
    for row in shares:
        share = _decimal(row.share, "share").quantize(Decimal("0.01"))
        holder = row.holder
        if isinstance(holder, Unit):
            inside = holder.kind == Unit.Kind.DIVISION and holder.path.startswith(unit.path)
            key = ("division", holder.pk)
            item = GoalShare(goal=goal, division=holder, share=share)
        else:
            inside = holder.unit.path.startswith(unit.path)
            key = ("post", holder.pk)
            item = GoalShare(goal=goal, post=holder, share=share)
        if not inside:
            raise ValidationError(
                _("%(holder)s is not a division or post of %(unit)s.")
                % {"holder": holder, "unit": unit}
            )
        if key in seen:
            raise ValidationError(_("%(holder)s is named twice.") % {"holder": holder})
        if not Decimal(0) < share <= HUNDRED:
            raise ValidationError(
                _("The share of %(holder)s must be above 0% and at most 100%.") % {"holder": holder}
            )
        seen.add(key)
        rows.append(item)
    total = sum((r.share for r in rows), Decimal(0))
    if total != HUNDRED:
        raise ValidationError(
            _("The shares of goal “%(title)s” add up to %(total)s%%; they must add up to 100%%.")
            % {"title": goal.title_zh, "total": _fmt(total)}
        )
    before = [[str(s.holder), str(s.share)] for s in goal.shares.all()]
    goal.shares.all().delete()
    created = GoalShare.objects.bulk_create(rows)
    audit.record(
        EventType.GOAL_DECOMPOSED,
        acting_user=acting_user,
        obj=goal,
        unit=unit,
        extra={"before": before, "after": [[str(s.holder), str(s.share)] for s in created]},
    )
    return created


# --- target suggestions ----------------------------------------------------------------------


def _district_units() -> list[Unit]:
    return list(
        Unit.objects.filter(
            is_assessed=True, kind__in=[Unit.Kind.DISTRICT, Unit.Kind.COUNTY_CITY]
        ).order_by("code")
    )


def _basic_indicators() -> list[Indicator]:
    return list(
        Indicator.objects.active().filter(formula="").exclude(value_type="grade").order_by("code")
    )


@transaction.atomic
def suggest_district_targets(cycle: Cycle, *, acting_user: Any) -> list[TargetSuggestion]:
    """Suggest each district's full-year target of every basic indicator for `cycle` from its
    last five full years, in one call of the forecasting engine. Suggestions already accepted
    or adjusted are kept; the others are replaced."""
    computed = compute_district_suggestions(cycle, acting_user=acting_user)
    return store_district_suggestions(computed, acting_user=acting_user)


@dataclass
class ComputedSuggestions:
    """Targets forecast for a cycle and not yet stored (`store_district_suggestions`)."""

    cycle: Cycle
    years: list[int]
    units: list[Unit]
    indicators: list[Indicator]
    flat: Any
    rows: Any
    result: Any


def compute_district_suggestions(cycle: Cycle, *, acting_user: Any) -> ComputedSuggestions:
    """Read five years of values and forecast the targets, writing nothing (for a job)."""
    from kaohe.engine.forecast import suggest_targets
    from kaohe.observations.models import Observation

    access.check_citywide(acting_user, Action.ADMINISTER)
    years = list(range(cycle.year - SUGGESTION_YEARS, cycle.year))
    periods = [f"{y}Y" for y in years]
    units = _district_units()
    indicators = _basic_indicators()
    unit_index = {u.pk: i for i, u in enumerate(units)}
    ind_index = {ind.pk: j for j, ind in enumerate(indicators)}
    grid = np.full((len(units), len(indicators), len(years)), np.nan)
    for unit_id, ind_id, period, value in Observation.objects.filter(
        unit__in=units,
        indicator__in=indicators,
        time_node__period__in=periods,
        value__isnull=False,
    ).values_list("unit_id", "indicator_id", "time_node__period", "value"):
        if value is not None:  # filtered out above; keeps the type narrow
            grid[unit_index[unit_id], ind_index[ind_id], periods.index(period)] = float(value)
    flat = grid.reshape(len(units) * len(indicators), len(years))
    # A series needs at least three years to be extrapolated at all.
    rows = np.flatnonzero(np.isfinite(flat).sum(axis=1) >= 3)
    if rows.size == 0:
        raise ValidationError(
            _("No district has three full years of values before %(year)s.") % {"year": cycle.year}
        )
    directions = [indicators[r % len(indicators)].direction for r in rows]
    result = suggest_targets(flat[rows], years, horizon=1, direction=directions)
    return ComputedSuggestions(cycle, years, units, indicators, flat, rows, result)


@transaction.atomic
def store_district_suggestions(
    computed: ComputedSuggestions, *, acting_user: Any
) -> list[TargetSuggestion]:
    """Replace the cycle's open suggestions with the computed ones, in one transaction."""
    access.check_citywide(acting_user, Action.ADMINISTER)
    cycle, years, units, indicators = (
        computed.cycle,
        computed.years,
        computed.units,
        computed.indicators,
    )
    flat, rows, result = computed.flat, computed.rows, computed.result
    kept = set(
        TargetSuggestion.objects.filter(cycle=cycle)
        .exclude(state=TargetSuggestion.State.SUGGESTED)
        .values_list("unit_id", "indicator_id")
    )
    TargetSuggestion.objects.filter(cycle=cycle, state=TargetSuggestion.State.SUGGESTED).delete()
    mase = result.selected_mase
    methods = result.method_name
    created = []
    for k, r in enumerate(rows):
        unit, indicator = units[r // len(indicators)], indicators[r % len(indicators)]
        if (unit.pk, indicator.pk) in kept:
            continue
        history = {
            str(year): float(flat[r, c]) for c, year in enumerate(years) if np.isfinite(flat[r, c])
        }
        created.append(
            TargetSuggestion(
                unit=unit,
                indicator=indicator,
                cycle=cycle,
                period=f"{cycle.year}Y",
                history=history,
                target=float(result.target[k]),
                low=float(result.low[k]),
                high=float(result.high[k]),
                method=str(methods[k]),
                reason_zh=str(result.reason_zh[k]),
                reason_en=str(result.reason_en[k]),
                has_break=bool(result.has_break[k]),
                backtest_mase=float(mase[k]) if np.isfinite(mase[k]) else None,
            )
        )
    TargetSuggestion.objects.bulk_create(created)
    audit.record(
        EventType.TARGET_SUGGESTIONS_COMPUTED,
        acting_user=acting_user,
        obj=cycle,
        extra={
            "suggestions": len(created),
            "kept": len(kept),
            "units": len(units),
            "indicators": len(indicators),
            "years": years,
        },
    )
    return created


def _decide_suggestion(
    suggestion: TargetSuggestion,
    acting_user: Any,
    *,
    value: float,
    state: str,
    reason: str,
    event: EventType,
) -> TargetSuggestion:
    access.check_citywide(acting_user, Action.ADMINISTER)
    suggestion = TargetSuggestion.objects.select_for_update().get(pk=suggestion.pk)
    before = audit.snapshot(suggestion, ["state", "accepted_value", "adjustment_reason"])
    suggestion.state = state
    suggestion.accepted_value = value
    suggestion.adjusted_by = acting_user
    suggestion.decided_at = timezone.now()
    suggestion.adjustment_reason = reason
    suggestion.save()
    audit.record(
        event,
        acting_user=acting_user,
        obj=suggestion,
        unit=suggestion.unit,
        reason=reason,
        extra={
            "suggested": suggestion.target,
            "set": value,
            "indicator": suggestion.indicator.code,
        },
        changes=[audit.updated(suggestion, before)],
    )
    return suggestion


@transaction.atomic
def accept_suggestion(suggestion: TargetSuggestion, *, acting_user: Any) -> TargetSuggestion:
    """The office takes the suggested target as it is."""
    return _decide_suggestion(
        suggestion,
        acting_user,
        value=suggestion.target,
        state=TargetSuggestion.State.ACCEPTED,
        reason="",
        event=EventType.TARGET_SUGGESTION_ACCEPTED,
    )


@transaction.atomic
def adjust_suggestion(
    suggestion: TargetSuggestion, *, acting_user: Any, value: Any, reason: str
) -> TargetSuggestion:
    """The office sets another target than suggested; the reason is required and kept."""
    if not str(reason).strip():
        raise ValidationError({"reason": _("Say why the suggested target is adjusted.")})
    number = float(_decimal(value, "value"))
    if not np.isfinite(number):
        raise ValidationError({"value": _("“%(value)s” is not a number.") % {"value": value}})
    return _decide_suggestion(
        suggestion,
        acting_user,
        value=number,
        state=TargetSuggestion.State.ADJUSTED,
        reason=reason,
        event=EventType.TARGET_SUGGESTION_ADJUSTED,
    )
