"""What a reporter's Excel or CSV template holds: its units, its indicators (as template
columns from the catalogue) and the files themselves."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kaohe.core import access
from kaohe.core.roles import Action
from kaohe.indicators.models import Indicator, ReportedBy
from kaohe.observations.csvfile import build_csv_template
from kaohe.observations.excel import IndicatorSpec, build_template
from kaohe.observations.models import Observation
from kaohe.schemes.models import TimeNode
from kaohe.units.models import Unit
from kaohe.units.selectors import city_unit


@dataclass(frozen=True)
class TemplateScope:
    """The units and indicators a user's template holds."""

    units: list[Unit]
    indicators: list[Indicator]


def template_scope(user: Any) -> TemplateScope:
    """A responsible department gets its indicators for every unit that reports them; a unit
    gets the basic indicators it reports and the catalogue lets units report themselves."""
    basic = Indicator.objects.active().filter(formula="").exclude(code__endswith="_target")
    responsible = access.responsible_unit_ids(user, Action.REPORT)
    indicators = list(basic.filter(responsible_department__in=sorted(responsible)))
    if indicators:
        reporting = Observation.objects.filter(indicator__in=indicators).values("unit")
        units = list(Unit.objects.filter(pk__in=reporting, is_assessed=True).order_by("code"))
        return TemplateScope(units, indicators)
    scope = access.unit_scope(user, Action.REPORT)
    units_qs = Unit.objects.filter(is_assessed=True)
    if not scope.everything:
        units_qs = units_qs.filter(pk__in=sorted(scope.unit_ids))
    units = list(units_qs.order_by("code"))
    reported = Observation.objects.filter(unit__in=units).values("indicator")
    own = basic.filter(pk__in=reported)
    if not scope.everything:
        own = own.filter(reported_by=ReportedBy.UNIT)
    return TemplateScope(units, list(own))


def specs(indicators: list[Indicator]) -> list[IndicatorSpec]:
    """Template columns from the catalogue (graded columns take the labels as written)."""
    return [
        IndicatorSpec(
            code=i.code,
            name=i.name_zh,
            unit_of_measure=i.unit_zh,
            value_type=i.value_type,
            decimals=i.decimals,
            min=i.min_value,
            max=i.max_value,
            allowed_labels=tuple(i.grade_labels) if i.grade_labels else None,
        )
        for i in indicators
    ]


def template_for(user: Any, node: TimeNode) -> bytes:
    scope = template_scope(user)
    city = city_unit()
    return build_template(
        title=f"{city.name_zh if city else ''}考核数据报送",
        period=node.period,
        period_label=node.name_zh,
        units=[(u.code, u.name_zh) for u in scope.units],
        indicators=specs(scope.indicators),
    )


def csv_template_for(user: Any, node: TimeNode) -> bytes:
    """The CSV template: one row per unit and indicator of the user's Excel template."""
    scope = template_scope(user)
    return build_csv_template(
        period=node.period,
        units=[(u.code, u.name_zh) for u in scope.units],
        indicators=specs(scope.indicators),
    )
