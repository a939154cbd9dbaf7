"""Goal pages: a unit's portfolio, each reviewer level's inbox, a goal with its history and the
side-by-side comparison of versions, the office's rules, district target suggestions, and the
in-app notifications. Views fetch through `.restrict()` and write through the services."""

from __future__ import annotations

import statistics
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kaohe import charts
from kaohe.core import access
from kaohe.core.models import AuditEvent, Notification
from kaohe.core.roles import Action
from kaohe.goals import jobs, selectors, services
from kaohe.goals.filters import GoalSetFilterSet, TargetSuggestionFilterSet
from kaohe.goals.forms import (
    DeadlinesForm,
    DecisionForm,
    GoalForm,
    RulesForm,
    SubmitForm,
    SuggestionDecisionForm,
)
from kaohe.goals.models import (
    LEVEL_ORDER,
    Goal,
    GoalSet,
    ReviewDeadline,
    ReviewLevel,
    TargetSuggestion,
)
from kaohe.observations.models import Observation
from kaohe.schemes.models import Cycle
from kaohe.units.models import Post, Unit, visible_units
from kaohe.web.pagecache import cached_page


def _error_text(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def _cycle(request: HttpRequest) -> Cycle | None:
    year = request.GET.get("cycle") or request.POST.get("cycle")
    cycles = Cycle.objects.order_by("-year")
    if year and year.isdigit():
        return cycles.filter(year=int(year)).first()
    return cycles.first()


def _goal_set(request: HttpRequest, pk: int) -> GoalSet:
    return get_object_or_404(
        GoalSet.objects.restrict(request.user).select_related("unit", "cycle"), pk=pk
    )


def _may(request: HttpRequest, action: str, unit: Unit) -> bool:
    return unit.pk in access.unit_scope(request.user, action)


@login_required
@cached_page("goal-sets")
def goal_set_list(request: HttpRequest) -> HttpResponse:
    """Goal portfolios the user may see in a cycle, and opening one for the user's units."""

    def build() -> dict[str, Any]:  # run only when the cached content is stale
        cycle = _cycle(request)
        filters = GoalSetFilterSet(
            request.GET,
            queryset=GoalSet.objects.restrict(request.user)
            .select_related("unit", "cycle")
            .annotate(
                key_count=Count("goals", filter=Q(goals__kind=Goal.Kind.KEY)),
                excellence_count=Count("goals", filter=Q(goals__kind=Goal.Kind.EXCELLENCE)),
            )
            .order_by("unit__path"),
            request=request,
            defaults={"cycle": str(cycle.year) if cycle else ""},
        )
        openable = (
            visible_units(request.user, Action.CHANGE)
            .filter(is_assessed=True)
            .exclude(goal_sets__cycle=cycle)
            .order_by("path")
        )
        return {
            "cycle": cycle,
            "filters": filters,
            "goal_sets": filters.qs,
            "openable": openable if cycle is not None else [],
            "levels": selectors.levels_of(request.user),
            "is_office": access.has_citywide(request.user, Action.ADMINISTER),
        }

    return render(request, "goals/goal_set_list.html", {"build": build})


@login_required
@require_POST
def goal_set_create(request: HttpRequest) -> HttpResponse:
    cycle = _cycle(request)
    unit: Unit = get_object_or_404(
        visible_units(request.user, Action.CHANGE), code=request.POST.get("unit", "")
    )
    if cycle is None:
        raise Http404
    try:
        goal_set = services.create_goal_set(unit, cycle, acting_user=request.user)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
        return redirect("goals:list")
    return redirect("goals:set_detail", goal_set.pk)


def _steps(goal_set: GoalSet) -> list[dict[str, Any]]:
    """The four levels with where the portfolio stands at each."""
    current = LEVEL_ORDER.index(goal_set.level) if goal_set.level else None
    steps = []
    for index, level in enumerate(ReviewLevel):
        if goal_set.state == GoalSet.State.APPROVED:
            status = "done"
        elif current is None:
            status = "todo"
        elif index < current:
            status = "done"
        elif index == current:
            status = "returned" if goal_set.state == GoalSet.State.RETURNED else "current"
        else:
            status = "todo"
        steps.append({"level": level.value, "label": level.label, "status": status})
    return steps


@login_required
def goal_set_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A unit's portfolio: its goals, where it stands, what to do next, and its history."""
    goal_set = _goal_set(request, pk)
    goals = services.ordered_goals(goal_set)
    can_change = goal_set.editable and _may(request, Action.CHANGE, goal_set.unit)
    can_submit = goal_set.editable and _may(request, Action.SUBMIT, goal_set.unit)
    can_decide = goal_set.state == GoalSet.State.IN_REVIEW and selectors.can_act_at(
        request.user, goal_set.level, goal_set.unit
    )
    versions = list(goal_set.versions.select_related("submitted_by").order_by("-number"))
    actions = list(goal_set.actions.select_related("actor", "version").order_by("-at", "-id"))
    rules = services.rules_for(goal_set.cycle)
    return render(
        request,
        "goals/goal_set_detail.html",
        {
            "goal_set": goal_set,
            "key_goals": [g for g in goals if g.kind == Goal.Kind.KEY],
            "excellence_goals": [g for g in goals if g.kind == Goal.Kind.EXCELLENCE],
            "rules": rules,
            "problems": services.portfolio_problems(goal_set) if goal_set.editable else [],
            "can_change": can_change,
            "can_submit": can_submit,
            "can_decide": can_decide,
            "submit_form": SubmitForm(),
            "decision_form": DecisionForm(),
            "deadline": services.deadline_for(goal_set),
            "today": timezone.localdate(),
            "steps": _steps(goal_set),
            "versions": versions,
            "actions": actions,
            "last_return": next((a for a in actions if a.decision == "return"), None),
        },
    )


def _goal_form_page(request: HttpRequest, goal_set: GoalSet, goal: Goal | None) -> HttpResponse:
    if not (goal_set.editable and _may(request, Action.CHANGE, goal_set.unit)):
        raise PermissionDenied
    nodes = list(goal_set.cycle.time_nodes.order_by("order"))
    form = GoalForm(request.POST or None, instance=goal, time_nodes=nodes)
    if request.method == "POST" and form.is_valid():
        arguments = form.service_arguments()
        try:
            if goal is None:
                services.add_goal(goal_set, acting_user=request.user, **arguments)
            else:
                services.update_goal(goal, acting_user=request.user, **arguments)
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, exc)
        else:
            messages.success(request, _("The goal was saved."))
            return redirect("goals:set_detail", goal_set.pk)
    return render(
        request, "goals/goal_form.html", {"form": form, "goal_set": goal_set, "goal": goal}
    )


@login_required
def goal_add(request: HttpRequest, pk: int) -> HttpResponse:
    return _goal_form_page(request, _goal_set(request, pk), None)


def _goal(request: HttpRequest, pk: int) -> Goal:
    return get_object_or_404(
        Goal.objects.restrict(request.user).select_related(
            "goal_set__unit", "goal_set__cycle", "indicator"
        ),
        pk=pk,
    )


@login_required
def goal_edit(request: HttpRequest, pk: int) -> HttpResponse:
    goal = _goal(request, pk)
    return _goal_form_page(request, goal.goal_set, goal)


@login_required
@require_POST
def goal_remove(request: HttpRequest, pk: int) -> HttpResponse:
    goal = _goal(request, pk)
    try:
        services.remove_goal(goal, acting_user=request.user)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    except PermissionDenied:
        raise
    else:
        messages.success(request, _("The goal was removed."))
    return redirect("goals:set_detail", goal.goal_set.pk)


@login_required
@require_POST
def goal_set_submit(request: HttpRequest, pk: int) -> HttpResponse:
    goal_set = _goal_set(request, pk)
    form = SubmitForm(request.POST)
    form.is_valid()
    try:
        version = services.submit_goal_set(
            goal_set, acting_user=request.user, note=form.cleaned_data.get("note", "")
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("Version %(number)d was submitted for review.") % {"number": version.number},
        )
    return redirect("goals:set_detail", goal_set.pk)


@login_required
@require_POST
def goal_set_decide(request: HttpRequest, pk: int) -> HttpResponse:
    goal_set = _goal_set(request, pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a decision."))
        return redirect("goals:set_detail", goal_set.pk)
    comment = form.cleaned_data["comment"]
    try:
        if form.cleaned_data["decision"] == "approve":
            services.approve_goal_set(goal_set, acting_user=request.user, comment=comment)
            messages.success(request, _("Approved at your level."))
        else:
            services.return_goal_set_for_revision(
                goal_set, acting_user=request.user, comment=comment
            )
            messages.success(request, _("Returned to the unit for revision."))
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    return redirect("goals:set_detail", goal_set.pk)


@login_required
def goal_set_compare(request: HttpRequest, pk: int) -> HttpResponse:
    """Two versions of a portfolio side by side (default: the last two)."""
    goal_set = _goal_set(request, pk)
    versions = list(goal_set.versions.order_by("number"))
    if not versions:
        raise Http404
    numbers = [v.number for v in versions]

    def pick(name: str, default: int) -> int:
        value = request.GET.get(name, "")
        return int(value) if value.isdigit() and int(value) in numbers else default

    a = pick("a", numbers[-2] if len(numbers) > 1 else numbers[0])
    b = pick("b", numbers[-1])
    left = next(v for v in versions if v.number == a)
    right = next(v for v in versions if v.number == b)
    return render(
        request,
        "goals/goal_set_compare.html",
        {
            "goal_set": goal_set,
            "versions": versions,
            "left": left,
            "right": right,
            "diff": selectors.diff_snapshots(left.snapshot, right.snapshot),
        },
    )


@login_required
def goal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One goal: targets per time node beside the observed values, milestones, shares, history."""
    goal = _goal(request, pk)
    unit = goal.goal_set.unit
    observed: dict[int, Any] = {}
    if goal.indicator_id:
        observed = dict(
            Observation.objects.filter(
                unit=unit, indicator=goal.indicator, time_node__cycle=goal.goal_set.cycle
            ).values_list("time_node_id", "value")
        )
    targets = [
        {"node": t.time_node, "target": t.value, "observed": observed.get(t.time_node_id)}
        for t in goal.targets.select_related("time_node").order_by("time_node__order")
    ]
    can_decompose = goal.goal_set.state == GoalSet.State.APPROVED and _may(
        request, Action.CHANGE, unit
    )
    divisions = Unit.objects.filter(kind=Unit.Kind.DIVISION, path__startswith=unit.path)
    posts = Post.objects.filter(unit__path__startswith=unit.path).select_related("unit")
    history = AuditEvent.objects.filter(
        content_type=ContentType.objects.get_for_model(Goal), object_id=str(goal.pk)
    ).select_related("acting_user")
    across_versions = []
    for version in goal.goal_set.versions.order_by("number"):
        frozen = next((g for g in version.snapshot["goals"] if g["id"] == goal.pk), None)
        across_versions.append({"version": version, "goal": frozen})
    comments = goal.goal_set.actions.select_related("actor", "version").order_by("at", "id")
    return render(
        request,
        "goals/goal_detail.html",
        {
            "goal": goal,
            "goal_set": goal.goal_set,
            "targets": targets,
            "shares": goal.shares.select_related("division", "post"),
            "can_decompose": can_decompose,
            "divisions": divisions if can_decompose else [],
            "posts": posts if can_decompose else [],
            "history": history,
            "across_versions": across_versions,
            "comments": comments,
        },
    )


@login_required
@require_POST
def goal_decompose(request: HttpRequest, pk: int) -> HttpResponse:
    """Shares arrive as fields division_<id> / post_<id> holding a percentage."""
    goal = _goal(request, pk)
    unit = goal.goal_set.unit
    rows = []
    for name in request.POST:
        value = request.POST.get(name, "")
        if not value.strip() or not name.startswith(("division_", "post_")):
            continue
        kind, _sep, ident = name.partition("_")
        if not ident.isdigit():
            continue
        holder: Unit | Post
        if kind == "division":
            holder = get_object_or_404(Unit, pk=int(ident), path__startswith=unit.path)
        else:
            holder = get_object_or_404(Post, pk=int(ident), unit__path__startswith=unit.path)
        rows.append(services.ShareRow(holder, value.strip()))
    try:
        services.decompose_goal(goal, acting_user=request.user, shares=rows)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("The goal was decomposed."))
    return redirect("goals:goal_detail", goal.pk)


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """Per review level the user acts at: the portfolios waiting, with their due dates."""
    levels = selectors.levels_of(request.user)
    cycle_deadlines: dict[tuple[int, str], Any] = {
        (d.cycle_id, d.level): d.due_date for d in ReviewDeadline.objects.all()
    }
    today = timezone.localdate()
    boxes = []
    for level in levels:
        items = []
        for goal_set in selectors.inbox(request.user, level):
            due = cycle_deadlines.get((goal_set.cycle_id, level))
            items.append(
                {"goal_set": goal_set, "due": due, "overdue": due is not None and due < today}
            )
        boxes.append({"level": level, "label": ReviewLevel(level).label, "items": items})
    return render(request, "goals/inbox.html", {"boxes": boxes})


@login_required
@require_POST
def batch_approve(request: HttpRequest) -> HttpResponse:
    ids = [int(i) for i in request.POST.getlist("goal_set") if i.isdigit()]
    chosen = list(GoalSet.objects.restrict(request.user).filter(pk__in=ids))
    if len(chosen) != len(set(ids)):
        raise Http404
    try:
        actions = services.approve_goal_sets_in_batch(
            chosen, acting_user=request.user, comment=request.POST.get("comment", "")
        )
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(
            request, _("%(count)d goal portfolio(s) approved.") % {"count": len(actions)}
        )
    return redirect("goals:inbox")


@login_required
def rules(request: HttpRequest) -> HttpResponse:
    """The office sets the portfolio rules and review deadlines of a cycle, and sends reminders."""
    if not access.has_citywide(request.user, Action.ADMINISTER):
        raise PermissionDenied
    cycle = _cycle(request)
    if cycle is None:
        raise Http404
    current = services.rules_for(cycle)
    dates = {d.level: d.due_date for d in ReviewDeadline.objects.filter(cycle=cycle)}
    rules_form = RulesForm(
        initial={
            "min_key": current.min_key,
            "max_key": current.max_key,
            "min_excellence": current.min_excellence,
            "max_excellence": current.max_excellence,
        }
    )
    deadlines_form = DeadlinesForm(initial_dates=dates)
    if request.method == "POST":
        what = request.POST.get("what")
        try:
            if what == "rules":
                rules_form = RulesForm(request.POST)
                if rules_form.is_valid():
                    services.set_portfolio_rules(
                        cycle, acting_user=request.user, **rules_form.cleaned_data
                    )
                    messages.success(request, _("The portfolio rules were saved."))
                    return redirect(f"{request.path}?cycle={cycle.year}")
            elif what == "deadlines":
                deadlines_form = DeadlinesForm(request.POST, initial_dates=dates)
                if deadlines_form.is_valid():
                    for level, due in deadlines_form.cleaned_data.items():
                        if due is not None and due != dates.get(level):
                            services.set_review_deadline(
                                cycle, acting_user=request.user, level=level, due_date=due
                            )
                    messages.success(request, _("The review deadlines were saved."))
                    return redirect(f"{request.path}?cycle={cycle.year}")
            elif what == "remind":
                sent = services.send_review_reminders(cycle, acting_user=request.user)
                messages.success(request, _("%(count)d reminder(s) sent.") % {"count": sent})
                return redirect(f"{request.path}?cycle={cycle.year}")
        except ValidationError as exc:
            messages.error(request, _error_text(exc))
    return render(
        request,
        "goals/rules.html",
        {
            "cycle": cycle,
            "cycles": Cycle.objects.order_by("-year"),
            "rules_form": rules_form,
            "deadlines_form": deadlines_form,
        },
    )


@login_required
def suggestion_list(request: HttpRequest) -> HttpResponse:
    """Districts with their suggested targets for a cycle; the office computes them."""
    cycle = _cycle(request)
    is_office = access.has_citywide(request.user, Action.ADMINISTER)
    if request.method == "POST":
        if not is_office or cycle is None:
            raise PermissionDenied
        job = jobs.start_suggestions(cycle, acting_user=request.user)
        return redirect("core:job", pk=job.pk)
    filters = TargetSuggestionFilterSet(
        request.GET,
        queryset=TargetSuggestion.objects.restrict(request.user),
        request=request,
        defaults={"cycle": str(cycle.year) if cycle else ""},
    )
    counts = (
        filters.qs.values("unit__code", "unit__name_zh", "unit__name_en")
        .annotate(
            total=Count("id"),
            accepted=Count("id", filter=Q(state="accepted")),
            adjusted=Count("id", filter=Q(state="adjusted")),
            breaks=Count("id", filter=Q(has_break=True)),
        )
        .order_by("unit__code")
    )
    mase: dict[str, list[float]] = {}
    for code, value in filters.qs.filter(backtest_mase__isnull=False).values_list(
        "unit__code", "backtest_mase"
    ):
        if value is not None:
            mase.setdefault(code, []).append(value)
    english = (request.LANGUAGE_CODE or "").startswith("en")
    rows = [
        {
            **row,
            "name": (row["unit__name_en"] if english else "") or row["unit__name_zh"],
            "median_mase": statistics.median(mase[row["unit__code"]])
            if mase.get(row["unit__code"])
            else None,
        }
        for row in counts
    ]
    return render(
        request,
        "goals/suggestion_list.html",
        {
            "cycle": cycle,
            "filters": filters,
            "rows": rows,
            "is_office": is_office,
        },
    )


@login_required
def suggestion_unit(request: HttpRequest, code: str) -> HttpResponse:
    """One district's suggested targets: history, band and target drawn, the reason in words."""
    unit: Unit = get_object_or_404(visible_units(request.user), code=code)
    cycle = _cycle(request)
    suggestions = list(
        TargetSuggestion.objects.restrict(request.user)
        .filter(unit=unit, cycle=cycle)
        .select_related("indicator", "adjusted_by")
        .order_by("indicator__code")
    )
    labels = {
        "history": _("history"),
        "band": _("forecast range"),
        "target": _("suggested target"),
        "decided": _("target set"),
    }
    cards = []
    for s in suggestions:
        years = sorted(s.history)
        decimals = s.indicator.decimals
        cards.append(
            {
                "s": s,
                "chart_id": f"chart-{s.indicator.code}",
                "chart": charts.target_suggestion_chart(
                    s.indicator.name,
                    [f"{y}Y" for y in years],
                    [charts.rounded(s.history[y], decimals) for y in years],
                    target_period=s.period,
                    low=round(s.low, decimals),
                    high=round(s.high, decimals),
                    target=round(s.target, decimals),
                    decided=(
                        round(s.accepted_value, decimals)
                        if s.state == TargetSuggestion.State.ADJUSTED
                        and s.accepted_value is not None
                        else None
                    ),
                    labels=labels,
                    unit=s.indicator.unit_of_measure,
                ),
            }
        )
    return render(
        request,
        "goals/suggestion_unit.html",
        {
            "unit": unit,
            "cycle": cycle,
            "cards": cards,
            "can_decide": access.has_citywide(request.user, Action.ADMINISTER),
            "form": SuggestionDecisionForm(),
        },
    )


@login_required
@require_POST
def suggestion_decide(request: HttpRequest, pk: int) -> HttpResponse:
    suggestion = get_object_or_404(
        TargetSuggestion.objects.restrict(request.user).select_related("unit", "cycle"), pk=pk
    )
    back = redirect(
        reverse("goals:suggestion_unit", args=[suggestion.unit.code])
        + f"?cycle={suggestion.cycle.year}#s-{suggestion.pk}"
    )
    form = SuggestionDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a decision."))
        return back
    try:
        if form.cleaned_data["decision"] == "accept":
            services.accept_suggestion(suggestion, acting_user=request.user)
        else:
            value = form.cleaned_data["value"]
            if value is None:
                raise ValidationError(_("Give the target you set."))
            services.adjust_suggestion(
                suggestion,
                acting_user=request.user,
                value=value,
                reason=form.cleaned_data["reason"],
            )
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("The target was recorded."))
    return back


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    """The user's in-app messages; opening the page or following one marks them read."""
    mine = Notification.objects.filter(user__in=[request.user.pk])
    if request.method == "POST":
        mine.filter(read_at__isnull=True).update(read_at=timezone.now())
        target = request.POST.get("next", "")
        if target.startswith("/") and not target.startswith("//"):
            return redirect(target)
        return redirect("goals:notifications")
    return render(request, "goals/notifications.html", {"notifications": mine[:100]})
