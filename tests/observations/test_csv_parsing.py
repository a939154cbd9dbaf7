"""The CSV door's parser and template: rows come back with their spreadsheet row numbers, and
malformed files are refused whole with exact errors.

Runs without Django (`pytest -p no:django tests/observations/test_csv_parsing.py`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import pytest

from kaohe.core.errors import BatchRejected, RowError
from kaohe.observations.csvfile import (
    TEMPLATE_COLUMNS,
    CsvRow,
    build_csv_template,
    parse_csv,
)

PERIOD = "2025-H1"
UNITS = [("shinan", "市南区"), ("laixi", "莱西市"), ("-jimo", '=HYPERLINK("http://x")')]
INDICATORS: list[Any] = [
    ("gdp", "地区生产总值", "亿元", "amount", 2, 0, 100000, None),
    ("@firms", "+新增企业", "家", "count", 0, 0, None, None),
    ("party", "党建工作", "", "grade", 0, None, None, ("好", "较好", "一般")),
]


@pytest.fixture(autouse=True)
def english_messages() -> Iterator[None]:
    """Overrides the project-wide fixture that needs Django: this module never touches it."""
    yield


def parse(text: str | bytes, **kwargs: Any) -> Any:
    data = text.encode("utf-8") if isinstance(text, str) else text
    kwargs.setdefault("expected_period", PERIOD)
    kwargs.setdefault("indicators", INDICATORS)
    kwargs.setdefault("units", UNITS)
    return parse_csv(data, **kwargs)


def refused(text: str | bytes, **kwargs: Any) -> list[RowError]:
    with pytest.raises(BatchRejected) as exc:
        parse(text, **kwargs)
    return exc.value.errors


def test_rows_come_back_with_their_spreadsheet_row_numbers() -> None:
    parsed = parse(
        "unit,indicator,period,value,reason\r\n"
        "shinan,gdp,2025-H1,1650.25,\r\n"
        "shinan,@firms,2025-H1,,\r\n"  # an empty value is skipped
        "\r\n"  # so is a blank row, but it still counts as a row
        'laixi,gdp,2025-H1,"-3.5",revised figure\r\n'
        "laixi,party,2025-H1, 较好 ,\r\n"
    )
    assert parsed.encoding == "utf-8-sig"
    assert parsed.rows == (
        CsvRow(2, "shinan", "gdp", PERIOD, "1650.25", ""),
        CsvRow(5, "laixi", "gdp", PERIOD, "-3.5", "revised figure"),
        CsvRow(6, "laixi", "party", PERIOD, "较好", ""),
    )


def test_header_names_are_case_insensitive_and_the_chinese_labels_work() -> None:
    parsed = parse("\ufeffUNIT, Indicator ,Period,VALUE\nshinan,gdp,2025-H1,1\n")
    assert parsed.columns == ("unit", "indicator", "period", "value")
    parsed = parse("单位代码,指标代码,报送期间,数值\nshinan,gdp,2025-H1,1\n")
    assert parsed.rows == (CsvRow(2, "shinan", "gdp", PERIOD, "1", ""),)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_utf8_with_or_without_bom_and_gb18030_are_read(encoding: str) -> None:
    data = "unit,indicator,period,value,reason\nshinan,gdp,2025-H1,1,统计口径调整\n".encode(
        encoding
    )
    parsed = parse(data)
    assert parsed.rows[0].reason == "统计口径调整"
    assert parsed.encoding == ("gb18030" if encoding == "gb18030" else "utf-8-sig")


def test_the_template_reads_back_and_is_safe_against_formula_injection() -> None:
    data = build_csv_template(period=PERIOD, units=UNITS, indicators=INDICATORS)
    assert data.startswith(b"\xef\xbb\xbf")  # a BOM, so Excel reads the Chinese
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert tuple(table[0]) == TEMPLATE_COLUMNS
    assert len(table) == 1 + len(UNITS) * len(INDICATORS)
    for row in table[1:]:
        assert row[5] == "" and row[4] == PERIOD
        assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row)
    assert table[-2][:4] == ["'-jimo", '\'=HYPERLINK("http://x")', "'@firms", "'+新增企业（家）"]
    # filled in, it parses, and the apostrophes come off again
    table[-2][5] = "12"
    out = io.StringIO()
    csv.writer(out).writerows(table)
    parsed = parse(out.getvalue())
    assert parsed.rows == (CsvRow(len(table) - 1, "-jimo", "@firms", PERIOD, "12", ""),)


def test_every_row_problem_is_listed_with_row_field_and_rule() -> None:
    errors = refused(
        "unit,indicator,period,value\n"
        "shinan,gdp,2025-H1,=1+2\n"
        "shinan,@firms,2025-H1,@SUM(A1)\n"
        "laixi,gdp,2025-H1,-x\n"
        "laixi,@firms,2025-H1,1,234\n"
        "huangdao,gdp,2025-H1,1\n"
        "shinan,rent,2025-H1,1\n"
        "shinan,party,2025-Q1,好\n"
        ",gdp,2025-H1,1\n"
        "laixi,gdp,2025-H1,12%\n"
        "shinan,gdp,2025-H1,7\n"
        "shinan,gdp,2025-H1,8\n"
    )
    number = "not a number: enter a plain decimal number such as 12.5 or -3.5"
    assert [(e.row, e.field, e.value) for e in errors] == [
        (2, "value", "=1+2"),
        (3, "value", "@SUM(A1)"),
        (4, "value", "-x"),
        (5, "row", "laixi,@firms,2025-H1,1,234"),
        (6, "unit", "huangdao"),
        (7, "indicator", "rent"),
        (8, "period", "2025-Q1"),
        (9, "unit", ""),
        (10, "value", "12%"),
        (12, "indicator", "gdp"),
    ]
    assert errors[0].rule.startswith(number)
    assert errors[3].rule.startswith("5 fields, but the header has 4")
    assert errors[4].rule == "not one of the units of your template"
    assert errors[5].rule == "not one of the indicators of your template"
    assert errors[6].rule == "the period must be '2025-H1', the period chosen for this upload"
    assert errors[7].rule == "a unit code is required"
    assert errors[9].rule == "duplicate of row 11 (same unit, indicator and period)"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", RowError(0, "file", "the file is empty")),
        (b"\r\n  \r\n", RowError(0, "file", "the file is empty")),
        (
            b"unit,indicator,period,value\r\n",
            RowError(0, "file", "the file holds no values (every value cell is empty)"),
        ),
        (
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00",
            RowError(0, "file", "not a text file (it holds binary data): save the sheet as CSV"),
        ),
        (
            b"PK\x03\x04\x14\x00\x00\x00",
            RowError(
                0, "file", "an Excel .xlsx workbook (or another zip archive), not a CSV text file"
            ),
        ),
        (
            "unit,indicator,period,value\n".encode("utf-16"),
            RowError(
                0, "encoding", "UTF-16 text (Excel's 'Unicode text'): save the sheet as CSV UTF-8"
            ),
        ),
        (
            b"unit,indicator\x80\xff,period,value\n",
            RowError(
                0,
                "encoding",
                "the file is neither UTF-8 nor GB18030 text: save the sheet as CSV UTF-8",
            ),
        ),
        (
            b"unit,indicator,period,value\nshinan,gdp\x07,2025-H1,1\n",
            RowError(
                0, "file", "not a text file (it holds control characters): save the sheet as CSV"
            ),
        ),
    ],
)
def test_file_level_problems_stop_at_once(data: bytes, expected: RowError) -> None:
    assert refused(data) == [expected]


def test_header_problems_are_named() -> None:
    errors = refused("Unit,indicator,value,comment,UNIT\nshinan,gdp,1,,\n")
    assert errors == [
        RowError(
            1,
            "header",
            "unknown column (expected unit, indicator, period, value, reason)",
            "comment",
        ),
        RowError(1, "header", "column repeated (first in column 1)", "UNIT"),
        RowError(1, "header", "required column missing", "period"),
    ]
    assert refused("\nunit,indicator,period,value\n")[0].rule.startswith(
        "the first row must be the header"
    )


def test_size_row_and_error_caps() -> None:
    big = b"unit,indicator,period,value\n" + b"shinan,gdp,2025-H1,1\n" * 100
    assert refused(big, max_bytes=1000) == [
        RowError(
            0, "file", "the file is larger than the limit of 1,000 bytes", f"{len(big):,} bytes"
        )
    ]
    rows = "".join(f"shinan,gdp,2025-H1,{i}\n" for i in range(11))
    assert refused("unit,indicator,period,value\n" + rows, max_rows=10)[0].rule == (
        "too many rows (the limit is 10)"
    )
    bad = "".join("shinan,gdp,2025-H1,x\n" for _ in range(5))
    errors = refused("unit,indicator,period,value\n" + bad, max_errors=3)
    assert [e.row for e in errors] == [2, 3, 4, 0]
    assert errors[-1].rule == "2 more error(s) not listed (only the first 3 are)"


def test_a_broken_quote_and_a_value_under_no_header_are_refused() -> None:
    errors = refused('unit,indicator,period,value,\nshinan,gdp,2025-H1,1,note\nlaixi,"gdp,1\n')
    assert [(e.row, e.field) for e in errors] == [(2, "row"), (3, "row")]
    assert errors[0].rule == "a value in a column with no header"
    assert errors[1].rule.startswith("not a valid CSV row")


def test_without_a_catalogue_any_code_passes_and_values_stay_text() -> None:
    parsed = parse(
        "unit,indicator,period,value\nX1,anything,2030Q1,=1+2\n",
        expected_period=None,
        indicators=None,
        units=None,
    )
    # the pipeline judges the value ("must be a number") — nothing here ever evaluates it
    assert parsed.rows == (CsvRow(2, "X1", "anything", "2030Q1", "=1+2", ""),)
