"""Filters of the scoring runs and of the provisional standings."""

from __future__ import annotations

from typing import ClassVar

import django_filters
from django.utils.translation import gettext_lazy as _

from kaohe.core.filters import ListFilterSet
from kaohe.results.models import ProvisionalStanding, ScoringRun
from kaohe.schemes.filters import category_choice, cycle_choice
from kaohe.units.filters import unit_choice


class ScoringRunFilterSet(ListFilterSet):
    """Scoring runs (page `/results/`, `/api/v1/scoring-runs/`)."""

    cycle = cycle_choice()
    category = category_choice()

    aliases: ClassVar[dict[str, str]] = {"cycle__year": "cycle", "category__code": "category"}

    class Meta:
        model = ScoringRun
        fields = ["cycle", "category", "status"]


class ProvisionalStandingFilterSet(ListFilterSet):
    """Provisional standings (page `/results/provisional/`, `/api/v1/provisional-standings/`)."""

    cycle = cycle_choice("scheme_version__scheme__cycle")
    category = django_filters.CharFilter(field_name="category_code", label=_("Category"))
    unit = unit_choice(ProvisionalStanding)

    class Meta:
        model = ProvisionalStanding
        fields = ["cycle", "category", "unit"]
