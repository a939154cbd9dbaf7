"""`kaohe suggest-targets`: the long panel in, one suggestion per series out, clear errors."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from kaohe.cli import main

GROWTH = [100, 110, 121, 133.1, 146.41]


def write(tmp_path: Path, text: str, name: str = "panel.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def panel_text(rows: list[tuple[str, str, str, str]]) -> str:
    lines = ["unit,indicator,period,value"] + [",".join(r) for r in rows]
    return "\n".join(lines) + "\n"


def growth_rows(unit: str = "西湖区", indicator: str = "gdp") -> list[tuple[str, str, str, str]]:
    return [(unit, indicator, str(2018 + i), str(v)) for i, v in enumerate(GROWTH)]


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_writes_one_suggestion_per_series(tmp_path: Path) -> None:
    rows = growth_rows() + [("上城区", "pop", str(2018 + i), str(10 + i)) for i in range(5)]
    out = tmp_path / "out.csv"
    assert main(["suggest-targets", str(write(tmp_path, panel_text(rows))), "-o", str(out)]) == 0
    result = read_csv(out.read_text(encoding="utf-8"))
    assert list(result[0]) == [
        "unit",
        "indicator",
        "period",
        "target",
        "low",
        "high",
        "method",
        "reason",
    ]
    assert [(r["unit"], r["indicator"], r["period"]) for r in result] == [
        ("西湖区", "gdp", "2023"),
        ("上城区", "pop", "2023"),
    ]
    assert result[0]["target"] == "161.051"
    assert result[0]["method"] == "growth"
    assert (
        result[0]["reason"] == "近5年年均增长10.0%，波动小；按年均增长率外推（回测误差MASE 0.0）。"
    )
    assert result[1]["target"] == "15"
    assert result[1]["method"] == "drift"


def test_english_reasons_horizon_and_stdout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, panel_text(growth_rows()))
    assert main(["suggest-targets", str(path), "--horizon", "2", "--lang", "en"]) == 0
    result = read_csv(capsys.readouterr().out)
    assert result[0]["period"] == "2024"
    assert result[0]["target"] == "177.1561"
    assert result[0]["reason"].startswith("Grew 10.0% a year over 5 years with low volatility")


def test_quarterly_periods_and_series_ending_in_different_periods(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    quarters = [f"{y}Q{q}" for y in (2021, 2022) for q in range(1, 5)]
    rows = [
        ("A", "retail", p, str(10 * (k % 4 + 1) + 5 * (k // 4))) for k, p in enumerate(quarters)
    ]
    rows += [("B", "gdp", str(2016 + i), str(10 + 2 * i)) for i in range(5)]
    assert main(["suggest-targets", str(write(tmp_path, panel_text(rows)))]) == 0
    result = read_csv(capsys.readouterr().out)
    assert [(r["unit"], r["period"], r["target"], r["method"]) for r in result] == [
        ("A", "2023Q1", "20", "seasonal_drift"),
        ("B", "2021", "20", "drift"),
    ]


def test_text_cells_are_guarded_against_formula_injection(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = growth_rows(unit='=HYPERLINK("http://x")', indicator="+gdp")
    assert main(["suggest-targets", str(write(tmp_path, panel_text(rows).replace('"', "")))]) == 0
    result = read_csv(capsys.readouterr().out)
    assert result[0]["unit"] == "'=HYPERLINK(http://x)"
    assert result[0]["indicator"] == "'+gdp"


def test_empty_value_is_a_missing_value(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [*growth_rows(), ("西湖区", "gdp", "2023", "")]
    assert main(["suggest-targets", str(write(tmp_path, panel_text(rows)))]) == 0
    # The series still ends in 2022, so its target is for 2023.
    assert read_csv(capsys.readouterr().out)[0]["period"] == "2023"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "unit,indicator,period\nA,gdp,2020\n",
            "line 1, column 'value': required column is missing from the header",
        ),
        (
            panel_text([("A", "gdp", "2020", "1"), ("A", "gdp", "2021", "12a")]),
            "line 3, column 'value': '12a' is not a number",
        ),
        (
            panel_text([("A", "gdp", "2020", "1"), ("A", "gdp", "2021", "inf")]),
            "line 3, column 'value': 'inf' is not a finite number",
        ),
        (
            panel_text(
                [("A", "gdp", "2020", "1"), ("B", "gdp", "2020", "2"), ("A", "gdp", "2020", "3")]
            ),
            "line 4, column 'period': duplicate (A, gdp, 2020); first given on line 2",
        ),
        (
            panel_text([("A", "gdp", "2020-01", "1")]),
            "line 2, column 'period': '2020-01' is neither a year (2022) nor a quarter (2022Q3)",
        ),
        (
            panel_text([("A", "gdp", "2020", "1"), ("A", "gdp", "2020Q1", "1")]),
            "line 3, column 'period': series (A, gdp) mixes years and quarters",
        ),
        (
            panel_text([("", "gdp", "2020", "1")]),
            "line 2, column 'unit': must not be empty",
        ),
        (
            "unit,indicator,period,value\nA,gdp,2020\n",
            "line 2, column 'value': the row has too few cells",
        ),
        ("", "line 1, column '-': the file is empty; expected a header row"),
    ],
)
def test_bad_panels_are_refused_with_line_column_and_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    path = write(tmp_path, text)
    out = tmp_path / "out.csv"
    assert main(["suggest-targets", str(path), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"kaohe suggest-targets: {path}, ")
    assert message in err
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [path]


def test_horizon_below_one_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, panel_text(growth_rows()))
    assert main(["suggest-targets", str(path), "--horizon", "0"]) == 2
    assert "--horizon must be at least 1" in capsys.readouterr().err


def test_bom_from_excel_is_accepted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bom.csv"
    path.write_text(panel_text(growth_rows()), encoding="utf-8-sig")
    assert main(["suggest-targets", str(path)]) == 0
    assert read_csv(capsys.readouterr().out)[0]["target"] == "161.051"
