"""The surveys' services against the real database: questionnaire checks, codes burned once,
the refusals a respondent can meet, results frozen at close equal to the engine's, and flagged
open-link responses kept for the office's review."""

from __future__ import annotations

import numpy as np
import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kaohe.core.errors import BatchRejected
from kaohe.core.events import EventType
from kaohe.core.models import AuditEvent
from kaohe.engine.evaluation import LikertScale, matrix_results
from kaohe.surveys import services
from kaohe.surveys.models import QuestionnaireVersion, Response, Survey, SurveyComment, SurveyResult
from kaohe.testing.surveys import QUESTIONS, make_survey, posted

pytestmark = pytest.mark.django_db


def test_questions_are_checked_whole_naming_question_field_and_rule(world):
    ts = make_survey(world, open_it=False)
    bad = [
        {**QUESTIONS[0], "points": 6},
        {"key": "rating", "kind": "single", "text_zh": "重复", "options": [{"zh": "一"}]},
        {"key": "Bad Key", "kind": "essay", "text_zh": "x"},
    ]
    with pytest.raises(BatchRejected) as refused:
        services.add_version(ts.survey.version.questionnaire, acting_user=ts.manager, questions=bad)
    found = {(e.row, e.field) for e in refused.value.errors}
    assert found == {(1, "points"), (2, "key"), (2, "options"), (3, "key"), (3, "kind")}
    assert QuestionnaireVersion.objects.count() == 1


def test_only_a_survey_manager_runs_surveys(world):
    ts = make_survey(world, open_it=False)
    with pytest.raises(PermissionDenied):
        services.make_codes(ts.coded, 5, acting_user=world.users["d1_reporter"])
    services.make_codes(ts.coded, 5, acting_user=world.users["office"])


def test_opening_freezes_the_version(world):
    ts = make_survey(world)
    version = ts.survey.version
    version.refresh_from_db()
    assert version.frozen
    version.intro_zh = "改一下"
    with pytest.raises(ValidationError):
        version.save()
    assert AuditEvent.objects.filter(event_type=EventType.SURVEY_OPENED).count() == 1


def test_a_code_answers_once(world):
    ts = make_survey(world)
    d1, d2 = world.d1.pk, world.d2.pk
    code = services.find_code(ts.codes[0].code.lower())  # case and spaces do not matter
    services.submit(ts.survey, posted({d1: 5, d2: 4}), code=code)
    with pytest.raises(services.Refused) as used:
        services.find_code(ts.codes[0].code)
    assert used.value.reason == "used_code"
    # a stale object (two phones sending one code at once) is refused by the conditional burn
    with pytest.raises(services.Refused) as again:
        services.submit(ts.survey, posted({d1: 1, d2: 1}), code=code)
    assert again.value.reason == "used_code"
    assert Response.objects.count() == 1


def test_refusals_name_their_reason(world):
    ts = make_survey(world, open_it=False)
    d1, d2 = world.d1.pk, world.d2.pk
    code = services.find_code(ts.codes[0].code)
    with pytest.raises(services.Refused) as draft:
        services.submit(ts.survey, posted({d1: 5}), code=code)
    assert draft.value.reason == "not_open"
    survey = services.open_survey(ts.survey, acting_user=ts.manager)
    with pytest.raises(services.InvalidAnswers) as invalid:
        services.submit(survey, posted({d1: 6, d2: "x"}, channel="9"), code=code)
    assert {(e.row, e.field) for e in invalid.value.errors} == {
        (1, f"rating.{d1}"),
        (1, f"rating.{d2}"),
        (2, "channel"),
    }
    with pytest.raises(services.InvalidAnswers) as too_many:
        services.submit(survey, posted({d1: 3}, topics=["1", "2", "3"]), code=code)
    assert [e.field for e in too_many.value.errors] == ["topics"]
    assert Response.objects.count() == 0 and not type(code).objects.get(pk=code.pk).burned
    with pytest.raises(services.Refused) as unknown:
        services.find_code("NOPE-NOPE")
    assert unknown.value.reason == "unknown_code"
    services.close_survey(survey, acting_user=ts.manager)
    survey.refresh_from_db()
    with pytest.raises(services.Refused) as closed:
        services.submit(survey, posted({d1: 5}), code=code)
    assert closed.value.reason == "closed"


def test_a_full_quota_is_refused(world):
    ts = make_survey(world, codes=12)
    services.set_unit_quota(ts.coded, world.d2, 11, acting_user=ts.manager)  # the larger: 11
    for code in ts.codes[:11]:
        services.submit(ts.survey, posted({world.d1.pk: 4}), code=code)
    with pytest.raises(services.Refused) as full:
        services.submit(ts.survey, posted({world.d1.pk: 4}), code=ts.codes[11])
    assert full.value.reason == "quota_full" and full.value.status == 403


def test_the_open_link_is_rate_limited_and_flags_what_looks_wrong(world, settings):
    settings.KAOHE_SURVEY_LINK_PER_HOUR = 5
    ts = make_survey(world)
    d1, d2 = world.d1.pk, world.d2.pk
    first = services.submit(ts.survey, posted({d1: 4, d2: 3}), client="10.0.0.1")
    repeat = services.submit(ts.survey, posted({d1: 4, d2: 3}), client="10.0.0.1")
    other = services.submit(ts.survey, posted({d1: 4, d2: 3}), client="10.0.0.2")
    services.submit(ts.survey, posted({d1: 2, d2: 3}), client="10.0.0.1")
    many = services.submit(ts.survey, posted({d1: 1, d2: 3}), client="10.0.0.1")
    fast = services.submit(ts.survey, posted({d1: 5, d2: 5}), client="10.0.0.3", too_fast=True)
    assert (first.flag, repeat.flag, other.flag) == ("", "repeat_of_previous", "")
    assert many.flag == "many_from_client" and fast.flag == "too_fast"
    services.submit(ts.survey, posted({d1: 3, d2: 3}), client="10.0.0.1")
    with pytest.raises(services.Refused) as limited:
        services.submit(ts.survey, posted({d1: 3, d2: 2}), client="10.0.0.1")
    assert limited.value.status == 429 and limited.value.retry_after
    flagged = Response.objects.filter(review=Response.Review.PENDING)
    assert flagged.count() == 4  # kept, waiting for the office — never dropped
    with pytest.raises(ValidationError):
        services.close_survey(ts.survey, acting_user=ts.manager)
    for response in flagged:
        decision = "excluded" if response.flag == "repeat_of_previous" else "kept"
        services.review_response(response, decision, acting_user=ts.manager)
    services.close_survey(ts.survey, acting_user=ts.manager)
    assert SurveyResult.objects.get(unit=world.d1, group=ts.open).responses == 6


def test_results_frozen_at_close_are_the_engines(world):
    ts = make_survey(world, codes=12)
    d1, d2 = world.d1.pk, world.d2.pk
    rng = np.random.default_rng(7)
    deputies = rng.integers(1, 6, size=(10, 2))  # the quota: 10
    for code, (a, b) in zip(ts.codes[:10], deputies, strict=True):
        services.submit(ts.survey, posted({d1: int(a), d2: int(b)}), code=code)
    citizens = rng.integers(2, 6, size=(20, 2))
    citizens[3, 1] = 0  # one citizen leaves the west district unrated
    for i, (a, b) in enumerate(citizens):
        ratings = {d1: int(a)} | ({d2: int(b)} if b else {})
        comments = {d2: "窗口排队时间太长"} if i == 0 else None
        services.submit(
            ts.survey,
            posted(ratings, comments=comments, advice="多听群众意见" if i < 2 else ""),
            client=f"10.1.0.{i}",
        )
    survey = services.close_survey(ts.survey, acting_user=ts.manager)
    assert survey.state == Survey.State.CLOSED

    ratings = np.vstack([deputies, citizens]).astype(float)
    ratings[ratings == 0] = np.nan
    expected = matrix_results(
        ratings,
        np.array([0] * 10 + [1] * 20),
        scale=LikertScale(5, (4, 5)),
        units=["D01", "D02"],
        groups=["deputies", "citizens"],
        weights=[0.4, 0.6],
        quota=[[10, 30], [10, 30]],
        population=[200, np.nan],
    )
    for i, unit in enumerate([world.d1, world.d2]):
        index = SurveyResult.objects.get(survey=survey, unit=unit, group=None)
        assert index.index == expected.index[i]
        assert (index.index_low, index.index_high) == (
            expected.index_low[i],
            expected.index_high[i],
        )
        assert index.satisfaction_rate == expected.weighted_rate[i]
        for j, group in enumerate([ts.coded, ts.open]):
            row = SurveyResult.objects.get(survey=survey, unit=unit, group=group)
            assert row.answers == expected.n[i, j]
            assert row.satisfaction_rate == expected.rate[i, j]
            assert row.quota == [10, 30][j]
    assert SurveyResult.objects.get(survey=survey, unit=world.d2, group=ts.open).answers == 19
    comments = SurveyComment.objects.filter(survey=survey)
    assert sorted((c.unit_id or 0, c.text) for c in comments) == sorted(
        [(0, "多听群众意见"), (0, "多听群众意见"), (d2, "窗口排队时间太长")]
    )
    # a unit sees its own results only
    assert set(
        SurveyResult.objects.restrict(world.users["d1_reporter"]).values_list("unit", flat=True)
    ) == {d1}
    result = SurveyResult.objects.first()
    assert result is not None
    with pytest.raises(ValidationError):
        result.save()
