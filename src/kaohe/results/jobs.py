"""Scoring runs as jobs: the office asks for a run, a worker computes and stores it.

The snapshot moment is fixed when the run is asked for (now, unless the office names one), so a
run computed later, or again after a lost worker, reads exactly the inputs of that moment."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy

from kaohe.core import jobs
from kaohe.core.models import Job
from kaohe.results import services
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
