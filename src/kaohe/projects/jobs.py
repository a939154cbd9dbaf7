"""The schedule check as a job: the office asks for it, a worker reads what is behind schedule
(reporting its progress) and writes the warnings in one transaction."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy, gettext_noop

from kaohe.core import jobs
from kaohe.core.models import Job
from kaohe.projects import schedule
from kaohe.schemes.models import Cycle

KIND = "projects.check_schedules"


@jobs.job_task(title=gettext_lazy("Schedule check of the key projects and major tasks"))
def check_schedules(context: jobs.JobContext) -> jobs.Writer:
    cycle = Cycle.objects.get(pk=context.params["cycle"])
    as_of = dt.date.fromisoformat(context.params["as_of"])
    schedule.check_allowed(cycle, context.acting_user)
    found = schedule.findings(cycle, as_of=as_of, progress=context.progress)
    context.progress(90, gettext_noop("Writing the warnings"))

    def write() -> jobs.Done:
        schedule.check_schedules(cycle, as_of=as_of, acting_user=context.acting_user, found=found)
        return jobs.Done(cycle, reverse("projects:list") + f"?cycle={cycle.year}")

    return write


def start_check(cycle: Cycle, *, acting_user: Any, as_of: dt.date | None = None) -> Job:
    """Queue the schedule check of the cycle as of a day (today by default); returns its job."""
    schedule.check_allowed(cycle, acting_user)
    day = as_of or timezone.localdate()
    return jobs.start_job(
        check_schedules,
        acting_user=acting_user,
        kind=KIND,
        label=f"{cycle.year} {day.isoformat()}",
        params={"cycle": cycle.pk, "as_of": day.isoformat()},
    )
