"""Recording observed values: a batch is checked whole, then stored as new versions at once."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any, NamedTuple

from django.db import connection, transaction
from django.utils import timezone

from kaohe.core import access, audit
from kaohe.core.errors import BatchRejected, RowError
from kaohe.core.events import EventType
from kaohe.core.roles import Action
from kaohe.indicators.models import Frequency, Indicator, ReportedBy
from kaohe.indicators.selectors import IndicatorRow, indicator_rows
from kaohe.indicators.values import ValueRejected, check_value
from kaohe.observations import messages as rules
from kaohe.observations.bulk import BatchWriter
from kaohe.observations.models import Source
from kaohe.schemes.models import Cycle, TimeNode
from kaohe.schemes.selectors import NodeRow, node_rows
from kaohe.units.models import Unit
from kaohe.units.selectors import UnitRow, unit_rows

Key = tuple[int, int, int]  # (unit id, indicator id, time node id): one slot


@dataclass(frozen=True)
class ValueRow:
    """One value to record: unit, indicator and period by code, a number or a graded label."""

    unit: str
    indicator: str
    period: str
    value: Any
    reason: str = ""
    unit_of_measure: str = ""  # when given, it must be the catalogue's (Chinese or English)


def _measure_ok(row: ValueRow, indicator: IndicatorRow) -> bool:
    given = row.unit_of_measure.strip().casefold()
    return not given or given in {indicator.unit_zh.casefold(), indicator.unit_en.casefold()}


class StoredObservation(NamedTuple):
    """A slot as a batch left it: what derived values, monitoring and provisional standings
    read of the observations a batch changed (a model instance per row would cost more than
    writing the row)."""

    pk: int
    unit_id: int
    indicator_id: int
    time_node_id: int
    value: Decimal | None
    text: str


@dataclass
class RecordResult:
    """What a batch did: versions written, values unchanged (skipped), the audit event, and
    the observations that got a new version (one per version, in the order of the rows)."""

    created: int = 0
    corrected: int = 0
    unchanged: int = 0
    event_id: int | None = None
    observations: list[StoredObservation] = field(default_factory=list)

    @property
    def observation_ids(self) -> list[int]:
        return [o.pk for o in self.observations]


def _parse_value(raw: Any, indicator: IndicatorRow) -> tuple[Decimal | None, str, str | None]:
    """(number, text, error rule or None) by the one reading of `kaohe.indicators.values`."""
    try:
        number, text = check_value(raw, indicator.value_kind)
    except ValueRejected as exc:
        return None, "", exc.rule
    return number, text, None


# The kinds of time node an indicator of each frequency is reported for: an annual figure
# only for the year, a quarterly one for the cumulative quarters and the year.
_NODE_KINDS: dict[str, frozenset[str]] = {
    Frequency.ANNUAL: frozenset({TimeNode.Kind.YEAR}),
    Frequency.QUARTERLY: frozenset(
        {
            TimeNode.Kind.QUARTER,
            TimeNode.Kind.HALF,
            TimeNode.Kind.THREE_QUARTERS,
            TimeNode.Kind.YEAR,
        }
    ),
    Frequency.MONTHLY: frozenset(TimeNode.Kind.values),
}


def _frequency_rule(indicator: IndicatorRow, node: NodeRow) -> str | None:
    """The rule an indicator's frequency breaks for a period, or None."""
    kinds = _NODE_KINDS.get(indicator.frequency)
    if kinds is None or node.kind in kinds:
        return None
    return rules.ANNUAL_ONLY if indicator.frequency == Frequency.ANNUAL else rules.QUARTERLY_ONLY


def _may_send(unit: UnitRow, indicator: IndicatorRow, scope: Any, responsible: Any) -> bool:
    """The office sends anything; the responsible department its indicators (a department-only
    indicator not for itself: no one judges their own unit); an assessed unit its own values of
    the indicators the catalogue lets units report."""
    if scope.everything:
        return True
    if indicator.responsible_department_id in responsible:
        return not (
            indicator.reported_by == ReportedBy.DEPARTMENT
            and unit.pk == indicator.responsible_department_id
        )
    return indicator.reported_by == ReportedBy.UNIT and unit.pk in scope


def _closed(node: NodeRow) -> bool:
    return node.cycle.state == Cycle.State.CLOSED


@dataclass(frozen=True)
class Catalogue:
    """What a batch's steps look up, read once for the whole pipeline run: the rows' units and
    every active assessed unit (their categories with them), every indicator, and the time
    nodes (their cycles with them) of the rows' cycles and of the cycles a year before them —
    the rows' nodes, their neighbours (`schemes.selectors.neighbour_nodes`) and the nodes the
    provisional standings choose among. Plain rows (`UnitRow`, `IndicatorRow`, `NodeRow`),
    read by hand-written SQL inside the batch's transaction, so each step sees what the
    separate look-ups it replaces would have seen."""

    units: dict[str, UnitRow]
    indicators: dict[str, IndicatorRow]
    nodes: dict[str, NodeRow]
    assessed: list[UnitRow]  # the active assessed units, by code (the database's order)

    @classmethod
    def load(cls, rows: Sequence[ValueRow]) -> Catalogue:
        """Three queries, whatever the batch's size."""
        units = unit_rows(codes={r.unit for r in rows}, assessed=True)
        return cls(
            units={u.code: u for u in units},
            indicators={i.code: i for i in indicator_rows()},
            nodes={n.period: n for n in node_rows(periods={r.period for r in rows})},
            assessed=[u for u in units if u.is_assessed and u.active],
        )

    @classmethod
    def around(cls, unit_ids: Collection[int], node_ids: Collection[int]) -> Catalogue:
        """The look-ups of a step that has no catalogue: these units, every indicator and the
        nodes of these nodes' cycles (three queries; `assessed` left empty)."""
        units = unit_rows(ids=unit_ids)
        return cls(
            units={u.code: u for u in units},
            indicators={i.code: i for i in indicator_rows()},
            nodes={n.period: n for n in node_rows(ids=node_ids)},
            assessed=[],
        )

    @cached_property
    def indicators_by_id(self) -> dict[int, IndicatorRow]:
        return {i.pk: i for i in self.indicators.values()}

    @cached_property
    def units_by_id(self) -> dict[int, UnitRow]:
        return {u.pk: u for u in self.units.values()}

    @cached_property
    def nodes_by_id(self) -> dict[int, NodeRow]:
        return {n.pk: n for n in self.nodes.values()}


class CheckedRow(NamedTuple):
    """A row that passed validation, resolved to its objects."""

    number: int
    reason: str
    unit: UnitRow
    indicator: IndicatorRow
    node: NodeRow
    value: Decimal | None
    text: str


def check_rows(
    rows: Sequence[ValueRow],
    *,
    acting_user: Any,
    allow_derived: bool = False,
    catalogue: Catalogue | None = None,
) -> tuple[list[CheckedRow], list[RowError]]:
    """Validate a batch without writing: the rows that pass, and every error found.

    Checks: known assessed unit, active basic indicator, existing period, no duplicate slot,
    the sender may report the unit (or is the indicator's responsible department), a locked
    period needs a reason, the value parses and is within the plausible range.

    A row that passes takes one pass of cheap tests; only a row that fails goes through
    `_row_errors`, which names every problem. `catalogue` (`Catalogue.load(rows)`): the
    look-ups, when the caller has read them for its other steps."""
    if not rows:
        return [], [RowError(0, "rows", rules.BATCH_EMPTY)]
    if catalogue is None:
        catalogue = Catalogue.load(rows)
    units, indicators, nodes = catalogue.units, catalogue.indicators, catalogue.nodes
    scope = access.unit_scope(acting_user, Action.REPORT)
    responsible = access.responsible_unit_ids(acting_user, Action.REPORT)
    # The indicators this sender may send: active, basic unless allowed.
    sendable = {
        code
        for code in {r.indicator for r in rows}
        if (i := indicators.get(code)) is not None
        and i.status == Indicator.Status.ACTIVE
        and (allow_derived or not i.is_derived)
    }
    errors: list[RowError] = []
    seen: dict[tuple[str, str, str], int] = {}
    checked: list[CheckedRow] = []
    append = checked.append
    for number, row in enumerate(rows, start=1):
        first = seen.setdefault((row.unit, row.indicator, row.period), number)
        unit = units.get(row.unit)
        indicator = indicators.get(row.indicator)
        node = nodes.get(row.period)
        if (
            first == number
            and unit is not None
            and indicator is not None
            and node is not None
            and unit.is_assessed
            and row.indicator in sendable
            and _may_send(unit, indicator, scope, responsible)
            and _frequency_rule(indicator, node) is None
            and not _closed(node)
            and (not node.locked or row.reason.strip())
            and (not row.unit_of_measure or _measure_ok(row, indicator))
        ):
            value, text, rule = _parse_value(row.value, indicator)
            if rule is None:
                append(CheckedRow(number, row.reason, unit, indicator, node, value, text))
                continue
        errors += _row_errors(
            number, row, unit, indicator, node, first, scope, responsible, allow_derived
        )
    return checked, errors


def _row_errors(
    number: int,
    row: ValueRow,
    unit: UnitRow | None,
    indicator: IndicatorRow | None,
    node: NodeRow | None,
    first: int,
    scope: Any,
    responsible: Any,
    allow_derived: bool,
) -> list[RowError]:
    """Every problem of one row (`first`: the number of the first row with its slot)."""
    row_errors: list[RowError] = []
    if unit is None or (not unit.is_assessed and unit.pk not in scope):
        # the same answer whether the code exists or not, unless the sender sees every unit
        rule = rules.NOT_YOUR_UNIT
        if scope.everything:
            rule = rules.UNKNOWN_UNIT if unit is None else rules.NOT_ASSESSED
        row_errors.append(RowError(number, "unit", rule, row.unit))
    elif not unit.is_assessed:
        row_errors.append(RowError(number, "unit", rules.NOT_ASSESSED, row.unit))
    if indicator is None:
        row_errors.append(RowError(number, "indicator", rules.UNKNOWN_INDICATOR, row.indicator))
    elif indicator.status != Indicator.Status.ACTIVE:
        row_errors.append(RowError(number, "indicator", rules.NOT_ACTIVE, row.indicator))
    elif indicator.is_derived and not allow_derived:
        row_errors.append(RowError(number, "indicator", rules.DERIVED_NOT_SENT, row.indicator))
    if indicator is not None and not _measure_ok(row, indicator):
        expected = indicator.unit_zh or indicator.unit_en or "—"
        row_errors.append(
            RowError(
                number,
                "unit_of_measure",
                rules.WRONG_MEASURE % {"expected": expected},
                row.unit_of_measure,
            )
        )
    if node is None:
        row_errors.append(RowError(number, "period", rules.NO_SUCH_PERIOD, row.period))
    if first != number:
        row_errors.append(
            RowError(number, "period", rules.DUPLICATE_IN_BATCH % {"row": first}, row.period)
        )
    if node is not None and _closed(node):
        row_errors.append(RowError(number, "period", rules.CYCLE_CLOSED, row.period))
    frequency = None if indicator is None or node is None else _frequency_rule(indicator, node)
    if frequency is not None:
        row_errors.append(RowError(number, "period", frequency, row.period))
    if unit is not None and indicator is not None and node is not None and not row_errors:
        if not (unit.pk in scope or indicator.responsible_department_id in responsible):
            row_errors.append(RowError(number, "unit", rules.NOT_YOUR_UNIT, row.unit))
        elif not _may_send(unit, indicator, scope, responsible):
            rule = (
                rules.NOT_ONE_S_OWN_JUDGE
                if unit.pk == indicator.responsible_department_id
                else rules.DEPARTMENT_REPORTS
            )
            row_errors.append(RowError(number, "indicator", rule, row.indicator))
        elif node.locked and not row.reason.strip():
            row_errors.append(RowError(number, "period", rules.LOCKED_NEEDS_REASON, row.period))
    if indicator is not None:
        # the value is read whatever else is wrong, so that one try shows every problem
        value_rule = _parse_value(row.value, indicator)[2]
        if value_rule is not None:
            row_errors.append(RowError(number, "value", value_rule, str(row.value)))
    return row_errors


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
    `require_reason` is off (derived values, whose reason is `automatic_reason`).

    The batch is written in bulk (`bulk.BatchWriter`): new slots are inserted holding their
    value and version 1 and their ids read back in one query, corrected slots are updated in
    one statement, and the versions are inserted — never updated."""
    keys = [(c.unit.pk, c.indicator.pk, c.node.pk) for c in checked]
    existing = _current_slots(keys)
    if require_reason:
        missing_reason = [
            RowError(c.number, "reason", rules.CHANGE_NEEDS_REASON, _shown(c))
            for c, key in zip(checked, keys, strict=True)
            if (current := existing.get(key)) is not None
            and current[3]
            and (current[1], current[2]) != (c.value, c.text)
            and not c.reason.strip()
        ]
        if missing_reason:
            raise BatchRejected(missing_reason)
    result = RecordResult()
    # Every slot's state as the batch goes through it: [id (None: new), value, text, versions].
    state: dict[Key, list[Any]] = {key: list(slot) for key, slot in existing.items()}
    versions: list[tuple[Key, int, Decimal | None, str, str]] = []
    corrections: list[dict[str, Any]] = []
    for c, key in zip(checked, keys, strict=True):
        slot = state.get(key)
        if slot is None:
            slot = state[key] = [None, None, "", 0]
        elif slot[3] and slot[1] == c.value and slot[2] == c.text:
            result.unchanged += 1
            continue
        reason = c.reason or automatic_reason
        if slot[3]:
            result.corrected += 1
            corrections.append(
                {
                    "unit": c.unit.code,
                    "indicator": c.indicator.code,
                    "period": c.node.period,
                    "before": str(slot[1]) if slot[1] is not None else slot[2],
                    "after": str(c.value) if c.value is not None else c.text,
                    "reason": reason,
                }
            )
        else:
            result.created += 1
        slot[1], slot[2], slot[3] = c.value, c.text, slot[3] + 1
        versions.append((key, slot[3], c.value, c.text, reason))
    writer = BatchWriter(connection)
    now = timezone.now()
    new = [(key, slot) for key, slot in state.items() if slot[0] is None]
    if new:
        writer.insert_slots([(*key, slot[1], slot[2], slot[3]) for key, slot in new], now)
        ids = writer.slot_ids([key for key, _ in new])
        for key, slot in new:
            slot[0] = ids[key]
    units = {key[0] for key in keys}
    summary = {
        "source": source,
        "rows": len(checked),
        "created": result.created,
        "corrected": result.corrected,
        "unchanged": result.unchanged,
        "corrections": corrections,
    }
    # written before the versions, which point to it, and already holding the batch's summary
    event = audit.record(
        EventType.OBSERVATIONS_RECORDED,
        acting_user=acting_user,
        unit=checked[0].unit if len(units) == 1 else None,
        extra=summary,
    )
    sender = acting_user.pk if getattr(acting_user, "is_authenticated", False) else None
    source_unit_id = source_unit.pk if source_unit is not None else None
    batch_id = batch.pk if batch is not None else None
    writer.insert_versions(
        [
            (state[key][0], number, value, text, source, source_unit_id, sender, reason,
             event.pk, batch_id)
            for key, number, value, text, reason in versions
        ],
        now,
    )  # fmt: skip
    writer.update_slots(
        [
            (slot[0], slot[1], slot[2], slot[3])
            for key, slot in state.items()
            if key in existing and slot[3] != existing[key][3]
        ],
        now,
    )
    result.event_id = event.pk
    result.observations = [
        StoredObservation(slot[0], key[0], key[1], key[2], slot[1], slot[2])
        for key, _number, _value, _text, _reason in versions
        if (slot := state[key])
    ]
    if corrections and require_reason:
        audit.record(
            EventType.OBSERVATION_CORRECTED,
            acting_user=acting_user,
            extra={"corrections": corrections, "batch_event": event.pk},
            reason="; ".join(sorted({c["reason"] for c in corrections})),
        )
    return result


def _current_slots(keys: Sequence[Key]) -> dict[Key, tuple[int, Decimal | None, str, int]]:
    """(id, value, text, versions) of the slots that exist among `keys`' units × indicators ×
    nodes, locked for the transaction (PostgreSQL; SQLite's transaction holds the write lock
    already)."""
    return BatchWriter(connection).current_slots(keys)


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
