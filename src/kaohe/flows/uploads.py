"""The Excel and CSV doors: a filled template parsed against the user's template scope and run
through the one ingestion pipeline, its errors named by the file's rows and columns."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from kaohe.core.errors import BatchRejected, RowError
from kaohe.flows.ingest import IngestResult, ingest
from kaohe.observations.csvfile import parse_csv
from kaohe.observations.evidence import EvidenceFile
from kaohe.observations.excel import parse_upload
from kaohe.observations.models import Source
from kaohe.observations.report_templates import specs, template_scope
from kaohe.observations.services import ValueRow, check_rows
from kaohe.schemes.models import TimeNode


def ingest_numbered(
    rows: Sequence[ValueRow],
    places: Sequence[tuple[int, Mapping[str, str]]],
    file_errors: Sequence[RowError] = (),
    **kwargs: Any,
) -> IngestResult:
    """`ingest` for rows read from a file. The pipeline numbers a batch's rows 1, 2, …; its
    errors are renumbered to the file's rows: ``places[i]`` is batch row i + 1's row in the
    file and how to rename the pipeline's field there (e.g. ``value`` → a column letter).

    `file_errors` are the problems the file's parser found in its cells: the rows that passed
    it are then checked by the pipeline's rules without writing, and the file is refused
    with both lists in row order — one try shows every problem."""
    if file_errors:
        found = check_rows(rows, acting_user=kwargs["acting_user"])[1] if rows else []
        placed = [_placed(e, places) for e in found]
        raise BatchRejected(sorted([*file_errors, *placed], key=_reading_order))
    try:
        return ingest(rows, **kwargs)
    except BatchRejected as exc:
        raise BatchRejected([_placed(e, places) for e in exc.errors]) from None


def _reading_order(error: RowError) -> tuple[bool, int]:
    """Top to bottom; the file-wide notes (row 0, e.g. "n more not listed") last."""
    return (error.row == 0, error.row)


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
        keep_rows=True,
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
        parsed.errors,
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
        parsed.errors,
        acting_user=user,
        source=Source.CSV,
        client_key=_client_key("csv", data, node, reason, evidence),
        file_name=file_name,
        evidence=evidence,
    )


def ingest_file(data: bytes, *, file_name: str, **kwargs: Any) -> IngestResult:
    """An uploaded file through its door: a ``.csv`` name is read as CSV, any other as .xlsx."""
    door = ingest_csv_upload if file_name.lower().endswith(".csv") else ingest_upload
    return door(data, file_name=file_name, **kwargs)
