"""A unit's data page (values of a period with growth and history, and the form to report them)
and the history of one value."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from kaohe.core import access
from kaohe.core.errors import BatchRejected, RowError
from kaohe.core.roles import Action
from kaohe.flows.ingest import ingest
from kaohe.flows.uploads import ingest_csv_upload, ingest_upload
from kaohe.indicators.models import Indicator
from kaohe.monitoring.models import Warning
from kaohe.observations.evidence import EvidenceFile
from kaohe.observations.messages import localize_error, localize_rule
from kaohe.observations.models import Source
from kaohe.observations.report_templates import csv_template_for, template_for, template_scope
from kaohe.observations.selectors import (
    batch_rows,
    value_grid,
    visible_evidence,
    visible_observations,
)
from kaohe.observations.services import ValueRow
from kaohe.schemes.models import Cycle, TimeNode
from kaohe.units.models import Unit


@login_required
def observation_history(request: HttpRequest, pk: int) -> HttpResponse:
    observation = get_object_or_404(
        visible_observations(request.user).select_related("unit", "indicator", "time_node"), pk=pk
    )
    versions = observation.versions.select_related("sent_by", "source_unit").order_by("-number")
    return render(
        request,
        "observations/history.html",
        {"observation": observation, "versions": versions},
    )


def _evidence_files(request: HttpRequest) -> list[EvidenceFile]:
    """The evidence files sent with a form (checked by the pipeline)."""
    return [EvidenceFile(f.name or "", f.read()) for f in request.FILES.getlist("evidence")]


TARGET_SUFFIX = "_target"
# Cumulative periods: the share of the year's target a steady pace has reached by each.
PACE = {"Q1": 0.25, "H1": 0.5, "Q3": 0.75, "Y": 1.0}


def _progress(value: float | None, target: float | None, node_code: str) -> dict[str, Any] | None:
    """Progress against the year's target and the pace the period needs (percentages)."""
    if value is None or not target or node_code not in PACE:
        return None
    done = value / target * 100
    due = PACE[node_code] * 100
    return {"done": done, "due": due, "behind": done < due}


def _growth(now: float | None, base: float | None) -> float | None:
    if now is None or base is None or base == 0:
        return None
    return (now / base - 1) * 100


@login_required
def unit_data(request: HttpRequest, code: str) -> HttpResponse:
    """The unit's values for one reporting period: current, previous node, same node last year,
    growth, the value's history; and, for those who report, a form that goes through the
    ingestion pipeline like every other door."""
    unit: Unit = get_object_or_404(
        Unit.objects.restrict(request.user).filter(is_assessed=True), code=code
    )
    nodes = list(TimeNode.objects.select_related("cycle").order_by("cycle__year", "order"))
    if not nodes:
        return render(request, "observations/unit_data.html", {"unit": unit, "rows": []})
    period = request.GET.get("period") or request.POST.get("period")
    with_data = set(
        visible_observations(request.user)
        .filter(unit=unit)
        .values_list("time_node__period", flat=True)
    )
    default = max(
        (n for n in nodes if n.period in with_data), key=lambda n: n.period, default=nodes[-1]
    )
    node = next((n for n in nodes if n.period == period), default)
    index = nodes.index(node)
    previous = (
        nodes[index - 1] if index > 0 and nodes[index - 1].cycle_id == node.cycle_id else None
    )
    last_year = next(
        (n for n in nodes if n.cycle.year == node.cycle.year - 1 and n.code == node.code), None
    )
    indicators = list(Indicator.objects.visible_to(request.user).active().order_by("code"))
    year_end = next((n for n in nodes if n.cycle_id == node.cycle_id and n.code == "Y"), None)
    periods = [p.period for p in (node, previous, last_year, year_end) if p is not None]
    grid = value_grid(
        request.user, indicators=[i.code for i in indicators], periods=periods, units=[unit.pk]
    )
    slots = {
        (o.indicator_id): o.pk
        for o in visible_observations(request.user).filter(unit=unit, time_node=node)
    }
    can_report = unit.pk in access.unit_scope(request.user, Action.REPORT) and not node.locked
    errors: dict[str, list[str]] = {}
    submitted: dict[str, str] = {}
    if request.method == "POST" and can_report:
        rows = []
        for indicator in indicators:
            raw = request.POST.get(f"value-{indicator.code}", "").strip()
            submitted[indicator.code] = raw
            if raw == "" or indicator.is_derived:
                continue
            current = grid.get((unit.pk, indicator.code, node.period))
            if current is not None and raw == f"{current:.{indicator.decimals}f}":
                continue
            rows.append(
                ValueRow(
                    unit.code,
                    indicator.code,
                    node.period,
                    raw,
                    reason=request.POST.get(f"reason-{indicator.code}", "").strip(),
                )
            )
        if not rows:
            messages.warning(request, _("Nothing changed."))
            return redirect(f"{request.path}?period={node.period}")
        try:
            result = ingest(
                rows,
                acting_user=request.user,
                source=Source.FORM,
                client_key=request.POST.get("client_key", "")[:128],
                evidence=_evidence_files(request),
            )
        except BatchRejected as exc:
            for error in exc.errors:
                if error.field == "evidence":
                    messages.error(request, f"{error.value}: {localize_rule(error.rule)}")
                    continue
                code = rows[error.row - 1].indicator if 0 < error.row <= len(rows) else ""
                errors.setdefault(code, []).append(localize_rule(error.rule))
            messages.error(request, _("Nothing was saved: correct the marked values."))
        else:
            batch = result.batch
            messages.success(
                request,
                _(
                    "Saved: %(new)s new, %(fixed)s corrected, %(derived)s derived; "
                    "%(warn)s warnings raised."
                )
                % {
                    "new": batch.created,
                    "fixed": batch.corrected,
                    "derived": batch.derived,
                    "warn": batch.warnings_raised,
                },
            )
            return redirect(f"{request.path}?period={node.period}")
    rows_out: list[dict[str, Any]] = []
    for indicator in indicators:
        value = grid.get((unit.pk, indicator.code, node.period))
        before = grid.get((unit.pk, indicator.code, previous.period)) if previous else None
        year_ago = grid.get((unit.pk, indicator.code, last_year.period)) if last_year else None
        if value is None and not can_report:
            continue
        target = (
            grid.get((unit.pk, f"{indicator.code}{TARGET_SUFFIX}", year_end.period))
            if year_end is not None and not indicator.code.endswith(TARGET_SUFFIX)
            else None
        )
        rows_out.append(
            {
                "indicator": indicator,
                "value": value,
                "progress": _progress(value, target, node.code),
                "previous": before,
                "last_year": year_ago,
                "vs_last_year": _growth(value, year_ago),
                "observation": slots.get(indicator.pk),
                "errors": errors.get(indicator.code, []),
                "submitted": submitted.get(indicator.code, ""),
            }
        )
    return render(
        request,
        "observations/unit_data.html",
        {
            "unit": unit,
            "node": node,
            "previous": previous,
            "last_year": last_year,
            "nodes": [n for n in nodes if n.period in with_data or n.cycle_id == node.cycle_id],
            "rows": rows_out,
            "can_report": can_report,
            "client_key": uuid.uuid4().hex,
        },
    )


@login_required
def upload(request: HttpRequest) -> HttpResponse:
    """Download the template for a period (Excel, or CSV with ``template=csv``); upload it
    filled in (a ``.csv`` name is read as CSV, anything else as .xlsx). A refused file lists
    every problem by row and column and stores nothing."""
    nodes = list(
        TimeNode.objects.exclude(cycle__state=Cycle.State.CLOSED)
        .select_related("cycle")
        .order_by("cycle__year", "order")
    )
    period = request.GET.get("period") or request.POST.get("period") or ""
    node = next((n for n in nodes if n.period == period), None)
    scope = template_scope(request.user)
    if request.method == "GET" and node is not None and request.GET.get("template") == "csv":
        response = HttpResponse(
            csv_template_for(request.user, node), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="kaohe-{node.period}.csv"'
        return response
    if request.method == "GET" and node is not None and request.GET.get("template"):
        response = HttpResponse(
            template_for(request.user, node),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="kaohe-{node.period}.xlsx"'
        return response
    context: dict[str, Any] = {"nodes": nodes, "node": node, "scope": scope}
    if request.method == "POST":
        upload_file = request.FILES.get("file")
        if node is None or upload_file is None:
            context["errors"] = [
                {**localize_error(RowError(0, "file", _("Choose a period and a file."))), "row": ""}
            ]
        else:
            name = upload_file.name or ""
            ingest_file = ingest_csv_upload if name.lower().endswith(".csv") else ingest_upload
            try:
                result = ingest_file(
                    upload_file.read(),
                    user=request.user,
                    node=node,
                    file_name=name,
                    reason=request.POST.get("reason", "").strip(),
                    evidence=_evidence_files(request),
                )
            except BatchRejected as exc:
                context["errors"] = [localize_error(e) for e in exc.errors]
            else:
                context["batch"] = result.batch
                context["duplicate"] = result.duplicate
                context["rows"] = batch_rows(request.user, result.batch)
                context["warnings"] = (
                    Warning.objects.restrict(request.user)
                    .filter(raised_by_batch=result.batch)
                    .select_related("unit", "time_node")
                )
        if request.headers.get("HX-Request"):
            return render(request, "observations/_upload_result.html", context)
    return render(request, "observations/upload.html", context)


EVIDENCE_CONTENT_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "csv": "text/csv",
    "txt": "text/plain",
}


@login_required
def evidence_file(request: HttpRequest, pk: int) -> FileResponse:
    """The file, as an attachment, if the user sent its batch or may see one of its values;
    404 otherwise (as for any object out of scope)."""
    evidence = visible_evidence(request.user, pk)
    if evidence is None:
        raise Http404
    suffix = evidence.name.rsplit(".", 1)[-1].lower() if "." in evidence.name else ""
    response = FileResponse(
        evidence.file.open("rb"),
        as_attachment=True,
        filename=evidence.name,
        content_type=EVIDENCE_CONTENT_TYPES.get(suffix, "application/octet-stream"),
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
