"""`kaohe suggest-targets PANEL.csv [--horizon 1] [-o OUT.csv] [--lang zh|en]`.

Reads a long panel CSV with columns ``unit, indicator, period, value`` (periods ``2022`` or
``2022Q3``; an empty value is a missing value), suggests each (unit, indicator) series' target
``--horizon`` periods after its last period with `kaohe.engine.forecast.suggest_targets`, and
writes ``unit, indicator, period, target, low, high, method, reason``. A bad panel is refused
with the line, the column and the rule, exit status 2, and nothing written.
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import os
import re
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kaohe.engine.forecast import suggest_targets

REQUIRED = ("unit", "indicator", "period", "value")
OUTPUT = ("unit", "indicator", "period", "target", "low", "high", "method", "reason")
_PERIOD = re.compile(r"^(\d{4})(?:Q([1-4]))?$")
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class PanelError(ValueError):
    """A panel row breaks a rule; the message names the line, the column and the rule."""

    def __init__(self, path: str, line: int, column: str, rule: str) -> None:
        super().__init__(f"{path}, line {line}, column '{column}': {rule}")


@dataclass
class _Series:
    unit: str
    indicator: str
    quarterly: bool
    first_line: int
    values: dict[int, float] = field(default_factory=dict)  # period ordinal -> value
    lines: dict[int, int] = field(default_factory=dict)  # period ordinal -> line number


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command's arguments."""
    parser.add_argument("panel", type=Path, help="long CSV with unit, indicator, period, value")
    parser.add_argument(
        "--horizon", type=int, default=1, help="periods ahead of each series' last period (1)"
    )
    parser.add_argument("-o", "--output", type=Path, help="output CSV (default: standard output)")
    parser.add_argument(
        "--lang", choices=("zh", "en"), default="zh", help="language of the reason column (zh)"
    )


def _ordinal(match: re.Match[str]) -> tuple[int, bool]:
    year, quarter = int(match.group(1)), match.group(2)
    if quarter is None:
        return year, False
    return year * 4 + int(quarter) - 1, True


def _label(ordinal: int, quarterly: bool) -> str:
    return f"{ordinal // 4}Q{ordinal % 4 + 1}" if quarterly else str(ordinal)


def read_panel(path: Path) -> list[_Series]:
    """Parse and validate the panel; raise `PanelError` on the first bad row."""
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise PanelError(name, 1, "-", f"cannot read the file as UTF-8 text ({exc})") from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        raise PanelError(name, 1, "-", "the file is empty; expected a header row")
    header = [h.strip() for h in header]
    for column in REQUIRED:
        if column not in header:
            raise PanelError(name, 1, column, "required column is missing from the header")
    index = {column: header.index(column) for column in REQUIRED}
    series: dict[tuple[str, str], _Series] = {}
    for line, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < len(header):
            raise PanelError(name, line, header[len(row)], "the row has too few cells")
        unit, indicator = row[index["unit"]].strip(), row[index["indicator"]].strip()
        for column, cell in (("unit", unit), ("indicator", indicator)):
            if not cell:
                raise PanelError(name, line, column, "must not be empty")
        period = row[index["period"]].strip()
        match = _PERIOD.match(period)
        if match is None:
            raise PanelError(
                name, line, "period", f"{period!r} is neither a year (2022) nor a quarter (2022Q3)"
            )
        ordinal, quarterly = _ordinal(match)
        raw = row[index["value"]].strip()
        if raw:
            try:
                value = float(raw)
            except ValueError:
                raise PanelError(name, line, "value", f"{raw!r} is not a number") from None
            if not math.isfinite(value):
                raise PanelError(name, line, "value", f"{raw!r} is not a finite number")
        else:
            value = math.nan
        key = (unit, indicator)
        entry = series.setdefault(key, _Series(unit, indicator, quarterly, line))
        if entry.quarterly != quarterly:
            raise PanelError(
                name,
                line,
                "period",
                f"series ({unit}, {indicator}) mixes years and quarters "
                f"(line {entry.first_line} has the other kind)",
            )
        if ordinal in entry.lines:
            raise PanelError(
                name,
                line,
                "period",
                f"duplicate ({unit}, {indicator}, {period}); first given on line "
                f"{entry.lines[ordinal]}",
            )
        entry.values[ordinal] = value
        entry.lines[ordinal] = line
    return list(series.values())


def suggest_rows(all_series: list[_Series], horizon: int, lang: str) -> list[list[str]]:
    """Suggest every series' target; one output row per series, in input order."""
    # Series ending in the same period share a column axis: one engine call per group.
    groups: dict[tuple[bool, int], list[int]] = {}
    for i, s in enumerate(all_series):
        last = max((o for o, v in s.values.items() if not math.isnan(v)), default=max(s.values))
        groups.setdefault((s.quarterly, last), []).append(i)
    rows: list[list[str] | None] = [None] * len(all_series)
    for (quarterly, last), members in groups.items():
        first = min(min(all_series[i].values) for i in members)
        ordinals = list(range(first, last + 1))
        values = np.full((len(members), len(ordinals)), np.nan)
        for r, i in enumerate(members):
            for ordinal, value in all_series[i].values.items():
                if ordinal <= last:
                    values[r, ordinal - first] = value
        labels = [_label(o, quarterly) for o in ordinals]
        peers = [all_series[i].indicator for i in members]  # one indicator's units are peers
        result = suggest_targets(values, labels, horizon=horizon, groups=peers)
        reasons = result.reason_zh if lang == "zh" else result.reason_en
        names = result.method_name
        for r, i in enumerate(members):
            s = all_series[i]
            rows[i] = [
                s.unit,
                s.indicator,
                result.target_period,
                _number(result.target[r]),
                _number(result.low[r]),
                _number(result.high[r]),
                str(names[r]),
                str(reasons[r]),
            ]
    return [row for row in rows if row is not None]


def _number(x: float) -> str:
    if not math.isfinite(x):
        return ""
    text = f"{x:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _safe(cell: str) -> str:
    """Defuse text that a spreadsheet would run as a formula."""
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


def write_rows(rows: Iterable[list[str]]) -> str:
    """Render the output CSV (text columns guarded against formula injection)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(OUTPUT)
    text_columns = {0, 1, 2, 6, 7}
    for row in rows:
        writer.writerow([_safe(c) if k in text_columns else c for k, c in enumerate(row)])
    return buffer.getvalue()


def run(args: argparse.Namespace) -> int:
    """Run the command; 0 on success, 2 on a bad panel or argument (nothing written)."""
    if args.horizon < 1:
        print("kaohe suggest-targets: --horizon must be at least 1", file=sys.stderr)
        return 2
    try:
        all_series = read_panel(args.panel)
    except PanelError as exc:
        print(f"kaohe suggest-targets: {exc}", file=sys.stderr)
        return 2
    text = write_rows(suggest_rows(all_series, args.horizon, args.lang))
    if args.output is None:
        sys.stdout.write(text)
        return 0
    # Write beside the target and rename, so a failure never leaves half a file.
    directory = args.output.resolve().parent
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".suggest-targets-", suffix=".csv")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, args.output)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return 0
