"""Decomposing an approved goal over the unit's divisions and posts (目标分解): shares that add
up to exactly 100%."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kaohe.core import access, audit
from kaohe.core.events import EventType
from kaohe.core.roles import Action
from kaohe.goals.models import Goal, GoalSet, GoalShare
from kaohe.goals.services.drafting import parse_decimal
from kaohe.goals.services.rules import format_decimal
from kaohe.schemes.services import ensure_open
from kaohe.units.models import Post, Unit

HUNDRED = Decimal("100")


@dataclass(frozen=True)
class ShareRow:
    """One holder of part of a goal: a division (Unit) or a post, and its percentage."""

    holder: Unit | Post
    share: Decimal | float | int | str


@transaction.atomic
def decompose_goal(goal: Goal, *, acting_user: Any, shares: Sequence[ShareRow]) -> list[GoalShare]:
    """Split an approved goal over the unit's divisions and posts; the shares must add up to
    exactly 100%. Replaces any earlier decomposition."""
    goal = Goal.objects.select_related("goal_set__unit", "goal_set__cycle").get(pk=goal.pk)
    unit = goal.goal_set.unit
    access.check_unit(acting_user, Action.CHANGE, unit)
    ensure_open(goal.goal_set.cycle)
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
        share = parse_decimal(row.share, "share").quantize(Decimal("0.01"))
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
            % {"title": goal.title_zh, "total": format_decimal(total)}
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
