"""Panel pages: the office's panels (build, seat experts, assign goals, results, close, feed),
the expert's own assignments with the rating form and the rubric beside it, and the goal
results a unit sees. Views fetch through `.restrict()` and write through the services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kaohe.core import access
from kaohe.core.errors import BatchRejected
from kaohe.core.roles import Action
from kaohe.flows.panels import feed_panel_scores
from kaohe.panels import selectors, services
from kaohe.panels.filters import AssignmentFilterSet, PanelFilterSet, PanelGoalFilterSet
from kaohe.panels.forms import (
    AssignForm,
    CloseForm,
    ConflictForm,
    MemberForm,
    PanelForm,
    RatingForm,
    ReasonForm,
)
from kaohe.panels.models import Assignment, ConflictDeclaration, Panel, PanelGoal, oversees_panels


def _problems(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def _panel(request: HttpRequest, pk: int) -> Panel:
    return get_object_or_404(Panel.objects.restrict(request.user).select_related("cycle"), pk=pk)


def _is_office(request: HttpRequest) -> bool:
    return access.has_citywide(request.user, Action.ADMINISTER)


@login_required
def panel_list(request: HttpRequest) -> HttpResponse:
    """The panels the user oversees, with their progress."""
    filters = PanelFilterSet(
        request.GET,
        queryset=selectors.panel_progress(
            Panel.objects.restrict(request.user).select_related("cycle", "indicator")
        ),
        request=request,
    )
    return render(
        request,
        "panels/panel_list.html",
        {"filters": filters, "panels": filters.qs, "is_office": _is_office(request)},
    )


@login_required
def panel_create(request: HttpRequest) -> HttpResponse:
    """Build a panel (the office): cycle, name, the indicator it feeds, the weights."""
    access.check_citywide(request.user, Action.ADMINISTER)
    form = PanelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            panel = services.create_panel(acting_user=request.user, **form.service_arguments())
        except ValidationError as exc:
            form.add_error(None, _problems(exc))
        else:
            return redirect("panels:detail", panel.pk)
    return render(request, "panels/panel_form.html", {"form": form})


@login_required
def panel_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A panel for the office: experts, goals and their assignments, the aggregated results,
    the agreement in words and the raters far from the panel."""
    panel = _panel(request, pk)
    results = selectors.panel_results(panel)
    assignments = (
        Assignment.objects.restrict(request.user)
        .filter(item__panel=panel)
        .select_related("member__expert", "item__goal")
    )
    by_item: dict[int, list[Assignment]] = {}
    for a in assignments:
        by_item.setdefault(a.item_id, []).append(a)
    office = _is_office(request) and panel.is_open
    return render(
        request,
        "panels/panel_detail.html",
        {
            "panel": panel,
            "results": results,
            "rows": [(g, by_item.get(g.item.pk, [])) for g in results.goals],
            "members": panel.members.select_related("expert").order_by("pk"),
            "dimensions": panel.dimensions.order_by("order"),
            "conflicts": ConflictDeclaration.objects.restrict(request.user)
            .select_related("expert", "unit")
            .filter(expert__panel_seats__panel=panel)
            .distinct(),
            "can_change": office,
            "can_feed": _is_office(request) and not panel.is_open and panel.indicator_id,
            "member_form": MemberForm(panel=panel) if office else None,
            "assign_form": AssignForm(panel=panel) if office else None,
            "conflict_form": ConflictForm(for_office=True) if office else None,
            "close_form": CloseForm() if office else None,
            "withdraw_form": ReasonForm() if office else None,
        },
    )


def _back(panel: Panel) -> HttpResponse:
    return redirect("panels:detail", panel.pk)


@login_required
@require_POST
def panel_add_member(request: HttpRequest, pk: int) -> HttpResponse:
    panel = _panel(request, pk)
    access.check_citywide(request.user, Action.ADMINISTER)
    form = MemberForm(request.POST, panel=panel)
    if not form.is_valid():
        messages.error(request, _("Choose an expert who is not on the panel yet."))
        return _back(panel)
    try:
        services.add_member(panel, form.cleaned_data["expert"], acting_user=request.user)
    except ValidationError as exc:
        messages.error(request, _problems(exc))
    return _back(panel)


@login_required
@require_POST
def panel_assign(request: HttpRequest, pk: int) -> HttpResponse:
    panel = _panel(request, pk)
    access.check_citywide(request.user, Action.ADMINISTER)
    form = AssignForm(request.POST, panel=panel)
    if not form.is_valid():
        messages.error(request, _("Choose an excellence goal and at least one expert."))
        return _back(panel)
    try:
        services.assign_goal(
            panel,
            form.cleaned_data["goal"],
            acting_user=request.user,
            experts=list(form.cleaned_data["experts"]),
        )
    except ValidationError as exc:
        messages.error(request, _problems(exc))
    else:
        messages.success(request, _("Assigned."))
    return _back(panel)


@login_required
@require_POST
def panel_close(request: HttpRequest, pk: int) -> HttpResponse:
    panel = _panel(request, pk)
    form = CloseForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.close_panel(panel, acting_user=request.user, reason=reason)
    except ValidationError as exc:
        messages.error(request, _problems(exc))
    return _back(panel)


@login_required
@require_POST
def panel_feed(request: HttpRequest, pk: int) -> HttpResponse:
    panel = _panel(request, pk)
    try:
        result = feed_panel_scores(panel, acting_user=request.user)
    except ValidationError as exc:
        messages.error(request, _problems(exc))
    except BatchRejected as exc:
        messages.error(request, "; ".join(str(e) for e in exc.errors))
    else:
        messages.success(
            request,
            _("%(n)d unit score(s) sent to the indicator %(code)s.")
            % {"n": result.batch.rows, "code": panel.indicator.code if panel.indicator else ""},
        )
    return _back(panel)


@login_required
@require_POST
def assignment_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = get_object_or_404(
        Assignment.objects.restrict(request.user).select_related("item__panel"), pk=pk
    )
    access.check_citywide(request.user, Action.ADMINISTER)
    form = ReasonForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Say why the assignment is withdrawn."))
        services.withdraw_assignment(
            assignment, acting_user=request.user, reason=form.cleaned_data["reason"]
        )
    except ValidationError as exc:
        messages.error(request, _problems(exc))
    return _back(assignment.item.panel)


@login_required
def my_assignments(request: HttpRequest) -> HttpResponse:
    """The expert's page: only their own assignments, open ones first, and their declared
    conflicts of interest."""
    filters = AssignmentFilterSet(
        request.GET, queryset=selectors.my_assignments(request.user), request=request
    )
    return render(
        request,
        "panels/my_assignments.html",
        {
            "filters": filters,
            "assignments": filters.qs,
            "conflicts": ConflictDeclaration.objects.restrict(request.user, "rate")
            .filter(expert=request.user)
            .select_related("unit"),
            "conflict_form": ConflictForm(),
        },
    )


@login_required
def assignment_rate(request: HttpRequest, pk: int) -> HttpResponse:
    """One assignment: the rating form with the rubric beside each score (the expert), or the
    rating as submitted."""
    assignment = get_object_or_404(
        Assignment.objects.restrict(request.user).select_related(
            "item__panel__cycle", "item__goal__goal_set__unit", "member__expert"
        ),
        pk=pk,
    )
    form = RatingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.submit_rating(
                assignment,
                acting_user=request.user,
                scores=form.scores(),
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, exc)
        else:
            messages.success(request, _("Rating submitted. Thank you."))
            return redirect("panels:mine")
    rating = getattr(assignment, "rating", None) if assignment.state != "open" else None
    rubric = selectors.rubric_rows(assignment.item.panel)
    return render(
        request,
        "panels/assignment_rate.html",
        {
            "assignment": assignment,
            "goal": assignment.item.goal,
            "rating": rating,
            "rows": [(row, form[row.code]) for row in rubric],
            "scores": (
                [(row, rating.scores[row.code]) for row in rubric] if rating is not None else []
            ),
            "form": form,
            "can_rate": assignment.state == "open"
            and assignment.member.expert_id == request.user.pk
            and assignment.item.panel.is_open,
        },
    )


@login_required
@require_POST
def conflict_declare(request: HttpRequest) -> HttpResponse:
    """An expert declares a conflict of interest (or the office, for an expert)."""
    office = _is_office(request)
    form = ConflictForm(request.POST, for_office=office)
    if not form.is_valid():
        messages.error(request, _("Name the unit and the conflict."))
        return redirect("panels:mine")
    expert = (form.cleaned_data.get("expert") if office else None) or request.user
    try:
        _declaration, withdrawn = services.declare_conflict(
            acting_user=request.user,
            expert=expert,
            unit=form.cleaned_data["unit"],
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as exc:
        messages.error(request, _problems(exc))
    else:
        messages.success(
            request,
            _("Conflict declared; %(n)d assignment(s) withdrawn.") % {"n": len(withdrawn)},
        )
    back = request.POST.get("next", "")
    if back.startswith("/panels/") and "//" not in back:
        return redirect(back)
    return redirect("panels:mine")


@login_required
def result_list(request: HttpRequest) -> HttpResponse:
    """The goal results the user may see: a unit its own goals', the office every goal's."""
    filters = PanelGoalFilterSet(
        request.GET,
        queryset=PanelGoal.objects.restrict(request.user).select_related(
            "panel__cycle", "goal__goal_set__unit"
        ),
        request=request,
    )
    items = list(filters.qs)
    results: dict[int, Any] = {}
    for panel in {item.panel for item in items}:
        for g in selectors.panel_results(panel).goals:
            results[g.item.pk] = g
    return render(
        request,
        "panels/result_list.html",
        {"filters": filters, "rows": [(item, results.get(item.pk)) for item in items]},
    )


@login_required
def result_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One goal's aggregated result: per dimension and overall. The office also sees each
    rating and who gave it; the goal's unit sees only the aggregate."""
    item = get_object_or_404(
        PanelGoal.objects.restrict(request.user).select_related(
            "panel__cycle", "goal__goal_set__unit"
        ),
        pk=pk,
    )
    oversees = oversees_panels(request.user)
    results = selectors.panel_results(item.panel)
    ratings = (
        Assignment.objects.restrict(request.user)
        .filter(item=item)
        .select_related("member__expert", "rating")
        .order_by("member")
        if oversees
        else Assignment.objects.none()
    )
    return render(
        request,
        "panels/result_detail.html",
        {
            "item": item,
            "goal": item.goal,
            "result": results.for_item(item),
            "oversees": oversees,
            "assignments": ratings,
        },
    )
