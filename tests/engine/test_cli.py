"""`kaohe score`: end-to-end runs through `kaohe.cli.main`, outputs and error messages."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import openpyxl
import pytest

from kaohe.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SCHEME = """\
kaohe_scheme: 1
id: cli
points: 100
inputs:
  party: {type: grade}
root:
  aggregate: sum
  children:
    - id: growth
      points: 60
      input: g
      method: {type: rank}
    - id: party_building
      points: 40
      input: party
      method: {type: graded, map: {A: 1, B: 0.5}}
grades:
  - {code: excellent, min: 90, quota: 0.5}
  - {code: other}
results: {progress_award: {min_rise: 1}, top_flags: 1}
"""
DATA = """\
unit,name,category,g,party,ignored
a,=HYPERLINK("x"),d,9,A,zzz
b,Beta,d,8,B,
c,Gamma,d,7,A,
"""


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(text.splitlines()))


def test_csv_to_stdout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["score", write(tmp_path, "s.yaml", SCHEME), write(tmp_path, "d.csv", DATA)])
    out = capsys.readouterr().out
    assert code == 0
    rows = read_csv(out)
    assert list(rows[0])[:9] == [
        "unit", "name", "category", "growth", "party_building", "total", "rank", "grade", "flags",
    ]  # fmt: skip
    assert [(r["unit"], r["growth"], r["total"], r["rank"], r["grade"]) for r in rows] == [
        ("a", "60", "100", "1", "excellent"),
        ("b", "57", "77", "3", "other"),
        ("c", "54", "94", "2", "other"),  # 94 ≥ 90 but the 50% quota (1 of 3) is filled
    ]
    assert rows[0]["name"] == '\'=HYPERLINK("x")'  # formula injection neutralised
    assert rows[0]["flags"] == "top1"


def test_previous_result_gives_rank_change(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    prev = write(tmp_path, "prev.csv", "unit,rank\na,1\nb,2\nc,3\n")
    args = ["score", write(tmp_path, "s.yaml", SCHEME), write(tmp_path, "d.csv", DATA)]
    assert main([*args, "--previous", prev]) == 0
    rows = read_csv(capsys.readouterr().out)
    assert [(r["rank_change"], r["flags"]) for r in rows] == [
        ("0", "top1"), ("-1", ""), ("1", "progress_award"),
    ]  # fmt: skip


def test_xlsx_and_json_outputs(tmp_path: Path) -> None:
    args = ["score", write(tmp_path, "s.yaml", SCHEME), write(tmp_path, "d.csv", DATA)]
    assert main([*args, "-o", str(tmp_path / "out.xlsx")]) == 0
    ws = openpyxl.load_workbook(tmp_path / "out.xlsx").active
    assert ws is not None
    values = [list(r) for r in ws.iter_rows(values_only=True)]
    assert values[0][:6] == ["unit", "name", "category", "growth", "party_building", "total"]
    assert values[1][:8] == ["a", '\'=HYPERLINK("x")', "d", 60, 40, 100, 1, "excellent"]
    assert main([*args, "-o", str(tmp_path / "out.json")]) == 0
    data = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert data[2]["total"] == 94 and data[2]["rank"] == 2 and data[2]["reason"] is None
    # an .xlsx output is accepted as --previous
    assert (
        main([*args, "--previous", str(tmp_path / "out.xlsx"), "-o", str(tmp_path / "o.csv")]) == 0
    )
    rows = read_csv((tmp_path / "o.csv").read_text(encoding="utf-8"))
    assert [r["rank_change"] for r in rows] == ["0", "0", "0"]


def test_explain_prints_the_tree(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["score", write(tmp_path, "s.yaml", SCHEME), write(tmp_path, "d.csv", DATA)]
    assert main([*args, "--explain", "b"]) == 0
    tree = json.loads(capsys.readouterr().out)
    growth = tree["tree"]["children"][0]
    assert (growth["id"], growth["points"], growth["periods"][0]["intermediate"]["place"]) == (
        "growth", 57.0, 2.0,
    )  # fmt: skip
    assert tree["total"] == 77.0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (DATA.replace("b,Beta,d,8,B,", "b,Beta,d,eight,B,"),
         "d.csv, line 3, column g: 'eight' is not a number"),
        (DATA.replace("c,Gamma,d,7,A,", "c,Gamma,d,7,E,"),
         "d.csv, line 4, column party: unit 'c': label 'E' is not one of A, B"),
        (DATA.replace(",g,", ",gg,"),
         "d.csv, line 1, column g: input column(s) g required by the scheme are missing"),
        (DATA.replace("c,Gamma", "a,Gamma"),
         "d.csv, line 4, column unit: unit 'a' appears twice (rows 1 and 3)"),
        (DATA.replace("c,Gamma,d,7,A,", "c,Gamma,d,7,A"),
         "d.csv, line 4: 5 fields, the header has 6"),
        (DATA.replace("unit,", "id,"), "d.csv, line 1: the header needs a 'unit' column"),
    ],
)  # fmt: skip
def test_data_errors_exit_2_and_write_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], data: str, message: str
) -> None:
    out = tmp_path / "out.csv"
    code = main(
        ["score", write(tmp_path, "s.yaml", SCHEME), write(tmp_path, "d.csv", data), "-o", str(out)]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert not out.exists()
    assert err == f"kaohe score: error: {tmp_path / message}\n"


def test_scheme_error_names_file_line_and_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = SCHEME.replace("method: {type: rank}", "method: {type: rank, step: -1}")
    code = main(["score", write(tmp_path, "s.yaml", bad), write(tmp_path, "d.csv", DATA)])
    err = capsys.readouterr().err
    assert code == 2
    assert err == (
        f"kaohe score: error: {tmp_path / 's.yaml'}, line 12, column 34, "
        "root/growth/method/step: must not be negative, got -1\n"
    )


def test_missing_file_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["score", str(tmp_path / "nope.yaml"), str(tmp_path / "d.csv")]) == 2
    assert "No such file or directory" in capsys.readouterr().err


def test_examples_score_without_error(tmp_path: Path) -> None:
    district = [str(EXAMPLES / "district-2025.yaml"), str(EXAMPLES / "district-2025.csv")]
    prev = str(EXAMPLES / "district-2024-results.csv")
    out = tmp_path / "district.csv"
    assert main(["score", *district, "--previous", prev, "--robustness", "-o", str(out)]) == 0
    rows = read_csv(out.read_text(encoding="utf-8"))
    assert len(rows) == 10
    assert all(r["status"] == "scored" for r in rows)
    pingdu = next(r for r in rows if r["unit"] == "pingdu")
    assert pingdu["grade"] == "unqualified" and "veto:statistical_fraud" in pingdu["flags"]
    dept = [str(EXAMPLES / "department-2025.yaml"), str(EXAMPLES / "department-2025.csv")]
    out2 = tmp_path / "dept.csv"
    assert main(["score", *dept, "-o", str(out2)]) == 0
    rows = read_csv(out2.read_text(encoding="utf-8"))
    assert len(rows) == 16
    by_cat: dict[str, list[str]] = {}
    for r in rows:
        by_cat.setdefault(r["category"], []).append(r["rank"])
    assert {k: sorted(v) for k, v in by_cat.items()} == {
        k: ["1", "2", "3", "4"] for k in ("综合部门", "经济部门", "社会部门", "党群部门")
    }


def test_missing_markers_and_thousands_separators(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = 'unit,category,g,party\na,d,"1,200",A\nb,d,NA,B\nc,d,..,A\nd,d,900,B\n'
    args = ["score", write(tmp_path, "s.yaml", SCHEME), write(tmp_path, "d.csv", data)]
    assert main(args) == 0
    rows = read_csv(capsys.readouterr().out)
    assert [(r["unit"], r["total"], r["status"], r["reason"]) for r in rows] == [
        ("a", "100", "scored", ""),
        ("b", "", "not_scored", "missing input g (growth)"),
        ("c", "", "not_scored", "missing input g (growth)"),
        ("d", "77", "scored", ""),
    ]
    bad = write(tmp_path, "bad.csv", "unit,g,party\na,1,A\nb,inf,A\n")
    assert main(["score", args[1], bad]) == 2
    assert capsys.readouterr().err == (
        f"kaohe score: error: {bad}, line 3, column g: 'inf' is not a finite number\n"
    )


def test_engine_and_score_command_never_import_django(tmp_path: Path) -> None:
    """The engine is pure (ARCHITECTURE.md): importing and running it loads no Django."""
    import subprocess
    import sys

    code = (
        "import sys, kaohe.engine, kaohe.commands.score\n"
        "from kaohe.cli import main\n"
        f"main(['score', {str(EXAMPLES / 'hdi' / 'hdi-2022.yaml')!r}, "
        f"{str(EXAMPLES / 'hdi' / 'hdr2022.csv')!r}, '-o', {str(tmp_path / 'o.csv')!r}])\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'django'))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout == "[]\n"


def test_hdi_through_the_command_line(tmp_path: Path) -> None:
    """`kaohe score` on the prepared UNDP file reproduces every published value and rank."""
    out = tmp_path / "hdi.csv"
    hdi = EXAMPLES / "hdi"
    assert (
        main(["score", str(hdi / "hdi-2022.yaml"), str(hdi / "hdr2022.csv"), "-o", str(out)]) == 0
    )
    got = read_csv(out.read_text(encoding="utf-8"))
    published = read_csv((hdi / "hdr2022.csv").read_text(encoding="utf-8"))
    assert [(r["unit"], r["total"], r["rank"]) for r in got] == [
        (
            p["unit"],
            f"{float(p['hdi_published']):g}" if p["hdi_published"] else "",
            p["hdi_rank_published"],
        )
        for p in published
    ]


def test_output_to_a_device_writes_through(tmp_path: Path) -> None:
    """`-o /dev/null` (or any non-regular file) is written to, never replaced by a file."""
    import os
    import stat
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    args = ["score", write(tmp_path, "s.yaml", SCHEME), write(tmp_path, "d.csv", DATA)]
    assert main([*args, "-o", str(fifo)]) == 0
    reader.join(timeout=10)
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert received[0].decode("utf-8").splitlines()[1].startswith('a,"\'=HYPERLINK(""x"")"')
