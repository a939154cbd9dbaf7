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
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("audit.record() must be called inside the service's transaction")
    user = acting_user if getattr(acting_user, "is_authenticated", False) else None
    event = AuditEvent(
        event_type=int(event_type),
        acting_user=user,
        unit=unit,
        extra_data=_jsonable(extra or {}),
        request_id=current_request_id(),
        reason=reason,
    )
    if obj is not None:
        event.content_type = ContentType.objects.get_for_model(obj)
        event.object_id = str(obj.pk)
        event.object_repr = str(obj)[:255]
    event.save()
    if changes:
        ObjectChange.objects.bulk_create(
            [
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
        )
    return event
