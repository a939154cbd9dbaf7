"""The office turns a survey comment into a rectification item for its unit: audited,
notified, one per comment; the item then lives the usual life (plan → accept → progress →
close) and its page shows where it comes from."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from kaohe.core.events import EventType
from kaohe.core.models import AuditEvent, Notification
from kaohe.rectification import services as rectification
from kaohe.rectification.models import RectificationItem
from kaohe.rectification.services import Measure
from kaohe.surveys import services
from kaohe.surveys.models import SurveyComment
from kaohe.testing.surveys import make_survey, posted

pytestmark = pytest.mark.django_db

DUE = timezone.localdate() + dt.timedelta(days=20)


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def closed_with_comments(world: Any):  # type: ignore[no-untyped-def]
    ts = make_survey(world)
    services.submit(
        ts.survey,
        posted({world.d1.pk: 2, world.d2.pk: 4}, comments={world.d1.pk: "东区道路坑洼多年未修"}),
        code=ts.codes[0],
    )
    services.submit(
        ts.survey, posted({world.d1.pk: 3}, advice="建议公开办事时限"), client="10.3.0.1"
    )
    services.close_survey(ts.survey, acting_user=ts.manager)
    on_unit = SurveyComment.objects.get(unit=world.d1)
    general = SurveyComment.objects.get(unit__isnull=True)
    return ts, on_unit, general


def test_a_comment_becomes_an_item_that_lives_the_usual_life(world):
    _ts, comment, _general = closed_with_comments(world)
    office = world.users["office"]
    item = rectification.open_from_comment(comment, acting_user=office, due_date=DUE)
    assert (item.origin, item.unit, item.cycle, item.run, item.comment) == (
        RectificationItem.Origin.SURVEY,
        world.d1,
        world.cycle,
        None,
        comment,
    )
    assert "东区道路坑洼多年未修" in item.cause_zh and "2025年度群众满意度测评" in item.cause_zh
    event = AuditEvent.objects.get(event_type=EventType.SURVEY_COMMENT_TO_RECTIFICATION)
    assert (event.unit_id, event.extra_data["comment"]) == (world.d1.pk, comment.pk)
    assert Notification.objects.filter(user=world.users["d1_reporter"]).exists()
    with pytest.raises(ValidationError):
        rectification.open_from_comment(comment, acting_user=office, due_date=DUE)
    head = world.users["d1_head"]
    rectification.submit_plan(
        item, acting_user=head, text="排查并修复", measures=[Measure("修路", DUE.isoformat())]
    )
    rectification.review_plan(item, acting_user=office, accept=True, comment="同意")
    rectification.report_progress(item, acting_user=world.users["d1_reporter"], text="已修复三处")
    item = rectification.close_item(item, acting_user=office, comment="完成")
    assert item.state == RectificationItem.State.CLOSED
    page = client_for(head).get(f"/rectification/{item.pk}/").content.decode()
    assert 'data-origin="survey"' in page and "东区道路坑洼多年未修" in page
    listed = client_for(office).get("/rectification/?state=all&origin=survey").content.decode()
    assert f"/rectification/{item.pk}/" in listed


def test_a_comment_on_the_whole_questionnaire_needs_a_unit_of_the_survey(world):
    _ts, _comment, general = closed_with_comments(world)
    office = world.users["office"]
    with pytest.raises(ValidationError) as no_unit:
        rectification.open_from_comment(general, acting_user=office, due_date=DUE)
    assert "unit" in no_unit.value.message_dict
    with pytest.raises(ValidationError):
        rectification.open_from_comment(general, acting_user=office, due_date=DUE, unit=world.dept)
    item = rectification.open_from_comment(general, acting_user=office, due_date=DUE, unit=world.d2)
    assert item.unit == world.d2


def test_only_the_office_turns_comments_into_items(world):
    ts, comment, _general = closed_with_comments(world)
    for user in (ts.manager, world.users["committee"], world.users["d1_head"]):
        with pytest.raises(PermissionDenied):
            rectification.open_from_comment(comment, acting_user=user, due_date=DUE)
    head, reporter = client_for(world.users["d1_head"]), client_for(world.users["d2_reporter"])
    before = AuditEvent.objects.count()  # signing in is audited
    answer = head.post(f"/surveys/comments/{comment.pk}/rectify/", {"due_date": DUE.isoformat()})
    assert answer.status_code == 403
    other = reporter.post(f"/surveys/comments/{comment.pk}/rectify/", {"due_date": DUE.isoformat()})
    assert other.status_code == 404  # a comment on another unit is not shown
    assert AuditEvent.objects.count() == before and not RectificationItem.objects.exists()


def test_the_results_page_turns_a_comment_into_an_item(world):
    ts, comment, general = closed_with_comments(world)
    office = client_for(world.users["office"])
    page = office.get(f"/surveys/{ts.survey.pk}/results/").content.decode()
    assert f"/surveys/comments/{comment.pk}/rectify/" in page
    answer = office.post(f"/surveys/comments/{comment.pk}/rectify/", {"due_date": DUE.isoformat()})
    item = RectificationItem.objects.get(comment=comment)
    assert answer.status_code == 302 and answer["Location"] == f"/rectification/{item.pk}/"
    page = office.get(f"/surveys/{ts.survey.pk}/results/").content.decode()
    assert f'href="/rectification/{item.pk}/"' in page
    past = office.post(
        f"/surveys/comments/{general.pk}/rectify/", {"due_date": "2020-01-01", "unit": "D02"}
    )
    assert past.status_code == 302 and not RectificationItem.objects.filter(comment=general)
