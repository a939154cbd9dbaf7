"""Results of a survey (per unit and group, the index, comments), a unit's own results, and
the live rating event's big screen.

Who sees what: city-wide viewers (survey managers, the office, the committee, auditors) every
unit's figures and the comments; a unit's people their own unit's figures and comments only
(`SurveyResult.objects.restrict(user)`), never a response. While a survey is open its figures
are computed from the responses so far and shown as provisional; once closed, the frozen rows.

Submissions are not audited, so nothing here is answered from the page cache: the live pages
poll with an ETag read from the responses themselves (`selectors.live_fingerprint`)."""

from __future__ import annotations

import hashlib
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import condition, require_POST

from kaohe import charts
from kaohe.core import access
from kaohe.core.errors import BatchRejected
from kaohe.core.roles import Action
from kaohe.flows.surveys import close_and_feed, feed_plan
from kaohe.rectification import services as rectification
from kaohe.rectification.models import RectificationItem
from kaohe.surveys import selectors, services, sheets
from kaohe.surveys.export import results_workbook
from kaohe.surveys.forms import RectifyCommentForm
from kaohe.surveys.models import Survey, SurveyComment
from kaohe.units.models import Unit


def _citywide_survey(request: HttpRequest, pk: int, **filters: Any) -> Survey:
    """A survey whose every unit the reader may see (404 for anyone else: a unit's people
    reach their own unit's page instead)."""
    if not selectors.sees_all_results(request.user):
        raise Http404
    return get_object_or_404(selectors.result_surveys(request.user), pk=pk, **filters)


def _chart(results: selectors.Results) -> dict[str, Any]:
    return charts.interval_chart(
        _("Satisfaction index with its interval (95%)"),
        [u.unit.name for u in results.units],
        [(u.index_low, u.index, u.index_high) for u in results.units],
        axis_name=_("index (0–100)"),
    )


def _error_text(exc: Exception) -> str:
    if isinstance(exc, BatchRejected):
        return " ".join(
            _("row %(row)s, %(field)s: %(rule)s") % {"row": e.row, "field": e.field, "rule": e.rule}
            for e in exc.errors
        )
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


@login_required
def results_list(request: HttpRequest) -> HttpResponse:
    """The surveys with results the reader may open (a unit's people: those rating them)."""
    surveys = selectors.result_surveys(request.user).order_by("-cycle__year", "-pk")
    everything = selectors.sees_all_results(request.user)
    own: dict[int, list[Unit]] = {}
    if not everything:
        scope = access.unit_scope(request.user, Action.VIEW)
        for survey in surveys.prefetch_related("units"):
            own[survey.pk] = [u for u in survey.units.all() if u.pk in scope]
    page = Paginator(surveys, 50).get_page(request.GET.get("page"))
    rows = [(s, own.get(s.pk, [])) for s in page.object_list]
    return render(
        request,
        "surveys/results_list.html",
        {"page": page, "rows": rows, "everything": everything},
    )


@login_required
def survey_results(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _citywide_survey(request, pk)
    results = selectors.survey_figures(survey, request.user)
    comments = list(selectors.survey_comments(survey, request.user))
    items = dict(
        RectificationItem.objects.restrict(request.user)
        .filter(comment__in=[c.pk for c in comments])
        .values_list("comment_id", "pk")
    )
    plan = feed_plan(survey)
    is_office = access.has_citywide(request.user, Action.ADMINISTER)
    return render(
        request,
        "surveys/results.html",
        {
            "survey": survey,
            "results": results,
            "chart": _chart(results),
            "comments": [(c, items.get(c.pk)) for c in comments],
            "missing": plan.missing,
            "is_office": is_office,
            "runs_surveys": selectors.runs_surveys(request.user),
            "rectify_form": RectifyCommentForm(survey=survey) if is_office else None,
        },
    )


@login_required
def results_export(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _citywide_survey(request, pk)
    results = selectors.survey_figures(survey, request.user)
    comments = selectors.survey_comments(survey, request.user)
    response = HttpResponse(
        results_workbook(results, comments),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="kaohe-survey-{survey.pk}-{survey.cycle.year}.xlsx"'
    )
    return response


@login_required
def unit_results(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    """A unit's own figures of a survey (and its comments once closed): its people see theirs,
    city-wide viewers any unit's; never a response."""
    survey = get_object_or_404(selectors.result_surveys(request.user), pk=pk)
    unit: Unit = get_object_or_404(Unit.objects.restrict(request.user), code=code)
    results = selectors.survey_figures(survey, request.user, unit=unit)
    if not results.units:
        raise Http404
    figure = results.units[0]
    return render(
        request,
        "surveys/unit_results.html",
        {
            "survey": survey,
            "results": results,
            "unit": unit,
            "figure": figure,
            "comments": selectors.survey_comments(survey, request.user, unit=unit),
            "everything": selectors.sees_all_results(request.user),
            "missing": dict((u.pk, why) for u, why in feed_plan(survey).missing).get(unit.pk),
        },
    )


@login_required
@require_POST
def rectify_comment(request: HttpRequest, pk: int) -> HttpResponse:
    """The office turns a comment into a rectification item for its unit."""
    comment = get_object_or_404(
        SurveyComment.objects.restrict(request.user).select_related("survey"), pk=pk
    )
    if not access.has_citywide(request.user, Action.ADMINISTER):
        raise PermissionDenied(_("The assessment office turns comments into rectification."))
    form = RectifyCommentForm(request.POST, survey=comment.survey)
    back = reverse("surveys:results", args=[comment.survey_id])
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
        return redirect(back)
    try:
        item = rectification.open_from_comment(
            comment,
            acting_user=request.user,
            due_date=form.cleaned_data["due_date"],
            unit=form.cleaned_data.get("unit"),
        )
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
        return redirect(back)
    messages.success(request, _("The rectification item is opened; the unit is told."))
    return redirect("rectification:detail", pk=item.pk)


# --- the live event ------------------------------------------------------------------------------


def _live_survey(request: HttpRequest, pk: int) -> Survey:
    """A live event, shown to city-wide viewers from the moment it is made."""
    if not selectors.sees_all_results(request.user):
        raise Http404
    return get_object_or_404(
        Survey.objects.select_related("cycle", "version"), pk=pk, kind=Survey.Kind.LIVE
    )


def _live_etag(request: HttpRequest, pk: int) -> str | None:
    if not request.user.is_authenticated or not selectors.sees_all_results(request.user):
        return None
    survey = Survey.objects.filter(pk=pk, kind=Survey.Kind.LIVE).first()
    if survey is None:
        return None
    key = selectors.live_fingerprint(survey)
    return f'"{hashlib.sha256(key.encode()).hexdigest()[:32]}"'


def answer_address(request: HttpRequest, survey: Survey) -> str:
    """Where people answer: the open link when the survey has one, else the page where a code
    from the sheet is typed."""
    if survey.link_group_id:
        path = reverse("answer:link", args=[survey.link_token])
    else:
        path = reverse("answer:enter")
    return request.build_absolute_uri(path)


def _live_context(request: HttpRequest, survey: Survey) -> dict[str, Any]:
    live = selectors.live_figures(survey)
    names = [u.unit.name for u in live.units]
    if live.final:
        option = charts.interval_chart(
            _("Final index with its interval (95%)"),
            names,
            [(u.low, u.mean, u.high) for u in live.units],
            axis_name=_("index (0–100)"),
            dark=True,
        )
    else:
        option = charts.score_bars(
            _("Mean score so far"),
            names,
            [u.mean for u in live.units],
            axis_name=_("score (0–100)"),
            dark=True,
        )
    return {"survey": survey, "live": live, "option": option}


@login_required
def live_screen(request: HttpRequest, pk: int) -> HttpResponse:
    """The live event's big screen (1920×1080): counts and bars per unit, refreshing by itself;
    the QR code of where people answer."""
    survey = _live_survey(request, pk)
    address = answer_address(request, survey)
    context = _live_context(request, survey)
    context.update({"address": address, "qr": sheets.qr_svg(address)})
    return render(request, "surveys/live.html", context)


@login_required
@condition(etag_func=_live_etag)
def live_panel(request: HttpRequest, pk: int) -> HttpResponse:
    """The live figures alone, polled by htmx every few seconds; 304 while no response came."""
    survey = _live_survey(request, pk)
    return render(request, "surveys/_live_panel.html", _live_context(request, survey))


def _manage(request: HttpRequest, pk: int) -> Survey:
    survey = _live_survey(request, pk)
    if not selectors.runs_surveys(request.user):
        raise PermissionDenied
    return survey


@login_required
@require_POST
def live_open(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _manage(request, pk)
    try:
        services.open_survey(survey, acting_user=request.user)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("The event is open: the screen counts the ratings live."))
    return redirect("surveys:results", pk=pk)


@login_required
@require_POST
def live_close(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _manage(request, pk)
    try:
        close_and_feed(survey, acting_user=request.user)
    except (ValidationError, BatchRejected, PermissionDenied) as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("The event is closed: its figures are final."))
    return redirect("surveys:results", pk=pk)
