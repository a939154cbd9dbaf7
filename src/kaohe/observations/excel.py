"""The Excel door of the ingestion pipeline: the template a department fills in, and its parser.

`build_template` writes an .xlsx per responsible department and time node: a data sheet
``数据填报`` (the period in a fixed cell, a row of indicator codes, a row of names and units, one
row per unit with its code and name in locked key columns, data validation per column) and an
instructions sheet ``说明``. Every text written is safe against formula injection.

`parse_upload` reads an uploaded file back into rows ``(row, unit code, indicator code, raw
value)`` or refuses it whole with `BatchRejected`, listing every problem (up to a cap) as a
`RowError` that names the row, the column letter (or a field such as ``file``) and the rule.
It never evaluates a formula and never half-returns.

This module is plain Python + openpyxl: no Django import, so it runs (and is tested) alone.
"""

from __future__ import annotations

import io
import re
import warnings
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, NamedTuple

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import Cell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from kaohe.core.errors import BatchRejected, RowError
from kaohe.indicators.values import ValueRejected, parse_number

__all__ = [
    "DATA_SHEET",
    "INSTRUCTIONS_SHEET",
    "PERIOD_CELL",
    "IndicatorSpec",
    "ParsedUpload",
    "UploadRow",
    "build_template",
    "indicator_spec",
    "parse_upload",
    "safe_text",
    "unsafe_text",
]

DATA_SHEET = "数据填报"
INSTRUCTIONS_SHEET = "说明"
PERIOD_CELL = "B1"
HEADER_ROW = 2  # indicator codes (C2, D2, …); A2/B2 name the key columns
NAMES_ROW = 3  # indicator names and units of measure, for people
FIRST_DATA_ROW = 4
FIRST_VALUE_COLUMN = 3  # column C; A = unit code, B = unit name
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
MAX_ERRORS = 200
# A 5 MiB .xlsx can inflate to gigabytes of XML (a "zip bomb"), and openpyxl holds about ten
# times the sheet's XML in memory. The largest real template (5,000 units × 60 indicators)
# unpacks to 12 MB at a compression ratio of 10 and peaks at 113 MB while read (measured, see
# docs/performance.md), so: at most 16 MiB unpacked, and no part that inflates more than 100
# times (once it is past 1 MiB): a zip bomb inflates hundreds of times.
MAX_UNPACKED_BYTES = 16 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100
RATIO_CHECKED_ABOVE = 1024 * 1024

LABEL_TYPES = frozenset({"grade", "label"})
WHOLE_TYPES = frozenset({"count", "integer"})
_INJECTION_LEADS = ("=", "+", "-", "@", "\t", "\r")
_CODE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.@\-]*$")

_KEY_FILL = PatternFill("solid", fgColor="E7E6E6")
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_BOLD = Font(bold=True)


@dataclass(frozen=True)
class IndicatorSpec:
    """One indicator column of a template.

    `value_type` follows the catalogue (amount, rate, count, index, grade); ``grade`` (or any
    type with `allowed_labels`) is a column of graded labels, ``count`` of whole numbers.
    """

    code: str
    name: str
    unit_of_measure: str = ""
    value_type: str = "amount"
    decimals: int = 2
    min: float | None = None
    max: float | None = None
    allowed_labels: tuple[str, ...] | None = None

    @property
    def is_label(self) -> bool:
        """True for a column of graded labels (text), False for a number column."""
        return self.allowed_labels is not None or self.value_type in LABEL_TYPES


IndicatorLike = IndicatorSpec | Sequence[Any]


def indicator_spec(item: IndicatorLike) -> IndicatorSpec:
    """Accept an IndicatorSpec or the tuple ``(code, name, unit, value_type, decimals, min,
    max, allowed_labels)`` (trailing items may be left out)."""
    if isinstance(item, IndicatorSpec):
        return item
    fields = list(item)
    if not 2 <= len(fields) <= 8:
        raise ValueError(
            f"an indicator is (code, name, unit, type, decimals, min, max, labels), got {item!r}"
        )
    spec = IndicatorSpec(*fields)
    labels = spec.allowed_labels
    if labels is not None:
        spec = IndicatorSpec(
            spec.code,
            spec.name,
            spec.unit_of_measure or "",
            spec.value_type,
            spec.decimals,
            spec.min,
            spec.max,
            tuple(str(x) for x in labels),
        )
    return spec


class UploadRow(NamedTuple):
    """One value of an upload; `row` is the row number Excel shows."""

    row: int
    unit_code: str
    indicator_code: str
    raw_value: float | str


@dataclass(frozen=True)
class ParsedUpload:
    """An accepted upload: the period, the header's indicator codes and every non-empty value.

    `columns` holds the column letter of each indicator (to point at a cell later)."""

    period: str
    indicators: tuple[str, ...]
    units: tuple[str, ...]
    rows: tuple[UploadRow, ...]
    columns: tuple[str, ...] = field(default=(), compare=False)
    # with `keep_rows`: the cell problems found; `rows` then holds the cells that passed
    errors: tuple[RowError, ...] = field(default=(), compare=False)


# --- formula-injection safety -------------------------------------------------------------


def safe_text(value: str) -> str:
    """Text that no spreadsheet will run as a formula: a leading = + - @ tab or CR gets an
    apostrophe (OWASP's advice for CSV injection, applied to every text we write)."""
    text = str(value)
    return "'" + text if text.startswith(_INJECTION_LEADS) else text


def unsafe_text(value: str) -> str:
    """Undo `safe_text` on text read back from a template."""
    if len(value) > 1 and value[0] == "'" and value[1:].startswith(_INJECTION_LEADS):
        return value[1:]
    return value


def _put(ws: Worksheet, ref: str, value: Any) -> Cell:
    cell: Cell = ws[ref]
    if isinstance(value, str):
        cell.value = safe_text(value)
        # openpyxl would store a leading '=' as a formula; the apostrophe above already stops
        # that, and the explicit string type keeps it a plain string whatever the value
        cell.data_type = "s"
    else:
        cell.value = value
    return cell


# --- the template -------------------------------------------------------------------------


def _number_format(spec: IndicatorSpec) -> str:
    if spec.is_label:
        return "@"
    if spec.value_type in WHOLE_TYPES or spec.decimals <= 0:
        return "0"
    return "0." + "0" * spec.decimals


def _fmt_bound(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def _validation(spec: IndicatorSpec, label_range: str | None) -> DataValidation:
    if spec.is_label:
        dv = DataValidation(type="list", formula1=label_range, allow_blank=True)
        dv.error = "请从下拉列表中选择 / choose a label from the list"
    else:
        kind = "whole" if spec.value_type in WHOLE_TYPES or spec.decimals <= 0 else "decimal"
        lo, hi = spec.min, spec.max
        if lo is not None and hi is not None:
            dv = DataValidation(
                type=kind, operator="between", formula1=_fmt_bound(lo), formula2=_fmt_bound(hi)
            )
            rule = f"{_fmt_bound(lo)} – {_fmt_bound(hi)}"
        elif lo is not None:
            dv = DataValidation(type=kind, operator="greaterThanOrEqual", formula1=_fmt_bound(lo))
            rule = f"≥ {_fmt_bound(lo)}"
        elif hi is not None:
            dv = DataValidation(type=kind, operator="lessThanOrEqual", formula1=_fmt_bound(hi))
            rule = f"≤ {_fmt_bound(hi)}"
        else:
            # no bounds: still demand a number, which is what stops '12,3a' at the keyboard
            dv = DataValidation(type=kind, operator="between", formula1="-1E+15", formula2="1E+15")
            rule = "a number / 数值"
        dv.allow_blank = True
        dv.error = (
            f"请输入{'整数' if kind == 'whole' else '数值'}（{rule}）/ enter a number ({rule})"
        )
    dv.showErrorMessage = True
    dv.errorTitle = safe_text(spec.code)
    return dv


def build_template(
    *,
    title: str,
    period: str,
    period_label: str,
    units: Sequence[tuple[str, str]],
    indicators: Sequence[IndicatorLike],
) -> bytes:
    """An .xlsx template for one department and time node (see docs/monitoring.md, part 2).

    `units` are ``(code, name)``; `indicators` are `IndicatorSpec` or tuples
    ``(code, name, unit_of_measure, value_type, decimals, min, max, allowed_labels or None)``.
    """
    specs = [indicator_spec(i) for i in indicators]
    codes = [s.code for s in specs]
    if len(set(codes)) != len(codes):
        raise ValueError("duplicate indicator codes")
    if len({u for u, _ in units}) != len(units):
        raise ValueError("duplicate unit codes")

    wb = Workbook()
    ws: Worksheet = wb.active
    ws.title = DATA_SHEET
    notes: Worksheet = wb.create_sheet(INSTRUCTIONS_SHEET)

    # row 1: the period the values belong to, in a fixed cell the parser checks
    _put(ws, "A1", "报送期间 Period").font = _BOLD
    _put(ws, PERIOD_CELL, period).font = _BOLD
    _put(ws, "C1", period_label)
    _put(ws, "D1", title).font = _BOLD
    _put(ws, f"A{HEADER_ROW}", "unit_code")
    _put(ws, f"B{HEADER_ROW}", "unit_name")
    _put(ws, f"A{NAMES_ROW}", "单位代码")
    _put(ws, f"B{NAMES_ROW}", "单位名称")
    last_row = FIRST_DATA_ROW + len(units) - 1

    # the 说明 sheet: instructions, a table of the indicators and the label lists
    lines = [
        title,
        f"报送期间 / period: {period} {period_label}",
        "1. 只在“数据填报”表白色单元格中填写数值；灰色的单位代码、名称和表头已锁定，请勿修改。",
        "   Fill in values only in the white cells of 数据填报; keys and headers are locked.",
        "2. 数值单元格只填数字，不要填写公式、文字或单位；无数据的单元格留空。",
        "   Numbers only: no formulas, text or units; leave a cell empty when there is no value.",
        "3. 等级类指标从下拉列表中选择。Graded indicators: choose from the drop-down list.",
        "4. 不要合并单元格、改动工作表名称或期间单元格 B1。",
        "   Do not merge cells, rename the sheet or change the period in cell B1.",
        "",
        "指标代码 code | 名称 name | 计量单位 unit | 类型 type | 小数位 decimals | "
        "下限 min | 上限 max | 等级 labels",
    ]
    for i, line in enumerate(lines, start=1):
        _put(notes, f"A{i}", line)
    table_row = len(lines) + 1
    label_col = 10  # label lists live in columns J, K, … of 说明, one column per indicator
    label_ranges: dict[str, str] = {}
    for i, spec in enumerate(specs):
        r = table_row + i
        row_values: list[Any] = [
            spec.code,
            spec.name,
            spec.unit_of_measure,
            spec.value_type,
            spec.decimals,
            spec.min,
            spec.max,
            "、".join(spec.allowed_labels or ()),
        ]
        for j, value in enumerate(row_values, start=1):
            if value is not None:
                _put(notes, f"{get_column_letter(j)}{r}", value)
        if spec.is_label:
            letter = get_column_letter(label_col)
            _put(notes, f"{letter}1", spec.code).font = _BOLD
            for k, label in enumerate(spec.allowed_labels or (), start=2):
                _put(notes, f"{letter}{k}", label)
            n_labels = len(spec.allowed_labels or ())
            label_ranges[spec.code] = (
                f"'{INSTRUCTIONS_SHEET}'!${letter}$2:${letter}${max(n_labels + 1, 2)}"
            )
            label_col += 1
    notes.column_dimensions["A"].width = 60
    notes.protection.sheet = True

    for j, spec in enumerate(specs):
        col = get_column_letter(FIRST_VALUE_COLUMN + j)
        head = _put(ws, f"{col}{HEADER_ROW}", spec.code)
        head.font, head.fill = _BOLD, _HEADER_FILL
        shown = f"{spec.name}（{spec.unit_of_measure}）" if spec.unit_of_measure else spec.name
        name_cell = _put(ws, f"{col}{NAMES_ROW}", shown)
        name_cell.fill = _HEADER_FILL
        name_cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.column_dimensions[col].width = max(12, min(30, len(shown) * 2))
        if units:
            dv = _validation(spec, label_ranges.get(spec.code))
            ws.add_data_validation(dv)
            dv.add(f"{col}{FIRST_DATA_ROW}:{col}{last_row}")
            fmt = _number_format(spec)
            for r in range(FIRST_DATA_ROW, last_row + 1):
                cell = ws[f"{col}{r}"]
                cell.protection = Protection(locked=False)
                cell.number_format = fmt
        if spec.min is not None or spec.max is not None or spec.allowed_labels:
            head.comment = Comment(safe_text(_validation_text(spec)), "kaohe", width=240, height=80)

    for i, (code, name) in enumerate(units):
        r = FIRST_DATA_ROW + i
        for ref, value in ((f"A{r}", code), (f"B{r}", name)):
            cell = _put(ws, ref, value)
            cell.fill = _KEY_FILL
            cell.number_format = "@"
    for ref in ("A2", "B2", "A3", "B3"):
        ws[ref].font, ws[ref].fill = _BOLD, _HEADER_FILL
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["B"].width = 24
    ws.freeze_panes = ws.cell(row=FIRST_DATA_ROW, column=FIRST_VALUE_COLUMN)
    # locked by default; only the value cells were unlocked above. No password: protection
    # here prevents slips, the parser is what enforces the contract
    ws.protection.sheet = True
    ws.protection.formatColumns = False  # people may widen columns

    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _validation_text(spec: IndicatorSpec) -> str:
    if spec.is_label:
        return "可选 / labels: " + "、".join(spec.allowed_labels or ())
    parts = []
    if spec.min is not None:
        parts.append(f"≥ {_fmt_bound(spec.min)}")
    if spec.max is not None:
        parts.append(f"≤ {_fmt_bound(spec.max)}")
    return "范围 / range: " + ", ".join(parts)


# --- the parser ---------------------------------------------------------------------------


class _Errors:
    """Collects RowErrors up to a cap; past it, one last entry says more were left out."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.items: list[RowError] = []
        self.dropped = 0

    def add(self, row: int, field: str, rule: str, value: Any = "") -> None:
        if len(self.items) < self.cap:
            self.items.append(RowError(row, field, rule, _shown(value)))
        else:
            self.dropped += 1

    def final(self) -> list[RowError]:
        # row order (stable, so a row's errors stay in column order): merged ranges are
        # checked before the header, but a person reads the list top to bottom
        items = sorted(self.items, key=lambda e: e.row)
        if self.dropped:
            more = f"{self.dropped} more error(s) not listed (only the first {self.cap} are)"
            return [*items, RowError(0, "file", more)]
        return items


def _shown(value: Any) -> str:
    if value is None:
        return ""
    text = str(value)
    return text if len(text) <= 80 else text[:77] + "…"


def _reject(field: str, rule: str, value: Any = "") -> BatchRejected:
    return BatchRejected([RowError(0, field, rule, _shown(value))])


def open_workbook(data: bytes, max_bytes: int, max_unpacked: int) -> Any:
    """The workbook, or BatchRejected with one clear file-level error."""
    if len(data) > max_bytes:
        raise _reject(
            "file",
            f"the file is larger than the limit of {max_bytes:,} bytes",
            f"{len(data):,} bytes",
        )
    if not data:
        raise _reject("file", "the file is empty")
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        # OLE2 compound file: Excel 97–2003 (.xls) — and also what Excel makes of an .xlsx
        # saved with a password, which wraps the encrypted package in the same container
        raise _reject(
            "file",
            "an old-format .xls workbook or a password-protected (encrypted) file: "
            "save it as an unencrypted .xlsx workbook",
        )
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise _reject("file", "not an Excel .xlsx workbook (the file is not an .xlsx package)")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
            names = {i.filename for i in infos}
            unpacked = sum(i.file_size for i in infos)
            encrypted = any(i.flag_bits & 0x1 for i in infos)
            inflated = [
                i
                for i in infos
                if i.file_size > RATIO_CHECKED_ABOVE
                and i.file_size > MAX_COMPRESSION_RATIO * max(i.compress_size, 1)
            ]
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _reject("file", f"a damaged .xlsx package ({exc})") from None
    if encrypted:
        raise _reject("file", "an encrypted zip archive, not an .xlsx workbook")
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        raise _reject("file", "a zip archive but not an Excel .xlsx workbook")
    if unpacked > max_unpacked:
        raise _reject(
            "file",
            f"the workbook unpacks to more than {max_unpacked:,} bytes",
            f"{unpacked:,} bytes",
        )
    if inflated:
        part = inflated[0]
        raise _reject(
            "file",
            f"a part of the workbook inflates more than {MAX_COMPRESSION_RATIO} times "
            "(a compressed bomb, not a filled-in template)",
            f"{part.filename}: {part.compress_size:,} → {part.file_size:,} bytes",
        )
    try:
        with warnings.catch_warnings():
            # openpyxl warns about extensions it does not read (e.g. slicers); not our concern
            warnings.simplefilter("ignore")
            return load_workbook(io.BytesIO(data), data_only=False, keep_links=False)
    except Exception as exc:  # openpyxl raises many types on a broken package
        raise _reject(
            "file", f"not a readable .xlsx workbook ({type(exc).__name__}: {exc})"
        ) from None


def _is_formula(cell: Any) -> bool:
    return (
        cell.data_type == "f"
        or (isinstance(cell.value, str) and cell.value.startswith("=") and cell.data_type != "s")
        or type(cell.value).__name__ in ("ArrayFormula", "DataTableFormula")
    )


def _formula_text(cell: Any) -> str:
    value = cell.value
    text = getattr(value, "text", value)
    return str(text)


def _text(value: Any) -> str:
    """Cell text as a code: numbers written as codes (e.g. 370202) lose their '.0'."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return unsafe_text(str(value).strip())


def parse_upload(
    data: bytes,
    *,
    expected_period: str,
    indicators: Sequence[IndicatorLike] | None = None,
    units: Iterable[str] | Iterable[tuple[str, str]] | None = None,
    max_bytes: int = MAX_BYTES,
    max_rows: int = MAX_ROWS,
    max_errors: int = MAX_ERRORS,
    max_unpacked_bytes: int = MAX_UNPACKED_BYTES,
    keep_rows: bool = False,
) -> ParsedUpload:
    """Read a filled-in template; raise `BatchRejected` listing every problem (up to a cap).

    With `keep_rows`, problems below the file level are returned in `errors` beside the
    values that passed, so that the caller can add the pipeline's row rules to one answer.

    `indicators` (the list given to `build_template`) fixes the expected header and which
    columns hold labels; without it, any code header is accepted and every column is numeric.
    `units` (codes, or ``(code, name)`` pairs) are the units the template expects; without
    it, any non-blank code is accepted. File-level problems (size, format, the sheet) stop at
    once; everything else is collected. Empty value cells are skipped.
    """
    wb = open_workbook(data, max_bytes, max_unpacked_bytes)
    if DATA_SHEET not in wb.sheetnames:
        raise _reject(
            "sheet",
            f"the workbook has no sheet named {DATA_SHEET!r} (sheets: {', '.join(wb.sheetnames)})",
        )
    ws: Worksheet = wb[DATA_SHEET]
    # openpyxl's max_row/max_column count formatted but empty cells (a styled row 60,000 is
    # common); look at the cells that hold something instead. `_cells` holds only the cells
    # present in the file, so this is linear in the file, not in the sheet's nominal size.
    last_row = FIRST_DATA_ROW - 1
    valued_columns: set[int] = set()
    for (r, c), cell in ws._cells.items():
        if r >= FIRST_DATA_ROW and cell.value is not None and str(cell.value).strip() != "":
            last_row = max(last_row, r)
            valued_columns.add(c)
    n_data_rows = last_row - FIRST_DATA_ROW + 1
    if n_data_rows > max_rows:
        raise _reject(
            "file",
            f"too many unit rows in {DATA_SHEET!r} (the limit is {max_rows:,})",
            f"{n_data_rows:,} rows",
        )
    errors = _Errors(max_errors)
    specs = [indicator_spec(i) for i in indicators] if indicators is not None else None
    by_code = {s.code: s for s in specs} if specs is not None else None
    known_units: set[str] | None = None
    if units is not None:
        known_units = {u if isinstance(u, str) else u[0] for u in units}

    # the period cell
    period_cell = ws[PERIOD_CELL]
    period = _text(period_cell.value) if period_cell.value is not None else ""
    if _is_formula(period_cell):
        errors.add(
            1,
            "period",
            f"cell {PERIOD_CELL} holds a formula, not the period",
            _formula_text(period_cell),
        )
    elif period != expected_period:
        errors.add(
            1, "period", f"the period in cell {PERIOD_CELL} must be {expected_period!r}", period
        )

    # merged cells anywhere below the period row break the one-cell-one-value contract
    for rng in sorted(ws.merged_cells.ranges, key=lambda r: (r.min_row, r.min_col)):
        if rng.max_row >= HEADER_ROW:
            errors.add(rng.min_row, rng.coord, "merged cells are not allowed in the data area")

    # the header row: indicator codes from column C to the last non-empty cell
    max_col = max([FIRST_VALUE_COLUMN - 1, *valued_columns, *_header_columns(ws)])
    columns: list[tuple[int, str, IndicatorSpec | None]] = []
    seen_codes: dict[str, str] = {}
    for c in range(FIRST_VALUE_COLUMN, max_col + 1):
        cell = ws.cell(row=HEADER_ROW, column=c)
        letter = get_column_letter(c)
        if _is_formula(cell):
            errors.add(
                HEADER_ROW,
                letter,
                f"a formula in header cell {letter}{HEADER_ROW}",
                _formula_text(cell),
            )
            continue
        if cell.value is None or str(cell.value).strip() == "":
            if c in valued_columns:
                errors.add(HEADER_ROW, letter, f"column {letter} has values but no indicator code")
            continue
        code = _text(cell.value)
        if code in seen_codes:
            errors.add(
                HEADER_ROW,
                letter,
                f"indicator code repeated (first in column {seen_codes[code]})",
                code,
            )
            continue
        seen_codes[code] = letter
        if by_code is not None and code not in by_code:
            errors.add(HEADER_ROW, letter, "unknown indicator code", code)
            continue
        if by_code is None and not _CODE.match(code):
            errors.add(HEADER_ROW, letter, "not an indicator code", code)
            continue
        columns.append((c, code, by_code[code] if by_code is not None else None))
    if specs is not None:
        for expected in specs:
            if expected.code not in seen_codes:
                errors.add(
                    HEADER_ROW, "header", "indicator column missing from the header", expected.code
                )

    # the unit rows
    rows: list[UploadRow] = []
    unit_rows: dict[str, int] = {}
    unit_order: list[str] = []
    for r in range(FIRST_DATA_ROW, last_row + 1):
        key = ws.cell(row=r, column=1)
        values = [(c, code, spec, ws.cell(row=r, column=c)) for c, code, spec in columns]
        filled = [v for v in values if v[3].value is not None and str(v[3].value).strip() != ""]
        if _is_formula(key):
            errors.add(r, "A", f"a formula in unit code cell A{r}", _formula_text(key))
            continue
        unit = _text(key.value) if key.value is not None else ""
        if not unit:
            if filled:
                errors.add(r, "A", f"blank unit code in row {r}, which has values")
            continue
        if known_units is not None and unit not in known_units:
            errors.add(r, "A", "unknown unit code", unit)
            continue
        if unit in unit_rows:
            errors.add(r, "A", f"duplicate unit row (first on row {unit_rows[unit]})", unit)
            continue
        unit_rows[unit] = r
        unit_order.append(unit)
        for c, code, spec, cell in filled:
            ref = f"{get_column_letter(c)}{r}"
            letter = get_column_letter(c)
            if _is_formula(cell):
                errors.add(
                    r,
                    letter,
                    f"a formula in cell {ref}: enter the value itself",
                    _formula_text(cell),
                )
                continue
            if cell.data_type == "e":
                errors.add(r, letter, f"an error value in cell {ref}", cell.value)
                continue
            value = cell.value
            if spec is not None and spec.is_label:
                if not isinstance(value, str):
                    errors.add(r, letter, f"a label is expected in cell {ref}", value)
                    continue
                label = unsafe_text(value.strip())
                if spec.allowed_labels is not None and label not in spec.allowed_labels:
                    allowed = ", ".join(spec.allowed_labels)
                    errors.add(r, letter, f"not one of the labels ({allowed}) in cell {ref}", label)
                    continue
                rows.append(UploadRow(r, unit, code, label))
                continue
            if isinstance(value, datetime | date | time | timedelta | bool):
                what = "true/false" if isinstance(value, bool) else "a date"
                errors.add(r, letter, f"{what} in number cell {ref}", value)
                continue
            try:  # the one reading of a number (kaohe.indicators.values), as every door
                parse_number(value)
            except ValueRejected as exc:
                errors.add(r, letter, exc.rule, value)
                continue
            # a number stored as text is read as the number it shows
            rows.append(UploadRow(r, unit, code, float(value) if isinstance(value, str) else value))

    found = errors.final()
    if found and not keep_rows:
        raise BatchRejected(found)
    return ParsedUpload(
        period=period,
        indicators=tuple(code for _, code, _ in columns),
        units=tuple(unit_order),
        rows=tuple(rows),
        columns=tuple(get_column_letter(c) for c, _, _ in columns),
        errors=tuple(found),
    )


def _header_columns(ws: Worksheet) -> list[int]:
    """Columns whose header cell holds something (see the note on `_cells` above)."""
    return [
        c
        for (r, c), cell in ws._cells.items()
        if r == HEADER_ROW and cell.value is not None and str(cell.value).strip() != ""
    ]
