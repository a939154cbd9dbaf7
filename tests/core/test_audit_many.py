"""`audit.record_many` writes the same rows as `audit.record` called once per entry."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from kaohe.core import audit
from kaohe.core.context import reset_request_id, set_request_id
from kaohe.core.events import EventType
from kaohe.core.models import AuditEvent, ObjectChange
from kaohe.units.models import Unit

pytestmark = pytest.mark.django_db


def rows_after(mark: int) -> list[tuple[Any, ...]]:
    """Every field of the events after `mark` and of their changes, ids made relative."""
    events = list(AuditEvent.objects.filter(pk__gt=mark).order_by("pk"))
    position = {e.pk: i for i, e in enumerate(events)}
    out: list[tuple[Any, ...]] = [
        (
            e.event_type,
            e.acting_user_id,
            e.unit_id,
            e.content_type_id,
            e.object_id,
            e.object_repr,
            e.extra_data,
            e.request_id,
            e.reason,
            e.occurred_at is not None,
        )
        for e in events
    ]
    for c in ObjectChange.objects.filter(event__pk__gt=mark).order_by("pk"):
        out.append(
            (
                position[c.event_id],
                c.content_type_id,
                c.object_id,
                c.object_repr,
                c.action,
                c.before,
                c.after,
            )
        )
    return out


def last_event_id() -> int:
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def entries(world: Any) -> list[audit.Entry]:
    unit = Unit.objects.get(pk=world.d1.pk)
    before = audit.snapshot(unit)
    unit.name_en = "Eastern"
    return [
        audit.Entry(
            EventType.UNIT_UPDATED,
            obj=unit,
            unit=unit,
            reason="renamed",
            changes=[audit.updated(unit, before)],
        ),
        audit.Entry(EventType.WARNING_CLOSED, extra={"resolution": "cleared", "n": 1}),
        audit.Entry(
            EventType.CYCLE_CREATED,
            obj=world.cycle,
            extra={"when": world.cycle.created_at},
            changes=[audit.created(world.cycle), audit.created(world.d2)],
        ),
    ]


def written_with(world: Any, write: Any) -> list[tuple[Any, ...]]:
    """The rows one way of writing leaves behind (rolled back afterwards)."""

    class Rollback(Exception):
        pass

    mark = last_event_id()
    token = set_request_id("req-many")
    try:
        with transaction.atomic():
            write(entries(world))
            rows = rows_after(mark)
            raise Rollback
    except Rollback:
        pass
    finally:
        reset_request_id(token)
    return rows


def one_by_one(items: list[audit.Entry], user: Any) -> None:
    for e in items:
        audit.record(
            e.event_type,
            acting_user=user,
            obj=e.obj,
            unit=e.unit,
            extra=e.extra,
            reason=e.reason,
            changes=e.changes,
        )


def test_record_many_writes_the_rows_record_writes(world):  # type: ignore[no-untyped-def]
    expected = written_with(world, lambda items: one_by_one(items, world.admin))
    assert len(expected) == 6  # 3 events, 3 changes
    statements: list[int] = []

    def bulk(items: list[audit.Entry]) -> None:
        with CaptureQueriesContext(connection) as queries:
            audit.record_many(items, acting_user=world.admin)
        statements.append(len(queries))

    assert written_with(world, bulk) == expected
    assert statements == [2]  # the events, then all their changes


def test_record_many_without_returned_ids_saves_one_by_one(world, monkeypatch):  # type: ignore[no-untyped-def]
    expected = written_with(world, lambda items: one_by_one(items, world.admin))
    monkeypatch.setattr(type(connection.features), "can_return_rows_from_bulk_insert", False)
    got = written_with(world, lambda items: audit.record_many(items, acting_user=world.admin))
    assert got == expected


def test_record_many_returns_the_events_in_order(world):  # type: ignore[no-untyped-def]
    anonymous = type("Anonymous", (), {"is_authenticated": False})()
    with transaction.atomic():
        events = audit.record_many(entries(world), acting_user=anonymous)
        assert audit.record_many([], acting_user=world.admin) == []
    assert [e.event_type for e in events] == [
        EventType.UNIT_UPDATED,
        EventType.WARNING_CLOSED,
        EventType.CYCLE_CREATED,
    ]
    assert all(e.pk is not None and e.acting_user_id is None for e in events)
    assert [e.pk for e in events] == sorted(e.pk for e in events)
    assert events[0].changes.get().changed_fields == [("name_en", "East District", "Eastern")]


@pytest.mark.django_db(transaction=True)
def test_record_many_needs_the_service_transaction() -> None:
    with pytest.raises(RuntimeError, match=r"audit.record_many\(\) must be called inside"):
        audit.record_many([audit.Entry(EventType.WARNING_CLOSED)], acting_user=None)
    assert not AuditEvent.objects.exists()
