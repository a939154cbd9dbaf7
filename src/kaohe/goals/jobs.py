"""Target suggestions for every district as a job: the office asks, a worker forecasts them."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.translation import gettext_lazy, gettext_noop

from kaohe.core import access, jobs
from kaohe.core.models import Job
from kaohe.core.roles import Action
from kaohe.goals import services
from kaohe.schemes.models import Cycle

KIND = "goals.target_suggestions"


@jobs.job_task(title=gettext_lazy("Target suggestions for every district"))
def compute_suggestions(context: jobs.JobContext) -> jobs.Writer:
    cycle = Cycle.objects.get(pk=context.params["cycle"])
    context.progress(10, gettext_noop("Forecasting every district's targets"))
    computed = services.compute_district_suggestions(cycle, acting_user=context.acting_user)
    context.progress(80, gettext_noop("Storing the suggestions"))

    def write() -> jobs.Done:
        services.store_district_suggestions(computed, acting_user=context.acting_user)
        return jobs.Done(cycle, reverse("goals:suggestions") + f"?cycle={cycle.year}")

    return write


def start_suggestions(cycle: Cycle, *, acting_user: Any) -> Job:
    """Queue the suggestions of a cycle (the office); returns the job."""
    if not access.has_citywide(acting_user, Action.ADMINISTER):
        raise PermissionDenied("target suggestions: the office only")
    return jobs.start_job(
        compute_suggestions,
        acting_user=acting_user,
        kind=KIND,
        label=str(cycle.year),
        params={"cycle": cycle.pk},
    )
