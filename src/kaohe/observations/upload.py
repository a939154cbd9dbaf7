"""The Excel and CSV doors: which template a user gets, and an upload run through the one
pipeline."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kaohe.core import access
from kaohe.core.errors import BatchRejected, RowError
from kaohe.core.roles import Action
from kaohe.indicators.models import Indicator
from kaohe.observations.csvfile import build_csv_template, parse_csv
from kaohe.observations.evidence import EvidenceFile
from kaohe.observations.excel import IndicatorSpec, build_template, parse_upload
from kaohe.observations.models import Observation, Source
from kaohe.observations.pipeline import IngestResult, ingest
from kaohe.observations.services import ValueRow
from kaohe.schemes.models import TimeNode
from kaohe.units.models import Unit


@dataclass(frozen=True)
class TemplateScope:
    """The units and indicators a user's template holds."""

    units: list[Unit]
    indicators: list[Indicator]


def template_scope(user: Any) -> TemplateScope:
    """A responsible department gets its indicators for every unit that reports them; a unit
    gets every basic indicator it reports."""
    basic = Indicator.objects.active().filter(formula="").exclude(code__endswith="_target")
    responsible = access.responsible_unit_ids(user, Action.REPORT)
    indicators = list(basic.filter(responsible_department__in=sorted(responsible)))
    if indicators:
        reporting = Observation.objects.filter(indicator__in=indicators).values("unit")
        units = list(Unit.objects.filter(pk__in=reporting, is_assessed=True).order_by("code"))
        return TemplateScope(units, indicators)
    scope = access.unit_scope(user, Action.REPORT)
    units_qs = Unit.objects.filter(is_assessed=True)
    if not scope.everything:
        units_qs = units_qs.filter(pk__in=sorted(scope.unit_ids))
    units = list(units_qs.order_by("code"))
    reported = Observation.objects.filter(unit__in=units).values("indicator")
    return TemplateScope(units, list(basic.filter(pk__in=reported)))


def specs(indicators: list[Indicator]) -> list[IndicatorSpec]:
    """Template columns from the catalogue (graded columns take the labels as written)."""
    return [
        IndicatorSpec(
            code=i.code,
            name=i.name_zh,
            unit_of_measure=i.unit_zh,
            value_type=i.value_type,
            decimals=i.decimals,
            min=i.min_value,
            max=i.max_value,
        )
        for i in indicators
    ]


def template_for(user: Any, node: TimeNode) -> bytes:
    scope = template_scope(user)
    return build_template(
        title="澜城市考核数据报送",
        period=node.period,
        period_label=node.name_zh,
        units=[(u.code, u.name_zh) for u in scope.units],
        indicators=specs(scope.indicators),
    )


def csv_template_for(user: Any, node: TimeNode) -> bytes:
    """The CSV template: one row per unit and indicator of the user's Excel template."""
    scope = template_scope(user)
    return build_csv_template(
        period=node.period,
        units=[(u.code, u.name_zh) for u in scope.units],
        indicators=specs(scope.indicators),
    )


def ingest_numbered(
    rows: Sequence[ValueRow],
    places: Sequence[tuple[int, Mapping[str, str]]],
    **kwargs: Any,
) -> IngestResult:
    """`ingest` for rows read from a file. The pipeline numbers a batch's rows 1, 2, …; its
    errors are renumbered to the file's rows: ``places[i]`` is batch row i + 1's row in the
    file and how to rename the pipeline's field there (e.g. ``value`` → a column letter)."""
    try:
        return ingest(rows, **kwargs)
    except BatchRejected as exc:
        raise BatchRejected([_placed(e, places) for e in exc.errors]) from None


def _placed(error: RowError, places: Sequence[tuple[int, Mapping[str, str]]]) -> RowError:
    if not 1 <= error.row <= len(places):
        return error  # row 0: the batch as a whole
    row, fields = places[error.row - 1]
    return RowError(row, fields.get(error.field, error.field), error.rule, error.value)


def _client_key(
    kind: str, data: bytes, node: TimeNode, reason: str, evidence: Sequence[EvidenceFile] = ()
) -> str:
    """The same file for the same period (reason and evidence) is one batch, however often it
    is sent."""
    digest = hashlib.sha256(data + node.period.encode() + reason.encode())
    for f in evidence:
        digest.update(hashlib.sha256(f.data).digest())
    return f"{kind}:{digest.hexdigest()}"


def _parse_in_scope(parser: Callable[..., Any], data: bytes, user: Any, node: TimeNode) -> Any:
    """Parse a file against the user's template: its units, its indicators, the period."""
    scope = template_scope(user)
    return parser(
        data,
        expected_period=node.period,
        indicators=specs(scope.indicators),
        units=[u.code for u in scope.units],
    )


def ingest_upload(
    data: bytes,
    *,
    user: Any,
    node: TimeNode,
    file_name: str,
    reason: str = "",
    evidence: Sequence[EvidenceFile] = (),
) -> IngestResult:
    """Parse a filled template (refused whole with every problem named) and run its values
    through the pipeline. The same file sent twice is one batch (its hash is the client key)."""
    parsed = _parse_in_scope(parse_upload, data, user, node)
    rows = [
        ValueRow(row.unit_code, row.indicator_code, parsed.period, row.raw_value, reason=reason)
        for row in parsed.rows
    ]
    letters = dict(zip(parsed.indicators, parsed.columns, strict=True))
    places = [
        (
            row.row,
            {
                "unit": "A",
                "indicator": letters[row.indicator_code],
                "value": letters[row.indicator_code],
            },
        )
        for row in parsed.rows
    ]
    return ingest_numbered(
        rows,
        places,
        acting_user=user,
        source=Source.EXCEL,
        client_key=_client_key("xlsx", data, node, reason, evidence),
        file_name=file_name,
        evidence=evidence,
    )


def ingest_csv_upload(
    data: bytes,
    *,
    user: Any,
    node: TimeNode,
    file_name: str,
    reason: str = "",
    evidence: Sequence[EvidenceFile] = (),
) -> IngestResult:
    """Parse a CSV upload (refused whole with every problem named by its spreadsheet row) and
    run its values through the pipeline, like `ingest_upload`. A row's own reason wins over
    the page's."""
    parsed = _parse_in_scope(parse_csv, data, user, node)
    rows = [
        ValueRow(
            row.unit_code,
            row.indicator_code,
            row.period,
            row.raw_value,
            reason=row.reason or reason,
        )
        for row in parsed.rows
    ]
    return ingest_numbered(
        rows,
        [(row.row, {}) for row in parsed.rows],
        acting_user=user,
        source=Source.CSV,
        client_key=_client_key("csv", data, node, reason, evidence),
        file_name=file_name,
        evidence=evidence,
    )
