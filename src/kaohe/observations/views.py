"""A unit's data page (values of a period with growth and history, and the form to report them)
and the history of one value."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from kaohe.core.errors import BatchRejected, RowError
from kaohe.flows.ingest import ingest
from kaohe.flows.jobs import start_upload
from kaohe.flows.uploads import ingest_file
from kaohe.monitoring.models import Warning
from kaohe.observations.evidence import EvidenceFile, evidence_response
from kaohe.observations.forms import UnitValuesForm
from kaohe.observations.messages import localize_error
from kaohe.observations.models import Source
from kaohe.observations.report_templates import csv_template_for, template_for, template_scope
from kaohe.observations.selectors import (
    batch_rows,
    sent_batches,
    visible_evidence,
    visible_observations,
)
from kaohe.observations.unit_period import unit_period
from kaohe.schemes.models import TimeNode
from kaohe.schemes.selectors import open_nodes
from kaohe.units.models import Unit
from kaohe.web.pagecache import cached_page, one_time_key


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


@login_required
@cached_page("unit-data")
def unit_data(request: HttpRequest, code: str) -> HttpResponse:
    """The unit's values for one reporting period with their neighbours, growth, target progress
    and history; for those who report, a form that goes through the ingestion pipeline like
    every other door."""
    unit: Unit = get_object_or_404(
        Unit.objects.restrict(request.user).filter(is_assessed=True), code=code
    )
    period = request.GET.get("period") or request.POST.get("period")
    if request.method != "POST":  # (answered from the page cache while nothing changed)
        return render(
            request,
            "observations/unit_data.html",
            {
                "unit": unit,
                "build": lambda: {"page": unit_period(request.user, unit, period)},
                "client_key": one_time_key(request),
            },
        )
    page = unit_period(request.user, unit, period)
    if page.can_report:
        form = UnitValuesForm(request.POST, page=page)
        if form.is_valid() and not form.rows:
            messages.warning(request, _("Nothing changed."))
            return redirect(f"{request.path}?period={page.period}")
        try:
            result = ingest(
                form.rows,
                acting_user=request.user,
                source=Source.FORM,
                client_key=form.cleaned_data.get("client_key", ""),
                evidence=_evidence_files(request),
            )
        except BatchRejected as exc:
            for message in form.refuse(exc.errors):
                messages.error(request, message)
            messages.error(request, _("Nothing was saved: correct the marked values."))
        else:
            messages.success(request, _saved_message(result.batch))
            return redirect(f"{request.path}?period={page.period}")
    return render(
        request,
        "observations/unit_data.html",
        {"unit": unit, "page": page, "client_key": uuid.uuid4().hex},
    )


def _saved_message(batch: Any) -> str:
    return _(
        "Saved: %(new)s new, %(fixed)s corrected, %(derived)s derived; %(warn)s warnings raised."
    ) % {
        "new": batch.created,
        "fixed": batch.corrected,
        "derived": batch.derived,
        "warn": batch.warnings_raised,
    }


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@login_required
def upload(request: HttpRequest) -> HttpResponse:
    """Download the template for a period (Excel, or CSV with ``template=csv``); upload it
    filled in (a ``.csv`` name is read as CSV, anything else as .xlsx). A refused file lists
    every problem by row and column and stores nothing."""
    nodes = open_nodes()
    period = request.GET.get("period") or request.POST.get("period") or ""
    node = next((n for n in nodes if n.period == period), None)
    template = request.GET.get("template")
    if request.method == "GET" and node is not None and template:
        if template == "csv":
            body, kind, suffix = (
                csv_template_for(request.user, node),
                "text/csv; charset=utf-8",
                "csv",
            )
        else:
            body, kind, suffix = template_for(request.user, node), XLSX, "xlsx"
        response = HttpResponse(body, content_type=kind)
        response["Content-Disposition"] = f'attachment; filename="kaohe-{node.period}.{suffix}"'
        return response
    context: dict[str, Any] = {"nodes": nodes, "node": node, "scope": template_scope(request.user)}
    shown = request.GET.get("batch", "")
    if request.method == "GET" and shown.isdigit():
        # A queued upload's result: the batch the job stored, for the one who sent it.
        context.update(
            _batch_context(request, get_object_or_404(sent_batches(request.user), pk=shown))
        )
    if request.method == "POST":
        # a period whose cycle closed since the page was opened: the pipeline refuses its rows
        # with that reason rather than the page pretending no period was chosen
        if node is None and period:
            node = TimeNode.objects.filter(period=period).first()
        context.update(_uploaded(request, node))
        if request.headers.get("HX-Request"):
            return render(request, "observations/_upload_result.html", context)
    return render(request, "observations/upload.html", context)


def _uploaded(request: HttpRequest, node: TimeNode | None) -> dict[str, Any]:
    """Run the posted file through its door; what the result fragment shows."""
    upload_file = request.FILES.get("file")
    if node is None or upload_file is None:
        error = RowError(0, "file", _("Choose a period and a file."))
        return {"errors": [{**localize_error(error), "row": ""}]}
    arguments: dict[str, Any] = {
        "user": request.user,
        "node": node,
        "file_name": upload_file.name or "",
        "reason": request.POST.get("reason", "").strip(),
        "evidence": _evidence_files(request),
    }
    if (upload_file.size or 0) > settings.KAOHE_UPLOAD_INLINE_BYTES:
        return {"job": start_upload(upload_file.read(), **arguments)}
    try:
        result = ingest_file(upload_file.read(), **arguments)
    except BatchRejected as exc:
        return {"errors": [localize_error(e) for e in exc.errors]}
    return _batch_context(request, result.batch, duplicate=result.duplicate)


def _batch_context(request: HttpRequest, batch: Any, *, duplicate: bool = False) -> dict[str, Any]:
    return {
        "batch": batch,
        "duplicate": duplicate,
        "rows": batch_rows(request.user, batch),
        "warnings": Warning.objects.restrict(request.user)
        .filter(raised_by_batch=batch)
        .select_related("unit", "time_node"),
    }


@login_required
def evidence_file(request: HttpRequest, pk: int) -> FileResponse:
    """The file, as an attachment, if the user sent its batch or may see one of its values;
    404 otherwise (as for any object out of scope)."""
    evidence = visible_evidence(request.user, pk)
    if evidence is None:
        raise Http404
    return evidence_response(evidence)
