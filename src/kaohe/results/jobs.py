"""Scoring runs as jobs: the office asks for a run, a worker computes and stores it.

The snapshot moment is fixed when the run is asked for (now, unless the office names one), so a
run computed later, or again after a lost worker, reads exactly the inputs of that moment."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy, gettext_noop

from kaohe.core import jobs
from kaohe.core.models import Job
from kaohe.results import reports, services
from kaohe.results.models import Report, ScoringRun, UnitResult
from kaohe.schemes.models import SchemeVersion

KIND = "results.scoring_run"


@jobs.job_task(title=gettext_lazy("Scoring run"))
def compute_run(context: jobs.JobContext) -> jobs.Writer:
    params = context.params
    version = SchemeVersion.objects.select_related("scheme__cycle", "scheme__category").get(
        pk=params["version"]
    )
    computed = services.compute_scoring_run(
        version,
        acting_user=context.acting_user,
        snapshot_at=dt.datetime.fromisoformat(params["snapshot_at"]),
        node_code=params["node_code"],
        reason=params["reason"],
        progress=context.progress,
    )

    def write() -> jobs.Done:
        run = services.store_scoring_run(computed, acting_user=context.acting_user)
        return jobs.Done(run, reverse("results:run", kwargs={"pk": run.pk}))

    return write


def start_scoring_run(
    version: SchemeVersion,
    *,
    acting_user: Any,
    snapshot_at: dt.datetime | None = None,
    node_code: str = "Y",
    reason: str = "",
) -> Job:
    """Queue a scoring run (checked now, computed by a worker); returns its job."""
    services.check_scoring_run(version, acting_user=acting_user, node_code=node_code)
    moment = snapshot_at or timezone.now()
    return jobs.start_job(
        compute_run,
        acting_user=acting_user,
        kind=KIND,
        label=f"{version.scheme.code} v{version.number} · {node_code}",
        params={
            "version": version.pk,
            "snapshot_at": moment.isoformat(),
            "node_code": node_code,
            "reason": reason,
        },
    )


REPORT_KIND = "results.report"
LAID_OUT = gettext_noop("Laying out the PDF")


@jobs.job_task(title=gettext_lazy("PDF report"))
def make_report(context: jobs.JobContext) -> jobs.Writer:
    """A diagnosis or bulletin PDF, checked again as the asking user when the job runs."""
    params = context.params
    user = context.acting_user
    context.progress(10, LAID_OUT)
    if params["kind"] == Report.Kind.DIAGNOSIS:
        result = reports.diagnosis_result(user, params["run"], params["unit"])
        run, unit = result.run, result.unit
        pdf, pages = reports.diagnosis_pdf(user, result)
    else:
        run, unit = reports.bulletin_run(user, params["run"]), None
        pdf, pages = reports.bulletin_pdf(run)
    context.progress(90, LAID_OUT)

    def write() -> jobs.Done:
        report = reports.store_report(
            params["kind"], run, pdf=pdf, pages=pages, acting_user=user, unit=unit
        )
        return jobs.Done(report, reverse("results:report", kwargs={"pk": report.pk}))

    return write


def start_diagnosis_pdf(result: UnitResult, *, acting_user: Any) -> Job:
    """Queue the diagnosis PDF of a unit's result (checked now and again when it runs)."""
    result = reports.diagnosis_result(acting_user, result.run_id, result.unit.code)
    reports.check_fonts()
    return jobs.start_job(
        make_report,
        acting_user=acting_user,
        kind=REPORT_KIND,
        label=f"{result.run} · {result.unit.code}",
        unit=result.unit,
        params={"kind": Report.Kind.DIAGNOSIS, "run": result.run_id, "unit": result.unit.code},
    )


def start_bulletin_pdf(run: ScoringRun, *, acting_user: Any) -> Job:
    """Queue the bulletin PDF of a published run (the office)."""
    run = reports.bulletin_run(acting_user, run.pk)
    reports.check_fonts()
    return jobs.start_job(
        make_report,
        acting_user=acting_user,
        kind=REPORT_KIND,
        label=str(run),
        params={"kind": Report.Kind.BULLETIN, "run": run.pk, "unit": ""},
    )
