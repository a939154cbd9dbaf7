"""`kaohe score SCHEME.yaml DATA.csv`: score a wide CSV with a scheme, no database needed.

DATA has a `unit` column, optional `name` and `category` columns, and one column per input
code (period columns as `code@Q1`); columns the scheme does not read are ignored. The output
has `unit`, `category`, one column per scheme node and adjustment, `total`, `rank`, `grade`,
`flags`, then `status`, `reason` and `rank_change`. Errors name the file, line and column and
the rule broken; the exit code is then 2 and nothing is written.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from kaohe.engine.errors import DataError, EngineError
from kaohe.engine.evaluate import InputTable, evaluate
from kaohe.engine.scheme import Scheme, load_scheme

EXIT_INPUT_ERROR = 2
RESERVED = ("unit", "name", "category")
# a text cell starting with one of these is a formula to Excel/LibreOffice (CSV injection)
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command's arguments."""
    parser.add_argument("scheme", help="the scheme YAML (docs/scheme-format.md)")
    parser.add_argument("data", help="wide CSV: unit, [name], [category], one column per input")
    parser.add_argument(
        "--previous", help="an earlier output (CSV, JSON or XLSX) for rank change and awards"
    )
    parser.add_argument(
        "-o", "--output", help="OUT.csv, OUT.xlsx or OUT.json (default: CSV on stdout)"
    )
    parser.add_argument(
        "--robustness",
        action="store_true",
        help="run the scheme's Monte Carlo robustness block (adds rank interval columns)",
    )
    parser.add_argument(
        "--explain", metavar="UNIT", help="print the explanation tree of one unit as JSON"
    )


def run(args: argparse.Namespace) -> int:
    """Score and write; return 0, or 2 after printing the error (nothing written)."""
    try:
        scheme = _read_scheme(Path(args.scheme))
        table = read_data(Path(args.data), scheme)
        previous = read_previous(Path(args.previous)) if args.previous else None
        try:
            result = evaluate(scheme, table, previous_ranks=previous, robustness=args.robustness)
        except DataError as exc:
            # the engine counts data rows from 1; the file has its header on line 1
            line = exc.line + 1 if exc.line is not None else None
            raise DataError(exc.rule, line=line, column=exc.column, source=args.data) from None
        if args.explain:
            if args.explain not in result.units:
                raise DataError(f"unit {args.explain!r} is not in the data", source=args.data)
            explanation = result.explain(args.explain)
            print(json.dumps(explanation, ensure_ascii=False, indent=2, default=_json_default))
            return 0
        rows = result.to_rows()
        write_rows(rows, args.output)
    except EngineError as exc:
        print(f"kaohe score: error: {exc}", file=sys.stderr)
        return EXIT_INPUT_ERROR
    except BrokenPipeError:
        # the reader (e.g. `| head`) has gone: not an error of ours; keep Python quiet at exit
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        return 0
    except OSError as exc:
        print(f"kaohe score: error: {exc}", file=sys.stderr)
        return EXIT_INPUT_ERROR
    return 0


def _read_scheme(path: Path) -> Scheme:
    text = path.read_text(encoding="utf-8")
    try:
        return load_scheme(text)
    except EngineError as exc:
        exc.source = str(path)
        exc.args = (exc._format(),)
        raise


def read_data(path: Path, scheme: Scheme) -> InputTable:
    """Read a wide CSV into an InputTable; errors give the file line (header = line 1)."""
    with path.open(newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    src = str(path)
    if scheme.milestone_codes:
        codes = ", ".join(sorted(scheme.milestone_codes))
        raise DataError(
            f"the scheme scores major tasks by their milestones ({codes}): a CSV file cannot "
            "hold milestone records; score it on the platform, which reads the confirmed "
            "milestone reports",
            source=src,
        )
    if not rows:
        raise DataError("the file is empty; it needs a header with a 'unit' column", source=src)
    header = [h.strip() for h in rows[0]]
    seen: set[str] = set()
    for j, col in enumerate(header):
        if not col:
            raise DataError(f"column {j + 1} has no name", line=1, column=j + 1, source=src)
        if col in seen:
            raise DataError(f"column {col!r} appears twice", line=1, column=col, source=src)
        seen.add(col)
    if "unit" not in header:
        raise DataError("the header needs a 'unit' column", line=1, source=src)
    body = rows[1:]
    for i, row in enumerate(body):
        if len(row) != len(header):
            raise DataError(
                f"{len(row)} fields, the header has {len(header)}", line=i + 2, source=src
            )
    pos = {col: j for j, col in enumerate(header)}
    needed = set(scheme.input_codes)
    missing = sorted(needed - set(header))
    if missing:
        raise DataError(
            f"input column(s) {', '.join(missing)} required by the scheme are missing",
            line=1,
            column=missing[0],
            source=src,
        )
    labels = scheme.label_codes
    columns: dict[str, Any] = {}
    for col in sorted(needed):
        cells = [row[pos[col]].strip() for row in body]
        if col in labels:
            columns[col] = np.array(cells, dtype=object)
            continue
        columns[col] = _parse_numbers(cells, col, src)
    units = [row[pos["unit"]].strip() for row in body]
    try:
        return InputTable.build(
            units,
            columns,
            categories=[row[pos["category"]].strip() for row in body]
            if "category" in pos
            else None,
            names=[row[pos["name"]].strip() for row in body] if "name" in pos else None,
            label_codes=labels,
        )
    except DataError as exc:
        # the table counts data rows from 1; the file has the header on line 1
        raise DataError(
            exc.rule,
            line=exc.line + 1 if exc.line is not None else None,
            column=exc.column,
            source=src,
        ) from None


MISSING = ("", "NA", "N/A", "NAN", "..")


def _parse_numbers(cells: list[str], col: str, src: str) -> np.ndarray:
    """Parse one column: numpy's parser for clean columns, a checked loop for the rest."""
    try:
        values = np.array(cells, dtype=np.float64)  # fast path: every cell a plain number
        if np.isfinite(values).all():
            return values
    except ValueError:
        pass
    # slow path: blanks and NA markers, thousands separators, and the error's exact line
    values = np.empty(len(cells), dtype=np.float64)
    for i, cell in enumerate(cells):
        if cell.upper() in MISSING:
            values[i] = np.nan
            continue
        try:
            values[i] = float(cell.replace(",", ""))
        except ValueError:
            raise DataError(
                f"{cell!r} is not a number", line=i + 2, column=col, source=src
            ) from None
        if not np.isfinite(values[i]):
            raise DataError(f"{cell!r} is not a finite number", line=i + 2, column=col, source=src)
    return values


def read_previous(path: Path) -> dict[str, int]:
    """Unit → rank from an earlier output file (CSV, JSON or XLSX)."""
    src = str(path)
    suffix = path.suffix.lower()
    records: list[dict[str, Any]]
    if suffix == ".json":
        records = json.loads(path.read_text(encoding="utf-8"))
    elif suffix == ".xlsx":
        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=True)
        ws = wb.active
        assert ws is not None
        it = ws.iter_rows(values_only=True)
        head = [str(h) for h in next(it)]
        records = [dict(zip(head, r, strict=False)) for r in it]
    else:
        with path.open(newline="", encoding="utf-8-sig") as f:
            records = list(csv.DictReader(f))
    out: dict[str, int] = {}
    for i, rec in enumerate(records):
        if "unit" not in rec or "rank" not in rec:
            raise DataError("a previous result needs 'unit' and 'rank' columns", source=src)
        unit = str(rec["unit"]).lstrip("'")
        rank = rec["rank"]
        if rank in (None, ""):
            continue
        try:
            out[unit] = int(float(rank))
        except ValueError:
            raise DataError(
                f"{rank!r} is not a rank", line=i + 2, column="rank", source=src
            ) from None
    return out


def _safe_text(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value) if not value.is_integer() else str(int(value))
    return _safe_text(value)


def write_rows(rows: Sequence[dict[str, Any]], output: str | None) -> None:
    """Write CSV (stdout when `output` is None), XLSX or JSON; files are replaced atomically."""
    header = list(rows[0]) if rows else ["unit", "category", "total", "rank", "grade", "flags"]
    if output is None:
        sys.stdout.write(_csv_text(header, rows))
        return
    path = Path(output)
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        import openpyxl

        wb = openpyxl.Workbook()
        ws = wb.active
        assert ws is not None
        ws.title = "results"
        ws.append(header)
        for row in rows:
            ws.append([_safe_text(row[k]) for k in header])
        buf = io.BytesIO()
        wb.save(buf)
        data = buf.getvalue()
    elif suffix == ".json":
        data = json.dumps(list(rows), ensure_ascii=False, indent=1).encode("utf-8")
    else:
        data = _csv_text(header, rows).encode("utf-8")
    if path.exists() and not path.is_file():
        # a device or pipe (/dev/null, /dev/stdout): write through, never replace it
        with path.open("wb") as f:
            f.write(data)
        return
    fd, tmp = tempfile.mkstemp(dir=path.parent or ".", prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def _csv_text(header: list[str], rows: Sequence[dict[str, Any]]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_cell(row[k]) for k in header])
    return buf.getvalue()


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(type(value).__name__)
