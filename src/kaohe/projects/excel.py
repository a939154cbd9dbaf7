"""The office's register workbook (openpyxl): the downloadable template and reading a filled one.

Three sheets, each with the Chinese headers in row 1 and the English ones in row 2 (the data
start in row 3; a comment on each header gives the rule):

* 项目 projects — code, name_zh, name_en, owner (unit code), district (code of a district or
  county-level city), category, longitude, latitude, planned_start, planned_end,
  total_investment (万元), status;
* 月度计划 plan — project (code), month (YYYY-MM), planned (万元);
* 节点 milestones — project (code), seq, name_zh, name_en, due.

Reading checks everything before anything is stored and returns every problem as a RowError
naming the sheet and row (`row` is the workbook's row, `field` is "<sheet>.<column>")."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill

from kaohe.core.errors import BatchRejected, RowError
from kaohe.projects.models import KeyProject, ProjectCategory
from kaohe.projects.services import (
    MILESTONES_SHEET,
    PLAN_SHEET,
    PROJECTS_SHEET,
    MilestoneInput,
    PlanInput,
    ProjectInput,
    batch_errors,
    parse_date,
    parse_decimal,
    parse_month,
)
from kaohe.schemes.models import Cycle

FIRST_DATA_ROW = 3

# sheet → (title, [(column, Chinese header, rule)])
SHEETS: dict[str, tuple[str, list[tuple[str, str, str]]]] = {
    PROJECTS_SHEET: (
        "项目 projects",
        [
            ("code", "项目编号", "letters, digits, - or _; unique in the cycle"),
            ("name_zh", "项目名称", "required"),
            ("name_en", "英文名称", "optional"),
            ("owner", "责任单位编码", "the code of the unit that reports on the project"),
            ("district", "所在区县编码", "the code of a district or county-level city"),
            ("category", "类别", "one of: " + ", ".join(ProjectCategory.values)),
            ("longitude", "经度", "decimal degrees, inside the city map"),
            ("latitude", "纬度", "decimal degrees, inside the city map"),
            ("planned_start", "计划开工", "date YYYY-MM-DD"),
            ("planned_end", "计划竣工", "date YYYY-MM-DD, not before the start"),
            ("total_investment", "总投资（万元）", "10,000 yuan, 0 or more"),
            ("status", "状态", "one of: " + ", ".join(KeyProject.Status.values)),
        ],
    ),
    PLAN_SHEET: (
        "月度计划 plan",
        [
            ("project", "项目编号", "a code of the projects sheet"),
            ("month", "月份", "YYYY-MM, within the project's planned dates"),
            ("planned", "计划投资（万元）", "10,000 yuan, 0 or more"),
        ],
    ),
    MILESTONES_SHEET: (
        "节点 milestones",
        [
            ("project", "项目编号", "a code of the projects sheet"),
            ("seq", "序号", "1, 2, 3 … unique within the project"),
            ("name_zh", "节点名称", "required"),
            ("name_en", "英文名称", "optional"),
            ("due", "计划完成日期", "date YYYY-MM-DD"),
        ],
    ),
}


def template() -> bytes:
    """The empty workbook to fill."""
    book = Workbook()
    book.remove(book.active)
    header = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDE7F5")
    for _sheet, (title, columns) in SHEETS.items():
        ws = book.create_sheet(title)
        for i, (name, zh, rule) in enumerate(columns, start=1):
            top = ws.cell(row=1, column=i, value=zh)
            top.font, top.fill = header, fill
            top.comment = Comment(rule, "kaohe")
            ws.cell(row=2, column=i, value=name).font = Font(italic=True, color="666666")
            ws.column_dimensions[top.column_letter].width = max(12, len(name) + 4)
        ws.freeze_panes = "A3"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _sheet(book: Any, key: str) -> Any:
    title = SHEETS[key][0]
    for ws in book.worksheets:
        name = ws.title.strip().casefold()
        if name == title.casefold() or key in name or title.split()[0] in ws.title:
            return ws
    return None


def _rows(ws: Any, key: str) -> list[tuple[int, dict[str, Any]]]:
    columns = [c for c, _zh, _rule in SHEETS[key][1]]
    out = []
    for number, values in enumerate(
        ws.iter_rows(min_row=FIRST_DATA_ROW, values_only=True), start=FIRST_DATA_ROW
    ):
        cells = list(values)[: len(columns)]
        if all(v is None or _text(v) == "" for v in cells):
            continue
        cells += [None] * (len(columns) - len(cells))
        out.append((number, dict(zip(columns, cells, strict=True))))
    return out


class _Cells:
    """Parse one row's cells, keeping a RowError for each that does not parse."""

    def __init__(self, sheet: str, row: int, cells: dict[str, Any], errors: list[RowError]):
        self.sheet, self.row, self.cells, self.errors = sheet, row, cells, errors

    def _bad(self, name: str, rule: str) -> None:
        self.errors.append(
            RowError(self.row, f"{self.sheet}.{name}", rule, _text(self.cells[name]))
        )

    def text(self, name: str, required: bool = True) -> str:
        value = _text(self.cells[name])
        if required and not value:
            self._bad(name, _("This cell is required."))
        return value

    def number(self, name: str) -> Decimal:
        try:
            return parse_decimal(self.cells[name])
        except ValueError:
            self._bad(name, _("Not a number."))
            return Decimal(0)

    def date(self, name: str) -> dt.date:
        try:
            return parse_date(self.cells[name])
        except (ValueError, TypeError):
            self._bad(name, _("Not a date (YYYY-MM-DD)."))
            return dt.date(1900, 1, 1)

    def month(self, name: str) -> dt.date:
        try:
            return parse_month(self.cells[name])
        except (ValueError, TypeError):
            self._bad(name, _("Not a month (YYYY-MM)."))
            return dt.date(1900, 1, 1)

    def integer(self, name: str) -> int:
        try:
            number = parse_decimal(self.cells[name])
            if number != number.to_integral_value():
                raise ValueError
            return int(number)
        except ValueError:
            self._bad(name, _("Not a whole number."))
            return 0


def parse_workbook(data: bytes) -> tuple[list[ProjectInput], list[RowError]]:
    """The projects of a filled workbook and the problems reading its cells."""
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds on a file that is not a workbook
        return [], [RowError(0, "file", _("Not an Excel workbook (.xlsx)."))]
    errors: list[RowError] = []
    sheets = {key: _sheet(book, key) for key in SHEETS}
    for key, ws in sheets.items():
        if ws is None and key == PROJECTS_SHEET:
            errors.append(
                RowError(0, key, _("The sheet “%(title)s” is missing.") % {"title": SHEETS[key][0]})
            )
    if errors:
        return [], errors
    projects: dict[str, ProjectInput] = {}
    items: list[ProjectInput] = []
    for row, cells in _rows(sheets[PROJECTS_SHEET], PROJECTS_SHEET):
        c = _Cells(PROJECTS_SHEET, row, cells, errors)
        item = ProjectInput(
            code=c.text("code"),
            name_zh=c.text("name_zh"),
            name_en=c.text("name_en", required=False),
            owner=c.text("owner"),
            district=c.text("district"),
            category=c.text("category"),
            longitude=c.number("longitude"),
            latitude=c.number("latitude"),
            planned_start=c.date("planned_start"),
            planned_end=c.date("planned_end"),
            total_investment=c.number("total_investment"),
            status=c.text("status", required=False) or KeyProject.Status.PLANNED,
            row=row,
        )
        items.append(item)
        projects.setdefault(item.code, item)
    for key in (PLAN_SHEET, MILESTONES_SHEET):
        ws = sheets[key]
        if ws is None:
            continue
        for row, cells in _rows(ws, key):
            c = _Cells(key, row, cells, errors)
            code = c.text("project")
            owner = projects.get(code)
            if code and owner is None:
                errors.append(
                    RowError(
                        row,
                        f"{key}.project",
                        _("No project of the projects sheet has this code."),
                        code,
                    )
                )
            if key == PLAN_SHEET:
                plan = PlanInput(c.month("month"), c.number("planned"), row=row)
                if owner is not None:
                    owner.plan.append(plan)
            else:
                milestone = MilestoneInput(
                    c.integer("seq"),
                    c.text("name_zh"),
                    c.date("due"),
                    c.text("name_en", required=False),
                    row=row,
                )
                if owner is not None:
                    owner.milestones.append(milestone)
    if not items and not errors:
        errors.append(RowError(0, PROJECTS_SHEET, _("The projects sheet has no rows.")))
    return items, errors


def read_register(cycle: Cycle, data: bytes) -> list[ProjectInput]:
    """The projects of a filled workbook, every cell and rule checked; BatchRejected listing
    every problem otherwise."""
    items, errors = parse_workbook(data)
    if items:
        # a row whose cells did not parse is reported by those cells alone
        unread = {(e.field.split(".", 1)[0], e.row) for e in errors}
        errors += [
            e for e in batch_errors(cycle, items) if (e.field.split(".", 1)[0], e.row) not in unread
        ]
    if errors:
        raise BatchRejected(sorted(errors, key=_order))
    return items


def _order(e: RowError) -> tuple[int, int, str]:
    sheets = list(SHEETS)
    sheet = e.field.split(".", 1)[0]
    return (sheets.index(sheet) if sheet in sheets else -1, e.row, e.field)


def workbook(
    projects: Sequence[Sequence[Any]],
    plan: Sequence[Sequence[Any]] = (),
    milestones: Sequence[Sequence[Any]] = (),
) -> bytes:
    """A filled workbook from rows of cells in the template's column order (for tests and the
    demo)."""
    book = load_workbook(io.BytesIO(template()))
    for key, rows in (
        (PROJECTS_SHEET, projects),
        (PLAN_SHEET, plan),
        (MILESTONES_SHEET, milestones),
    ):
        ws = book[SHEETS[key][0]]
        for row in rows:
            ws.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
