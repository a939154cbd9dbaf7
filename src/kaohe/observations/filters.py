"""Filters of the observation list and of an indicator's trend (one unit's series)."""

from __future__ import annotations

from typing import Any, ClassVar

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kaohe.core.filters import ListFilterSet, user_of
from kaohe.indicators.models import Indicator
from kaohe.observations.models import Observation
from kaohe.schemes.filters import cycle_choice
from kaohe.units.filters import unit_choice
from kaohe.units.models import Unit


def visible_indicators(request: Any) -> QuerySet[Indicator]:
    return Indicator.objects.visible_to(user_of(request)).order_by("code")


class ObservationFilterSet(ListFilterSet):
    """Current values (`/api/v1/observations/`)."""

    unit = unit_choice(Observation)
    indicator = django_filters.ModelChoiceFilter(
        to_field_name="code", queryset=visible_indicators, label=_("Indicator")
    )
    period = django_filters.CharFilter(field_name="time_node__period", label=_("Period"))
    cycle = cycle_choice("time_node__cycle")

    aliases: ClassVar[dict[str, str]] = {
        "unit__code": "unit",
        "indicator__code": "indicator",
        "time_node__period": "period",
        "time_node__cycle__year": "cycle",
    }

    class Meta:
        model = Observation
        fields = ["unit", "indicator", "period", "cycle"]


class SeriesUnitFilter(django_filters.ModelChoiceFilter):
    """A unit by code among the units the FilterSet's own rows belong to, so the choice offers
    no unit whose values the user may not see (or that has none)."""

    def get_queryset(self, request: Any) -> QuerySet[Unit]:
        rows = self.parent.queryset
        return Unit.objects.filter(pk__in=rows.values("unit")).order_by("path")


class IndicatorTrendFilterSet(ListFilterSet):
    """One unit's series of an indicator (the trend on `/indicators/<code>/` and
    `/api/v1/indicators/<code>/trend/`), chosen among the units whose values it holds."""

    unit = SeriesUnitFilter(
        to_field_name="code",
        label=_("Unit"),
        # the page's menu submits by itself (kaohe.js); the API reads ?unit=
        widget=forms.Select(attrs={"data-autosubmit": True}),
    )

    class Meta:
        model = Observation
        fields = ["unit"]
