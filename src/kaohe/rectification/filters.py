"""The rectification list's filters (page `/rectification/`, `/api/v1/rectification-items/`)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kaohe.core.filters import ListFilterSet
from kaohe.rectification.models import Commendation, RectificationItem
from kaohe.units.filters import unit_choice

ACTIVE, ALL = "active", "all"


class RectificationFilterSet(ListFilterSet):
    """`state=active` (the page's default) keeps the items not closed, `state=all` all."""

    state = django_filters.ChoiceFilter(
        method="by_state",
        label=_("State"),
        choices=[(ACTIVE, _("not closed")), (ALL, _("all")), *RectificationItem.State.choices],
        empty_label=None,
    )
    unit = unit_choice(RectificationItem)
    cycle = django_filters.NumberFilter(field_name="cycle__year", label=_("Cycle"))
    origin = django_filters.ChoiceFilter(
        choices=RectificationItem.Origin.choices, label=_("Comes from")
    )

    class Meta:
        model = RectificationItem
        fields = ["state", "unit", "cycle", "origin"]

    def by_state(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        if value == ACTIVE:
            return queryset.exclude(state=RectificationItem.State.CLOSED)
        if value == ALL:
            return queryset
        return queryset.filter(state=value)


class CommendationFilterSet(ListFilterSet):
    """Commendations by unit, cycle and reason (page `/rectification/commendations/`,
    `/api/v1/commendations/`)."""

    unit = unit_choice(Commendation)
    cycle = django_filters.NumberFilter(field_name="run__cycle__year", label=_("Cycle"))
    reason = django_filters.ChoiceFilter(choices=Commendation.Reason.choices, label=_("For"))

    class Meta:
        model = Commendation
        fields = ["unit", "cycle", "reason"]
