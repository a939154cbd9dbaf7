"""Every write of the expert panels: building a panel (the office), seating experts, putting an
excellence goal before them, withdrawing an assignment, an expert's declared conflict of
interest, the expert's rating, and closing the panel.

Recusal is enforced here, with its reason named: no expert is assigned, or rates, a goal of a
unit they belong to (`kaohe.core.access.own_unit_ids`, and the units above it) or of a unit they
declared a conflict with (and its sub-units); a conflict declared after assignment withdraws
the assignment. Every service takes a keyword-only `acting_user`, runs in one transaction and
writes its audit event inside it. Panel events are city-level (no unit): the trail of who rated
what is for the office and the auditors, never for the rated unit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kaohe.core import access, audit
from kaohe.core.events import EventType
from kaohe.core.roles import Action, Role
from kaohe.goals.models import Goal, GoalSet
from kaohe.indicators.models import Indicator, ValueType
from kaohe.panels.models import (
    Assignment,
    ConflictDeclaration,
    Dimension,
    Panel,
    PanelDimension,
    PanelGoal,
    PanelMember,
    Rating,
    expert_name,
)
from kaohe.panels.rubric import SCALE_MAX, SCALE_MIN, default_rubric, rubric_problems
from kaohe.schemes.models import Cycle
from kaohe.schemes.services import ensure_open
from kaohe.units.models import Unit


@dataclass(frozen=True)
class Recusal:
    """Why an expert may not rate a unit's goals: `code` is "own_unit" or "conflict"."""

    code: str
    message: str


def recusal(expert: Any, unit: Unit) -> Recusal | None:
    """Must `expert` stay away from the goals of `unit`? None when they may rate them."""
    own = access.own_unit_ids(expert)
    if own:
        paths = Unit.objects.filter(pk__in=sorted(own)).values_list("path", flat=True)
        if any(path.startswith(unit.path) for path in paths):
            return Recusal(
                "own_unit",
                _(
                    "%(expert)s belongs to %(unit)s and may not rate its goals: no one judges "
                    "their own unit."
                )
                % {"expert": expert_name(expert), "unit": unit},
            )
    declared = (
        ConflictDeclaration.objects.filter(expert=expert)
        .select_related("unit")
        .order_by("unit__path")
    )
    for declaration in declared:
        if unit.path.startswith(declaration.unit.path):
            return Recusal(
                "conflict",
                _(
                    "%(expert)s declared a conflict of interest with %(unit)s and may not rate "
                    "its goals: %(reason)s"
                )
                % {
                    "expert": expert_name(expert),
                    "unit": declaration.unit,
                    "reason": declaration.reason,
                },
            )
    return None


def _check_open(panel: Panel) -> Panel:
    locked = Panel.objects.select_for_update().select_related("cycle").get(pk=panel.pk)
    ensure_open(locked.cycle)
    if not locked.is_open:
        raise ValidationError(
            _("The panel “%(panel)s” is closed: its ratings and assignments no longer change.")
            % {"panel": locked}
        )
    return locked


def _weights(weights: Mapping[str, Any] | None) -> dict[str, Decimal]:
    if weights is None:
        return {code: Decimal(1) for code in Dimension.values}
    unknown = sorted(set(weights) - set(Dimension.values))
    if unknown:
        raise ValidationError(
            {"weights": _("Unknown dimension(s): %(codes)s.") % {"codes": ", ".join(unknown)}}
        )
    out = {}
    for code in Dimension.values:
        try:
            value = Decimal(str(weights.get(code, 0)))
        except InvalidOperation:
            value = Decimal(-1)
        if not value.is_finite() or value < 0 or value > 100:
            raise ValidationError(
                {
                    "weights": _("%(dimension)s: a weight is a number from 0 to 100.")
                    % {"dimension": code}
                }
            )
        out[code] = value.quantize(Decimal("0.0001"))
    if sum(out.values()) <= 0:
        raise ValidationError({"weights": _("At least one dimension needs a weight above 0.")})
    return out


def check_feed_indicator(indicator: Indicator | None) -> None:
    """The indicator a panel feeds takes a plain number the office sends: an active catalogue
    indicator, not derived, not a graded rating or a count."""
    if indicator is None:
        return
    if (
        indicator.status != Indicator.Status.ACTIVE
        or indicator.formula
        or indicator.value_type in {ValueType.GRADE, ValueType.COUNT}
    ):
        raise ValidationError(
            {
                "indicator": _(
                    "The panel's scores can only feed an active indicator that takes a number "
                    "(not derived, not a graded rating or a count); “%(code)s” is not one."
                )
                % {"code": indicator.code}
            }
        )


@transaction.atomic
def create_panel(
    *,
    acting_user: Any,
    cycle: Cycle,
    name_zh: str,
    name_en: str = "",
    indicator: Indicator | None = None,
    weights: Mapping[str, Any] | None = None,
    rubric: Mapping[str, Any] | None = None,
) -> Panel:
    """Build a cycle's panel with the four dimensions (equal weights and the default rubric
    unless given); `indicator` is where each unit's excellence score will be recorded."""
    access.check_citywide(acting_user, Action.ADMINISTER)
    ensure_open(cycle)
    if not name_zh.strip():
        raise ValidationError({"name_zh": _("Give the panel a Chinese name.")})
    check_feed_indicator(indicator)
    chosen = _weights(weights)
    given: Any = default_rubric() if rubric is None else rubric
    problems = rubric_problems(given)
    if problems:
        raise ValidationError({"rubric": problems})
    bands = {
        code: [
            {"low": b["low"], "high": b["high"], "zh": b["zh"].strip(), "en": b["en"].strip()}
            for b in given[code]
        ]
        for code in Dimension.values
    }
    panel = Panel.objects.create(
        cycle=cycle,
        name_zh=name_zh.strip(),
        name_en=name_en.strip(),
        indicator=indicator,
        created_by=acting_user,
    )
    dimensions = PanelDimension.objects.bulk_create(
        [
            PanelDimension(
                panel=panel, code=code, order=order, weight=chosen[code], rubric=bands[code]
            )
            for order, code in enumerate(Dimension.values)
        ]
    )
    audit.record(
        EventType.PANEL_CREATED,
        acting_user=acting_user,
        obj=panel,
        extra={"cycle": cycle.year, "weights": {c: str(w) for c, w in chosen.items()}},
        changes=[audit.created(panel), *(audit.created(d) for d in dimensions)],
    )
    return panel


@transaction.atomic
def add_member(panel: Panel, expert: Any, *, acting_user: Any) -> PanelMember:
    """Seat an expert rater (a login with the expert role) on the panel."""
    access.check_citywide(acting_user, Action.ADMINISTER)
    panel = _check_open(panel)
    if Role.EXPERT not in access.roles_of(expert):
        raise ValidationError(
            {"expert": _("%(user)s is not an expert rater.") % {"user": expert_name(expert)}}
        )
    if PanelMember.objects.filter(panel=panel, expert=expert).exists():
        raise ValidationError(
            {"expert": _("%(user)s already sits on this panel.") % {"user": expert_name(expert)}}
        )
    member = PanelMember.objects.create(panel=panel, expert=expert)
    audit.record(
        EventType.PANEL_MEMBER_ADDED,
        acting_user=acting_user,
        obj=member,
        extra={"panel": panel.pk, "expert": expert.username},
        changes=[audit.created(member)],
    )
    return member


def _check_goal(panel: Panel, goal: Goal) -> Goal:
    goal = Goal.objects.select_related("goal_set__unit", "goal_set__cycle").get(pk=goal.pk)
    if goal.kind != Goal.Kind.EXCELLENCE:
        raise ValidationError(
            {"goal": _("“%(goal)s” is a key goal; panels rate excellence goals.") % {"goal": goal}}
        )
    if goal.goal_set.state != GoalSet.State.APPROVED:
        raise ValidationError(
            {
                "goal": _(
                    "The goals of %(unit)s are not approved yet (now: %(state)s); a panel rates "
                    "approved excellence goals."
                )
                % {"unit": goal.goal_set.unit, "state": goal.goal_set.status_label}
            }
        )
    if goal.goal_set.cycle_id != panel.cycle_id:
        raise ValidationError(
            {
                "goal": _("“%(goal)s” belongs to %(cycle)s, not to the panel's cycle.")
                % {"goal": goal, "cycle": goal.goal_set.cycle}
            }
        )
    other = PanelGoal.objects.filter(goal=goal).exclude(panel=panel).select_related("panel")
    if other.exists():
        raise ValidationError(
            {
                "goal": _("“%(goal)s” is already before the panel “%(panel)s”.")
                % {"goal": goal, "panel": other.first().panel}  # type: ignore[union-attr]
            }
        )
    return goal


@transaction.atomic
def assign_goal(
    panel: Panel, goal: Goal, *, acting_user: Any, experts: Sequence[Any]
) -> list[Assignment]:
    """Put an approved excellence goal of the panel's cycle before the panel and ask these
    experts (members of the panel) to rate it. All or nothing: an expert who must recuse
    refuses the whole call, with the reason named."""
    access.check_citywide(acting_user, Action.ADMINISTER)
    panel = _check_open(panel)
    goal = _check_goal(panel, goal)
    if not experts:
        raise ValidationError({"experts": _("Choose at least one expert.")})
    unit = goal.goal_set.unit
    members = {m.expert_id: m for m in PanelMember.objects.filter(panel=panel)}
    item = PanelGoal.objects.filter(panel=panel, goal=goal).first()
    taken = (
        set(Assignment.objects.filter(item=item).values_list("member__expert_id", flat=True))
        if item is not None
        else set()
    )
    problems = []
    for expert in experts:
        if expert.pk not in members:
            problems.append(
                _("%(expert)s does not sit on this panel.") % {"expert": expert_name(expert)}
            )
        elif expert.pk in taken:
            problems.append(
                _("%(expert)s is already assigned “%(goal)s”.")
                % {"expert": expert_name(expert), "goal": goal}
            )
        elif (refusal := recusal(expert, unit)) is not None:
            problems.append(refusal.message)
    if problems:
        raise ValidationError({"experts": problems})
    created_item = item is None
    if item is None:
        item = PanelGoal.objects.create(panel=panel, goal=goal)
    assignments = [
        Assignment.objects.create(item=item, member=members[e.pk], assigned_by=acting_user)
        for e in experts
    ]
    audit.record(
        EventType.PANEL_GOAL_ASSIGNED,
        acting_user=acting_user,
        obj=item,
        extra={
            "panel": panel.pk,
            "goal": goal.pk,
            "unit": unit.code,
            "experts": [e.username for e in experts],
        },
        changes=[
            *([audit.created(item)] if created_item else []),
            *(audit.created(a) for a in assignments),
        ],
    )
    return assignments


def _withdraw(assignment: Assignment, reason: str) -> audit.Entry:
    before = audit.snapshot(assignment)
    assignment.state = Assignment.State.WITHDRAWN
    assignment.withdrawn_reason = reason
    assignment.save(update_fields=["state", "withdrawn_reason", "updated_at"])
    return audit.Entry(
        EventType.PANEL_ASSIGNMENT_WITHDRAWN,
        obj=assignment,
        reason=reason,
        extra={
            "panel": assignment.item.panel_id,
            "goal": assignment.item.goal_id,
            "expert": assignment.member.expert.username,
            "was": before["state"],
        },
        changes=[audit.updated(assignment, before)],
    )


@transaction.atomic
def withdraw_assignment(assignment: Assignment, *, acting_user: Any, reason: str) -> Assignment:
    """Take an assignment back (the office), with the reason; a rating already given stays on
    record but no longer counts."""
    access.check_citywide(acting_user, Action.ADMINISTER)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the assignment is withdrawn.")})
    assignment = (
        Assignment.objects.select_for_update()
        .select_related("item__panel", "member__expert")
        .get(pk=assignment.pk)
    )
    _check_open(assignment.item.panel)
    if assignment.state == Assignment.State.WITHDRAWN:
        raise ValidationError(_("This assignment is already withdrawn."))
    audit.record_many([_withdraw(assignment, reason.strip())], acting_user=acting_user)
    return assignment


@transaction.atomic
def declare_conflict(
    *, acting_user: Any, expert: Any, unit: Unit, reason: str
) -> tuple[ConflictDeclaration, list[Assignment]]:
    """An expert declares a conflict of interest with a unit (themselves, or the office for
    them). Their assignments of that unit's goals (and its sub-units') in open panels are
    withdrawn, each with its own audit event."""
    if acting_user.pk != expert.pk:
        access.check_citywide(acting_user, Action.ADMINISTER)
    if Role.EXPERT not in access.roles_of(expert):
        raise PermissionDenied(_("Only expert raters declare conflicts of interest here."))
    if not reason.strip():
        raise ValidationError({"reason": _("Say what the conflict of interest is.")})
    if ConflictDeclaration.objects.filter(expert=expert, unit=unit).exists():
        raise ValidationError(
            {"unit": _("A conflict with %(unit)s is already declared.") % {"unit": unit}}
        )
    declaration = ConflictDeclaration.objects.create(
        expert=expert, unit=unit, reason=reason.strip(), declared_by=acting_user
    )
    affected = list(
        Assignment.objects.select_for_update()
        .filter(
            member__expert=expert,
            item__panel__state=Panel.State.OPEN,
            item__goal__goal_set__unit__path__startswith=unit.path,
        )
        .exclude(state=Assignment.State.WITHDRAWN)
        .select_related("item", "member__expert")
        .order_by("pk")
    )
    why = _("conflict of interest declared with %(unit)s: %(reason)s") % {
        "unit": unit,
        "reason": declaration.reason,
    }
    audit.record_many(
        [
            audit.Entry(
                EventType.PANEL_CONFLICT_DECLARED,
                obj=declaration,
                reason=declaration.reason,
                extra={"expert": expert.username, "unit": unit.code, "withdrawn": len(affected)},
                changes=[audit.created(declaration)],
            ),
            *(_withdraw(a, why) for a in affected),
        ],
        acting_user=acting_user,
    )
    return declaration, affected


def _score(value: Any, code: str) -> int:
    label = Dimension(code).label
    if isinstance(value, bool) or value is None or value == "":
        raise ValidationError({code: _("%(dimension)s: give a score.") % {"dimension": label}})
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite() or number != number.to_integral_value():
        raise ValidationError(
            {code: _("%(dimension)s: a score is a whole number.") % {"dimension": label}}
        )
    if not SCALE_MIN <= number <= SCALE_MAX:
        raise ValidationError(
            {
                code: _("%(dimension)s: %(value)s is outside %(min)d–%(max)d.")
                % {"dimension": label, "value": value, "min": SCALE_MIN, "max": SCALE_MAX}
            }
        )
    return int(number)


@transaction.atomic
def submit_rating(
    assignment: Assignment, *, acting_user: Any, scores: Mapping[str, Any], comment: str = ""
) -> Rating:
    """The assigned expert rates the goal, 0–100 on each of the four dimensions. Final: a
    submitted rating is never changed. Recusal is checked again (a conflict or a new post may
    have come since the assignment)."""
    found = Assignment.objects.restrict(acting_user, Action.RATE).filter(pk=assignment.pk)
    if not found.exists():
        raise PermissionDenied(_("Only the assigned expert rates this goal."))
    assignment = (
        Assignment.objects.select_for_update()
        .select_related("item__panel__cycle", "item__goal__goal_set__unit", "member__expert")
        .get(pk=assignment.pk)
    )
    _check_open(assignment.item.panel)
    if assignment.state == Assignment.State.RATED:
        raise ValidationError(_("This goal is already rated; a submitted rating is final."))
    if assignment.state == Assignment.State.WITHDRAWN:
        raise ValidationError(
            _("This assignment was withdrawn: %(reason)s") % {"reason": assignment.withdrawn_reason}
        )
    refusal = recusal(acting_user, assignment.item.goal.goal_set.unit)
    if refusal is not None:
        raise ValidationError(refusal.message)
    errors: dict[str, list[str]] = {}
    values = {}
    for code in Dimension.values:
        try:
            values[code] = _score(scores.get(code), code)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors.setdefault(field, []).extend(messages)
    if len(comment) > 4000:
        errors["comment"] = [_("A comment has at most 4000 characters.")]
    if errors:
        raise ValidationError(errors)
    rating = Rating.objects.create(assignment=assignment, comment=comment.strip(), **values)
    before = audit.snapshot(assignment)
    assignment.state = Assignment.State.RATED
    assignment.save(update_fields=["state", "updated_at"])
    audit.record(
        EventType.PANEL_RATING_SUBMITTED,
        acting_user=acting_user,
        obj=rating,
        extra={"panel": assignment.item.panel_id, "goal": assignment.item.goal_id},
        changes=[audit.created(rating), audit.updated(assignment, before)],
    )
    return rating


@transaction.atomic
def close_panel(panel: Panel, *, acting_user: Any, reason: str = "") -> Panel:
    """Close the panel (the office): no more ratings; its results are final and may be fed."""
    access.check_citywide(acting_user, Action.ADMINISTER)
    panel = _check_open(panel)
    before = audit.snapshot(panel)
    panel.state = Panel.State.CLOSED
    panel.closed_at = timezone.now()
    panel.save(update_fields=["state", "closed_at", "updated_at"])
    open_left = Assignment.objects.filter(item__panel=panel, state=Assignment.State.OPEN).count()
    audit.record(
        EventType.PANEL_CLOSED,
        acting_user=acting_user,
        obj=panel,
        reason=reason,
        extra={"unrated_assignments": open_left},
        changes=[audit.updated(panel, before)],
    )
    return panel
