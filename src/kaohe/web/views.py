"""The city overview, the audit trail and the deliberate error pages."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from kaohe import charts
from kaohe.core.access import unit_scope
from kaohe.core.filters import AuditEventFilterSet
from kaohe.core.models import AuditEvent
from kaohe.indicators.models import Indicator
from kaohe.observations.selectors import latest_period, periods_with_values, value_grid
from kaohe.schemes.models import Cycle
from kaohe.units.models import Unit, visible_units

OVERVIEW_INDICATORS = ("gdp", "gdp_growth", "fiscal_revenue", "tax_revenue", "fai_growth")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return redirect("web:overview")


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    """The city at a glance, limited to the units the user may see."""
    user = request.user
    units = list(visible_units(user).filter(is_assessed=True).select_related("category"))
    districts = [u for u in units if u.kind in (Unit.Kind.DISTRICT, Unit.Kind.COUNTY_CITY)]
    departments = [u for u in units if u.kind == Unit.Kind.DEPARTMENT]
    indicators = {i.code: i for i in Indicator.objects.filter(code__in=OVERVIEW_INDICATORS)}
    cycle = Cycle.objects.exclude(state=Cycle.State.CLOSED).order_by("year").last() or (
        Cycle.objects.order_by("-year").first()
    )
    year_node = latest_period(user, code="Y", indicator="gdp")
    context: dict[str, Any] = {
        "districts": districts,
        "departments": departments,
        "indicator_count": Indicator.objects.active().count(),
        "cycle": cycle,
        "year_node": year_node,
        "charts": {},
        "table": [],
    }
    if districts and year_node is not None and "gdp" in indicators:
        names = [u.name for u in districts]
        ids = [u.pk for u in districts]
        years = periods_with_values(user, code="Y")[-5:]
        grid = value_grid(user, indicators=OVERVIEW_INDICATORS, periods=years, units=ids)
        latest = year_node.period
        gdp = indicators["gdp"]
        ranked = sorted(districts, key=lambda u: -(grid.get((u.pk, "gdp", latest)) or 0))
        context["charts"]["gdp"] = charts.bar_chart(
            _("GDP %(period)s") % {"period": year_node.name},
            [u.name for u in ranked],
            [charts.rounded(grid.get((u.pk, "gdp", latest))) for u in ranked],
            unit=gdp.unit_of_measure,
        )
        if "gdp_growth" in indicators:
            context["charts"]["growth"] = charts.line_chart(
                _("GDP growth by year"),
                years,
                {
                    u.name: [charts.rounded(grid.get((u.pk, "gdp_growth", p)), 1) for p in years]
                    for u in districts
                },
                unit="%",
            )
        if {"fiscal_revenue", "tax_revenue"} <= indicators.keys():
            context["charts"]["fiscal"] = charts.grouped_bar_chart(
                _("Fiscal and tax revenue %(period)s") % {"period": year_node.name},
                names,
                {
                    indicators["fiscal_revenue"].name: [
                        charts.rounded(grid.get((i, "fiscal_revenue", latest))) for i in ids
                    ],
                    indicators["tax_revenue"].name: [
                        charts.rounded(grid.get((i, "tax_revenue", latest))) for i in ids
                    ],
                },
                unit=indicators["fiscal_revenue"].unit_of_measure,
            )
        for unit in ranked:
            fiscal = grid.get((unit.pk, "fiscal_revenue", latest))
            tax = grid.get((unit.pk, "tax_revenue", latest))
            context["table"].append(
                {
                    "unit": unit,
                    "gdp": grid.get((unit.pk, "gdp", latest)),
                    "growth": grid.get((unit.pk, "gdp_growth", latest)),
                    "fiscal": fiscal,
                    "tax_share": (100 * tax / fiscal) if fiscal and tax is not None else None,
                    "fai_growth": grid.get((unit.pk, "fai_growth", latest)),
                }
            )
    return render(request, "web/overview.html", context)


@login_required
def audit_trail(request: HttpRequest) -> HttpResponse:
    """Who changed what, when, and why — for auditors and the office (scoped to their units)."""
    scope = unit_scope(request.user, "audit")
    if scope.is_empty:
        raise PermissionDenied(
            _("Reading the audit trail needs an auditor's or the office's grant.")
        )
    events = AuditEvent.objects.select_related("acting_user", "unit").prefetch_related("changes")
    if not scope.everything:
        events = events.filter(unit__in=sorted(scope.unit_ids))
    filters = AuditEventFilterSet(request.GET, queryset=events, request=request)
    page = Paginator(filters.qs, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request, "web/audit.html", {"page": page, "filters": filters, "query": query.urlencode()}
    )


def _state(request: HttpRequest, status: int, title: str, explanation: str) -> HttpResponse:
    return render(
        request,
        "web/state.html",
        {"status": status, "title": title, "explanation": explanation},
        status=status,
    )


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _state(
        request,
        403,
        _("Not permitted"),
        _("Your role does not allow this. If you need it, ask the assessment office for a grant."),
    )


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _state(
        request,
        404,
        _("Not found"),
        _("There is nothing at this address, or it belongs to a unit outside your responsibility."),
    )


def server_error(request: HttpRequest) -> HttpResponse:
    return _state(
        request,
        500,
        _("Something went wrong"),
        _("The error was logged. Nothing was half-saved: please try again in a moment."),
    )
