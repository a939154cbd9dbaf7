"""The register's filter, shared by its pages (list, map) and the API (`/api/v1/key-projects/`,
its `map` action): cycle, district, owner unit, category, status, behind schedule, text."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from kaohe.core.filters import ListFilterSet, user_of
from kaohe.projects.models import KeyProject, ProgressReport, ProjectCategory
from kaohe.projects.selectors import behind_exists
from kaohe.schemes.filters import cycle_choice
from kaohe.units.models import Unit


def districts(request: Any) -> QuerySet[Unit]:
    return Unit.objects.filter(kind__in=[Unit.Kind.DISTRICT, Unit.Kind.COUNTY_CITY]).order_by(
        "path"
    )


def owners(request: Any) -> QuerySet[Unit]:
    """The units owning a project the user may see."""
    projects = KeyProject.objects.restrict(user_of(request))
    return Unit.objects.filter(pk__in=projects.values("owner")).order_by("path")


class KeyProjectFilterSet(ListFilterSet):
    """Key projects (pages `/projects/`, `/projects/map/`; `/api/v1/key-projects/`)."""

    cycle = cycle_choice()
    district = django_filters.ModelChoiceFilter(
        field_name="district", to_field_name="code", queryset=districts, label=_("District")
    )
    owner = django_filters.ModelChoiceFilter(
        field_name="owner", to_field_name="code", queryset=owners, label=_("Owner unit")
    )
    category = django_filters.ChoiceFilter(choices=ProjectCategory.choices, label=_("Category"))
    status = django_filters.ChoiceFilter(choices=KeyProject.Status.choices, label=_("Status"))
    behind = django_filters.BooleanFilter(method="filter_behind", label=_("Behind schedule"))
    q = django_filters.CharFilter(method="filter_text", label=_("Search"))

    class Meta:
        model = KeyProject
        fields = ["cycle", "district", "owner", "category", "status", "behind", "q"]

    def filter_behind(self, queryset: QuerySet[KeyProject], name: str, value: Any) -> Any:
        if value is None:
            return queryset
        return queryset.filter(behind_exists()) if value else queryset.exclude(behind_exists())

    def filter_text(self, queryset: QuerySet[KeyProject], name: str, value: str) -> Any:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(code__icontains=value) | Q(name_zh__icontains=value) | Q(name_en__icontains=value)
        )


class ProgressReportFilterSet(ListFilterSet):
    """Progress reports (`/api/v1/project-reports/`)."""

    cycle = cycle_choice("project__cycle")
    project = django_filters.CharFilter(field_name="project__code", label=_("Project"))
    month = django_filters.CharFilter(method="filter_month", label=_("Month (YYYY-MM)"))

    class Meta:
        model = ProgressReport
        fields = ["cycle", "project", "month"]

    def filter_month(self, queryset: QuerySet[ProgressReport], name: str, value: str) -> Any:
        try:
            year, month = (int(p) for p in value.split("-", 1))
        except ValueError:
            return queryset.none()
        return queryset.filter(month__year=year, month__month=month)
