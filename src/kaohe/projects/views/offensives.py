"""Pages of the major tasks (攻坚战): the board of every part (milestone × participating unit)
by status, a unit's own tasks, setting a task up (the office), a task's detail (the milestones
× participants matrix with the reports and evidence), a unit's report of its own part and the
office's decision. Views fetch through `.restrict()` (out of scope is a
404) and write through the services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kaohe.core import access
from kaohe.core.roles import Action
from kaohe.flows import tasks as tasks_flow
from kaohe.observations.evidence import EvidenceFile, evidence_response
from kaohe.projects.models import MilestoneReport, Offensive, OffensiveMilestone
from kaohe.projects.offensives import selectors, services
from kaohe.projects.offensives.filters import MilestoneFilterSet
from kaohe.projects.offensives.forms import (
    DecisionForm,
    MilestoneFormSet,
    OffensiveForm,
    ReportForm,
    milestone_specs,
)


def _is_office(request: HttpRequest) -> bool:
    return access.has_citywide(request.user, Action.ADMINISTER)


def _add_errors(form: Any, exc: ValidationError) -> None:
    """The service's messages on the form's fields (the rest above the form)."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for field, problems in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, problems)


@login_required
def board(request: HttpRequest) -> HttpResponse:
    """Every part of the tasks in scope (milestone × unit), by status, with the counts."""
    filters = MilestoneFilterSet(
        request.GET, queryset=selectors.visible_milestones(request.user), request=request
    )
    return render(
        request,
        "projects/tasks/board.html",
        {
            "filters": filters,
            "board": selectors.board(filters.qs),
            "is_office": _is_office(request),
            "offensives": Offensive.objects.restrict(request.user)
            .select_related("cycle")
            .order_by("-cycle__year", "code"),
        },
    )


@login_required
def my_tasks(request: HttpRequest) -> HttpResponse:
    """The user's units' tasks: role, its own parts, the next due and what to report."""
    return render(
        request,
        "projects/tasks/my_tasks.html",
        {"tasks": selectors.my_tasks(request.user), "is_office": _is_office(request)},
    )


@login_required
def offensive_create(request: HttpRequest) -> HttpResponse:
    """Set a major task up (the office): participants and milestone rows."""
    access.check_citywide(request.user, Action.ADMINISTER)
    form = OffensiveForm(request.POST or None)
    rows = MilestoneFormSet(request.POST or None, prefix="m")
    if request.method == "POST" and form.is_valid() and rows.is_valid():
        data = form.cleaned_data
        try:
            offensive = services.create_offensive(
                data["cycle"],
                code=data["code"],
                name_zh=data["name_zh"],
                name_en=data["name_en"],
                description=data["description"],
                lead=data["lead"],
                cooperating=list(data["cooperating"]),
                milestones=milestone_specs(rows),
                acting_user=request.user,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The major task is set up."))
            return redirect("projects:offensive", offensive.pk)
    return render(request, "projects/tasks/offensive_form.html", {"form": form, "rows": rows})


def _offensive(request: HttpRequest, pk: int) -> Offensive:
    return get_object_or_404(
        Offensive.objects.restrict(request.user).select_related("cycle"), pk=pk
    )


@login_required
def offensive_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A task: lead and cooperating units, the milestones × participants matrix with each
    part's status, reports and evidence; a unit's "report my part" links and the office's
    decision forms."""
    offensive = _offensive(request, pk)
    detail = selectors.offensive_detail(offensive, request.user)
    office = _is_office(request)
    return render(
        request,
        "projects/tasks/offensive_detail.html",
        {
            "detail": detail,
            "offensive": offensive,
            "is_office": office,
            "decision_form": DecisionForm() if office else None,
        },
    )


def _files(request: HttpRequest) -> list[EvidenceFile]:
    return [EvidenceFile(f.name or "", f.read()) for f in request.FILES.getlist("files")]


@login_required
def milestone_report(request: HttpRequest, pk: int) -> HttpResponse:
    """A participating unit reports its own part of a milestone done: the date, what was done,
    the evidence (`?unit=` or the form's choice when the user reports for several units)."""
    milestone = get_object_or_404(
        OffensiveMilestone.objects.restrict(request.user).select_related("offensive__cycle"),
        pk=pk,
    )
    parts = services.reportable_parts(request.user, milestone.offensive_id)
    if not parts:
        raise Http404  # a page for the participating units' reporters, none of the user's
    units = [p.unit for p in parts]
    chosen = request.GET.get("unit", "")
    initial = {"unit": int(chosen)} if chosen.isdigit() else None
    form = ReportForm(request.POST or None, units=units, initial=initial)
    if request.method == "POST" and form.is_valid():
        unit_id = form.cleaned_data.get("unit", units[0].pk)
        try:
            services.report_milestone(
                milestone,
                unit=next(u for u in units if u.pk == unit_id),
                completed_on=form.cleaned_data["completed_on"],
                note=form.cleaned_data["note"],
                files=_files(request),
                acting_user=request.user,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Reported: the office will confirm it."))
            return redirect("projects:offensive", milestone.offensive_id)
    return render(
        request,
        "projects/tasks/milestone_report.html",
        {
            "milestone": milestone,
            "offensive": milestone.offensive,
            "form": form,
            "units": units,
        },
    )


@login_required
@require_POST
def milestone_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """The office confirms or returns a report awaiting it."""
    report = get_object_or_404(
        MilestoneReport.objects.restrict(request.user).select_related("milestone"), pk=pk
    )
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose to confirm or to return the report."))
    else:
        note = form.cleaned_data["note"]
        try:
            if form.cleaned_data["decision"] == "confirm":
                tasks_flow.confirm_part(report, acting_user=request.user, note=note)
                messages.success(request, _("Confirmed."))
            else:
                services.return_milestone(report, acting_user=request.user, reason=note)
                messages.success(request, _("Returned to the unit."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    return redirect("projects:offensive", report.milestone.offensive_id)


@login_required
def milestone_evidence(request: HttpRequest, pk: int) -> FileResponse:
    """An evidence file, as an attachment, for those who may see its task; 404 otherwise."""
    evidence = selectors.visible_evidence(request.user, pk)
    if evidence is None:
        raise Http404
    return evidence_response(evidence)
