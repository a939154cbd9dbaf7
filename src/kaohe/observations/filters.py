"""Filters of the observation list."""

from __future__ import annotations

from typing import Any, ClassVar

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kaohe.core.filters import ListFilterSet, user_of
from kaohe.indicators.models import Indicator
from kaohe.observations.models import Observation
from kaohe.schemes.filters import cycle_choice
from kaohe.units.filters import unit_choice


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
