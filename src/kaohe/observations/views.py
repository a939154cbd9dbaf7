"""The history of one value: every version with who sent it, from where, when and why."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from kaohe.observations.selectors import visible_observations


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
