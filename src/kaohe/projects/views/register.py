"""Pages of the key projects register: the list, the city map, a project with its plan against
its actual investment, the office's create / change / import / check pages, the owner unit's
progress report and the scoped evidence files. Views fetch through `.restrict()` (out of scope
is a 404) and write through the services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from kaohe.core import access
from kaohe.core.errors import BatchRejected
from kaohe.core.roles import Action
from kaohe.flows.projects import feed_investment
from kaohe.monitoring.models import Warning
from kaohe.observations.evidence import EvidenceFile, evidence_response
from kaohe.projects import excel, jobs, selectors, services
from kaohe.projects.filters import KeyProjectFilterSet
from kaohe.projects.forms import CheckForm, FeedSettingsForm, ImportForm, ProjectForm, ReportForm
from kaohe.projects.models import InvestmentFeed, KeyProject, ProgressEvidence, ProgressReport
from kaohe.schemes.models import Cycle
from kaohe.units.models import CityMap
from kaohe.units.selectors import map_unit_names

MAP_NAME = "kaohe-city"


def _is_office(request: HttpRequest) -> bool:
    return access.has_citywide(request.user, Action.ADMINISTER)


def _defaults() -> dict[str, str]:
    latest = Cycle.objects.order_by("-year").first()
    return {"cycle": str(latest.year)} if latest else {}


def _filters(request: HttpRequest) -> KeyProjectFilterSet:
    queryset = KeyProject.objects.restrict(request.user).select_related(
        "cycle", "owner", "district"
    )
    return KeyProjectFilterSet(
        request.GET,
        queryset=selectors.with_figures(queryset),
        request=request,
        defaults=_defaults(),
    )


def _problems(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [f"{name}: {m}" for name, errors in exc.message_dict.items() for m in errors]
    return list(exc.messages)


@login_required
def project_list(request: HttpRequest) -> HttpResponse:
    """The register: the projects in scope with their pace and shown status."""
    filters = _filters(request)
    page = Paginator(filters.qs.order_by("cycle__year", "code"), 50).get_page(
        request.GET.get("page")
    )
    office = _is_office(request)
    return render(
        request,
        "projects/register/list.html",
        {
            "filters": filters,
            "page": page,
            "rows": [(p, selectors.pace_of(p.planned_to_date, p.actual_to_date)) for p in page],
            "labels": selectors.status_labels(),
            "is_office": office,
            "query": request.GET.urlencode(),
        },
    )


@login_required
def project_map(request: HttpRequest) -> HttpResponse:
    """The city map with the projects in scope as points coloured by shown status."""
    filters = _filters(request)
    points = selectors.map_points(filters.qs)
    city_map = CityMap.current()
    option = None
    if city_map is not None:
        option = selectors.map_option(MAP_NAME, points, map_unit_names(city_map))
    labels = selectors.status_labels()
    return render(
        request,
        "projects/register/map.html",
        {
            "filters": filters,
            "points": points,
            "city_map": city_map,
            "option": option,
            "map_name": MAP_NAME,
            "labels": labels,
            "legend": [(labels[s], c) for s, c in selectors.STATUS_COLOURS.items()],
        },
    )


def _project(request: HttpRequest, pk: int, action: str = Action.VIEW) -> KeyProject:
    return get_object_or_404(
        KeyProject.objects.restrict(request.user, action).select_related(
            "cycle", "owner", "district"
        ),
        pk=pk,
    )


@login_required
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    project = _project(request, pk)
    progress = selectors.project_progress(project)
    reports = (
        ProgressReport.objects.filter(project=project)
        .select_related("reported_by")
        .prefetch_related("evidence")
        .order_by("-month", "-version")
    )
    mine = Q(subject=selectors.project_subject(project.pk)) | Q(
        subject__startswith=selectors.project_subject(project.pk) + ":"
    )
    warnings = (
        Warning.objects.restrict(request.user)
        .filter(mine, rule__kind=selectors.SCHEDULE_KIND)
        .exclude(state=Warning.State.CLOSED)
        .select_related("rule", "time_node")
    )
    return render(
        request,
        "projects/register/detail.html",
        {
            "project": project,
            "progress": progress,
            "chart": selectors.progress_chart(progress),
            "reports": reports,
            "warnings": warnings,
            "shown": selectors.shown_status(project),
            "labels": selectors.status_labels(),
            "pace": selectors.pace_of(progress.planned_total, progress.actual_total),
            "can_report": project.owner.pk in access.unit_scope(request.user, Action.REPORT),
            "is_office": _is_office(request),
        },
    )


@login_required
def project_create(request: HttpRequest) -> HttpResponse:
    access.check_citywide(request.user, Action.ADMINISTER)
    form = ProjectForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            project = services.register_project(
                form.cleaned_data["cycle"], form.service_data(), acting_user=request.user
            )
        except ValidationError as exc:
            for message in _problems(exc):
                form.add_error(None, message)
        else:
            messages.success(request, _("The project is on the register."))
            return redirect("projects:detail", project.pk)
    return render(request, "projects/register/form.html", {"form": form, "project": None})


@login_required
def project_edit(request: HttpRequest, pk: int) -> HttpResponse:
    project = _project(request, pk, Action.ADMINISTER)  # the office's: 404 for the others
    form = ProjectForm(request.POST or None, project=project)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_project(
                project,
                acting_user=request.user,
                reason=form.cleaned_data["reason"],
                **form.service_data(),
            )
        except ValidationError as exc:
            for message in _problems(exc):
                form.add_error(None, message)
        else:
            messages.success(request, _("Saved."))
            return redirect("projects:detail", project.pk)
    return render(request, "projects/register/form.html", {"form": form, "project": project})


@login_required
def project_import(request: HttpRequest) -> HttpResponse:
    """The office uploads its register workbook: all of it is stored, or none of it."""
    access.check_citywide(request.user, Action.ADMINISTER)
    form = ImportForm(request.POST or None, request.FILES or None)
    errors: list[Any] = []
    if request.method == "POST" and form.is_valid():
        cycle = form.cleaned_data["cycle"]
        try:
            rows = excel.read_register(cycle, form.cleaned_data["workbook"].read())
            stored = services.import_projects(cycle, rows, acting_user=request.user)
        except BatchRejected as exc:
            errors = [(*_sheet_field(e.field), e.row, e.rule, e.value) for e in exc.errors]
            errors = [(sheet, row, name, rule, value) for sheet, name, row, rule, value in errors]
        except ValidationError as exc:
            form.add_error(None, " ".join(exc.messages))
        else:
            messages.success(request, _("%(n)d project(s) imported.") % {"n": len(stored)})
            return redirect(f"{reverse('projects:list')}?cycle={cycle.year}")
    return render(request, "projects/register/import.html", {"form": form, "errors": errors})


def _sheet_field(name: str) -> tuple[str, str]:
    sheet, _dot, field = name.partition(".")
    return sheet, field or sheet


@login_required
def import_template(request: HttpRequest) -> HttpResponse:
    access.check_citywide(request.user, Action.ADMINISTER)
    response = HttpResponse(
        excel.template(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = 'attachment; filename="key-projects-register.xlsx"'
    return response


@login_required
def schedule_check(request: HttpRequest) -> HttpResponse:
    """The office: check the schedules (a job), send the investment, set the feed."""
    access.check_citywide(request.user, Action.ADMINISTER)
    posted = request.POST if request.method == "POST" else None
    settings_posted = posted is not None and posted.get("action") == "settings"
    form = CheckForm(None if settings_posted else posted, initial=_defaults())
    settings_form = FeedSettingsForm(posted if settings_posted else None, initial=_defaults())
    if settings_posted and settings_form.is_valid():
        data = settings_form.cleaned_data
        try:
            services.set_investment_feed(
                data["cycle"], data["indicator"], data["min_pace"], acting_user=request.user
            )
        except ValidationError as exc:
            settings_form.add_error(None, " ".join(_problems(exc)))
        else:
            messages.success(request, _("Saved."))
            return redirect("projects:check")
    elif posted is not None and form.is_valid():
        cycle = form.cleaned_data["cycle"]
        try:
            if form.cleaned_data["action"] == "feed":
                result = feed_investment(cycle, acting_user=request.user)
            else:
                job = jobs.start_check(
                    cycle, acting_user=request.user, as_of=form.cleaned_data["as_of"]
                )
                return redirect("core:job", job.pk)
        except ValidationError as exc:
            form.add_error(None, " ".join(_problems(exc)))
        except BatchRejected as exc:
            form.add_error(None, "; ".join(str(e) for e in exc.errors[:10]))
        else:
            if result is None:
                messages.info(request, _("Nothing to send yet: no time node has ended."))
            elif result.duplicate:
                messages.info(request, _("These figures were sent already; nothing changed."))
            else:
                messages.success(request, _("%(n)d value(s) sent.") % {"n": result.batch.rows})
            return redirect("projects:check")
    return render(
        request,
        "projects/register/check.html",
        {
            "form": form,
            "settings_form": settings_form,
            "feeds": InvestmentFeed.objects.select_related("cycle", "indicator").order_by(
                "-cycle__year"
            ),
        },
    )


@login_required
def report_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The owner unit's monthly report with photos and documents."""
    project = _project(request, pk, Action.REPORT)
    form = ReportForm(request.POST or None, project=project)
    if request.method == "POST" and form.is_valid():
        files = [EvidenceFile(f.name or "", f.read()) for f in request.FILES.getlist("files")]
        try:
            report = services.report_progress(
                project,
                month=form.cleaned_data["month"],
                invested=form.cleaned_data["invested"],
                status=form.cleaned_data["status"],
                milestones_done=form.milestones_done(),
                note=form.cleaned_data["note"],
                files=files,
                acting_user=request.user,
            )
        except ValidationError as exc:
            for message in _problems(exc):
                form.add_error(None, message)
        else:
            messages.success(
                request,
                _("Progress of %(month)s reported (version %(v)d).")
                % {"month": f"{report.month:%Y-%m}", "v": report.version},
            )
            return redirect("projects:detail", project.pk)
    return render(request, "projects/register/report.html", {"form": form, "project": project})


@login_required
def evidence_file(request: HttpRequest, pk: int) -> FileResponse:
    """A report's file for those who may see its project; 404 otherwise. Photos are shown in
    the page, other files downloaded."""
    evidence = get_object_or_404(ProgressEvidence.objects.restrict(request.user), pk=pk)
    return evidence_response(evidence, inline=evidence.is_photo)
