"""Recording observed values: a batch is checked whole, then stored as new versions at once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from kaohe.core import access, audit
from kaohe.core.errors import BatchRejected, RowError
from kaohe.core.events import EventType
from kaohe.core.roles import Action
from kaohe.indicators.models import Indicator, ValueType
from kaohe.observations.models import Observation, ObservationVersion, Source
from kaohe.schemes.models import TimeNode
from kaohe.units.models import Unit

_MAX_ABS = Decimal("1e17")


@dataclass(frozen=True)
class ValueRow:
    """One value to record: unit, indicator and period by code, a number or a graded label."""

    unit: str
    indicator: str
    period: str
    value: Any
    reason: str = ""


@dataclass
class RecordResult:
    """What a batch did: versions written, values unchanged (skipped), and the audit event."""

    created: int = 0
    corrected: int = 0
    unchanged: int = 0
    event_id: int | None = None
    observation_ids: list[int] = field(default_factory=list)


def _parse_value(raw: Any, indicator: Indicator) -> tuple[Decimal | None, str, str | None]:
    """(number, text, error rule or None)."""
    if indicator.value_type == ValueType.GRADE:
        text = str(raw).strip() if raw is not None else ""
        if not text:
            return None, "", "a graded value is required"
        return None, text[:40], None
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None, "", "a value is required"
    if isinstance(raw, bool):
        return None, "", "must be a number"
    try:
        number = Decimal(str(raw).strip().replace(",", ""))
    except InvalidOperation:
        return None, "", "must be a number"
    if not number.is_finite() or abs(number) >= _MAX_ABS:
        return None, "", "must be a finite number below 10^17"
    number = number.quantize(Decimal("0.000001"))
    if indicator.min_value is not None and number < Decimal(str(indicator.min_value)):
        return None, "", f"below the lowest plausible value {indicator.min_value:g}"
    if indicator.max_value is not None and number > Decimal(str(indicator.max_value)):
        return None, "", f"above the highest plausible value {indicator.max_value:g}"
    return number, "", None


@transaction.atomic
def record_observations(
    rows: Sequence[ValueRow],
    *,
    acting_user: Any,
    source: str = Source.FORM,
    source_unit: Unit | None = None,
) -> RecordResult:
    """Validate the whole batch, then store every changed value as a new version.

    Refused whole (BatchRejected, nothing stored) on an unknown unit, indicator or period, a value
    that is not a number or out of range, a duplicate slot in the batch, a unit or indicator the
    sender may not report, a locked period without a reason, or a correction without a reason.
    A value equal to the current one is skipped, so a batch may be sent twice."""
    if source not in Source.values:
        raise ValueError(f"unknown source {source!r}")
    if not rows:
        raise BatchRejected([RowError(0, "rows", "the batch is empty")])
    units = {u.code: u for u in Unit.objects.filter(code__in={r.unit for r in rows})}
    indicators = {
        i.code: i
        for i in Indicator.objects.filter(code__in={r.indicator for r in rows}).select_related(
            "responsible_department"
        )
    }
    nodes = {
        n.period: n
        for n in TimeNode.objects.filter(period__in={r.period for r in rows}).select_related(
            "cycle"
        )
    }
    scope = access.unit_scope(acting_user, Action.REPORT)
    responsible = access.responsible_unit_ids(acting_user, Action.REPORT)
    errors: list[RowError] = []
    seen: dict[tuple[str, str, str], int] = {}
    parsed: list[tuple[int, ValueRow, Unit, Indicator, TimeNode, Decimal | None, str]] = []
    for number, row in enumerate(rows, start=1):
        unit = units.get(row.unit)
        indicator = indicators.get(row.indicator)
        node = nodes.get(row.period)
        if unit is None:
            errors.append(RowError(number, "unit", "unknown unit code", row.unit))
        elif not unit.is_assessed:
            errors.append(RowError(number, "unit", "not an assessed unit", row.unit))
        if indicator is None:
            errors.append(RowError(number, "indicator", "unknown indicator code", row.indicator))
        elif indicator.status != Indicator.Status.ACTIVE:
            errors.append(
                RowError(number, "indicator", "not an active catalogue indicator", row.indicator)
            )
        elif indicator.is_derived:
            errors.append(
                RowError(
                    number, "indicator", "derived indicators are computed, not sent", row.indicator
                )
            )
        if node is None:
            errors.append(RowError(number, "period", "no such time node in any cycle", row.period))
        key = (row.unit, row.indicator, row.period)
        if key in seen:
            errors.append(
                RowError(
                    number, "period", f"duplicate of row {seen[key]} in this batch", row.period
                )
            )
        else:
            seen[key] = number
        if unit is None or indicator is None or node is None:
            continue
        allowed = unit.pk in scope or indicator.responsible_department_id in responsible
        if not allowed:
            errors.append(
                RowError(number, "unit", "you may not report values for this unit", row.unit)
            )
            continue
        if node.locked and not row.reason.strip():
            errors.append(
                RowError(
                    number,
                    "period",
                    "the period is locked: a correction needs a reason",
                    row.period,
                )
            )
        value, text, rule = _parse_value(row.value, indicator)
        if rule is not None:
            errors.append(RowError(number, "value", rule, str(row.value)))
            continue
        parsed.append((number, row, unit, indicator, node, value, text))
    if errors:
        raise BatchRejected(errors)

    existing = {
        (o.unit_id, o.indicator_id, o.time_node_id): o
        for o in Observation.objects.select_for_update().filter(
            unit__in={p[2].pk for p in parsed},
            indicator__in={p[3].pk for p in parsed},
            time_node__in={p[4].pk for p in parsed},
        )
    }
    correction_errors = []
    for number, row, unit, indicator, node, value, text in parsed:
        current = existing.get((unit.pk, indicator.pk, node.pk))
        if (
            current is not None
            and current.version_count
            and (current.value, current.text)
            != (
                value,
                text,
            )
            and not row.reason.strip()
        ):
            correction_errors.append(
                RowError(
                    number, "reason", "changing a recorded value needs a reason", str(row.value)
                )
            )
    if correction_errors:
        raise BatchRejected(correction_errors)

    result = RecordResult()
    new_slots = [
        Observation(unit=unit, indicator=indicator, time_node=node)
        for (_, _, unit, indicator, node, _, _) in parsed
        if (unit.pk, indicator.pk, node.pk) not in existing
    ]
    if new_slots:
        Observation.objects.bulk_create(new_slots)
        for obs in Observation.objects.filter(
            unit__in={o.unit_id for o in new_slots},
            indicator__in={o.indicator_id for o in new_slots},
            time_node__in={o.time_node_id for o in new_slots},
        ):
            existing.setdefault((obs.unit_id, obs.indicator_id, obs.time_node_id), obs)
    event = audit.record(
        EventType.OBSERVATIONS_RECORDED,
        acting_user=acting_user,
        unit=parsed[0][2] if len({p[2].pk for p in parsed}) == 1 else None,
        extra={"source": source, "rows": len(rows)},
    )
    now = timezone.now()
    versions: list[ObservationVersion] = []
    touched: list[Observation] = []
    corrections: list[dict[str, Any]] = []
    for _, row, unit, indicator, node, value, text in parsed:
        obs = existing[(unit.pk, indicator.pk, node.pk)]
        if obs.version_count and (obs.value, obs.text) == (value, text):
            result.unchanged += 1
            continue
        if obs.version_count:
            result.corrected += 1
            corrections.append(
                {
                    "unit": unit.code,
                    "indicator": indicator.code,
                    "period": node.period,
                    "before": str(obs.value) if obs.value is not None else obs.text,
                    "after": str(value) if value is not None else text,
                    "reason": row.reason,
                }
            )
        else:
            result.created += 1
        obs.version_count += 1
        obs.value, obs.text = value, text
        obs.updated_at = now
        touched.append(obs)
        versions.append(
            ObservationVersion(
                observation=obs,
                number=obs.version_count,
                value=value,
                text=text,
                source=source,
                source_unit=source_unit,
                sent_by=acting_user if getattr(acting_user, "is_authenticated", False) else None,
                recorded_at=now,
                reason=row.reason,
                event=event,
            )
        )
    ObservationVersion.objects.bulk_create(versions, batch_size=2000)
    Observation.objects.bulk_update(
        touched, ["value", "text", "version_count", "updated_at"], batch_size=2000
    )
    event.extra_data = {
        "source": source,
        "rows": len(rows),
        "created": result.created,
        "corrected": result.corrected,
        "unchanged": result.unchanged,
        "corrections": corrections,
    }
    # The event row was written above so that versions could point to it; its summary is
    # completed here, still inside the same transaction (the append-only guard is for later edits).
    type(event).objects.filter(pk=event.pk).update(extra_data=event.extra_data)
    result.event_id = event.pk
    result.observation_ids = [o.pk for o in touched]
    if corrections:
        audit.record(
            EventType.OBSERVATION_CORRECTED,
            acting_user=acting_user,
            extra={"corrections": corrections, "batch_event": event.pk},
            reason="; ".join(sorted({c["reason"] for c in corrections})),
        )
    return result
