"""The office's rules for a cycle's goal portfolios: how many key and excellence goals a
portfolio holds, the review levels' deadlines, what an excellence goal's benchmark must say, and
everything that keeps a portfolio from being submitted."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kaohe.core import access, audit
from kaohe.core.events import EventType
from kaohe.core.roles import Action
from kaohe.goals.models import Goal, GoalPortfolioRules, GoalSet, ReviewDeadline
from kaohe.schemes.models import Cycle


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


def format_decimal(value: Decimal | None) -> str:
    """A decimal as plain digits without trailing zeros ("" for None), for messages and
    snapshots."""
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
        "target": format_decimal(goal.target_value),
        "benchmark": format_decimal(goal.benchmark_value),
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
