"""The city overview and a unit's key figures, built from the catalogue's dashboard indicators.

Which indicators appear, in which order and drawn how, is data (`Indicator.dashboard_order` and
`dashboard_chart`), so the pages know no indicator code. Everything is read through the user's
scope: a district reporter's overview holds its own district only."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from kaohe import charts
from kaohe.indicators.models import Indicator
from kaohe.observations.selectors import latest_period, periods_with_values, value_grid
from kaohe.schemes.models import TimeNode
from kaohe.units.models import Unit

TREND_YEARS = 5

Chart = Indicator.DashboardChart


@dataclass(frozen=True)
class DashboardChart:
    """One chart of the overview: its element id and ECharts option; `wide` spans the row."""

    id: str
    option: dict[str, Any]
    wide: bool = False


@dataclass(frozen=True)
class OverviewRow:
    """A unit's line of the table: (value, decimals) per dashboard indicator."""

    unit: Unit
    cells: list[tuple[float | None, int]]


@dataclass
class CityOverview:
    """The dashboard indicators' latest full-year values for the units in view, ranked on the
    first of them, and the charts the catalogue asks for."""

    indicators: list[Indicator]
    year_node: TimeNode | None
    charts: list[DashboardChart] = field(default_factory=list)
    rows: list[OverviewRow] = field(default_factory=list)


def city_overview(user: Any, units: list[Unit]) -> CityOverview:
    indicators = list(Indicator.objects.visible_to(user).on_dashboards())
    if not indicators or not units:
        return CityOverview(indicators, None)
    lead = indicators[0]
    year_node = latest_period(user, code="Y", indicator=lead.code)
    if year_node is None:
        return CityOverview(indicators, None)
    latest = year_node.period
    years = periods_with_values(user, code="Y")[-TREND_YEARS:]
    codes = [i.code for i in indicators]
    grid = value_grid(user, indicators=codes, periods=years, units=[u.pk for u in units])
    ranked = sorted(units, key=lambda u: (-(grid.get((u.pk, lead.code, latest)) or 0), u.code))
    overview = CityOverview(
        indicators,
        year_node,
        rows=[
            OverviewRow(u, [(grid.get((u.pk, i.code, latest)), i.decimals) for i in indicators])
            for u in ranked
        ],
    )
    compared = [i for i in indicators if i.dashboard_chart == Chart.COMPARE]
    for indicator in indicators:
        d = indicator.decimals
        if indicator.dashboard_chart == Chart.RANKING:
            overview.charts.append(
                DashboardChart(
                    f"chart-{indicator.code}",
                    charts.bar_chart(
                        f"{indicator.name} {year_node.name}",
                        [u.name for u in ranked],
                        [
                            charts.rounded(grid.get((u.pk, indicator.code, latest)), d)
                            for u in ranked
                        ],
                        unit=indicator.unit_of_measure,
                    ),
                )
            )
        elif indicator.dashboard_chart == Chart.TREND:
            overview.charts.append(
                DashboardChart(
                    f"chart-{indicator.code}",
                    charts.line_chart(
                        _("%(indicator)s by year") % {"indicator": indicator.name},
                        years,
                        {
                            u.name: [
                                charts.rounded(grid.get((u.pk, indicator.code, p)), d)
                                for p in years
                            ]
                            for u in units
                        },
                        unit=indicator.unit_of_measure,
                    ),
                )
            )
        elif indicator is (compared[0] if compared else None):
            overview.charts.append(
                DashboardChart(
                    "chart-compare",
                    charts.grouped_bar_chart(
                        f"{'、'.join(i.name for i in compared)} {year_node.name}",
                        [u.name for u in units],
                        {
                            i.name: [
                                charts.rounded(grid.get((u.pk, i.code, latest)), i.decimals)
                                for u in units
                            ]
                            for i in compared
                        },
                        unit=indicator.unit_of_measure,
                    ),
                    wide=True,
                )
            )
    return overview


@dataclass(frozen=True)
class KeyFigure:
    indicator: Indicator
    latest: float | None
    chart_id: str
    chart: dict[str, Any]


def unit_figures(user: Any, unit: Unit) -> tuple[list[str], list[KeyFigure]]:
    """The unit's dashboard indicators over the last full years that hold values (those it
    reported at all), each with its small trend chart."""
    indicators = list(Indicator.objects.visible_to(user).on_dashboards())
    years = periods_with_values(user, code="Y")[-TREND_YEARS:]
    grid = value_grid(user, indicators=[i.code for i in indicators], periods=years, units=[unit.pk])
    figures = []
    for indicator in indicators:
        values = [grid.get((unit.pk, indicator.code, p)) for p in years]
        if all(v is None for v in values):
            continue
        figures.append(
            KeyFigure(
                indicator,
                values[-1],
                f"chart-{indicator.code}",
                charts.line_chart(
                    indicator.name,
                    years,
                    {indicator.name: [charts.rounded(v, indicator.decimals) for v in values]},
                    unit=indicator.unit_of_measure,
                    compact=True,
                ),
            )
        )
    return years, figures
