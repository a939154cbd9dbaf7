"""Every service writes its audit event (and field changes) in the same transaction."""

from __future__ import annotations

import pytest
from django.db import transaction

from kaohe.core import audit
from kaohe.core.context import reset_request_id, set_request_id
from kaohe.core.events import EventType
from kaohe.core.models import AuditEvent, ObjectChange
from kaohe.core.roles import Role
from kaohe.indicators import services as indicators
from kaohe.schemes import services as schemes
from kaohe.testing.world import SCHEME_YAML, make_user
from kaohe.units import services as units

pytestmark = pytest.mark.django_db


def events_after(mark: int) -> list[tuple[int, str]]:
    return list(
        AuditEvent.objects.filter(pk__gt=mark)
        .order_by("pk")
        .values_list("event_type", "object_repr")
    )


def last_event_id() -> int:
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def test_unit_services_write_events_with_before_and_after(world):  # type: ignore[no-untyped-def]
    mark = last_event_id()
    token = set_request_id("req-123")
    try:
        units.update_unit(world.d1, acting_user=world.admin, reason="renamed", name_en="Eastern")
    finally:
        reset_request_id(token)
    event = AuditEvent.objects.get(pk__gt=mark)
    assert (event.event_type, event.reason, event.request_id) == (
        EventType.UNIT_UPDATED,
        "renamed",
        "req-123",
    )
    change = event.changes.get()
    assert change.action == ObjectChange.Action.UPDATE
    assert change.changed_fields == [("name_en", "East District", "Eastern")]
    assert event.acting_user == world.admin and event.unit == world.d1


def test_every_unit_service_is_audited(world):  # type: ignore[no-untyped-def]
    mark = last_event_id()
    cat = units.create_category(
        acting_user=world.admin,
        code="social",
        name_zh="社会部门",
        kind="department",
        parent=world.department_category,
    )
    unit = units.create_unit(
        acting_user=world.admin,
        code="DEPT_JYJ",
        name_zh="教育局",
        kind="department",
        parent=world.city,
        category=cat,
        is_assessed=True,
    )
    post = units.create_post(
        acting_user=world.admin, unit=unit, code="JYJ-HEAD", title_zh="局长", rank="head"
    )
    units.create_person(
        acting_user=world.admin, unit=unit, code="P9", name="王芳", gender="F", post=post
    )
    user = make_user("jyj")
    grant = units.add_grant(acting_user=world.admin, user=user, role=Role.REPORTER, unit=unit)
    units.revoke_grant(grant, acting_user=world.admin, reason="left")
    assert [e for e, _ in events_after(mark)] == [
        EventType.CATEGORY_CREATED,
        EventType.UNIT_CREATED,
        EventType.POST_CREATED,
        EventType.PERSON_CREATED,
        EventType.GRANT_ADDED,
        EventType.GRANT_REVOKED,
    ]
    revoked = AuditEvent.objects.get(event_type=EventType.GRANT_REVOKED)
    assert revoked.changes.get().action == ObjectChange.Action.DELETE
    assert revoked.changes.get().before["role"] == "reporter"


def test_indicator_services_are_audited(world):  # type: ignore[no-untyped-def]
    mark = last_event_id()
    request = indicators.propose_indicator(
        acting_user=world.admin,
        unit=world.d1,
        code="night_economy",
        name_zh="夜间经济",
        reason="城市重点工作",
    )
    indicators.approve_admission(request, acting_user=world.admin, reason="符合准入")
    other = indicators.propose_indicator(
        acting_user=world.admin,
        unit=world.d1,
        code="meetings_held",
        name_zh="会议次数",
        reason="日常工作",
    )
    indicators.reject_admission(other, acting_user=world.admin, reason="过程性工作，不予准入")
    gdp = world.indicators["gdp"]
    indicators.update_indicator(gdp, acting_user=world.admin, reason="typo", name_en="GDP")
    indicators.set_components(
        gdp,
        acting_user=world.admin,
        components={"scale": (gdp, 0.3), "speed": (world.indicators["gdp_growth"], 0.3)},
    )
    indicators.retire_indicator(world.indicators["tax_share"], acting_user=world.admin, reason="x")
    assert [e for e, _ in events_after(mark)] == [
        EventType.INDICATOR_PROPOSED,
        EventType.INDICATOR_APPROVED,
        EventType.INDICATOR_PROPOSED,
        EventType.INDICATOR_REJECTED,
        EventType.INDICATOR_UPDATED,
        EventType.INDICATOR_UPDATED,
        EventType.INDICATOR_RETIRED,
    ]
    rejected = AuditEvent.objects.get(event_type=EventType.INDICATOR_REJECTED)
    assert rejected.reason == "过程性工作，不予准入"
    assert sorted(c.action for c in rejected.changes.all()) == ["update", "update"]


def test_scheme_and_cycle_services_are_audited(world):  # type: ignore[no-untyped-def]
    mark = last_event_id()
    cycle = schemes.create_cycle(acting_user=world.admin, year=2026)
    schemes.advance_cycle(cycle, acting_user=world.admin, reason="start")
    schemes.lock_time_node(cycle.time_nodes.get(code="Q1"), acting_user=world.admin)
    schemes.update_scheme_draft(
        world.version,
        acting_user=world.admin,
        yaml_text=SCHEME_YAML.replace("target: 6", "target: 7"),
    )
    schemes.publish_scheme_version(world.version, acting_user=world.admin)
    schemes.create_scheme_version(world.version.scheme, acting_user=world.admin)
    assert [e for e, _ in events_after(mark)] == [
        EventType.CYCLE_CREATED,
        EventType.CYCLE_ADVANCED,
        EventType.TIME_NODE_LOCKED,
        EventType.SCHEME_VERSION_UPDATED,
        EventType.SCHEME_VERSION_PUBLISHED,
        EventType.SCHEME_VERSION_CREATED,
    ]
    edit = AuditEvent.objects.get(event_type=EventType.SCHEME_VERSION_UPDATED)
    assert edit.extra_data["diff"] == [
        {
            "change": "changed",
            "path": "node:gdp_growth_score",
            "field": "method",
            "before": {"type": "target", "target": 6, "mode": "all_or_nothing", "cap": 1},
            "after": {"type": "target", "target": 7, "mode": "all_or_nothing", "cap": 1},
        },
    ]


def test_audit_rows_are_append_only(world):  # type: ignore[no-untyped-def]
    event = AuditEvent.objects.first()
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()
    with pytest.raises(ValueError, match="append-only"):
        event.changes.first().save()


@pytest.mark.django_db(transaction=True)
def test_audit_record_needs_the_services_transaction():  # type: ignore[no-untyped-def]
    user = make_user("someone")
    with pytest.raises(RuntimeError, match="inside the service's transaction"):
        audit.record(EventType.UNIT_UPDATED, acting_user=user)
    assert AuditEvent.objects.count() == 0
    with transaction.atomic():
        audit.record(EventType.UNIT_UPDATED, acting_user=user, obj=user)
    assert AuditEvent.objects.count() == 1


def test_refused_service_call_leaves_no_trace(world):  # type: ignore[no-untyped-def]
    from django.core.exceptions import PermissionDenied

    mark = last_event_id()
    with pytest.raises(PermissionDenied):
        units.update_unit(world.d2, acting_user=world.users["d1_reporter"], name_en="Mine now")
    world.d2.refresh_from_db()
    assert world.d2.name_en == "West District"
    assert events_after(mark) == []


def test_login_is_audited(world, client):  # type: ignore[no-untyped-def]
    mark = last_event_id()
    client.post("/login/", {"username": "office", "password": "wrong"})
    client.post("/login/", {"username": "office", "password": "Test-pass-2026!"})
    assert [e for e, _ in events_after(mark)] == [
        EventType.USER_LOGIN_FAILED,
        EventType.USER_LOGGED_IN,
    ]


def test_catalogue_scheme_and_value_creation_are_audited(world):  # type: ignore[no-untyped-def]
    from kaohe.observations.services import ValueRow, record_observations

    mark = last_event_id()
    indicators.create_indicator(
        acting_user=world.admin, code="exports", name_zh="出口额", reported_by="unit"
    )
    schemes.create_scheme(
        acting_user=world.admin,
        cycle=world.cycle,
        category=world.department_category,
        code="dept-2025",
        name_zh="市直单位考核方案",
        yaml_text=SCHEME_YAML,
    )
    result = record_observations(
        [ValueRow("D01", "exports", "2025Q1", 12.5)], acting_user=world.users["d1_reporter"]
    )
    assert [e for e, _ in events_after(mark)] == [
        EventType.INDICATOR_CREATED,
        EventType.SCHEME_CREATED,
        EventType.OBSERVATIONS_RECORDED,
    ]
    recorded = AuditEvent.objects.get(pk=result.event_id)
    assert recorded.acting_user == world.users["d1_reporter"] and recorded.unit == world.d1
    assert recorded.extra_data == {
        "source": "form",
        "rows": 1,
        "created": 1,
        "corrected": 0,
        "unchanged": 0,
        "corrections": [],
    }
