"""The city overview, the audit trail and the deliberate error pages."""

from __future__ import annotations

import hashlib
from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.messages.views import SuccessMessageMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import condition

from kaohe.core.access import unit_scope
from kaohe.core.filters import AuditEventFilterSet
from kaohe.core.models import AuditEvent
from kaohe.indicators.models import Indicator
from kaohe.observations.dashboards import city_overview
from kaohe.schemes.selectors import current_cycle
from kaohe.units.models import Unit, visible_units
from kaohe.web import screen as big_screen
from kaohe.web.dashboard import first_look
from kaohe.web.forms import PasswordForm
from kaohe.web.pagecache import cached_page


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return redirect("web:overview")


class PasswordChange(SuccessMessageMixin, auth_views.PasswordChangeView):
    """Change one's own password; the session stays signed in."""

    form_class = PasswordForm
    template_name = "registration/password_change.html"
    success_url = reverse_lazy("web:home")
    success_message = gettext_lazy("Your password was changed.")


@login_required
@cached_page("overview")
def overview(request: HttpRequest) -> HttpResponse:
    """The city at a glance, limited to the units the user may see."""
    user = request.user

    def build() -> dict[str, Any]:  # run only when the cached content is stale
        units = list(visible_units(user).filter(is_assessed=True).select_related("category"))
        districts = [u for u in units if u.kind in (Unit.Kind.DISTRICT, Unit.Kind.COUNTY_CITY)]
        return {
            "districts": districts,
            "departments": [u for u in units if u.kind == Unit.Kind.DEPARTMENT],
            "indicator_count": Indicator.objects.active().count(),
            "cycle": current_cycle(),
            "overview": city_overview(user, districts),
            "first_look": first_look(user),
        }

    return render(request, "web/overview.html", {"build": build})


def _screen_allowed(request: HttpRequest) -> None:
    if not big_screen.may_see_screen(request.user):
        raise PermissionDenied(
            _("The big screen shows the whole city: it needs a city-wide grant.")
        )


def _screen_etag(request: HttpRequest) -> str | None:
    if not request.user.is_authenticated or not big_screen.may_see_screen(request.user):
        return None
    key, _as_of = big_screen.fingerprint(request.user)
    return f'"{hashlib.sha256(key.encode()).hexdigest()[:32]}"'


def _survey_stamp(request: HttpRequest) -> str:
    """The open surveys' responses (read once per request): the screen's cached page and
    fragment are keyed on them, since responses are not audited."""
    stamp: str | None = getattr(request, "_kaohe_survey_stamp", None)
    if stamp is None:
        stamp = big_screen.survey_stamp(request.user)
        request._kaohe_survey_stamp = stamp  # type: ignore[attr-defined]
    return stamp


@login_required
@cached_page("screen", vary=_survey_stamp)
def screen(request: HttpRequest) -> HttpResponse:
    """The big screen (1920×1080) for the leaders' meeting room; its panels refresh by
    themselves."""
    _screen_allowed(request)
    return render(
        request,
        "web/screen.html",
        {
            "fragment": f"screen:{_survey_stamp(request)}",
            "build": lambda: {"screen": big_screen.screen(request.user)},
        },
    )


@login_required
@condition(etag_func=_screen_etag)
def screen_panels(request: HttpRequest) -> HttpResponse:
    """The screen's panels alone, polled by htmx; 304 while nothing on them changed."""
    _screen_allowed(request)
    return render(request, "web/_screen_panels.html", {"screen": big_screen.screen(request.user)})


@login_required
def audit_trail(request: HttpRequest) -> HttpResponse:
    """Who changed what, when, and why — for auditors and the office (scoped to their units)."""
    scope = unit_scope(request.user, "audit")
    if scope.is_empty:
        raise PermissionDenied(
            _("Reading the audit trail needs an auditor's or the office's grant.")
        )
    events = (
        AuditEvent.objects.restrict(request.user, "audit")
        .select_related("acting_user", "unit")
        .prefetch_related("changes")
    )
    filters = AuditEventFilterSet(request.GET, queryset=events, request=request)
    page = Paginator(filters.qs, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request, "web/audit.html", {"page": page, "filters": filters, "query": query.urlencode()}
    )


def _state(request: HttpRequest, status: int, title: str, explanation: str) -> HttpResponse:
    return render(
        request,
        "web/state.html",
        {"status": status, "title": title, "explanation": explanation},
        status=status,
    )


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _state(
        request,
        403,
        _("Not permitted"),
        _("Your role does not allow this. If you need it, ask the assessment office for a grant."),
    )


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _state(
        request,
        404,
        _("Not found"),
        _("There is nothing at this address, or it belongs to a unit outside your responsibility."),
    )


def server_error(request: HttpRequest) -> HttpResponse:
    return _state(
        request,
        500,
        _("Something went wrong"),
        _("The error was logged. Nothing was half-saved: please try again in a moment."),
    )
