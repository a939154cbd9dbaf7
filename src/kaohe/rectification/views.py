"""Pages of the interview and rectification items: the list, an item with its history and the
forms its reader may use, and the office's actions (open items from a run, remind)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kaohe.core import access
from kaohe.core.roles import Action
from kaohe.rectification import services
from kaohe.rectification.filters import ACTIVE, CommendationFilterSet, RectificationFilterSet
from kaohe.rectification.forms import DecisionForm, OpenForm, PlanForm, TextForm
from kaohe.rectification.models import Commendation, RectificationItem
from kaohe.results.models import ScoringRun


def _items(request: HttpRequest) -> Any:
    return RectificationItem.objects.restrict(request.user).select_related(
        "unit", "cycle", "run__cycle", "run__category", "comment__survey", "comment__group"
    )


@login_required
def item_list(request: HttpRequest) -> HttpResponse:
    filters = RectificationFilterSet(
        request.GET, queryset=_items(request), request=request, defaults={"state": ACTIVE}
    )
    return render(
        request,
        "rectification/list.html",
        {
            "filters": filters,
            "page": Paginator(filters.qs, 50).get_page(request.GET.get("page")),
            "is_office": access.has_citywide(request.user, Action.ADMINISTER),
        },
    )


@login_required
def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_object_or_404(_items(request), pk=pk)
    user = request.user
    is_office = access.has_citywide(user, Action.ADMINISTER) and not access.judges_own_unit(
        user, item.unit
    )
    return render(
        request,
        "rectification/detail.html",
        {
            "item": item,
            "entries": item.entries.select_related("actor"),
            "may_plan": item.unit_id in access.unit_scope(user, Action.SUBMIT)
            and item.state in ("open", "returned"),
            "may_report": item.unit_id in access.unit_scope(user, Action.REPORT)
            and item.state == "accepted",
            "is_office": is_office,
            "may_see_survey": access.has_citywide(user, Action.VIEW),
            "plan_form": PlanForm(),
            "text_form": TextForm(),
            "decision_form": DecisionForm(),
        },
    )


def _act(
    request: HttpRequest, pk: int, call: Callable[[RectificationItem], Any], done: str
) -> HttpResponse:
    item = get_object_or_404(_items(request), pk=pk)
    try:
        call(item)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done)
    return redirect("rectification:detail", pk=pk)


@login_required
@require_POST
def submit_plan(request: HttpRequest, pk: int) -> HttpResponse:
    form = PlanForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write the plan and list its measures."))
        return redirect("rectification:detail", pk=pk)
    return _act(
        request,
        pk,
        lambda item: services.submit_plan(
            item,
            acting_user=request.user,
            text=form.cleaned_data["text"],
            measures=form.measure_rows(),
        ),
        _("The plan is submitted to the assessment office."),
    )


@login_required
@require_POST
def report_progress(request: HttpRequest, pk: int) -> HttpResponse:
    text = request.POST.get("text", "")
    return _act(
        request,
        pk,
        lambda item: services.report_progress(item, acting_user=request.user, text=text),
        _("The progress is recorded."),
    )


@login_required
@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    comment, decision = request.POST.get("comment", ""), request.POST.get("decision", "")
    if decision == "close":
        return _act(
            request,
            pk,
            lambda item: services.close_item(item, acting_user=request.user, comment=comment),
            _("The item is closed."),
        )
    return _act(
        request,
        pk,
        lambda item: services.review_plan(
            item, acting_user=request.user, accept=decision == "accept", comment=comment
        ),
        _("The decision is recorded."),
    )


@login_required
@require_POST
def open_items(request: HttpRequest, run_pk: int) -> HttpResponse:
    if not access.has_citywide(request.user, Action.ADMINISTER):
        raise PermissionDenied
    run = get_object_or_404(ScoringRun.objects.select_related("cycle", "category"), pk=run_pk)
    form = OpenForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the date by which the plans are due."))
        return redirect("results:run", pk=run_pk)
    try:
        made = services.open_interview_items(
            run, acting_user=request.user, due_date=form.cleaned_data["due_date"]
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("results:run", pk=run_pk)
    messages.success(request, _("Interview items opened: %(n)s.") % {"n": len(made)})
    return redirect(f"{reverse('rectification:list')}?cycle={run.cycle.year}")


@login_required
@require_POST
def remind(request: HttpRequest) -> HttpResponse:
    if not access.has_citywide(request.user, Action.ADMINISTER):
        raise PermissionDenied
    count = services.remind_overdue(acting_user=request.user)
    messages.success(request, _("Reminders sent for overdue plans: %(n)s.") % {"n": count})
    return redirect("rectification:list")


@login_required
def commendation_list(request: HttpRequest) -> HttpResponse:
    """The commendations of the caller's units (all of them for city-wide readers)."""
    filters = CommendationFilterSet(
        request.GET,
        queryset=Commendation.objects.restrict(request.user).select_related(
            "unit", "run__cycle", "run__category"
        ),
        request=request,
    )
    return render(
        request,
        "rectification/commendations.html",
        {"filters": filters, "page": Paginator(filters.qs, 50).get_page(request.GET.get("page"))},
    )


@login_required
@require_POST
def commend(request: HttpRequest, run_pk: int) -> HttpResponse:
    if not access.has_citywide(request.user, Action.ADMINISTER):
        raise PermissionDenied
    run = get_object_or_404(ScoringRun.objects.select_related("cycle", "category"), pk=run_pk)
    try:
        made = services.issue_commendations(run, acting_user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("results:run", pk=run_pk)
    messages.success(request, _("Commendations issued: %(n)s.") % {"n": len(made)})
    return redirect(f"{reverse('rectification:commendations')}?cycle={run.cycle.year}")
