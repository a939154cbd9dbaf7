"""Job pages: my jobs (every job for the office), one job with its progress, a retry."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import condition, require_POST

from kaohe.core import access, jobs
from kaohe.core.models import Job
from kaohe.core.roles import Action


def _visible(request: HttpRequest) -> QuerySet[Job]:
    return Job.objects.restrict(request.user).select_related("requested_by", "unit")


def _job_context(request: HttpRequest, job: Job) -> dict[str, object]:
    user = request.user
    return {
        "job": job,
        "title": jobs.job_title(job),
        "may_retry": job.status == Job.Status.FAILED
        and (job.requested_by_id == user.pk or access.has_citywide(user, Action.ADMINISTER)),
    }


@login_required
def job_list(request: HttpRequest) -> HttpResponse:
    mine = request.GET.get("mine") == "1"
    rows = _visible(request)
    if mine:
        rows = rows.filter(requested_by_id=request.user.pk)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    for job in page.object_list:
        job.title = jobs.job_title(job)
    return render(request, "core/job_list.html", {"page": page, "mine": mine})


@login_required
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(_visible(request), pk=pk)
    return render(request, "core/job_detail.html", _job_context(request, job))


def _progress_etag(request: HttpRequest, pk: int) -> str | None:
    stamp = _visible(request).filter(pk=pk).values_list("updated_at", flat=True).first()
    return (
        None if stamp is None else f'"{request.user.pk}-{pk}-{stamp.isoformat()}-{get_language()}"'
    )


@login_required
@condition(etag_func=_progress_etag)
def job_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress block alone, polled by htmx while the job runs; 304 while unchanged."""
    job = get_object_or_404(_visible(request), pk=pk)
    return render(request, "core/_job_progress.html", _job_context(request, job))


@login_required
@require_POST
def job_retry(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(_visible(request), pk=pk)
    try:
        jobs.retry_job(job, acting_user=request.user)
    except PermissionDenied:
        raise
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Queued again."))
    return redirect("core:job", pk=pk)
