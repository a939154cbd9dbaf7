"""The CSV door of the ingestion pipeline: the long-format template and its parser.

A CSV upload is text (UTF-8 with or without a BOM, or GB18030 as Chinese Excel saves it) with
a header row and one value per row: ``unit,indicator,period,value[,reason]`` (header names are
case-insensitive; the Chinese labels of the Excel template are accepted too, and the
informational ``unit_name`` / ``indicator_name`` columns of the template are ignored).

`parse_csv` reads an upload back into `CsvRow`s or refuses it whole with `BatchRejected`,
listing every problem (up to a cap) as a `RowError` that names the row as a spreadsheet shows
it (the header is row 1), the column and the rule. It never evaluates anything: a cell that
looks like a formula is simply not a number. `build_csv_template` writes the template.

Like `kaohe.observations.excel`, this module imports no Django.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from kaohe.core.errors import BatchRejected, RowError
from kaohe.indicators.values import ValueRejected, parse_number
from kaohe.observations.excel import (  # the same error collecting as the Excel door
    MAX_BYTES,
    MAX_ERRORS,
    IndicatorLike,
    _Errors,
    _reject,
    _shown,
    indicator_spec,
    safe_text,
    unsafe_text,
)

__all__ = [
    "COLUMNS",
    "MAX_CSV_ROWS",
    "REQUIRED_COLUMNS",
    "TEMPLATE_COLUMNS",
    "CsvRow",
    "ParsedCsv",
    "build_csv_template",
    "decode_text",
    "parse_csv",
]

REQUIRED_COLUMNS = ("unit", "indicator", "period", "value")
COLUMNS = (*REQUIRED_COLUMNS, "reason")
INFO_COLUMNS = ("unit_name", "indicator_name")  # for people; read back and ignored
TEMPLATE_COLUMNS = ("unit", "unit_name", "indicator", "indicator_name", "period", "value", "reason")
# header labels (compared case-insensitively) → column; the Chinese ones are the Excel template's
HEADER_ALIASES: dict[str, str] = {
    "unit": "unit",
    "unit_code": "unit",
    "单位代码": "unit",
    "unit_name": "unit_name",
    "单位名称": "unit_name",
    "indicator": "indicator",
    "indicator_code": "indicator",
    "指标代码": "indicator",
    "indicator_name": "indicator_name",
    "指标名称": "indicator_name",
    "period": "period",
    "报送期间": "period",
    "value": "value",
    "数值": "value",
    "reason": "reason",
    "原因": "reason",
}
MAX_CSV_ROWS = 50_000  # the REST API's batch limit
ENCODINGS = ("utf-8-sig", "gb18030")

# C0 controls other than tab, LF and CR (and DEL): never in a spreadsheet's CSV
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class CsvRow(NamedTuple):
    """One value of a CSV upload; `row` is the row number a spreadsheet shows (header = 1).

    `raw_value` is the cell text: a plain decimal number for a number indicator, the label for
    a graded one (or, when the parser was given no indicators, whatever the cell held)."""

    row: int
    unit_code: str
    indicator_code: str
    period: str
    raw_value: str
    reason: str


@dataclass(frozen=True)
class ParsedCsv:
    """An accepted upload: the encoding it was read with, its columns and every value."""

    encoding: str
    columns: tuple[str, ...]
    rows: tuple[CsvRow, ...]
    # with `keep_rows`: the row problems found; `rows` then holds the rows that passed
    errors: tuple[RowError, ...] = ()


# --- the template -------------------------------------------------------------------------


def build_csv_template(
    *,
    period: str,
    units: Sequence[tuple[str, str]],
    indicators: Sequence[IndicatorLike],
) -> bytes:
    """A CSV template (UTF-8 with a BOM, so Excel reads the Chinese): the header and one row per
    (unit, indicator) with an empty value. Every text that starts like a formula gets a leading
    apostrophe (`safe_text`); the parser takes it off again."""
    specs = [indicator_spec(i) for i in indicators]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(TEMPLATE_COLUMNS)
    for unit_code, unit_name in units:
        for spec in specs:
            shown = f"{spec.name}（{spec.unit_of_measure}）" if spec.unit_of_measure else spec.name
            writer.writerow(
                [safe_text(x) for x in (unit_code, unit_name, spec.code, shown, period)] + ["", ""]
            )
    return out.getvalue().encode("utf-8-sig")


# --- the parser ---------------------------------------------------------------------------


def decode_text(data: bytes) -> tuple[str, str]:
    """The text of a CSV file and the encoding it was read with (UTF-8, with or without a BOM,
    else GB18030), or BatchRejected naming what the file is instead."""
    if data[:4] == b"PK\x03\x04":
        raise _reject(
            "file", "an Excel .xlsx workbook (or another zip archive), not a CSV text file"
        )
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise _reject("file", "an old-format Excel .xls workbook, not a CSV text file")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise _reject(
            "encoding", "UTF-16 text (Excel's 'Unicode text'): save the sheet as CSV UTF-8"
        )
    if b"\x00" in data:
        raise _reject("file", "not a text file (it holds binary data): save the sheet as CSV")
    for encoding in ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _CONTROL.search(text):
            raise _reject(
                "file", "not a text file (it holds control characters): save the sheet as CSV"
            )
        return text.removeprefix("\ufeff"), encoding
    raise _reject(
        "encoding", "the file is neither UTF-8 nor GB18030 text: save the sheet as CSV UTF-8"
    )


def _cell(value: str) -> str:
    return unsafe_text(value.strip())


def _header_name(value: str) -> str:
    return _cell(value.removeprefix("\ufeff")).casefold()


def parse_csv(
    data: bytes,
    *,
    expected_period: str | None = None,
    indicators: Sequence[IndicatorLike] | None = None,
    units: Iterable[str] | Iterable[tuple[str, str]] | None = None,
    max_bytes: int = MAX_BYTES,
    max_rows: int = MAX_CSV_ROWS,
    max_errors: int = MAX_ERRORS,
    keep_rows: bool = False,
) -> ParsedCsv:
    """Read a CSV upload; raise `BatchRejected` listing every problem (up to a cap).

    With `keep_rows`, row problems are returned in `errors` beside the rows that passed, so
    that the caller can add the pipeline's row rules to one answer.

    `expected_period`, when given, is the only period the rows may name. `indicators` (the
    list given to the template) are the indicator codes a row may name and say which values
    are labels; every other value must be a plain decimal number. Without it any code is
    accepted and a value that is not a number is passed on as text, for the pipeline to judge.
    `units` (codes or ``(code, name)`` pairs) are the unit codes a row may name; None accepts
    any. File-level problems (size, encoding, not text, the header) stop at once; every row
    problem is collected. Rows whose value is empty are skipped.
    """
    if len(data) > max_bytes:
        raise _reject(
            "file",
            f"the file is larger than the limit of {max_bytes:,} bytes",
            f"{len(data):,} bytes",
        )
    if not data.strip():
        raise _reject("file", "the file is empty")
    text, encoding = decode_text(data)
    if not text.strip():
        raise _reject("file", "the file is empty")
    specs = {s.code: s for s in map(indicator_spec, indicators)} if indicators is not None else None
    known_units: set[str] | None = None
    if units is not None:
        known_units = {u if isinstance(u, str) else u[0] for u in units}

    records = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(records)
    except csv.Error as exc:
        raise BatchRejected([RowError(1, "header", f"not a valid CSV row ({exc})")]) from None
    columns = _read_header(header)
    unnamed_columns = [i for i, name in enumerate(header) if not name.strip()]

    errors = _Errors(max_errors)
    rows: list[CsvRow] = []
    first_row: dict[tuple[str, str, str], int] = {}
    filled = 0
    number = 1
    while True:
        number += 1
        try:
            record = next(records)
        except StopIteration:
            break
        except csv.Error as exc:
            # a broken quote: nothing after it can be read reliably
            errors.add(number, "row", f"not a valid CSV row ({exc})")
            break
        if not any(field.strip() for field in record):
            continue  # a blank row
        filled += 1
        if filled > max_rows:
            raise _reject(
                "file",
                f"too many rows (the limit is {max_rows:,})",
                f"more than {max_rows:,} rows",
            )
        if len(record) != len(header):
            errors.add(
                number,
                "row",
                f"{len(record)} fields, but the header has {len(header)}: "
                "quote a value that contains a comma",
                ",".join(record),
            )
            continue
        cells = {name: _cell(record[i]) for name, i in columns.items()}
        unnamed = [record[i] for i in unnamed_columns if record[i].strip()]
        if unnamed:
            errors.add(number, "row", "a value in a column with no header", unnamed[0])
        value = cells["value"]
        if not value:
            continue  # no value to report on this row (as in a fresh template)
        row = _check_row(number, cells, expected_period, specs, known_units, errors)
        if row is None:
            continue
        key = (row.unit_code, row.indicator_code, row.period)
        if key in first_row:
            errors.add(
                number,
                "indicator",
                f"duplicate of row {first_row[key]} (same unit, indicator and period)",
                row.indicator_code,
            )
            continue
        first_row[key] = number
        rows.append(row)

    found = errors.final()
    if found and not keep_rows:
        raise BatchRejected(found)
    if not rows and not found:
        raise _reject("file", "the file holds no values (every value cell is empty)")
    return ParsedCsv(
        encoding=encoding,
        columns=tuple(columns),
        rows=tuple(rows),
        errors=tuple(found),
    )


def _read_header(header: Sequence[str]) -> dict[str, int]:
    """Column name → position; BatchRejected naming every header problem."""
    expected = ", ".join(COLUMNS)
    if not any(cell.strip() for cell in header):
        raise BatchRejected(
            [RowError(1, "header", f"the first row must be the header ({expected})")]
        )
    problems: list[RowError] = []
    columns: dict[str, int] = {}
    for i, raw in enumerate(header):
        label = _header_name(raw)
        if not label:
            continue  # an empty header cell: fine while its column stays empty
        name = HEADER_ALIASES.get(label)
        if name is None:
            problems.append(
                RowError(1, "header", f"unknown column (expected {expected})", _shown(raw))
            )
        elif name in columns:
            problems.append(
                RowError(
                    1,
                    "header",
                    f"column repeated (first in column {columns[name] + 1})",
                    _shown(raw),
                )
            )
        else:
            columns[name] = i
    for name in REQUIRED_COLUMNS:
        if name not in columns:
            problems.append(RowError(1, "header", "required column missing", name))
    if problems:
        raise BatchRejected(problems)
    return columns


def _check_row(
    number: int,
    cells: dict[str, str],
    expected_period: str | None,
    specs: dict[str, Any] | None,
    known_units: set[str] | None,
    errors: _Errors,
) -> CsvRow | None:
    """The row's value, or None after adding its problems to `errors`."""
    unit, code, period, value = (cells[name] for name in REQUIRED_COLUMNS)
    before = len(errors.items) + errors.dropped
    if not unit:
        errors.add(number, "unit", "a unit code is required")
    elif known_units is not None and unit not in known_units:
        errors.add(number, "unit", "not one of the units of your template", unit)
    spec = None
    if not code:
        errors.add(number, "indicator", "an indicator code is required")
    elif specs is not None:
        spec = specs.get(code)
        if spec is None:
            errors.add(number, "indicator", "not one of the indicators of your template", code)
    if not period:
        errors.add(number, "period", "a period is required")
    elif expected_period is not None and period != expected_period:
        errors.add(
            number,
            "period",
            f"the period must be {expected_period!r}, the period chosen for this upload",
            period,
        )
    is_label = spec.is_label if spec is not None else specs is None
    if not is_label:
        try:  # the one reading of a number (kaohe.indicators.values), as every door
            parse_number(value)
        except ValueRejected as exc:
            errors.add(number, "value", exc.rule, value)
    if len(errors.items) + errors.dropped > before:
        return None
    return CsvRow(number, unit, code, period, value, cells.get("reason") or "")
