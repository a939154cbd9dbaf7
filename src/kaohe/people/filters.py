"""Filters of the people lists, shared by the pages and the API."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kaohe.core.filters import ListFilterSet, user_of
from kaohe.core.roles import Action
from kaohe.people.models import RewardShare, StaffResult, UnitGrading
from kaohe.schemes.filters import cycle_choice
from kaohe.units.models import Unit


def graded_units(request: Any) -> QuerySet[Unit]:
    """The units whose staff gradings the user may see (the unit choice)."""
    gradings = UnitGrading.objects.restrict(user_of(request), Action.PERSONNEL)
    return Unit.objects.filter(pk__in=gradings.values("unit")).order_by("path")


class UnitGradingFilterSet(ListFilterSet):
    """Unit staff gradings (page `/people/`, `/api/v1/staff-gradings/`)."""

    cycle = cycle_choice("run__cycle")
    unit = django_filters.ModelChoiceFilter(
        queryset=graded_units, to_field_name="code", label=_("Unit")
    )

    class Meta:
        model = UnitGrading
        fields = ["cycle", "unit", "state"]


class StaffResultFilterSet(ListFilterSet):
    """Staff results (`/api/v1/staff-results/`)."""

    cycle = cycle_choice("run__cycle")
    unit = django_filters.ModelChoiceFilter(
        queryset=graded_units, to_field_name="code", label=_("Unit")
    )

    class Meta:
        model = StaffResult
        fields = ["cycle", "unit", "run", "suggested_grade"]


class RewardShareFilterSet(ListFilterSet):
    """Reward shares (`/api/v1/reward-shares/`)."""

    cycle = cycle_choice("pool__grading__run__cycle")
    unit = django_filters.ModelChoiceFilter(
        field_name="pool__grading__unit",
        queryset=graded_units,
        to_field_name="code",
        label=_("Unit"),
    )

    class Meta:
        model = RewardShare
        fields = ["cycle", "unit", "grade"]
