"""Result pages: runs, the ranking per category, a unit's explained score, robustness, Excel."""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Max, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import condition, require_POST

from kaohe import charts
from kaohe.core import access
from kaohe.core.roles import Action
from kaohe.observations.models import ObservationVersion
from kaohe.results import jobs, public, reports, selectors, services
from kaohe.results.diagnosis import diagnose
from kaohe.results.export import run_workbook
from kaohe.results.filters import ProvisionalStandingFilterSet, ScoringRunFilterSet
from kaohe.results.forms import RunForm
from kaohe.results.labels import RunLabels, node_names
from kaohe.results.models import ProvisionalStanding, Report, ScoringRun, UnitResult
from kaohe.web.pagecache import cached_page

GRADE_COLORS = {
    "excellent": "#b71c1c",
    "good": "#1f4e8c",
    "qualified": "#e0a100",
    "unqualified": "#5f6b7a",
}


def _is_admin(request: HttpRequest) -> bool:
    return access.has_citywide(request.user, Action.ADMINISTER)


@login_required
def run_list(request: HttpRequest) -> HttpResponse:
    filters = ScoringRunFilterSet(
        request.GET,
        queryset=selectors.visible_runs(request.user).order_by(
            "-cycle__year", "category__order", "-number"
        ),
        request=request,
    )
    form = RunForm() if _is_admin(request) else None
    return render(
        request, "results/run_list.html", {"runs": filters.qs, "filters": filters, "form": form}
    )


@login_required
@require_POST
def run_start(request: HttpRequest) -> HttpResponse:
    if not _is_admin(request):
        raise PermissionDenied
    form = RunForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a published scheme version."))
        return redirect("results:list")
    try:
        job = jobs.start_scoring_run(
            form.cleaned_data["version"],
            acting_user=request.user,
            snapshot_at=form.cleaned_data["snapshot_at"],
            node_code=form.cleaned_data["node_code"],
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("results:list")
    messages.success(request, _("Run queued: it appears here when it is computed."))
    return redirect("core:job", pk=job.pk)


@login_required
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The ranking of every category in the run, with grades, changes, flags and intervals."""
    run = get_object_or_404(selectors.visible_runs(request.user), pk=pk)
    groups = selectors.ranking(run)
    labels = RunLabels(run.scheme_version.document)
    for group in groups:
        for r in group["results"]:
            r.grade_name = labels.grade(r.grade)
            r.flag_list = labels.flags(r.flags, borderline=False)
    for index, group in enumerate(groups):
        results = [r for r in group["results"] if r.total_rounded is not None]
        group["chart_id"] = f"chart-totals-{index}"
        group["chart"] = charts.bar_chart(
            _("Scores"), [r.unit.name for r in results], [r.total_rounded for r in results]
        )
        group["chart"]["series"][0]["data"] = [
            {"value": r.total_rounded, "itemStyle": {"color": GRADE_COLORS.get(r.grade, "#888")}}
            for r in results
        ]
        ranked = [r for r in results if r.robustness]
        if ranked:
            group["interval_id"] = f"chart-interval-{index}"
            group["interval"] = charts.rank_interval_chart(
                _("Rank interval (5th–95th percentile) under changed weights"),
                [r.unit.name for r in ranked],
                [(r.robustness.get("p5"), r.rank, r.robustness.get("p95")) for r in ranked],
            )
    return render(
        request,
        "results/run_detail.html",
        {
            "run": run,
            "groups": groups,
            "is_admin": _is_admin(request),
            "visible_units": set(
                UnitResult.objects.restrict(request.user)
                .filter(run=run)
                .values_list("unit_id", flat=True)
            ),
        },
    )


@login_required
@require_POST
def run_publish(request: HttpRequest, pk: int) -> HttpResponse:
    if not _is_admin(request):
        raise PermissionDenied
    run = get_object_or_404(ScoringRun, pk=pk)
    try:
        services.publish_scoring_run(
            run, acting_user=request.user, reason=request.POST.get("reason", "")
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Published. These results can no longer change."))
    return redirect("results:run", pk=pk)


@login_required
def run_export(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(selectors.visible_runs(request.user), pk=pk)
    if not access.has_citywide(request.user, Action.VIEW):
        raise PermissionDenied  # the full table of every unit is for city-wide roles
    response = HttpResponse(
        run_workbook(run),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="kaohe-{run.cycle.year}-{run.category.code}-run{run.number}.xlsx"'
    )
    return response


_VERSION = re.compile(r"^v(\d+)$")


def _provenance_links(user: Any, tree: dict[str, Any]) -> dict[str, int]:
    """Map "v123" provenance labels to the observation whose history the user may open."""
    labels: set[str] = set()

    def collect(node: Any) -> None:
        if isinstance(node, dict):
            value = node.get("provenance")
            if isinstance(value, str) and _VERSION.match(value):
                labels.add(value)
            for child in node.values():
                collect(child)
        elif isinstance(node, list):
            for child in node:
                collect(child)

    collect(tree)
    ids = [int(label[1:]) for label in labels]
    rows = (
        ObservationVersion.objects.restrict(user)
        .filter(pk__in=ids)
        .values_list("pk", "observation_id")
    )
    return {f"v{pk}": observation for pk, observation in rows}


@login_required
def unit_result(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    """One unit's score explained: the tree from the total to each input version, the sections
    against the category, and its results over the cycles."""
    run = get_object_or_404(selectors.visible_runs(request.user), pk=pk)
    result = get_object_or_404(
        UnitResult.objects.restrict(request.user).select_related("unit"), run=run, unit__code=code
    )
    explanation = result.explanation
    tree = explanation.get("tree") or {}
    names = node_names(run.scheme_version.document)
    sections = [c for c in tree.get("children", [])]
    peers = run.results.filter(category_code=result.category_code)
    averages: dict[str, list[float]] = defaultdict(list)
    for peer in peers:
        for section in sections:
            value = peer.nodes.get(section["id"])
            if value is not None and section.get("full_points"):
                averages[section["id"]].append(value / section["full_points"])
    radar = None
    if sections:
        indicator = [{"name": names.get(s["id"], s["id"]), "max": 1} for s in sections]
        radar = charts.radar_chart(
            _("Sections: share of full points"),
            indicator,
            {
                result.unit.name: [round(s.get("fraction") or 0, 3) for s in sections],
                _("Category average"): [
                    round(sum(averages[s["id"]]) / len(averages[s["id"]]), 3)
                    if averages[s["id"]]
                    else 0
                    for s in sections
                ],
            },
        )
    history = selectors.unit_history(request.user, result)
    trend = charts.score_rank_chart(
        _("Score and rank over the cycles"),
        [str(h.run.cycle.year) for h in history],
        [h.total_rounded for h in history],
        [h.rank for h in history],
    )
    return render(
        request,
        "results/unit_result.html",
        {
            "run": run,
            "result": result,
            "explanation": explanation,
            "tree": tree,
            "names": names,
            "links": _provenance_links(request.user, explanation),
            "radar": radar,
            "trend": trend,
            "grade_name": RunLabels(run.scheme_version.document).grade(result.grade),
            "flag_list": RunLabels(run.scheme_version.document).flags(result.flags),
            "kind_names": {"bonus": _("bonus"), "deduction": _("deduction"), "veto": _("veto")},
        },
    )


def _provisional_filters(request: HttpRequest) -> ProvisionalStandingFilterSet:
    return ProvisionalStandingFilterSet(
        request.GET,
        queryset=ProvisionalStanding.objects.restrict(request.user)
        .select_related("unit", "scheme_version__scheme__cycle", "scheme_version__scheme__category")
        .order_by("-scheme_version__scheme__cycle__year", "scheme_version_id", "category_code"),
        request=request,
    )


def _provisional_groups(rows: QuerySet[ProvisionalStanding]) -> list[dict[str, Any]]:
    """The standings the user may see, grouped by scheme and category, in rank order."""
    groups: dict[tuple[int, str], dict[str, Any]] = {}
    names: dict[int, dict[str, str]] = {}
    for row in rows:
        version = row.scheme_version
        if version.pk not in names:
            names[version.pk] = node_names(version.document)
        group = groups.setdefault(
            (version.pk, row.category_code),
            {
                "scheme": version.scheme,
                "category_code": row.category_code,
                "node_code": row.node_code,
                "computed_at": row.computed_at,
                "coverage": row.coverage,
                "rows": [],
            },
        )
        row.missing_names = [names[version.pk].get(m, m) for m in row.missing]  # type: ignore[attr-defined]
        group["rows"].append(row)
    for group in groups.values():
        group["rows"].sort(key=lambda r: (r.rank is None, r.rank or 0, r.unit.code))
        group["ranked"] = any(r.rank is not None for r in group["rows"])
    return list(groups.values())


def _provisional_etag(request: HttpRequest) -> str:
    latest = ProvisionalStanding.objects.restrict(request.user).aggregate(
        last=Max("computed_at"), n=Count("id")
    )
    query = request.GET.urlencode()
    return f'"{request.user.pk}-{latest["n"]}-{latest["last"]}-{get_language()}-{hash(query)}"'


@login_required
@cached_page("provisional")
def provisional(request: HttpRequest) -> HttpResponse:
    """Where every unit stands so far this year; refreshes by itself as batches arrive."""

    def build() -> dict[str, Any]:  # run only when the cached content is stale
        filters = _provisional_filters(request)
        return {"groups": _provisional_groups(filters.qs), "filters": filters}

    return render(
        request, "results/provisional.html", {"build": build, "query": request.GET.urlencode()}
    )


@login_required
@condition(etag_func=_provisional_etag)
def provisional_rows(request: HttpRequest) -> HttpResponse:
    """The standings alone, polled by htmx; 304 while nothing changed."""
    return render(
        request,
        "results/_provisional_rows.html",
        {"groups": _provisional_groups(_provisional_filters(request).qs)},
    )


def public_list(request: HttpRequest) -> HttpResponse:
    """The published results anyone may read, without signing in."""
    return render(request, "results/public_list.html", {"runs": list(public.public_runs())})


def public_run(request: HttpRequest, pk: int) -> HttpResponse:
    """One published run's bulletin: ranking, grades, progress awards and the backward list."""
    run = get_object_or_404(public.public_runs(), pk=pk)
    return render(
        request,
        "results/public_run.html",
        {"bulletin": public.bulletin(run), "pdf": reports.public_bulletin(run.pk)},
    )


@login_required
def diagnosis(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    """A unit's diagnosis in a run: where it lost points against its peers, its targets,
    warnings and the suggestions that follow; the PDF of it is made by a job."""
    result = reports.diagnosis_result(request.user, pk, code)
    found = diagnose(request.user, result.run, result)
    rows = found.chart_rows()
    chart = charts.grouped_bar_chart(
        _("Share of full points against the category median"),
        [name for name, _own, _median in rows],
        {
            result.unit.name: [round(own, 3) for _name, own, _median in rows],
            _("Category median"): [round(median, 3) for _name, _own, median in rows],
        },
    )
    made = reports.readable_reports(request.user).filter(
        kind=Report.Kind.DIAGNOSIS, run=result.run, unit=result.unit
    )
    return render(
        request,
        "results/diagnosis.html",
        {"d": found, "run": result.run, "result": result, "chart": chart, "reports": made},
    )


@login_required
@require_POST
def diagnosis_pdf(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    result = reports.diagnosis_result(request.user, pk, code)
    try:
        job = jobs.start_diagnosis_pdf(result, acting_user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("results:diagnosis", pk=pk, code=code)
    return redirect("core:job", pk=job.pk)


@login_required
@require_POST
def bulletin_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_object_or_404(selectors.visible_runs(request.user), pk=pk)
    try:
        job = jobs.start_bulletin_pdf(run, acting_user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("results:run", pk=pk)
    return redirect("core:job", pk=job.pk)


def _pdf(report: Report) -> HttpResponse:
    response = HttpResponse(bytes(report.content), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{report.filename}"'
    return response


@login_required
def report_download(request: HttpRequest, pk: int) -> HttpResponse:
    return _pdf(get_object_or_404(reports.readable_reports(request.user), pk=pk))


def public_bulletin(request: HttpRequest, pk: int) -> HttpResponse:
    """The latest bulletin PDF of a public run, for anyone."""
    report = reports.public_bulletin(pk)
    if report is None:
        raise Http404
    return _pdf(report)
