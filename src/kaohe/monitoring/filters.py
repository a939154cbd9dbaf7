"""Filters of the warnings board and of the monitoring rules."""

from __future__ import annotations

from typing import Any, ClassVar

import django_filters
from django.db.models import QuerySet
from django.forms import TextInput
from django.utils.translation import gettext_lazy as _

from kaohe.core.filters import ListFilterSet
from kaohe.monitoring.models import RULE_KINDS, MonitoringRule, Warning
from kaohe.units.filters import unit_choice

ACTIVE, ALL = "active", "all"


class WarningFilterSet(ListFilterSet):
    """Warnings (page `/monitoring/` and its rows, `/api/v1/warnings/`). `state=active` keeps
    the warnings not closed (the page's default), `state=all` every state."""

    state = django_filters.ChoiceFilter(
        method="by_state",
        label=_("State"),
        choices=[(ACTIVE, _("not closed")), (ALL, _("all")), *Warning.State.choices],
        empty_label=None,
    )
    kind = django_filters.ChoiceFilter(
        field_name="rule__kind", label=_("Rule kind"), choices=list(RULE_KINDS.items())
    )
    rule = django_filters.ModelChoiceFilter(
        field_name="rule",
        to_field_name="code",
        queryset=MonitoringRule.objects.all(),
        label=_("Rule"),
    )
    unit = unit_choice(Warning)
    period = django_filters.CharFilter(
        field_name="time_node__period",
        label=_("Period"),
        widget=TextInput(attrs={"placeholder": "2026Q3"}),
    )

    aliases: ClassVar[dict[str, str]] = {
        "unit__code": "unit",
        "time_node__period": "period",
        "rule__code": "rule",
        "rule__kind": "kind",
    }

    class Meta:
        model = Warning
        fields = ["state", "severity", "kind", "rule", "unit", "period"]

    def by_state(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        if value == ACTIVE:
            return queryset.exclude(state=Warning.State.CLOSED)
        if value == ALL:
            return queryset
        return queryset.filter(state=value)


class MonitoringRuleFilterSet(ListFilterSet):
    """Monitoring rules (page `/monitoring/rules/`, `/api/v1/monitoring-rules/`)."""

    kind = django_filters.ChoiceFilter(label=_("Rule kind"), choices=list(RULE_KINDS.items()))

    class Meta:
        model = MonitoringRule
        fields = ["kind", "severity", "active"]
