"""The catalogue, one indicator compared across units over time, and the admission review."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kaohe import charts
from kaohe.core import access
from kaohe.core.roles import Action
from kaohe.goals import trends
from kaohe.goals.models import TargetSuggestion
from kaohe.indicators import services
from kaohe.indicators.filters import AdmissionRequestFilterSet, IndicatorFilterSet
from kaohe.indicators.forms import DecisionForm, ProposalForm
from kaohe.indicators.models import AdmissionRequest, Indicator
from kaohe.observations.selectors import periods_with_values, value_grid
from kaohe.units.models import Unit, visible_units


@login_required
def indicator_list(request: HttpRequest) -> HttpResponse:
    indicators = (
        Indicator.objects.visible_to(request.user)
        .active()
        .select_related("responsible_department")
        .prefetch_related("components__component")
    )
    filters = IndicatorFilterSet(request.GET, queryset=indicators, request=request)
    return render(
        request, "indicators/indicator_list.html", {"indicators": filters.qs, "filters": filters}
    )


@login_required
def indicator_detail(request: HttpRequest, code: str) -> HttpResponse:
    """All units the user may see, compared on one indicator over the years and quarters."""
    indicator = get_object_or_404(
        Indicator.objects.visible_to(request.user).select_related("responsible_department"),
        code=code,
    )
    units = list(visible_units(request.user).filter(is_assessed=True))
    years = periods_with_values(request.user, code="Y")[-5:]
    quarters = [p for p in periods_with_values(request.user) if not p.endswith("Y")][-8:]
    grid = value_grid(request.user, indicators=[code], units=[u.pk for u in units])
    reporting = [u for u in units if any((u.pk, code, p) in grid for p in years + quarters)]
    d = indicator.decimals
    context = {
        "indicator": indicator,
        "years": years,
        "rows": [
            {"unit": u, "values": [grid.get((u.pk, code, p)) for p in years]} for u in reporting
        ],
        "chart_years": charts.line_chart(
            _("By year"),
            years,
            {
                u.name: [charts.rounded(grid.get((u.pk, code, p)), d) for p in years]
                for u in reporting
            },
            unit=indicator.unit_of_measure,
        ),
        "chart_quarters": charts.line_chart(
            _("Cumulative by reporting period"),
            quarters,
            {
                u.name: [charts.rounded(grid.get((u.pk, code, p)), d) for p in quarters]
                for u in reporting
            },
            unit=indicator.unit_of_measure,
        ),
        "requests": indicator.admission_requests.select_related("proposed_by_unit"),
    }
    trend_filters = trends.trend_filter(request.user, indicator, request.GET, request=request)
    trend = trends.indicator_trend(request.user, indicator, trend_filters)
    context.update(
        {"trend_filters": trend_filters, "trend": trend, "trend_chart": _trend_chart(trend)}
    )
    return render(request, "indicators/indicator_detail.html", context)


def _trend_chart(trend: trends.IndicatorTrend | None) -> dict[str, Any] | None:
    """One unit's history with the next year's value and its range (the target-suggestion
    chart), or its history alone when it is too short to look ahead."""
    if trend is None or not trend.history:
        return None
    d = trend.indicator.decimals
    periods = [period for period, _value in trend.history]
    values = [charts.rounded(value, d) for _period, value in trend.history]
    title = f"{trend.unit.name} · {trend.indicator.name}"
    unit = trend.indicator.unit_of_measure
    f = trend.foresight
    if f is None:
        return charts.line_chart(title, periods, {trend.unit.name: values}, unit=unit)
    return charts.target_suggestion_chart(
        title,
        periods,
        values,
        target_period=f.period,
        low=charts.rounded(f.low, d),
        high=charts.rounded(f.high, d),
        target=round(f.value, d),
        decided=charts.rounded(f.decided, d)
        if f.state == TargetSuggestion.State.ADJUSTED
        else None,
        labels={
            "history": _("history"),
            "band": _("forecast range"),
            "target": _("suggested target"),
            "decided": _("target set"),
        },
        unit=unit,
    )


def _proposing_units(request: HttpRequest):
    return visible_units(request.user, Action.SUBMIT).filter(is_assessed=True)


@login_required
def admission_list(request: HttpRequest) -> HttpResponse:
    """Proposals: a unit sees its own; the office sees all and decides."""
    filters = AdmissionRequestFilterSet(
        request.GET,
        queryset=AdmissionRequest.objects.restrict(request.user).select_related(
            "indicator", "proposed_by_unit", "proposed_by", "decided_by"
        ),
        request=request,
    )
    units = _proposing_units(request)
    can_propose = units.exists()
    form = None
    if can_propose:
        form = ProposalForm(request.POST or None, units=units)
        if request.method == "POST" and form.is_valid():
            data = dict(form.cleaned_data)
            unit: Unit = data.pop("unit")
            reason = data.pop("reason")
            code = data.pop("code")
            try:
                services.propose_indicator(
                    acting_user=request.user, unit=unit, code=code, reason=reason, **data
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Your proposal was sent to the assessment office."))
                return redirect("indicators:admission_list")
    elif request.method == "POST":
        raise PermissionDenied
    return render(
        request,
        "indicators/admission_list.html",
        {
            "requests": filters.qs,
            "filters": filters,
            "form": form,
            "can_decide": access.has_citywide(request.user, Action.ADMINISTER),
            "decision_form": DecisionForm(),
        },
    )


@login_required
@require_POST
def admission_decide(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = get_object_or_404(AdmissionRequest.objects.restrict(request.user), pk=pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a decision."))
        return redirect("indicators:admission_list")
    decide = (
        services.approve_admission
        if form.cleaned_data["decision"] == "approve"
        else services.reject_admission
    )
    try:
        decide(proposal, acting_user=request.user, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Decision recorded."))
    return redirect("indicators:admission_list")
