"""Filters of the goal portfolios, the goals and the target suggestions."""

from __future__ import annotations

from typing import Any, ClassVar

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kaohe.core.filters import ListFilterSet, user_of
from kaohe.goals.models import Goal, GoalSet, TargetSuggestion
from kaohe.schemes.filters import cycle_choice
from kaohe.units.filters import unit_choice


def visible_goal_sets(request: Any) -> QuerySet[GoalSet]:
    return GoalSet.objects.restrict(user_of(request))


class GoalSetFilterSet(ListFilterSet):
    """Goal portfolios (page `/goals/portfolios/`, `/api/v1/goal-sets/`)."""

    cycle = cycle_choice()
    unit = unit_choice(GoalSet)

    aliases: ClassVar[dict[str, str]] = {"cycle__year": "cycle"}

    class Meta:
        model = GoalSet
        fields = ["cycle", "unit", "state", "level"]


class GoalFilterSet(ListFilterSet):
    """Goals (`/api/v1/goals/`)."""

    goal_set = django_filters.ModelChoiceFilter(
        queryset=visible_goal_sets, label=_("Goal portfolio")
    )

    class Meta:
        model = Goal
        fields = ["goal_set", "kind"]


class TargetSuggestionFilterSet(ListFilterSet):
    """Target suggestions (page `/goals/targets/`, `/api/v1/target-suggestions/`)."""

    cycle = cycle_choice()
    unit = unit_choice(TargetSuggestion)

    aliases: ClassVar[dict[str, str]] = {"unit__code": "unit", "cycle__year": "cycle"}

    class Meta:
        model = TargetSuggestion
        fields = ["cycle", "unit", "state"]
