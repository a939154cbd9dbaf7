"""Interview and rectification items: opened from a published run's interview list, a plan
with measures and deadlines (bad rows refused by number, nothing stored), returned and
resubmitted, accepted, progress, closing; scope, audit, notifications, reminders, the pages
and the API; and a cycle does not close while an item is open."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from kaohe.core.events import EventType
from kaohe.core.models import AuditEvent, Notification
from kaohe.core.roles import Role
from kaohe.flows.cycles import advance_cycle, stage_gaps
from kaohe.rectification import services
from kaohe.rectification.models import RectificationItem
from kaohe.rectification.services import Measure
from kaohe.testing.results import published_run
from kaohe.testing.world import SCHEME_YAML, make_user
from kaohe.units.services import add_grant

pytestmark = pytest.mark.django_db

DUE = timezone.localdate() + dt.timedelta(days=30)


@pytest.fixture
def run(world):  # type: ignore[no-untyped-def]
    return published_run(world, SCHEME_YAML + "results:\n  interview: {bottom: 1}\n")


def client_for(user, language: str = "en") -> Client:  # type: ignore[no-untyped-def]
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


def test_an_interview_item_from_opening_to_closing(world, run):  # type: ignore[no-untyped-def]
    office, head = world.users["office"], world.users["d1_head"]
    d2_head = world.users.get("d2_head")
    assert d2_head is None  # the small world has D01's head only: D02's reporter works here
    # D02 is last: on the interview list
    (item,) = services.open_interview_items(run, acting_user=office, due_date=DUE)
    assert (item.unit, item.state) == (world.d2, "open")
    assert "rank 2" in item.cause
    assert services.open_interview_items(run, acting_user=office, due_date=DUE) == []
    note = Notification.objects.get(user=world.users["d2_reporter"])
    assert note.link == f"/rectification/{item.pk}/"
    with pytest.raises(PermissionDenied):
        services.open_interview_items(run, acting_user=head, due_date=DUE)
    with pytest.raises(ValidationError, match="in the past"):
        services.open_interview_items(run, acting_user=office, due_date=dt.date(2020, 1, 1))

    # the plan needs a unit head's submit (a reporter may not submit for the unit)
    with pytest.raises(PermissionDenied):
        services.submit_plan(
            item,
            acting_user=world.users["d2_reporter"],
            text="x",
            measures=[Measure("m", DUE.isoformat())],
        )
    d2_head = _head(world, world.d2, "d2_head")
    with pytest.raises(ValidationError) as bad:
        services.submit_plan(
            item,
            acting_user=d2_head,
            text="招商引资不足",
            measures=[Measure("", "2026-13-01"), Measure("周调度", "2020-01-01")],
        )
    assert bad.value.message_dict["measures"] == [
        "Measure 1: describe the measure.",
        "Measure 1: the deadline '2026-13-01' is not a date (YYYY-MM-DD).",
        "Measure 2: the deadline 2020-01-01 is before the item was opened.",
    ]
    item.refresh_from_db()
    assert (item.state, item.entries.count()) == ("open", 0)

    # on the page: the head submits; the office returns; by the API the head resubmits
    page = client_for(d2_head)
    sent = page.post(
        f"/rectification/{item.pk}/plan/",
        {
            "text": "招商引资不足，项目落地慢",
            "measures": f"建立重点项目周调度机制 | {DUE.isoformat()}",
        },
    )
    assert sent.status_code == 302
    item.refresh_from_db()
    assert item.state == "submitted"
    assert item.entries.get().measures == [
        {"measure": "建立重点项目周调度机制", "deadline": DUE.isoformat()}
    ]
    with pytest.raises(ValidationError, match="reasons"):
        services.review_plan(item, acting_user=office, accept=False, comment=" ")
    services.review_plan(item, acting_user=office, accept=False, comment="措施不具体，请细化")
    api = page.post(
        f"/api/v1/rectification-items/{item.pk}/plan/",
        {
            "text": "细化后的整改方案",
            "measures": [
                {"measure": "每周调度重点项目", "deadline": DUE.isoformat()},
                {"measure": "季度通报进展", "deadline": DUE.isoformat()},
            ],
        },
        content_type="application/json",
    )
    assert api.status_code == 200 and api.json()["state"] == "submitted"
    reviewed = client_for(office).post(
        f"/api/v1/rectification-items/{item.pk}/review/",
        {"accept": True, "comment": "同意"},
        content_type="application/json",
    )
    assert reviewed.json()["state"] == "accepted"

    with pytest.raises(ValidationError, match="no progress"):
        services.close_item(item, acting_user=office, comment="完成")
    reporter = client_for(world.users["d2_reporter"])
    reporter.post(f"/rectification/{item.pk}/progress/", {"text": "已建立周调度，开工3个项目"})
    item.refresh_from_db()
    assert item.entries.filter(kind="progress").count() == 1
    closed = client_for(office).post(
        f"/rectification/{item.pk}/decide/", {"decision": "close", "comment": "整改到位"}
    )
    assert closed.status_code == 302
    item.refresh_from_db()
    assert (item.state, item.closed_at is not None) == ("closed", True)
    events = AuditEvent.objects.filter(
        content_type__model="rectificationitem", object_id=str(item.pk)
    ).order_by("pk")
    assert [e.event_type for e in events] == [
        EventType.RECTIFICATION_OPENED,
        EventType.RECTIFICATION_PLAN_SUBMITTED,
        EventType.RECTIFICATION_PLAN_RETURNED,
        EventType.RECTIFICATION_PLAN_SUBMITTED,
        EventType.RECTIFICATION_PLAN_ACCEPTED,
        EventType.RECTIFICATION_PROGRESS_REPORTED,
        EventType.RECTIFICATION_CLOSED,
    ]


def _head(world, unit, username):  # type: ignore[no-untyped-def]
    user = make_user(username)
    add_grant(acting_user=world.admin, user=user, role=Role.UNIT_HEAD, unit=unit)
    return user


def test_items_are_scoped_reminded_and_hold_the_cycle_open(world, run):  # type: ignore[no-untyped-def]
    office = world.users["office"]
    (item,) = services.open_interview_items(run, acting_user=office, due_date=DUE)
    other = client_for(world.users["d1_reporter"])
    assert other.get(f"/rectification/{item.pk}/").status_code == 404
    assert other.get(f"/api/v1/rectification-items/{item.pk}/").status_code == 404
    assert other.get("/api/v1/rectification-items/").json()["results"] == []
    own = client_for(world.users["d2_reporter"], "zh-hans")
    page = own.get("/rectification/").content.decode()
    assert f'href="/rectification/{item.pk}/"' in page and "待提交整改方案" in page
    assert client_for(office).get(f"/rectification/{item.pk}/").status_code == 200

    assert services.remind_overdue(acting_user=office) == 0
    later = DUE + dt.timedelta(days=1)
    assert services.remind_overdue(acting_user=office, today=later) == 1
    assert Notification.objects.filter(
        user=world.users["d2_reporter"], text__contains="was due"
    ).exists()

    cycle = world.cycle
    while cycle.state != "published":
        cycle = advance_cycle(cycle, acting_user=office, reason="测试", override=True)
    assert "1 rectification items of 2025 annual assessment are still open: D02." in stage_gaps(
        cycle
    )
    assert RectificationItem.objects.restrict(world.users["d1_head"]).count() == 0
