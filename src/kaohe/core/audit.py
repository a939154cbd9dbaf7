"""Writing the audit trail. Service functions call `record()` inside their transaction."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction

from kaohe.core import fragments, sql
from kaohe.core.context import current_request_id
from kaohe.core.events import EventType
from kaohe.core.models import AuditEvent, ObjectChange


def _jsonable(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def snapshot(obj: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """The concrete field values of `obj` as JSON-ready data (foreign keys as ids)."""
    wanted = set(fields) if fields is not None else None
    data: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        if wanted is not None and field.name not in wanted:
            continue
        if field.name in {"created_at", "updated_at"}:
            continue
        data[field.name] = _jsonable(getattr(obj, field.attname))
    return data


@dataclass(frozen=True)
class Change:
    """One object's before/after for the generic change log."""

    obj: models.Model
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    @property
    def action(self) -> str:
        if self.before is None:
            return ObjectChange.Action.CREATE
        if self.after is None:
            return ObjectChange.Action.DELETE
        return ObjectChange.Action.UPDATE


def created(obj: models.Model) -> Change:
    return Change(obj, None, snapshot(obj))


def updated(obj: models.Model, before: dict[str, Any]) -> Change:
    return Change(obj, before, snapshot(obj, before.keys()))


def _check_atomic(name: str) -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(f"audit.{name}() must be called inside the service's transaction")


def _event(
    event_type: EventType,
    user: Any,
    obj: models.Model | None,
    unit: Any,
    extra: dict[str, Any] | None,
    reason: str,
) -> AuditEvent:
    event = AuditEvent(
        event_type=int(event_type),
        acting_user=user,
        unit_id=None if unit is None else unit.pk,  # a unit, or a row naming one (its pk)
        extra_data=_jsonable(extra or {}),
        request_id=current_request_id(),
        reason=reason,
    )
    if obj is not None:
        event.content_type = ContentType.objects.get_for_model(obj)
        event.object_id = str(obj.pk)
        event.object_repr = str(obj)[:255]
    return event


def _object_changes(event: AuditEvent, changes: Sequence[Change]) -> list[ObjectChange]:
    return [
        ObjectChange(
            event=event,
            content_type=ContentType.objects.get_for_model(change.obj),
            object_id=str(change.obj.pk),
            object_repr=str(change.obj)[:255],
            action=change.action,
            before=change.before,
            after=change.after,
        )
        for change in changes
    ]


def _user(acting_user: Any) -> Any:
    return acting_user if getattr(acting_user, "is_authenticated", False) else None


def record(
    event_type: EventType,
    *,
    acting_user: Any,
    obj: models.Model | None = None,
    unit: Any = None,
    extra: dict[str, Any] | None = None,
    reason: str = "",
    changes: Sequence[Change] = (),
) -> AuditEvent:
    """Write one audit event and its field changes. Must run inside the service's transaction."""
    _check_atomic("record")
    fragments.changed()
    event = _event(event_type, _user(acting_user), obj, unit, extra, reason)
    sql.insert([event])
    if changes:
        ObjectChange.objects.bulk_create(_object_changes(event, changes))
    return event


@dataclass(frozen=True)
class Entry:
    """One event for `record_many`: the arguments `record` takes, but the acting user."""

    event_type: EventType
    obj: models.Model | None = None
    unit: Any = None
    extra: dict[str, Any] | None = None
    reason: str = ""
    changes: Sequence[Change] = ()


def record_many(entries: Sequence[Entry], *, acting_user: Any) -> list[AuditEvent]:
    """Write several audit events, in order, with one INSERT (and one for all their field
    changes): the same rows as calling `record` for each entry in turn. Must run inside the
    service's transaction."""
    _check_atomic("record_many")
    fragments.changed()
    user = _user(acting_user)
    events = [_event(e.event_type, user, e.obj, e.unit, e.extra, e.reason) for e in entries]
    if not events:
        return events
    if not transaction.get_connection().features.can_return_rows_from_bulk_insert:
        # the field changes need the events' ids: save one by one where they do not come back
        for event, entry in zip(events, entries, strict=True):
            event.save()
            if entry.changes:
                ObjectChange.objects.bulk_create(_object_changes(event, entry.changes))
        return events
    sql.insert(events)
    changes = [
        change
        for event, entry in zip(events, entries, strict=True)
        for change in _object_changes(event, entry.changes)
    ]
    if changes:
        ObjectChange.objects.bulk_create(changes)
    return events
