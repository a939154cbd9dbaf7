"""Tables for spreadsheets: cells no spreadsheet runs as a formula, and records (an API
serializer's output) flattened into CSV columns.

Pure Python, no Django: the Excel exports, the console script and the API's CSV renderer share
the one rule of `safe_text`."""

from __future__ import annotations

import csv
import io
import json
import math
import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, Final

# A cell starting with one of these is read as a formula by Excel, LibreOffice or Sheets
# (OWASP's CSV-injection advice).
FORMULA_LEADS: Final = ("=", "+", "-", "@", "\t", "\r")
# A number the API wrote as text (DRF writes decimals as strings): safe as it is, and it must
# stay a number for the spreadsheet (an apostrophe would turn "-2.5" into text).
_PLAIN_NUMBER: Final = re.compile(r"-?\d+(\.\d+)?\Z")
# What joins the items of a list of plain values in one cell.
LIST_SEPARATOR: Final = "; "
# Flattened rows are kept in memory up to this size, then on disk, until the columns are known.
_SPOOL_BYTES: Final = 4 * 1024 * 1024
# The byte-order mark that makes Excel read a CSV file as UTF-8 (Chinese text stays readable).
BOM: Final = "\ufeff"


def safe_text(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe; anything else
    is returned as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_LEADS):
        return "'" + value
    return value


def cell_text(value: Any) -> str:
    """One plain value as a CSV cell: empty for None, true/false as in JSON, numbers as they
    are, text through `safe_text` unless it is a plain number."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, float):
        return "" if not math.isfinite(value) else repr(value)
    text = str(value)
    if _PLAIN_NUMBER.match(text):
        return text
    return str(safe_text(text))


def _is_plain(value: Any) -> bool:
    return not isinstance(value, Mapping | list | tuple)


def flatten(value: Any, name: str) -> dict[str, str]:
    """`value` of the column `name` as cells: a dict becomes dotted columns (`name.key`, and so
    on down), a list of plain values one cell joined by "; ", a list holding dicts or lists one
    cell of JSON text; None and an empty dict one empty cell."""
    if isinstance(value, Mapping):
        if not value:
            return {name: ""}
        cells: dict[str, str] = {}
        for key, item in value.items():
            cells.update(flatten(item, f"{name}.{key}"))
        return cells
    if isinstance(value, list | tuple):
        if all(_is_plain(item) for item in value):
            return {name: LIST_SEPARATOR.join(cell_text(item) for item in value)}
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
        return {name: str(safe_text(text))}
    return {name: cell_text(value)}


class CsvTable:
    """Records flattened as they come and written out once the last is in: only then are the
    columns known (a free-form field such as a run's robustness shows its keys row by row).

    Columns follow the top-level fields in the serializer's order (`fields`, which also heads
    an empty table), each field's dotted columns in the order first met. A bare column whose
    field was always empty is dropped when the field has dotted columns. The flattened rows
    wait in a spooled temporary file, so a long export holds little in memory."""

    def __init__(self, fields: Sequence[str] = ()) -> None:
        self._top: dict[str, int] = {name: i for i, name in enumerate(fields)}
        self._columns: dict[str, tuple[int, int]] = {}
        self._filled: set[str] = set()
        # open for the table's life, across `add` calls; `lines` closes it once written out
        self._spool = tempfile.SpooledTemporaryFile(  # noqa: SIM115
            max_size=_SPOOL_BYTES, mode="w+", encoding="utf-8", newline=""
        )
        self.rows = 0

    def add(self, record: Any) -> None:
        """One record: a mapping of field → value (anything else is one `value` column)."""
        items = record.items() if isinstance(record, Mapping) else [("value", record)]
        flat: dict[str, str] = {}
        for top, value in items:
            top = str(top)
            order = self._top.setdefault(top, len(self._top))
            for column, text in flatten(value, top).items():
                if column not in self._columns:
                    self._columns[column] = (order, len(self._columns))
                if text:
                    self._filled.add(column)
                flat[column] = text
        self._spool.write(json.dumps(flat, ensure_ascii=False))
        self._spool.write("\n")
        self.rows += 1

    def extend(self, records: Iterable[Any]) -> None:
        for record in records:
            self.add(record)

    def header(self) -> list[str]:
        if not self._columns:
            return list(self._top)
        nested = {column.split(".", 1)[0] for column in self._columns if "." in column}
        return [
            column
            for column, _ in sorted(self._columns.items(), key=lambda item: item[1])
            if not (column in self._top and column in nested and column not in self._filled)
        ]

    def lines(self) -> Iterable[str]:
        """The CSV text in pieces: the byte-order mark and header first, then a row a piece."""
        header = self.header()
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([str(safe_text(column)) for column in header])
        yield BOM + out.getvalue()
        self._spool.seek(0)
        for line in self._spool:
            out.seek(0)
            out.truncate()
            flat = json.loads(line)
            writer.writerow([flat.get(column, "") for column in header])
            yield out.getvalue()
        self._spool.close()

    def render(self) -> bytes:
        """The whole table as UTF-8 bytes with the byte-order mark."""
        return "".join(self.lines()).encode("utf-8")
