"""Reads of the surveys for the office's pages and API, always through the user's scope.

Questionnaires, surveys, their groups, code batches and responses are city-level objects of the
survey managers (`Action.SURVEY`: survey managers and the office): everyone else gets none of
them, so a page naming one answers 404 (its existence is not revealed) and a list 403."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, Q, QuerySet
from django.utils.translation import get_language

from kaohe.core import access
from kaohe.core.roles import Action
from kaohe.surveys import services
from kaohe.surveys.models import (
    AccessCode,
    CodeBatch,
    Questionnaire,
    QuestionnaireVersion,
    RespondentGroup,
    Response,
    Survey,
    SurveyComment,
    SurveyResult,
    UnitQuota,
)

# --- office reads (helper B) -------------------------------------------------------------------


def runs_surveys(user: Any) -> bool:
    return access.has_citywide(user, Action.SURVEY)


def questionnaires(user: Any) -> QuerySet[Questionnaire]:
    found = Questionnaire.objects.annotate(version_count=Count("versions"))
    return found if runs_surveys(user) else found.none()


def versions(user: Any) -> QuerySet[QuestionnaireVersion]:
    found = QuestionnaireVersion.objects.select_related("questionnaire", "created_by")
    return found if runs_surveys(user) else found.none()


def surveys(user: Any) -> QuerySet[Survey]:
    found = (
        Survey.objects.order_by("-cycle__year", "pk")
        .select_related("cycle", "version__questionnaire", "link_group", "indicator")
        .annotate(
            response_count=Count("responses", distinct=True),
            pending_count=Count(
                "responses", filter=Q(responses__review=Response.Review.PENDING), distinct=True
            ),
        )
    )
    return found if runs_surveys(user) else found.none()


def batches(user: Any) -> QuerySet[CodeBatch]:
    found = CodeBatch.objects.select_related("survey", "group", "created_by").annotate(
        burned_count=Count("codes", filter=Q(codes__burned=True))
    )
    return found if runs_surveys(user) else found.none()


def access_codes(user: Any) -> QuerySet[AccessCode]:
    found = AccessCode.objects.select_related("group", "batch")
    return found if runs_surveys(user) else found.none()


def flagged(user: Any) -> QuerySet[Response]:
    """The flagged responses (any review state), newest day first."""
    found = (
        Response.objects.exclude(flag="").select_related("survey", "group").order_by("-day", "id")
    )
    return found if runs_surveys(user) else found.none()


@dataclass(frozen=True)
class GroupRow:
    group: RespondentGroup
    responses: int
    codes: int
    burned: int
    quotas: tuple[UnitQuota, ...]


@dataclass(frozen=True)
class SurveyOverview:
    """What the survey's page shows beside the survey itself."""

    groups: tuple[GroupRow, ...]
    batches: tuple[CodeBatch, ...]
    flags: dict[str, int]  # review state → flagged responses
    units: tuple[Any, ...]

    @property
    def pending(self) -> int:
        return self.flags.get(Response.Review.PENDING, 0)


def overview(survey: Survey) -> SurveyOverview:
    responses = dict(
        survey.responses.values("group_id").annotate(n=Count("id")).values_list("group_id", "n")
    )
    codes = {
        row["group_id"]: (row["n"], row["burned"])
        for row in survey.codes.values("group_id").annotate(
            n=Count("id"), burned=Count("id", filter=Q(burned=True))
        )
    }
    quotas: dict[int, list[UnitQuota]] = {}
    for quota in UnitQuota.objects.filter(group__survey=survey).select_related("unit"):
        quotas.setdefault(quota.group_id, []).append(quota)
    groups = tuple(
        GroupRow(
            group=g,
            responses=responses.get(g.pk, 0),
            codes=codes.get(g.pk, (0, 0))[0],
            burned=codes.get(g.pk, (0, 0))[1],
            quotas=tuple(sorted(quotas.get(g.pk, []), key=lambda q: q.unit.code)),
        )
        for g in survey.groups.all()
    )
    flags = dict(
        survey.responses.exclude(flag="")
        .values("review")
        .annotate(n=Count("id"))
        .values_list("review", "n")
    )
    made = tuple(
        survey.code_batches.select_related("group", "created_by")
        .annotate(burned_count=Count("codes", filter=Q(codes__burned=True)))
        .order_by("pk")
    )
    return SurveyOverview(groups, made, flags, tuple(survey.units.order_by("code")))


# --- end of the office reads --------------------------------------------------------------------


# --- results (helper C): figures per unit and group, comments, the live event -----------------

RESULTS_ACTION = Action.VIEW


def sees_all_results(user: Any) -> bool:
    """Every unit's figures and comments: the survey managers, the office, the committee and
    auditors (city-wide viewers). A unit's people see their own unit's figures only."""
    return access.has_citywide(user, RESULTS_ACTION)


def result_surveys(user: Any) -> QuerySet[Survey]:
    """The surveys whose results the user may open: all for city-wide viewers (one being
    prepared shows that it has no figures yet); for a unit's people the open or closed surveys
    that rate one of their units."""
    found = Survey.objects.select_related("cycle", "version__questionnaire", "indicator")
    if sees_all_results(user):
        return found
    scope = access.unit_scope(user, RESULTS_ACTION)
    if scope.is_empty:
        return found.none()
    rated = found.exclude(state=Survey.State.DRAFT).filter(units__in=scope.unit_ids)
    return found.filter(pk__in=rated.values("pk"))


@dataclass(frozen=True)
class GroupFigure:
    """One unit × group cell: responses and answers, quota, rate (0–1) with its 95 % interval,
    mean score (0–100), response rate (0–1), a note."""

    group: RespondentGroup
    responses: int
    answers: int
    quota: int
    rate: float | None
    rate_low: float | None
    rate_high: float | None
    mean: float | None
    response_rate: float | None
    note: str


@dataclass(frozen=True)
class UnitFigure:
    """A unit's group-weighted figures and its cells."""

    unit: Any
    responses: int
    answers: int
    quota: int
    index: float | None
    index_low: float | None
    index_high: float | None
    rate: float | None
    rate_low: float | None
    rate_high: float | None
    response_rate: float | None
    note: str
    groups: tuple[GroupFigure, ...]

    @property
    def has_index(self) -> bool:
        return self.index is not None


@dataclass(frozen=True)
class Results:
    """A survey's figures as the user may see them: frozen (closed) or of the moment (open:
    `provisional`). `responses`: the questionnaires counted (city-wide viewers only)."""

    survey: Survey
    provisional: bool
    groups: tuple[RespondentGroup, ...]
    units: tuple[UnitFigure, ...]
    responses: int | None


def _cell(row: Any) -> GroupFigure:
    return GroupFigure(
        group=row.group,
        responses=row.responses,
        answers=row.answers,
        quota=row.quota,
        rate=row.satisfaction_rate,
        rate_low=row.rate_low,
        rate_high=row.rate_high,
        mean=row.index,
        response_rate=row.response_rate,
        note=row.note,
    )


def _shape(rows: list[Any], groups: tuple[RespondentGroup, ...]) -> tuple[UnitFigure, ...]:
    """Result rows (frozen or not) as units with their group cells, by unit code."""
    order = {g.pk: i for i, g in enumerate(groups)}
    by_unit: dict[int, dict[str, Any]] = {}
    for row in rows:
        entry = by_unit.setdefault(row.unit_id, {"unit": row.unit, "index": None, "cells": []})
        if row.group_id is None:
            entry["index"] = row
        else:
            entry["cells"].append(row)
    shaped = []
    for entry in sorted(by_unit.values(), key=lambda e: e["unit"].code):
        index = entry["index"]
        if index is None:
            continue
        cells = sorted(entry["cells"], key=lambda r: order.get(r.group_id, 0))
        shaped.append(
            UnitFigure(
                unit=entry["unit"],
                responses=index.responses,
                answers=index.answers,
                quota=index.quota,
                index=index.index,
                index_low=index.index_low,
                index_high=index.index_high,
                rate=index.satisfaction_rate,
                rate_low=index.rate_low,
                rate_high=index.rate_high,
                response_rate=index.response_rate,
                note=index.note,
                groups=tuple(_cell(r) for r in cells),
            )
        )
    return tuple(shaped)


def counted_responses(survey: Survey) -> int:
    return survey.responses.exclude(
        review__in=[Response.Review.PENDING, Response.Review.EXCLUDED]
    ).count()


def survey_figures(survey: Survey, user: Any, *, unit: Any = None) -> Results:
    """The survey's figures the user may see (one unit's with `unit`). Closed: the frozen
    `SurveyResult` rows through `.restrict(user)`. Open: computed now by the engine over the
    counted responses (`services.compute_results`), shown as provisional, for the units in
    the user's scope. Being prepared: nothing yet."""
    groups = tuple(survey.groups.all())
    everything = sees_all_results(user)
    if survey.state == Survey.State.CLOSED:
        found = SurveyResult.objects.restrict(user, RESULTS_ACTION).filter(survey=survey)
        if unit is not None:
            found = found.filter(unit=unit)
        rows = list(found.select_related("unit", "group"))
        total = counted_responses(survey) if everything and unit is None else None
        return Results(survey, False, groups, _shape(rows, groups), total)
    if survey.state != Survey.State.OPEN:
        return Results(survey, True, groups, (), None)
    figures = services.compute_results(survey)
    scope = access.unit_scope(user, RESULTS_ACTION)
    unsaved = services._result_rows(survey, figures)  # the rows close would freeze
    rows = [
        row for row in unsaved if row.unit_id in scope and (unit is None or row.unit_id == unit.pk)
    ]
    total = figures.responses if everything and unit is None else None
    return Results(survey, True, groups, _shape(rows, figures.groups), total)


def survey_comments(survey: Survey, user: Any, *, unit: Any = None) -> QuerySet[SurveyComment]:
    """A closed survey's comments the user may read: every unit's (and those on the whole
    questionnaire) for city-wide viewers, a unit's people their own unit's only."""
    found = SurveyComment.objects.restrict(user, RESULTS_ACTION).filter(survey=survey)
    if unit is not None:
        found = found.filter(unit=unit)
    return found.select_related("unit", "group").order_by("unit__code", "pk")


# the live event -------------------------------------------------------------------------------


def live_fingerprint(survey: Survey) -> str:
    """What the live screen shows changes only when one of these does: submissions are not
    audited, so the key is read from the responses themselves (their count, the flagged ones'
    reviews, the latest day) and the survey's state — one query."""
    stats = Survey.objects.filter(pk=survey.pk).aggregate(
        n=Count("responses"),
        pending=Count("responses", filter=Q(responses__review=Response.Review.PENDING)),
        excluded=Count("responses", filter=Q(responses__review=Response.Review.EXCLUDED)),
        last=Max("responses__day"),
    )
    state = Survey.objects.filter(pk=survey.pk).values_list("state", flat=True).first()
    return "-".join(
        str(part)
        for part in (
            survey.pk,
            state,
            stats["n"],
            stats["pending"],
            stats["excluded"],
            stats["last"],
            get_language(),
        )
    )


@dataclass(frozen=True)
class LiveUnit:
    unit: Any
    answers: int  # responses rating this unit so far
    mean: float | None  # mean score 0–100 of the counted answers (the index once final)
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class LiveGroup:
    group: RespondentGroup
    responses: int
    wanted: int


@dataclass(frozen=True)
class Live:
    """The live screen's figures: per unit the mean score and answers so far, the responses
    per group against what is wanted, the total; `final` once the survey is closed (the
    frozen results)."""

    survey: Survey
    final: bool
    units: tuple[LiveUnit, ...]
    groups: tuple[LiveGroup, ...]
    responses: int
    wanted: int


def wanted(group: RespondentGroup) -> int:
    """The responses a group is asked for (its quota, or the largest unit quota)."""
    return max([group.quota, *(q.quota for q in group.unit_quotas.all())])


def live_figures(survey: Survey) -> Live:
    """What the live screen shows: while open, computed from the responses so far (every
    response is counted on the screen, flagged or not; the bars use the counted answers);
    once closed, the frozen results."""
    groups = tuple(survey.groups.prefetch_related("unit_quotas"))
    counts = services.live_counts(survey)
    group_rows = tuple(LiveGroup(g, counts.get(g.pk, 0), wanted(g)) for g in groups)
    total, target = sum(counts.values()), sum(g.wanted for g in group_rows)
    if survey.state == Survey.State.CLOSED:
        rows = SurveyResult.objects.filter(survey=survey, group__isnull=True).select_related("unit")
        units = tuple(
            LiveUnit(r.unit, r.answers, r.index, r.index_low, r.index_high)
            for r in rows.order_by("unit__code")
        )
        return Live(survey, True, units, group_rows, total, target)
    if survey.state != Survey.State.OPEN:
        units = tuple(LiveUnit(u, 0, None) for u in survey.units.order_by("code"))
        return Live(survey, False, units, group_rows, total, target)
    figures = services.compute_results(survey)
    r = figures.result
    live_units = []
    for i, unit in enumerate(figures.units):
        answers = int(r.n[i].sum())
        mean = None
        if answers:
            # the answers' plain mean of the moment (the weighted index needs every group)
            mean = float((r.mean[i] * r.n[i]).sum(where=r.n[i] > 0) / answers)
        live_units.append(LiveUnit(unit, answers, mean))
    return Live(survey, False, tuple(live_units), group_rows, total, target)


def collecting_surveys() -> QuerySet[Survey]:
    return Survey.objects.filter(state=Survey.State.OPEN).order_by("pk")
