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
    observations: list[Observation] = field(default_factory=list)

    @property
    def observation_ids(self) -> list[int]:
        return [o.pk for o in self.observations]


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


@dataclass(frozen=True)
class CheckedRow:
    """A row that passed validation, resolved to its objects."""

    number: int
    reason: str
    unit: Unit
    indicator: Indicator
    node: TimeNode
    value: Decimal | None
    text: str


def check_rows(
    rows: Sequence[ValueRow], *, acting_user: Any, allow_derived: bool = False
) -> tuple[list[CheckedRow], list[RowError]]:
    """Validate a batch without writing: the rows that pass, and every error found.

    Checks: known assessed unit, active basic indicator, existing period, no duplicate slot,
    the sender may report the unit (or is the indicator's responsible department), a locked
    period needs a reason, the value parses and is within the plausible range."""
    if not rows:
        return [], [RowError(0, "rows", "the batch is empty")]
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
    checked: list[CheckedRow] = []
    for number, row in enumerate(rows, start=1):
        row_errors: list[RowError] = []
        unit = units.get(row.unit)
        indicator = indicators.get(row.indicator)
        node = nodes.get(row.period)
        if unit is None:
            row_errors.append(RowError(number, "unit", "unknown unit code", row.unit))
        elif not unit.is_assessed:
            row_errors.append(RowError(number, "unit", "not an assessed unit", row.unit))
        if indicator is None:
            row_errors.append(
                RowError(number, "indicator", "unknown indicator code", row.indicator)
            )
        elif indicator.status != Indicator.Status.ACTIVE:
            row_errors.append(
                RowError(number, "indicator", "not an active catalogue indicator", row.indicator)
            )
        elif indicator.is_derived and not allow_derived:
            row_errors.append(
                RowError(
                    number, "indicator", "derived indicators are computed, not sent", row.indicator
                )
            )
        if node is None:
            row_errors.append(
                RowError(number, "period", "no such time node in any cycle", row.period)
            )
        key = (row.unit, row.indicator, row.period)
        if key in seen:
            row_errors.append(
                RowError(
                    number, "period", f"duplicate of row {seen[key]} in this batch", row.period
                )
            )
        else:
            seen[key] = number
        if unit is not None and indicator is not None and node is not None and not row_errors:
            allowed = unit.pk in scope or indicator.responsible_department_id in responsible
            if not allowed:
                row_errors.append(
                    RowError(number, "unit", "you may not report values for this unit", row.unit)
                )
            else:
                if node.locked and not row.reason.strip():
                    row_errors.append(
                        RowError(
                            number,
                            "period",
                            "the period is locked: a correction needs a reason",
                            row.period,
                        )
                    )
                value, text, rule = _parse_value(row.value, indicator)
                if rule is not None:
                    row_errors.append(RowError(number, "value", rule, str(row.value)))
                elif not row_errors:
                    checked.append(
                        CheckedRow(number, row.reason, unit, indicator, node, value, text)
                    )
        errors.extend(row_errors)
    return checked, errors


def store_rows(
    checked: Sequence[CheckedRow],
    *,
    acting_user: Any,
    source: str,
    source_unit: Unit | None = None,
    batch: Any = None,
    require_reason: bool = True,
    automatic_reason: str = "",
) -> RecordResult:
    """Write checked rows as new versions (must run inside the caller's transaction).

    A value equal to the current one is skipped; a changed value needs the row's reason unless
    `require_reason` is off (derived values, whose reason is `automatic_reason`)."""
    existing = {
        (o.unit_id, o.indicator_id, o.time_node_id): o
        for o in Observation.objects.select_for_update().filter(
            unit__in={c.unit.pk for c in checked},
            indicator__in={c.indicator.pk for c in checked},
            time_node__in={c.node.pk for c in checked},
        )
    }
    if require_reason:
        missing_reason = [
            RowError(c.number, "reason", "changing a recorded value needs a reason", _shown(c))
            for c in checked
            if (current := existing.get((c.unit.pk, c.indicator.pk, c.node.pk))) is not None
            and current.version_count
            and (current.value, current.text) != (c.value, c.text)
            and not c.reason.strip()
        ]
        if missing_reason:
            raise BatchRejected(missing_reason)
    result = RecordResult()
    new_slots = [
        Observation(unit=c.unit, indicator=c.indicator, time_node=c.node)
        for c in checked
        if (c.unit.pk, c.indicator.pk, c.node.pk) not in existing
    ]
    if new_slots:
        Observation.objects.bulk_create(new_slots)
        for obs in Observation.objects.filter(
            unit__in={o.unit_id for o in new_slots},
            indicator__in={o.indicator_id for o in new_slots},
            time_node__in={o.time_node_id for o in new_slots},
        ):
            existing.setdefault((obs.unit_id, obs.indicator_id, obs.time_node_id), obs)
    units = {c.unit.pk for c in checked}
    event = audit.record(
        EventType.OBSERVATIONS_RECORDED,
        acting_user=acting_user,
        unit=checked[0].unit if len(units) == 1 else None,
        extra={"source": source, "rows": len(checked)},
    )
    now = timezone.now()
    versions: list[ObservationVersion] = []
    touched: list[Observation] = []
    corrections: list[dict[str, Any]] = []
    for c in checked:
        obs = existing[(c.unit.pk, c.indicator.pk, c.node.pk)]
        if obs.version_count and (obs.value, obs.text) == (c.value, c.text):
            result.unchanged += 1
            continue
        reason = c.reason or automatic_reason
        if obs.version_count:
            result.corrected += 1
            corrections.append(
                {
                    "unit": c.unit.code,
                    "indicator": c.indicator.code,
                    "period": c.node.period,
                    "before": str(obs.value) if obs.value is not None else obs.text,
                    "after": str(c.value) if c.value is not None else c.text,
                    "reason": reason,
                }
            )
        else:
            result.created += 1
        obs.version_count += 1
        obs.value, obs.text = c.value, c.text
        obs.updated_at = now
        touched.append(obs)
        versions.append(
            ObservationVersion(
                observation=obs,
                number=obs.version_count,
                value=c.value,
                text=c.text,
                source=source,
                source_unit=source_unit,
                sent_by=acting_user if getattr(acting_user, "is_authenticated", False) else None,
                recorded_at=now,
                reason=reason,
                event=event,
                batch=batch,
            )
        )
    ObservationVersion.objects.bulk_create(versions, batch_size=2000)
    Observation.objects.bulk_update(
        touched, ["value", "text", "version_count", "updated_at"], batch_size=2000
    )
    summary = {
        "source": source,
        "rows": len(checked),
        "created": result.created,
        "corrected": result.corrected,
        "unchanged": result.unchanged,
        "corrections": corrections,
    }
    # The event row was written first so that versions can point to it; its summary is
    # completed here, in the same transaction (the append-only guard is for later edits).
    type(event).objects.filter(pk=event.pk).update(extra_data=summary)
    result.event_id = event.pk
    result.observations = touched
    if corrections and require_reason:
        audit.record(
            EventType.OBSERVATION_CORRECTED,
            acting_user=acting_user,
            extra={"corrections": corrections, "batch_event": event.pk},
            reason="; ".join(sorted({c["reason"] for c in corrections})),
        )
    return result


def _shown(row: CheckedRow) -> str:
    return row.text if row.value is None else format(row.value.normalize(), "f")


@transaction.atomic
def record_observations(
    rows: Sequence[ValueRow],
    *,
    acting_user: Any,
    source: str = Source.FORM,
    source_unit: Unit | None = None,
    batch: Any = None,
) -> RecordResult:
    """Validate the whole batch, then store every changed value as a new version.

    Refused whole (BatchRejected, nothing stored) on any error `check_rows` finds, or on a
    correction without a reason. A value equal to the current one is skipped, so a batch may be
    sent twice."""
    if source not in Source.values:
        raise ValueError(f"unknown source {source!r}")
    checked, errors = check_rows(rows, acting_user=acting_user)
    if errors:
        raise BatchRejected(errors)
    return store_rows(
        checked, acting_user=acting_user, source=source, source_unit=source_unit, batch=batch
    )
