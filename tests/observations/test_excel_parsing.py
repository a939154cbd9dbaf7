"""The Excel door: templates round-trip, and malformed uploads are refused whole with exact errors.

Runs without Django (`pytest -p no:django tests/observations/test_excel_parsing.py`): every
workbook is made here with openpyxl.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from kaohe.core.errors import BatchRejected, RowError
from kaohe.indicators import values
from kaohe.observations.excel import (
    DATA_SHEET,
    FIRST_DATA_ROW,
    INSTRUCTIONS_SHEET,
    MAX_BYTES,
    MAX_COMPRESSION_RATIO,
    MAX_UNPACKED_BYTES,
    IndicatorSpec,
    ParsedUpload,
    UploadRow,
    build_template,
    parse_upload,
    safe_text,
    unsafe_text,
)

PERIOD = "2025-H1"
UNITS = [("shinan", "市南区"), ("laixi", "莱西市"), ("jimo", '=HYPERLINK("http://x")')]
INDICATORS: list[Any] = [
    ("gdp", "地区生产总值", "亿元", "amount", 2, 0, 100000, None),
    ("firms", "新增企业", "家", "count", 0, 0, None, None),
    ("party", "党建工作", "", "grade", 0, None, None, ("好", "较好", "一般", "-差")),
]


@pytest.fixture(autouse=True)
def english_messages() -> Iterator[None]:
    """Overrides the project-wide fixture that needs Django: this module never touches it."""
    yield


def template() -> bytes:
    return build_template(
        title="2025年上半年经济指标填报（发改委）",
        period=PERIOD,
        period_label="2025年上半年",
        units=UNITS,
        indicators=INDICATORS,
    )


def filled(edit: Callable[[Worksheet], None] | None = None) -> bytes:
    """The template with a good set of values, then `edit` applied to the data sheet."""
    wb = openpyxl.load_workbook(io.BytesIO(template()))
    ws = wb[DATA_SHEET]
    ws["C4"], ws["D4"], ws["E4"] = 1650.25, 12, "好"
    ws["C5"] = 510  # D5 and E5 left empty: skipped, not reported
    ws["C6"], ws["E6"] = "733.5", "-差"  # a number typed as text; a label that needed escaping
    if edit is not None:
        edit(ws)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def parse(data: bytes, **kw: Any) -> ParsedUpload:
    kw.setdefault("expected_period", PERIOD)
    kw.setdefault("indicators", INDICATORS)
    kw.setdefault("units", UNITS)
    return parse_upload(data, **kw)


def rejected(data: bytes, **kw: Any) -> list[RowError]:
    with pytest.raises(BatchRejected) as err:
        parse(data, **kw)
    return err.value.errors


# --- the template --------------------------------------------------------------------------


def test_template_layout_validation_and_protection() -> None:
    wb = openpyxl.load_workbook(io.BytesIO(template()))
    assert wb.sheetnames == [DATA_SHEET, INSTRUCTIONS_SHEET]
    ws = wb[DATA_SHEET]
    assert [c.value for c in ws[1]][:4] == [
        "报送期间 Period",
        PERIOD,
        "2025年上半年",
        "2025年上半年经济指标填报（发改委）",
    ]
    assert [c.value for c in ws[2]] == ["unit_code", "unit_name", "gdp", "firms", "party"]
    assert [c.value for c in ws[3]] == [
        "单位代码",
        "单位名称",
        "地区生产总值（亿元）",
        "新增企业（家）",
        "党建工作",
    ]
    assert [(ws[f"A{r}"].value, ws[f"B{r}"].value) for r in (4, 5, 6)] == [
        ("shinan", "市南区"),
        ("laixi", "莱西市"),
        ("jimo", '\'=HYPERLINK("http://x")'),  # formula injection defused
    ]
    assert ws["B6"].data_type == "s"
    assert ws.protection.sheet is True
    assert [ws[ref].protection.locked for ref in ("A4", "B4", "C2", "C3", "C4", "E6")] == [
        True,
        True,
        True,
        True,
        False,
        False,
    ]
    assert ws.freeze_panes == "C4"
    assert ws["C4"].number_format == "0.00" and ws["D4"].number_format == "0"
    rules = {
        str(dv.sqref): (dv.type, dv.operator, dv.formula1, dv.formula2, dv.allow_blank)
        for dv in ws.data_validations.dataValidation
    }
    assert rules == {
        "C4:C6": ("decimal", "between", "0", "100000", True),
        "D4:D6": ("whole", "greaterThanOrEqual", "0", None, True),
        "E4:E6": ("list", None, f"'{INSTRUCTIONS_SHEET}'!$J$2:$J$5", None, True),
    }
    notes = wb[INSTRUCTIONS_SHEET]
    assert [notes[f"J{r}"].value for r in range(1, 6)] == ["party", "好", "较好", "一般", "'-差"]
    assert notes["A2"].value == "报送期间 / period: 2025-H1 2025年上半年"
    assert notes.protection.sheet is True


@pytest.mark.parametrize("lead", ["=", "+", "-", "@", "\t", "\r"])
def test_safe_text_defuses_every_formula_lead(lead: str) -> None:
    assert safe_text(f"{lead}1+1") == f"'{lead}1+1"
    assert unsafe_text(safe_text(f"{lead}1+1")) == f"{lead}1+1"
    assert safe_text("市南区") == "市南区" and unsafe_text("'ok") == "'ok"


# --- a good upload -------------------------------------------------------------------------


def test_round_trip_build_fill_parse() -> None:
    parsed = parse(filled())
    assert parsed == ParsedUpload(
        period=PERIOD,
        indicators=("gdp", "firms", "party"),
        units=("shinan", "laixi", "jimo"),
        rows=(
            UploadRow(4, "shinan", "gdp", 1650.25),
            UploadRow(4, "shinan", "firms", 12.0),
            UploadRow(4, "shinan", "party", "好"),
            UploadRow(5, "laixi", "gdp", 510.0),
            UploadRow(6, "jimo", "gdp", 733.5),
            UploadRow(6, "jimo", "party", "-差"),
        ),
    )


def test_each_indicator_keeps_its_column_letter() -> None:
    def gap(ws: Worksheet) -> None:
        ws.move_range("E2:E6", cols=2)  # party moves to G; E and F stay empty

    parsed = parse(filled(gap))
    assert dict(zip(parsed.indicators, parsed.columns, strict=True)) == {
        "gdp": "C",
        "firms": "D",
        "party": "G",
    }


def test_parse_without_expectations_accepts_any_codes_as_numbers() -> None:
    def no_labels(ws: Worksheet) -> None:
        ws["E4"] = ws["E6"] = None

    parsed = parse_upload(filled(no_labels), expected_period=PERIOD)
    assert parsed.rows == (
        UploadRow(4, "shinan", "gdp", 1650.25),
        UploadRow(4, "shinan", "firms", 12.0),
        UploadRow(5, "laixi", "gdp", 510.0),
        UploadRow(6, "jimo", "gdp", 733.5),
    )


# --- refused files -------------------------------------------------------------------------


def test_file_larger_than_max_bytes() -> None:
    data = filled()
    assert rejected(data, max_bytes=1000) == [
        RowError(
            0, "file", "the file is larger than the limit of 1,000 bytes", f"{len(data):,} bytes"
        )
    ]


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00",
        "单位,gdp\nshinan,1650\n".encode(),
    ],
    ids=["png", "txt"],
)
def test_non_excel_file_with_an_xlsx_name(data: bytes) -> None:
    assert rejected(data) == [
        RowError(0, "file", "not an Excel .xlsx workbook (the file is not an .xlsx package)")
    ]


def test_old_xls_or_encrypted_workbook() -> None:
    ole2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    assert rejected(ole2) == [
        RowError(
            0,
            "file",
            "an old-format .xls workbook or a password-protected (encrypted) file: "
            "save it as an unencrypted .xlsx workbook",
        )
    ]


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in files.items():
            zf.writestr(name, content)
    return out.getvalue()


def test_zip_that_is_not_a_workbook_and_corrupt_workbook() -> None:
    assert rejected(_zip({"readme.txt": b"hello"})) == [
        RowError(0, "file", "a zip archive but not an Excel .xlsx workbook")
    ]
    broken = _zip({"[Content_Types].xml": b"<not xml", "xl/workbook.xml": b"<"})
    (error,) = rejected(broken)
    assert (error.row, error.field) == (0, "file")
    assert error.rule.startswith("not a readable .xlsx workbook (")


def test_workbook_that_unpacks_too_large_is_refused_before_reading() -> None:
    data = filled()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        unpacked = sum(i.file_size for i in zf.infolist())
    assert rejected(data, max_unpacked_bytes=10_000) == [
        RowError(0, "file", "the workbook unpacks to more than 10,000 bytes", f"{unpacked:,} bytes")
    ]


def _bomb(rows: int) -> bytes:
    """A workbook whose data sheet is `rows` identical rows (cells without their optional
    `r` references, as the spec allows), so that it compresses hundreds of times, as the zip
    bombs sent to the upload door did."""
    wb = openpyxl.Workbook()
    wb.active.title = DATA_SHEET
    plain = io.BytesIO()
    wb.save(plain)
    row = "<row>" + '<c t="inlineStr"><is><t>1</t></is></c>' * 40 + "</row>"
    sheet = (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData>{row * rows}</sheetData></worksheet>"
    ).encode()
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(plain.getvalue())) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb,
    ):
        for info in source.infolist():
            data = sheet if info.filename == "xl/worksheets/sheet1.xml" else source.read(info)
            bomb.writestr(info.filename, data)
    return out.getvalue()


def test_a_compressed_bomb_is_refused_before_it_is_read() -> None:
    data = _bomb(5000)  # 200,000 cells: 7 MB of XML in a file of a few KB
    assert len(data) < MAX_BYTES
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        sheet = zf.getinfo("xl/worksheets/sheet1.xml")
    assert sheet.file_size > 100 * sheet.compress_size
    (error,) = rejected(data)
    assert (error.row, error.field) == (0, "file")
    assert error.rule.startswith("a part of the workbook inflates more than 100 times")
    assert error.value == (
        f"xl/worksheets/sheet1.xml: {sheet.compress_size:,} → {sheet.file_size:,} bytes"
    )


def test_the_unpacked_cap_stays_above_the_largest_real_template() -> None:
    """5,000 units × 60 indicators of real-looking values unpack to less than the cap."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = DATA_SHEET
    for r in range(FIRST_DATA_ROW, FIRST_DATA_ROW + 5000):
        ws.cell(r, 1, f"U{r:05d}")
        for c in range(3, 63):
            ws.cell(r, c, 1234.567 + r * 0.37 + c)
    out = io.BytesIO()
    wb.save(out)
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as zf:
        infos = zf.infolist()
    assert 8_000_000 < sum(i.file_size for i in infos) < MAX_UNPACKED_BYTES
    assert max(i.file_size / max(i.compress_size, 1) for i in infos) < MAX_COMPRESSION_RATIO


def test_wrong_sheet_name() -> None:
    assert rejected(filled(lambda ws: setattr(ws, "title", "Sheet1"))) == [
        RowError(0, "sheet", "the workbook has no sheet named '数据填报' (sheets: Sheet1, 说明)")
    ]


def test_too_many_rows() -> None:
    assert rejected(filled(), max_rows=2) == [
        RowError(0, "file", "too many unit rows in '数据填报' (the limit is 2)", "3 rows")
    ]


# --- refused contents: every error, named by row and column --------------------------------


def test_wrong_period() -> None:
    assert rejected(filled(lambda ws: ws.__setitem__("B1", "2025-Q1"))) == [
        RowError(1, "period", "the period in cell B1 must be '2025-H1'", "2025-Q1")
    ]


def test_header_codes_not_matching() -> None:
    def edit(ws: Worksheet) -> None:
        ws["D2"] = "new_firms"
        ws["F2"], ws["F4"] = "gdp", 3

    assert rejected(filled(edit)) == [
        RowError(2, "D", "unknown indicator code", "new_firms"),
        RowError(2, "F", "indicator code repeated (first in column C)", "gdp"),
        RowError(2, "header", "indicator column missing from the header", "firms"),
    ]


def test_values_in_a_column_without_a_code() -> None:
    assert rejected(filled(lambda ws: ws.__setitem__("G5", 7))) == [
        RowError(2, "G", "column G has values but no indicator code")
    ]


def test_merged_cells_in_the_data_area() -> None:
    assert rejected(filled(lambda ws: ws.merge_cells("C5:D6"))) == [
        RowError(5, "C5:D6", "merged cells are not allowed in the data area")
    ]


def test_formula_in_a_value_cell_is_named_not_evaluated() -> None:
    assert rejected(filled(lambda ws: ws.__setitem__("C5", "=C4*2"))) == [
        RowError(5, "C", "a formula in cell C5: enter the value itself", "=C4*2")
    ]


def test_text_in_a_number_cell() -> None:
    assert rejected(filled(lambda ws: ws.__setitem__("C4", "12,3a"))) == [
        RowError(4, "C", values.NOT_A_NUMBER, "12,3a")
    ]


def test_dates_booleans_and_labels_in_the_wrong_cells() -> None:
    def edit(ws: Worksheet) -> None:
        ws["C5"] = datetime(2025, 6, 30)
        ws["D5"] = True
        ws["E5"] = "很好"
        ws["E4"] = 3

    assert rejected(filled(edit)) == [
        RowError(4, "E", "a label is expected in cell E4", "3"),
        RowError(5, "C", "a date in number cell C5", "2025-06-30 00:00:00"),
        RowError(5, "D", "true/false in number cell D5", "True"),
        RowError(5, "E", "not one of the labels (好, 较好, 一般, -差) in cell E5", "很好"),
    ]


def test_duplicate_unknown_and_blank_unit_codes() -> None:
    def edit(ws: Worksheet) -> None:
        ws["A5"] = "shinan"
        ws["A6"] = "huangdao"
        ws["C8"] = 5  # a row without a unit code but with a value
        ws["A9"] = "=A4"

    assert rejected(filled(edit)) == [
        RowError(5, "A", "duplicate unit row (first on row 4)", "shinan"),
        RowError(6, "A", "unknown unit code", "huangdao"),
        RowError(8, "A", "blank unit code in row 8, which has values"),
        RowError(9, "A", "a formula in unit code cell A9", "=A4"),
    ]


def test_all_errors_are_reported_together_and_capped() -> None:
    def edit(ws: Worksheet) -> None:
        ws["B1"] = "2024-H1"
        ws["C4"] = "n/a"
        ws["D5"] = "=1+1"
        ws["C6"] = "约5"

    errors = rejected(filled(edit))
    assert errors == [
        RowError(1, "period", "the period in cell B1 must be '2025-H1'", "2024-H1"),
        RowError(4, "C", values.NOT_A_NUMBER, "n/a"),
        RowError(5, "D", "a formula in cell D5: enter the value itself", "=1+1"),
        RowError(6, "C", values.NOT_A_NUMBER, "约5"),
    ]
    assert rejected(filled(edit), max_errors=2) == [
        *errors[:2],
        RowError(0, "file", "2 more error(s) not listed (only the first 2 are)"),
    ]
    with pytest.raises(BatchRejected, match=r"^4 error\(s\): row 1, period: the period"):
        parse(filled(edit))


def test_template_from_indicator_specs_without_bounds() -> None:
    data = build_template(
        title="t",
        period="2025-Q3",
        period_label="",
        units=[("u1", "一")],
        indicators=[
            IndicatorSpec("index", "指数", value_type="index", decimals=1),
            IndicatorSpec("level", "等级", allowed_labels=("A", "B")),
        ],
    )
    ws = openpyxl.load_workbook(io.BytesIO(data))[DATA_SHEET]
    rules = {
        str(dv.sqref): (dv.type, dv.operator, dv.formula1, dv.formula2)
        for dv in ws.data_validations.dataValidation
    }
    assert rules == {
        "C4": ("decimal", "between", "-1E+15", "1E+15"),
        "D4": ("list", None, f"'{INSTRUCTIONS_SHEET}'!$J$2:$J$3", None),
    }
    assert ws["C4"].number_format == "0.0" and ws["D4"].number_format == "@"

    def fill(ws: Worksheet) -> None:
        ws["C4"], ws["D4"] = 101.5, "B"

    parsed = parse_upload(
        _filled_plain(data, fill),
        expected_period="2025-Q3",
        indicators=[
            IndicatorSpec("index", "指数"),
            IndicatorSpec("level", "等级", allowed_labels=("A", "B")),
        ],
        units=["u1"],
    )
    assert parsed.rows == (UploadRow(4, "u1", "index", 101.5), UploadRow(4, "u1", "level", "B"))


def _filled_plain(data: bytes, edit: Callable[[Worksheet], None]) -> bytes:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    edit(wb[DATA_SHEET])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_formatted_but_empty_rows_far_below_do_not_count() -> None:
    def edit(ws: Worksheet) -> None:
        ws["C60000"].number_format = "0.00"  # a styled, empty cell: ws.max_row becomes 60,000
        ws["Z60000"].fill = openpyxl.styles.PatternFill("solid", fgColor="FFFF00")

    parsed = parse(filled(edit), max_rows=3)
    assert len(parsed.rows) == 6 and parsed.indicators == ("gdp", "firms", "party")


def test_errors_come_in_row_order() -> None:
    def edit(ws: Worksheet) -> None:
        ws.merge_cells("C5:D5")
        ws["D2"] = "nope"
        ws["C4"] = "x"

    assert rejected(filled(edit)) == [
        RowError(2, "D", "unknown indicator code", "nope"),
        RowError(2, "header", "indicator column missing from the header", "firms"),
        RowError(4, "C", values.NOT_A_NUMBER, "x"),
        RowError(5, "C5:D5", "merged cells are not allowed in the data area"),
    ]


def test_empty_file_and_zip_encryption() -> None:
    assert rejected(b"") == [RowError(0, "file", "the file is empty")]
    data = bytearray(filled())
    # set the "encrypted" bit of the first central-directory entry (what zip tools write)
    at = data.index(b"PK\x01\x02") + 8
    data[at] |= 0x1
    assert rejected(bytes(data)) == [
        RowError(0, "file", "an encrypted zip archive, not an .xlsx workbook")
    ]
