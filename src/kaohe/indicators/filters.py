"""Filters of the indicator catalogue and of the admission requests."""

from __future__ import annotations

from typing import Any, ClassVar

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kaohe.core.filters import ListFilterSet, user_of
from kaohe.indicators.models import AdmissionRequest, Indicator
from kaohe.units.filters import unit_choice
from kaohe.units.models import Unit


def responsible_departments(request: Any) -> QuerySet[Unit]:
    """The departments responsible for an indicator the user may see."""
    visible = Indicator.objects.visible_to(user_of(request))
    return Unit.objects.filter(
        pk__in=visible.exclude(responsible_department=None).values("responsible_department")
    ).order_by("path")


class IndicatorFilterSet(ListFilterSet):
    """The catalogue (page `/indicators/`, `/api/v1/indicators/`)."""

    responsible_department = django_filters.ModelChoiceFilter(
        to_field_name="code", queryset=responsible_departments, label=_("Responsible department")
    )

    aliases: ClassVar[dict[str, str]] = {"responsible_department__code": "responsible_department"}

    class Meta:
        model = Indicator
        fields = ["status", "frequency", "direction", "responsible_department"]


class AdmissionRequestFilterSet(ListFilterSet):
    """Admission requests (page `/indicators/admission/`, `/api/v1/admission-requests/`)."""

    unit = unit_choice(AdmissionRequest, "proposed_by_unit", label=_("Proposing unit"))

    class Meta:
        model = AdmissionRequest
        fields = ["status", "unit"]
