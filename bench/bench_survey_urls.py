"""The survey bench's URLs: Kaohe's, plus the bare endpoint the answer page is compared with —
a POST through the same middleware (sessions, locale, CSRF, CSP …) that inserts one response
row into the same table and redirects like the answer page. Bench only."""

from __future__ import annotations

import os

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_POST

from kaohe.surveys.models import Response
from kaohe.urls import urlpatterns as kaohe_urlpatterns

SURVEY = int(os.environ.get("KAOHE_BENCH_SURVEY", "0"))
GROUP = int(os.environ.get("KAOHE_BENCH_GROUP", "0"))


@require_POST
def bare(request: HttpRequest) -> HttpResponse:
    Response.objects.create(
        survey_id=SURVEY,
        group_id=GROUP,
        via=Response.Via.LINK,  # told apart from the answer page's code responses
        day=timezone.localdate(),
        answers={"rating": {"1": 4}},
    )
    return HttpResponseRedirect("/s/thanks/")


urlpatterns = [path("bench/bare/", bare), *kaohe_urlpatterns]
