"""The four-level joint review (四级联审) of a portfolio: submitting a frozen version, approving
level by level (one or several portfolios at once), returning for revision, and reminding
reviewers of due dates. Who may decide and who hears of it: `kaohe.goals.selectors`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kaohe.core import access, audit
from kaohe.core.events import EventType
from kaohe.core.models import Notification
from kaohe.core.roles import Action
from kaohe.goals import selectors
from kaohe.goals.models import (
    GoalSet,
    GoalSetVersion,
    ReviewAction,
    ReviewDeadline,
    ReviewLevel,
    next_level,
)
from kaohe.goals.services.drafting import goal_snapshot, lock_editable, ordered_goals
from kaohe.goals.services.rules import portfolio_problems
from kaohe.schemes.models import Cycle
from kaohe.schemes.services import ensure_open


def _goal_set_link(goal_set: GoalSet) -> str:
    return reverse("goals:set_detail", args=[goal_set.pk])


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
        selectors.level_users(level, goal_set.unit), text, _goal_set_link(goal_set)
    )


@transaction.atomic
def submit_goal_set(goal_set: GoalSet, *, acting_user: Any, note: str = "") -> GoalSetVersion:
    """Submit the portfolio (the unit head): the rules are checked, the content is frozen as a
    new version, and review starts at the office — or, after a return, goes back to the level
    that returned it."""
    access.check_unit(acting_user, Action.SUBMIT, goal_set.unit)
    goal_set = lock_editable(goal_set, acting_user)
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
    ensure_open(locked.cycle)
    if locked.state != GoalSet.State.IN_REVIEW:
        raise ValidationError(
            _("The goals of %(unit)s are not waiting for review (now: %(state)s).")
            % {"unit": locked.unit, "state": locked.status_label}
        )
    if access.judges_own_unit(acting_user, locked.unit):
        raise PermissionDenied(
            _(
                "No one judges their own unit: you belong to %(unit)s, "
                "so its goals are decided by others."
            )
            % {"unit": locked.unit}
        )
    if not selectors.can_act_at(acting_user, locked.level, locked.unit):
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
            selectors.unit_users(goal_set.unit),
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
        selectors.unit_users(goal_set.unit),
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
                selectors.level_users(goal_set.level, goal_set.unit), text, _goal_set_link(goal_set)
            )
        )
    audit.record(
        EventType.GOAL_REVIEW_REMINDERS_SENT,
        acting_user=acting_user,
        obj=cycle,
        extra={"messages": sent, "today": today.isoformat()},
    )
    return sent
