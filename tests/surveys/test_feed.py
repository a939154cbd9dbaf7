"""A closed survey's figures enter the scheme through the one ingestion pipeline: one value per
unit with source "survey" and its provenance, the provisional standings re-ranked as for any
batch, and a refused feed refusing the close — nothing half-written."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from kaohe.core.errors import BatchRejected
from kaohe.core.events import EventType
from kaohe.core.models import AuditEvent
from kaohe.flows.surveys import close_and_feed
from kaohe.indicators import services as indicator_services
from kaohe.indicators.models import Indicator, ReportedBy
from kaohe.observations import messages as rules
from kaohe.observations.models import IngestionBatch, ObservationVersion, Source
from kaohe.results.models import ProvisionalStanding
from kaohe.schemes import services as schemes
from kaohe.surveys import services
from kaohe.surveys.models import Survey, SurveyComment, SurveyResult
from kaohe.testing.surveys import make_survey, posted
from kaohe.testing.world import SCHEME_YAML

pytestmark = pytest.mark.django_db

# the test scheme with party building at 10 points and the survey's satisfaction at 10
FED_SCHEME = SCHEME_YAML.replace(
    """    - id: party
      name: {zh: 党的建设, en: Party building}
      points: 20
      input: fiscal_revenue
      method: {type: rank}
""",
    """    - id: party
      name: {zh: 党的建设, en: Party building}
      points: 10
      input: fiscal_revenue
      method: {type: rank}
    - id: evaluation
      name: {zh: 群众满意度, en: Satisfaction}
      points: 10
      input: satisfaction
      method: {type: efficacy, low: 80, satisfactory: 95}
""",
)


def satisfaction(world: Any, **extra: Any) -> Indicator:
    fields: dict[str, Any] = dict(
        name_zh="群众满意度",
        name_en="Public satisfaction",
        unit_zh="%",
        decimals=2,
        min_value=0,
        max_value=100,
        frequency="annual",
        responsible_department=world.dept,
        reported_by=ReportedBy.DEPARTMENT,
    )
    return indicator_services.create_indicator(
        acting_user=world.admin, code="satisfaction", **(fields | extra)
    )


def fed_survey(world: Any, indicator: Indicator, *, measure: str = "rate", period: str = "Y"):  # type: ignore[no-untyped-def]
    ts = make_survey(world, open_it=False, codes=12)
    Survey.objects.filter(pk=ts.survey.pk).update(
        indicator=indicator, measure=measure, period=period
    )
    ts.survey.refresh_from_db()
    survey = services.open_survey(ts.survey, acting_user=ts.manager)
    d1, d2 = world.d1.pk, world.d2.pk
    # deputies: ten codes; D02 gets too few answers from both groups (no index for it)
    for i, code in enumerate(ts.codes[:10]):
        ratings = {d1: 5 if i % 3 else 4} | ({d2: 2} if i < 1 else {})
        services.submit(survey, posted(ratings), code=code)
    for i in range(6):
        services.submit(survey, posted({d1: 3 + i % 3}), client=f"10.9.0.{i}")
    return ts, survey


def test_the_index_lands_as_an_observation_version_with_its_provenance(world):
    indicator = satisfaction(world)
    _ts, survey = fed_survey(world, indicator, measure="index")
    closed = close_and_feed(survey, acting_user=world.users["office"])
    assert closed.survey.state == Survey.State.CLOSED
    index = SurveyResult.objects.get(survey=survey, unit=world.d1, group=None)
    version = ObservationVersion.objects.get(
        observation__unit=world.d1, observation__indicator=indicator
    )
    assert version.source == Source.SURVEY
    assert version.value == Decimal(str(round(index.index, 2)))
    assert version.observation.time_node.period == "2025Y"
    assert "2025年度群众满意度测评" in version.reason
    assert "satisfaction v1" in version.reason
    assert f"{index.responses} responses" in version.reason
    assert version.batch == closed.result.batch and closed.result.batch.source == Source.SURVEY
    assert closed.result.batch.client_key == f"survey-{survey.pk}"
    # D02 had one answer: no index, no value, and the plan says why
    assert not ObservationVersion.objects.filter(observation__unit=world.d2).filter(
        observation__indicator=indicator
    )
    ((unit, why),) = closed.plan.missing
    assert unit == world.d2 and "5 answers" in why
    fed = AuditEvent.objects.get(event_type=EventType.SURVEY_RESULTS_FED)
    assert fed.extra_data["units"] == ["D01"] and fed.extra_data["missing"] == ["D02"]


def test_the_rate_is_fed_in_percent_rounded_to_the_indicators_decimals(world):
    indicator = satisfaction(world, decimals=1)
    _ts, survey = fed_survey(world, indicator, measure="rate")
    closed = close_and_feed(survey, acting_user=world.admin)
    index = SurveyResult.objects.get(survey=survey, unit=world.d1, group=None)
    (row,) = closed.plan.rows
    assert row.value == round(index.satisfaction_rate * 100, 1)
    version = ObservationVersion.objects.get(observation__indicator=indicator)
    assert version.value == Decimal(str(row.value))


def test_the_provisional_standings_are_reranked_as_for_any_batch(world):
    indicator = satisfaction(world)
    draft = schemes.update_scheme_draft(
        world.version, acting_user=world.admin, yaml_text=FED_SCHEME
    )
    schemes.publish_scheme_version(draft, acting_user=world.admin)
    schemes.advance_cycle(world.cycle, acting_user=world.admin)  # goal setting
    schemes.advance_cycle(world.cycle, acting_user=world.admin)  # in progress
    _ts, survey = fed_survey(world, indicator, measure="index")
    closed = close_and_feed(survey, acting_user=world.admin)
    standings = ProvisionalStanding.objects.all()
    assert standings.exists()
    assert set(standings.values_list("batch", flat=True)) == {closed.result.batch.pk}


@pytest.mark.parametrize("why", ["sender", "frequency"])
def test_a_refused_feed_refuses_the_close_and_writes_nothing(world, why):
    indicator = satisfaction(world)
    ts, survey = fed_survey(world, indicator, period="H1" if why == "frequency" else "Y")
    # the survey manager may run surveys, not report values; an annual indicator takes no H1
    actor = ts.manager if why == "sender" else world.users["office"]
    events = AuditEvent.objects.count()
    with pytest.raises(BatchRejected) as refused:
        close_and_feed(survey, acting_user=actor)
    (error,) = refused.value.errors
    if why == "sender":
        assert (error.row, error.field, error.rule) == (1, "unit", rules.NOT_YOUR_UNIT)
    else:
        assert (error.row, error.field, error.rule) == (1, "period", rules.ANNUAL_ONLY)
    survey.refresh_from_db()
    assert survey.state == Survey.State.OPEN and survey.closed_at is None
    assert not SurveyResult.objects.exists() and not SurveyComment.objects.exists()
    assert not IngestionBatch.objects.filter(source=Source.SURVEY).exists()
    assert AuditEvent.objects.count() == events


def test_a_survey_without_an_indicator_closes_without_feeding(world):
    ts = make_survey(world)
    services.submit(ts.survey, posted({world.d1.pk: 4}), code=ts.codes[0])
    closed = close_and_feed(ts.survey, acting_user=ts.manager)
    assert closed.result is None and closed.plan.rows == ()
    assert closed.survey.state == Survey.State.CLOSED
    assert not IngestionBatch.objects.filter(source=Source.SURVEY).exists()
