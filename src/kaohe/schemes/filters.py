"""Filters of the cycle and scheme lists (public within the platform: no unit scope)."""

from __future__ import annotations

from typing import ClassVar

import django_filters
from django.utils.translation import gettext_lazy as _

from kaohe.core.filters import ListFilterSet
from kaohe.schemes.models import Cycle, Scheme
from kaohe.units.models import Category


def cycle_choice(field_name: str = "cycle") -> django_filters.Filter:
    """A cycle filter by year (`?cycle=2025`)."""
    return django_filters.ModelChoiceFilter(
        field_name=field_name,
        to_field_name="year",
        queryset=Cycle.objects.order_by("-year"),
        label=_("Cycle"),
    )


def category_choice(field_name: str = "category") -> django_filters.Filter:
    """A comparison-category filter by code (`?category=district`); categories are public."""
    return django_filters.ModelChoiceFilter(
        field_name=field_name,
        to_field_name="code",
        queryset=Category.objects.all(),
        label=_("Category"),
    )


class CycleFilterSet(ListFilterSet):
    """Cycles (page `/schemes/cycles/`, `/api/v1/cycles/`)."""

    class Meta:
        model = Cycle
        fields = ["state"]


class SchemeFilterSet(ListFilterSet):
    """Schemes (page `/schemes/`, `/api/v1/schemes/`)."""

    cycle = cycle_choice()
    category = category_choice()

    aliases: ClassVar[dict[str, str]] = {"cycle__year": "cycle", "category__code": "category"}

    class Meta:
        model = Scheme
        fields = ["cycle", "category"]
