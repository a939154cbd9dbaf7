"""Staff runs as jobs: the office asks for one, a worker computes and stores it.

The snapshot moment is fixed when the run is asked for, so a run computed later, or again after
a lost worker, reads exactly the inputs of that moment."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy

from kaohe.core import jobs
from kaohe.core.models import Job
from kaohe.people import services
from kaohe.schemes.models import Cycle

KIND = "people.staff_run"


@jobs.job_task(title=gettext_lazy("Staff run"))
def compute_run(context: jobs.JobContext) -> jobs.Writer:
    cycle = Cycle.objects.get(pk=context.params["cycle"])
    computed = services.compute_staff_run(
        cycle,
        acting_user=context.acting_user,
        snapshot_at=dt.datetime.fromisoformat(context.params["snapshot_at"]),
        progress=context.progress,
    )

    def write() -> jobs.Done:
        run = services.store_staff_run(computed, acting_user=context.acting_user)
        return jobs.Done(run, reverse("people:home") + f"?cycle={cycle.year}")

    return write


def start_staff_run(cycle: Cycle, *, acting_user: Any) -> Job:
    """Queue a staff run of the cycle (checked now, computed by a worker); returns its job."""
    services.check_staff_run(cycle, acting_user=acting_user)
    return jobs.start_job(
        compute_run,
        acting_user=acting_user,
        kind=KIND,
        label=str(cycle.year),
        params={"cycle": cycle.pk, "snapshot_at": timezone.now().isoformat()},
    )
