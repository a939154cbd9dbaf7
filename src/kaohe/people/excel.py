"""The evaluations workbook: one row per person, one column per source and dimension (德能勤绩廉
by leaders, peers and the anonymous upward ratings) and one for each source's number of raters.

Row 1 holds the column keys the parser reads (`leader.conduct`, `peer.raters`, …), row 2 their
names in Chinese and English, the people from row 3. An empty cell is no rating. The file is
opened with the same limits as a data upload (`kaohe.observations.excel.open_workbook`); every
problem names its row (as Excel numbers it), its column and the rule, and nothing is stored
unless every row is sound (`services.record_ratings`)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from kaohe.core.errors import BatchRejected, RowError
from kaohe.core.tables import safe_text
from kaohe.observations.excel import MAX_BYTES, MAX_UNPACKED_BYTES, open_workbook
from kaohe.people.models import Dimension, RatingSource
from kaohe.people.services import RatingRow
from kaohe.units.models import Person

FIRST_ROW = 3
MAX_PEOPLE = 5000


def _columns() -> list[tuple[str, str]]:
    """(key, label) of every column after the person's code and name."""
    out = []
    for source, source_label in RatingSource.choices:
        for dimension, label in Dimension.choices:
            out.append((f"{source}.{dimension}", f"{source_label} · {label}"))
        out.append((f"{source}.raters", f"{source_label} · {_('raters')}"))
    return out


def ratings_template(people: Sequence[Person]) -> bytes:
    """A workbook to fill in for these people."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "ratings"
    columns = _columns()
    sheet.append(["person", "name", *(key for key, _label in columns)])
    sheet.append([_("Code"), _("Name"), *(label for _key, label in columns)])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for person in people:
        sheet.append([safe_text(person.code), safe_text(person.name)])
    sheet.freeze_panes = "C3"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def parse_ratings(data: bytes) -> list[RatingRow]:
    """The ratings of a filled-in workbook, each with its Excel row; BatchRejected listing every
    problem of the layout or of a cell."""
    sheet = open_workbook(data, MAX_BYTES, MAX_UNPACKED_BYTES).worksheets[0]
    keys = [str(c.value or "").strip() for c in sheet[1]]
    known = {key for key, _label in _columns()}
    errors: list[RowError] = []
    if not keys or keys[0] != "person":
        raise BatchRejected([RowError(1, "person", _("Row 1 must hold the template's keys."))])
    for key in keys[2:]:
        if key and key not in known:
            errors.append(RowError(1, key, _("Not a column of the template.")))
    rows: list[RatingRow] = []
    for number, line in enumerate(
        sheet.iter_rows(min_row=FIRST_ROW, values_only=True), start=FIRST_ROW
    ):
        if number >= FIRST_ROW + MAX_PEOPLE:
            errors.append(RowError(number, "person", _("At most 5,000 people per file.")))
            break
        values: dict[str, Any] = dict(zip(keys, line, strict=False))
        code = str(values.get("person") or "").strip()
        if not code:
            continue
        for source in RatingSource.values:
            raters = values.get(f"{source}.raters")
            for dimension in Dimension.values:
                score = values.get(f"{source}.{dimension}")
                if score is None or str(score).strip() == "":
                    continue
                rows.append(RatingRow(code, source, dimension, score, raters or 1, number))
    if errors:
        raise BatchRejected(errors)
    if not rows:
        raise BatchRejected([RowError(0, "file", _("The file holds no rating."))])
    return rows
