"""Filters of the major tasks' lists, shared by the pages and the API."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kaohe.core.filters import ListFilterSet, user_of
from kaohe.projects.models import MilestoneReport, Offensive, OffensiveMilestone, OffensiveUnit
from kaohe.projects.offensives.selectors import STATUSES
from kaohe.schemes.filters import cycle_choice
from kaohe.units.models import Unit


def visible_offensives(request: Any) -> QuerySet[Offensive]:
    return Offensive.objects.restrict(user_of(request)).order_by("-cycle__year", "code")


def visible_milestones(request: Any) -> QuerySet[OffensiveMilestone]:
    return OffensiveMilestone.objects.restrict(user_of(request)).order_by("pk")


def participating_units(request: Any) -> QuerySet[Unit]:
    """The units taking part in a task the user may see."""
    parts = OffensiveUnit.objects.restrict(user_of(request))
    return Unit.objects.filter(pk__in=parts.values("unit")).order_by("path")


class OffensiveFilterSet(ListFilterSet):
    """Major tasks (`/api/v1/offensives/`)."""

    cycle = cycle_choice()
    unit = django_filters.ModelChoiceFilter(
        queryset=participating_units, method="by_unit", label=_("Unit")
    )

    class Meta:
        model = Offensive
        fields = ["cycle", "code", "unit"]

    def by_unit(self, queryset: QuerySet[Any], name: str, value: Unit | None) -> QuerySet[Any]:
        if value is None:
            return queryset
        return queryset.filter(pk__in=OffensiveUnit.objects.filter(unit=value).values("offensive"))


class MilestoneFilterSet(ListFilterSet):
    """The parts of the milestones (milestone × participating unit) with their status (page
    `/projects/tasks/`, `/api/v1/offensive-milestones/`): the queryset is the parts annotated
    by `selectors.with_status`; `unit` keeps that unit's parts."""

    cycle = cycle_choice("offensive__cycle")
    offensive = django_filters.ModelChoiceFilter(queryset=visible_offensives, label=_("Major task"))
    unit = django_filters.ModelChoiceFilter(
        queryset=participating_units, method="by_unit", label=_("Unit")
    )
    status = django_filters.ChoiceFilter(choices=STATUSES, label=_("Status"))

    class Meta:
        model = OffensiveMilestone
        fields = ["cycle", "offensive", "unit", "status"]

    def by_unit(self, queryset: QuerySet[Any], name: str, value: Unit | None) -> QuerySet[Any]:
        if value is None:
            return queryset
        return queryset.filter(part_unit_id=value.pk)


class MilestoneReportFilterSet(ListFilterSet):
    """Milestone reports (`/api/v1/milestone-reports/`)."""

    offensive = django_filters.ModelChoiceFilter(
        field_name="milestone__offensive", queryset=visible_offensives, label=_("Major task")
    )
    milestone = django_filters.ModelChoiceFilter(queryset=visible_milestones, label=_("Milestone"))
    unit = django_filters.ModelChoiceFilter(queryset=participating_units, label=_("Unit"))

    class Meta:
        model = MilestoneReport
        fields = ["offensive", "milestone", "unit", "state"]
