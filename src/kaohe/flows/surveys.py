"""A survey closes and its figures enter the scheme: one step across the surveys and the
observations, in one transaction.

`close_and_feed` closes the survey (its results and comments frozen, `surveys.services`) and,
when the survey names an indicator, sends one value per unit — the group-weighted index (0–100)
or the group-weighted satisfaction rate (%) as `survey.measure` says, rounded to the indicator's
decimals — for the survey's period of its cycle, through the one ingestion pipeline
(`flows.ingest.ingest`, source "survey", client key `survey-<pk>`), so the values are checked,
stored as observation versions, recomputed, monitored and re-ranked as any other batch. Each
value's reason says where it comes from: the survey, the questionnaire version and the number
of responses and answers behind it. A refused batch (a locked or closed period, a unit that is
not assessed, a sender who may not report the indicator) refuses the close with the pipeline's
row, field and rule: nothing is half-written. A unit without an index (no group with enough
answers) gets no value; `FeedPlan.missing` says why, and the results page shows it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from kaohe.core import audit
from kaohe.core.events import EventType
from kaohe.flows.ingest import IngestResult, ingest
from kaohe.observations.models import Source
from kaohe.observations.services import ValueRow
from kaohe.surveys import services
from kaohe.surveys.models import Survey, SurveyResult
from kaohe.units.models import Unit


@dataclass(frozen=True)
class FeedPlan:
    """What a closed survey sends: one row per unit with a figure, and the units left out."""

    rows: tuple[ValueRow, ...]
    missing: tuple[tuple[Unit, str], ...]


@dataclass(frozen=True)
class Closed:
    """The closed survey and, when it fed an indicator, the pipeline's batch."""

    survey: Survey
    plan: FeedPlan
    result: IngestResult | None = None


def figure_of(result: SurveyResult, measure: str) -> float | None:
    """The figure a unit's index row gives the scheme: the index (0–100) or the rate in %."""
    if measure == Survey.Measure.INDEX:
        return result.index
    rate = result.satisfaction_rate
    return None if rate is None else rate * 100.0


def _reason(survey: Survey, result: SurveyResult) -> str:
    version = survey.version
    return _(
        "survey “%(survey)s” (#%(id)d), questionnaire %(questionnaire)s v%(version)d: "
        "%(measure)s from %(responses)d responses (%(answers)d answers)"
    ) % {
        "survey": survey.name_zh,
        "id": survey.pk,
        "questionnaire": version.questionnaire.code,
        "version": version.number,
        "measure": survey.get_measure_display(),
        "responses": result.responses,
        "answers": result.answers,
    }


def feed_plan(survey: Survey) -> FeedPlan:
    """The rows a closed survey sends to its indicator, from its frozen index rows."""
    indicator = survey.indicator
    if indicator is None or survey.state != Survey.State.CLOSED:
        return FeedPlan((), ())
    places = min(max(indicator.decimals, 0), 6)
    period = f"{survey.cycle.year}{survey.period}"
    rows, missing = [], []
    index_rows = (
        SurveyResult.objects.filter(survey=survey, group__isnull=True)
        .select_related("unit")
        .order_by("unit__code")
    )
    for result in index_rows:
        value = figure_of(result, survey.measure)
        if value is None:
            missing.append(
                (
                    result.unit,
                    _(
                        "no value sent: no respondent group has %(min_n)d answers on this unit "
                        "(%(answers)d answers in all)"
                    )
                    % {"min_n": survey.min_n, "answers": result.answers},
                )
            )
            continue
        rows.append(
            ValueRow(
                result.unit.code,
                indicator.code,
                period,
                round(value, places),
                reason=_reason(survey, result),
            )
        )
    return FeedPlan(tuple(rows), tuple(missing))


@transaction.atomic
def close_and_feed(survey: Survey, *, acting_user: Any) -> Closed:
    """Close the survey and send its figures into the scheme, all or nothing."""
    closed = services.close_survey(survey, acting_user=acting_user)
    closed = Survey.objects.select_related("cycle", "indicator", "version__questionnaire").get(
        pk=closed.pk
    )
    plan = feed_plan(closed)
    if not plan.rows:
        return Closed(closed, plan)
    result = ingest(
        list(plan.rows),
        acting_user=acting_user,
        source=Source.SURVEY,
        client_key=f"survey-{closed.pk}",
    )
    assert closed.indicator is not None  # a plan has rows only for a survey with an indicator
    audit.record(
        EventType.SURVEY_RESULTS_FED,
        acting_user=acting_user,
        obj=closed,
        extra={
            "batch": result.batch.pk,
            "indicator": closed.indicator.code,
            "measure": closed.measure,
            "units": [r.unit for r in plan.rows],
            "missing": [u.code for u, _why in plan.missing],
        },
    )
    return Closed(closed, plan, result)
