"""People pages: the staff gradings (the office's, a unit head's), a unit's grading with the
head's proposal and the office's confirmation, reward pools with their preview and export,
the cycle's rule, a person's record across years, and the leader flags for the organisation
department. Views fetch through `.restrict(user, "personnel")` and write through the
services; nothing here is public."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kaohe import charts
from kaohe.core import access
from kaohe.core.errors import BatchRejected, RowError
from kaohe.core.roles import Action
from kaohe.people import jobs, selectors, services, upward
from kaohe.people.excel import parse_ratings, ratings_template
from kaohe.people.export import pool_workbook
from kaohe.people.filters import UnitGradingFilterSet
from kaohe.people.forms import GradesForm, PoolForm, RatingsUploadForm, ReasonForm, RuleForm
from kaohe.people.models import (
    Dimension,
    RatingSource,
    RewardPool,
    StaffRule,
    StaffRun,
    UnitGrading,
    UpwardSurvey,
)
from kaohe.schemes.models import Cycle
from kaohe.units.models import Person, Unit

P = Action.PERSONNEL


def _yuan(cents: int) -> str:
    """An amount in fen as yuan, to the fen: 1234567 → "12,345.67"."""
    return selectors.yuan(cents)


def _is_office(request: HttpRequest) -> bool:
    return access.has_citywide(request.user, Action.ADMINISTER)


def _grading(request: HttpRequest, pk: int) -> UnitGrading:
    return get_object_or_404(
        UnitGrading.objects.restrict(request.user, P).select_related(
            "run__cycle", "run__rule", "unit"
        ),
        pk=pk,
    )


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The staff gradings the user may see, newest cycle first, and the office's runs."""
    filters = UnitGradingFilterSet(
        request.GET,
        queryset=UnitGrading.objects.restrict(request.user, P)
        .select_related("run__cycle", "unit")
        .order_by("-run__cycle__year", "-run__number", "unit__path"),
        request=request,
    )
    gradings = list(filters.qs[:500])
    counts = selectors.grade_counts(gradings)
    office = _is_office(request)
    return render(
        request,
        "people/home.html",
        {
            "filters": filters,
            "gradings": [(g, counts[g.pk]) for g in gradings],
            "is_office": office,
            "runs": StaffRun.objects.select_related("cycle", "rule").order_by(
                "-cycle__year", "-number"
            )[:10]
            if office
            else [],
            "open_cycles": Cycle.objects.exclude(state=Cycle.State.CLOSED).order_by("-year")
            if office
            else [],
            "rating_cycles": Cycle.objects.exclude(state=Cycle.State.CLOSED).order_by("-year")
            if _assessable(request).exists()
            else [],
        },
    )


@login_required
@require_POST
def start_run(request: HttpRequest) -> HttpResponse:
    """Queue a staff run of a cycle (the office)."""
    cycle = get_object_or_404(Cycle, year=request.POST.get("cycle"))
    try:
        job = jobs.start_staff_run(cycle, acting_user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("people:home")
    return redirect("core:job", job.pk)


@login_required
def rule(request: HttpRequest, year: int) -> HttpResponse:
    """The cycle's rule for assessing people: its versions and a new one (the office)."""
    access.check_citywide(request.user, Action.ADMINISTER)
    cycle = get_object_or_404(Cycle, year=year)
    current = services.current_rule(cycle)
    initial = None
    if current is not None:
        initial = {
            "score_scheme": current.score_scheme,
            "excellent_min": current.excellent_min,
            "competent_min": current.competent_min,
            "basic_min": current.basic_min,
            "default_share": current.default_share,
            "score_weighted": current.score_weighted,
            **{f"coefficient_{k}": v for k, v in current.reward_coefficients.items()},
        }
    form = RuleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            made = services.set_rule(cycle, acting_user=request.user, **form.service_arguments())
        except ValidationError as exc:
            form.add_error(None, " ".join(exc.messages))
        else:
            messages.success(request, _("Version %(n)d of the rule is set.") % {"n": made.number})
            return redirect("people:rule", year)
    return render(
        request,
        "people/rule.html",
        {
            "cycle": cycle,
            "form": form,
            "versions": StaffRule.objects.filter(cycle=cycle).order_by("-number"),
        },
    )


@login_required
def grading(request: HttpRequest, pk: int) -> HttpResponse:
    """A unit's staff grading: the people by score, the quota, and the step the user may take —
    the head proposes while it is open, the office confirms or returns a proposal."""
    item = _grading(request, pk)
    rows = selectors.grading_rows(item)
    office = _is_office(request)
    may_propose = (
        item.state != UnitGrading.State.CONFIRMED
        and item.unit_id in access.unit_scope(request.user, Action.SUBMIT)
        and not office
    )
    may_confirm = office and item.state == UnitGrading.State.PROPOSED
    refusal = ""
    if may_confirm and item.unit_id in access.own_unit_ids(request.user):
        may_confirm, refusal = (
            False,
            _("No one judges their own unit: you belong to %(unit)s.") % {"unit": item.unit},
        )
    form = GradesForm(rows, request.POST or None)
    if request.method == "POST" and (may_propose or may_confirm) and form.is_valid():
        try:
            if may_propose:
                services.propose_grades(item, form.grades(), acting_user=request.user)
                messages.success(request, _("The grades are proposed to the office."))
            else:
                services.confirm_grades(
                    item,
                    acting_user=request.user,
                    changes=form.grades(),
                    reason=form.cleaned_data["reason"],
                )
                messages.success(request, _("The grades are confirmed."))
        except (ValidationError, PermissionDenied) as exc:
            problems = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
            for problem in problems:
                form.add_error(None, problem)
        else:
            return redirect("people:grading", pk)
    pool = RewardPool.objects.filter(grading=item).first()
    return render(
        request,
        "people/grading.html",
        {
            "grading": item,
            "rows": [(row, form.field_for(row.result.person_id)) for row in rows],
            "form": form,
            "counts": selectors.grade_counts([item])[item.pk],
            "may_propose": may_propose,
            "may_confirm": may_confirm,
            "refusal": refusal,
            "is_office": office,
            "pool": pool,
            "return_form": ReasonForm(),
            "upward_surveys": UpwardSurvey.objects.restrict(request.user, P)
            .filter(cycle=item.run.cycle, unit=item.unit)
            .select_related("survey"),
        },
    )


@login_required
@require_POST
def return_grading(request: HttpRequest, pk: int) -> HttpResponse:
    """The office sends a proposal back to the unit head, with the reason."""
    item = _grading(request, pk)
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            services.return_grades(
                item, acting_user=request.user, reason=form.cleaned_data["reason"]
            )
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        else:
            messages.success(request, _("The proposal went back to the unit."))
    else:
        messages.error(request, _("Say why the proposal goes back."))
    return redirect("people:grading", pk)


@login_required
def pool(request: HttpRequest, pk: int) -> HttpResponse:
    """A unit's reward pool: its amount (the office), the preview by tier, the confirmation."""
    item = _grading(request, pk)
    current = RewardPool.objects.filter(grading=item).first()
    office = _is_office(request)
    form = PoolForm(
        request.POST or None,
        initial={"amount": f"{current.amount_cents / 100:.2f}"} if current else None,
    )
    if request.method == "POST" and office:
        try:
            if "confirm" in request.POST and current is not None:
                services.confirm_reward_pool(current, acting_user=request.user)
                messages.success(request, _("The reward pool is confirmed."))
                return redirect("people:pool", pk)
            if form.is_valid():
                services.set_reward_pool(
                    item, acting_user=request.user, amount=form.cleaned_data["amount"]
                )
                return redirect("people:pool", pk)
        except (ValidationError, PermissionDenied) as exc:
            for problem in exc.messages if isinstance(exc, ValidationError) else [str(exc)]:
                form.add_error(None, problem)
    lines, undistributed = services.reward_preview(current) if current else ([], 0)
    return render(
        request,
        "people/pool.html",
        {
            "grading": item,
            "pool": current,
            "form": form,
            "lines": [(line, _yuan(line.amount_cents)) for line in lines],
            "amount": _yuan(current.amount_cents) if current else "",
            "undistributed": undistributed,
            "is_office": office,
        },
    )


@login_required
def pool_export(request: HttpRequest, pk: int) -> HttpResponse:
    """The confirmed pool as an Excel sheet for payroll (the office)."""
    item = get_object_or_404(
        UnitGrading.objects.restrict(request.user, Action.ADMINISTER).select_related(
            "run__cycle", "unit"
        ),
        pk=pk,
    )
    current = get_object_or_404(RewardPool, grading=item, state=RewardPool.State.CONFIRMED)
    response = HttpResponse(
        pool_workbook(current),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    name = f"rewards-{item.unit.code}-{item.run.cycle.year}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def record(request: HttpRequest, code: str) -> HttpResponse:
    """A person's record across years: score, grade, reward, evaluations, flags, charts."""
    person = get_object_or_404(
        Person.objects.restrict(request.user, P).select_related("unit", "post"), code=code
    )
    years = selectors.person_record(person, request.user)
    flags = [f for f in selectors.leader_flags([person.unit]) if f.person.pk == person.pk]
    chronological = list(reversed(years))
    trend = charts.line_chart(
        _("Score by year"),
        [f"{y.year}Y" for y in chronological],
        {_("Score"): [y.result.score if y.result else None for y in chronological]},
        unit=_("points"),
    )
    radar = None
    if years and years[0].ratings:
        latest = years[0]
        radar = charts.radar_chart(
            _("Evaluations %(year)d") % {"year": latest.year},
            [{"name": str(label), "max": 100} for _code, label in Dimension.choices],
            {
                str(label): [latest.ratings.get(source, {}).get(d, 0) for d in Dimension.values]
                for source, label in RatingSource.choices
                if source in latest.ratings
            },
        )
    explained = next((y for y in years if y.result and y.result.explanation), None)
    tree = explained.result.explanation.get("tree") if explained and explained.result else None
    lang = "en" if (get_language() or "").startswith("en") else "zh"
    return render(
        request,
        "people/record.html",
        {
            "explained": explained,
            "tree": tree,
            "names": selectors.tree_names(tree, lang) if tree else {},
            "links": {},
            "person": person,
            "years": years,
            "flags": flags,
            "trend": trend,
            "radar": radar,
            "dimensions": Dimension.choices,
            "sources": RatingSource.choices,
        },
    )


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    """The signed-in civil servant's own record (a page saying so when the login has none)."""
    person = getattr(request.user, "person", None)  # the units app's Person, by its relation
    if person is not None:
        return redirect("people:record", person.code)
    return render(request, "people/no_record.html")


@login_required
def flags(request: HttpRequest) -> HttpResponse:
    """Leaders marked for priority in promotion or for adjustment, every unit: for the
    organisation department and the office."""
    access.check_citywide(request.user, P)
    units = Unit.objects.filter(is_assessed=True).order_by("path")
    marked = selectors.leader_flags(list(units))
    return render(
        request,
        "people/flags.html",
        {
            "sections": [
                (
                    _("Priority in promotion"),
                    [f for f in marked if f.kind == "promotion"],
                    "promotion",
                ),
                (
                    _("Marked for adjustment"),
                    [f for f in marked if f.kind == "adjustment"],
                    "adjustment",
                ),
            ]
        },
    )


@login_required
def ratings(request: HttpRequest, year: int) -> HttpResponse:
    """Evaluations by upload: the workbook of the people the user assesses, filled in and sent
    back (a unit head their unit's people, the office anyone's); all rows or none."""
    cycle = get_object_or_404(Cycle, year=year)
    people = _assessable(request)
    form = RatingsUploadForm(request.POST or None, request.FILES or None)
    problems: list[RowError] = []
    if request.method == "POST" and form.is_valid():
        try:
            rows = parse_ratings(form.cleaned_data["file"].read())
            stored = services.record_ratings(cycle, rows, acting_user=request.user)
        except BatchRejected as exc:
            problems = list(exc.errors)
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, " ".join(getattr(exc, "messages", [str(exc)])))
        else:
            messages.success(request, _("%(n)d ratings stored.") % {"n": stored})
            return redirect("people:ratings", year)
    return render(
        request,
        "people/ratings.html",
        {"cycle": cycle, "form": form, "problems": problems, "count": people.count()},
    )


@login_required
def ratings_template_view(request: HttpRequest, year: int) -> HttpResponse:
    """The evaluations workbook for the people the user assesses."""
    get_object_or_404(Cycle, year=year)
    people = list(_assessable(request))  # none for who assesses nobody: an empty workbook
    response = HttpResponse(
        ratings_template(people),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="ratings-{year}.xlsx"'
    return response


def _assessable(request: HttpRequest) -> QuerySet[Person]:
    """The people whose evaluations the user enters: the office everyone of the assessed units,
    a unit head their unit's (the service checks again)."""
    people = Person.objects.filter(unit__is_assessed=True, unit__active=True)
    if not access.has_citywide(request.user, Action.ADMINISTER):
        heads = access.unit_scope(request.user, Action.SUBMIT)
        personnel = access.unit_scope(request.user, P)
        people = people.filter(unit__in=sorted(heads.unit_ids & personnel.unit_ids))
    return people.select_related("unit").order_by("unit__path", "code")


@login_required
@require_POST
def upward_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Field an anonymous upward survey of the grading's unit (the office)."""
    item = _grading(request, pk)
    try:
        made = upward.create_upward_survey(item.run.cycle, item.unit, acting_user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("people:grading", pk)
    return redirect("surveys:detail", made.survey_id)


@login_required
@require_POST
def upward_feed(request: HttpRequest, pk: int) -> HttpResponse:
    """Feed a closed upward survey into the leaders' upward ratings (the office)."""
    item = get_object_or_404(UpwardSurvey.objects.restrict(request.user, P), pk=pk)
    access.check_citywide(request.user, Action.ADMINISTER)
    try:
        fed = upward.feed_upward_ratings(item, acting_user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except BatchRejected as exc:
        messages.error(request, " ".join(str(e) for e in exc.errors))
    else:
        messages.success(
            request,
            _("%(n)d upward ratings stored; %(m)d left out for too few answers.")
            % {"n": fed.stored, "m": len(fed.too_few)},
        )
    return redirect(request.POST.get("next") or "people:home")
