"""Filters of the panel lists, shared by the pages and the API."""

from __future__ import annotations

from typing import Any, ClassVar

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kaohe.core.filters import ListFilterSet, user_of
from kaohe.panels.models import Assignment, ConflictDeclaration, Panel, PanelGoal, Rating
from kaohe.schemes.filters import cycle_choice
from kaohe.units.models import Unit


def visible_panels(request: Any) -> QuerySet[Panel]:
    return Panel.objects.restrict(user_of(request)).order_by("-cycle__year", "pk")


def result_units(request: Any) -> QuerySet[Unit]:
    """The units whose goal results the user may see (the result list's unit choice)."""
    items = PanelGoal.objects.restrict(user_of(request))
    return Unit.objects.filter(pk__in=items.values("goal__goal_set__unit")).order_by("path")


class PanelFilterSet(ListFilterSet):
    """Expert panels (page `/panels/`, `/api/v1/panels/`)."""

    cycle = cycle_choice()

    class Meta:
        model = Panel
        fields = ["cycle", "state"]


class AssignmentFilterSet(ListFilterSet):
    """Assignments (page `/panels/mine/`, `/api/v1/panel-assignments/`)."""

    panel = django_filters.ModelChoiceFilter(
        field_name="item__panel", queryset=visible_panels, label=_("Panel")
    )

    aliases: ClassVar[dict[str, str]] = {}

    class Meta:
        model = Assignment
        fields = ["panel", "state"]


class RatingFilterSet(ListFilterSet):
    """Ratings (`/api/v1/panel-ratings/`)."""

    panel = django_filters.ModelChoiceFilter(
        field_name="assignment__item__panel", queryset=visible_panels, label=_("Panel")
    )

    class Meta:
        model = Rating
        fields = ["panel"]


class PanelGoalFilterSet(ListFilterSet):
    """Goal results (page `/panels/results/`, `/api/v1/panel-results/`)."""

    cycle = cycle_choice("panel__cycle")
    unit = django_filters.ModelChoiceFilter(
        field_name="goal__goal_set__unit",
        to_field_name="code",
        queryset=result_units,
        label=_("Unit"),
    )

    class Meta:
        model = PanelGoal
        fields = ["cycle", "unit"]


class ConflictFilterSet(ListFilterSet):
    """Declared conflicts (`/api/v1/panel-conflicts/`)."""

    unit = django_filters.ModelChoiceFilter(
        field_name="unit",
        to_field_name="code",
        queryset=Unit.objects.filter(is_assessed=True).order_by("path"),
        label=_("Unit"),
    )

    class Meta:
        model = ConflictDeclaration
        fields = ["unit"]
