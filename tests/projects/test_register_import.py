"""The office's register workbook: the template, a good workbook imported (new codes created,
known ones updated, one audit event), and bad workbooks refused naming sheet, row and field
with nothing stored."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from kaohe.core.errors import BatchRejected
from kaohe.core.events import EventType
from kaohe.core.models import AuditEvent
from kaohe.projects import excel, services
from kaohe.projects.models import KeyProject, PlanMonth, ProjectMilestone
from kaohe.testing.projects import ProjectWorld

GOOD = [
    # code, name_zh, name_en, owner, district, category, lon, lat, start, end, total, status
    (
        "P-001",
        "东区智造园（改）",
        "Smart park",
        "D01",
        "D01",
        "industry",
        120.06,
        30.04,
        dt.date(2025, 1, 1),
        dt.date(2025, 12, 31),
        1500,
        "under_way",
    ),
    (
        "P-100",
        "西区污水厂",
        "",
        "DEPT_TJJ",
        "D02",
        "ecology",
        120.12,
        30.08,
        "2025-03-01",
        "2026-06-30",
        800,
        "planned",
    ),
]
PLAN = [("P-100", "2025-03", 50), ("P-100", dt.datetime(2025, 4, 1), 70), ("P-001", "2025-01", 300)]
MILESTONES = [("P-100", 1, "开工", "Start", "2025-03-15"), ("P-100", 2, "通水", "", "2026-06-30")]


def _counts() -> tuple[int, int, int]:
    return KeyProject.objects.count(), PlanMonth.objects.count(), ProjectMilestone.objects.count()


def test_the_template_has_three_sheets_with_both_headers() -> None:
    book = load_workbook(io.BytesIO(excel.template()))
    assert book.sheetnames == ["项目 projects", "月度计划 plan", "节点 milestones"]
    ws = book["项目 projects"]
    assert ws["A1"].value == "项目编号" and ws["A2"].value == "code"
    assert ws["A1"].comment is not None
    assert [c.value for c in book["月度计划 plan"][2]] == ["project", "month", "planned"]


def test_a_good_workbook_updates_known_codes_and_creates_new_ones(pw: ProjectWorld) -> None:
    rows = excel.read_register(pw.cycle, excel.workbook(GOOD, PLAN, MILESTONES))
    stored = services.import_projects(pw.cycle, rows, acting_user=pw.office)
    assert [p.code for p in stored] == ["P-001", "P-100"]
    east = KeyProject.objects.get(pk=pw.east.pk)
    assert east.name_zh == "东区智造园（改）" and east.total_investment == Decimal("1500.00")
    assert [(p.month, p.planned) for p in east.plan.all()] == [
        (dt.date(2025, 1, 1), Decimal("300.00"))
    ]
    assert east.milestones.count() == 0  # the workbook is the whole plan
    new = KeyProject.objects.get(code="P-100")
    assert new.owner.code == "DEPT_TJJ" and new.district.code == "D02"
    assert [p.month.month for p in new.plan.all()] == [3, 4]
    assert [m.name_zh for m in new.milestones.all()] == ["开工", "通水"]
    event = AuditEvent.objects.get(event_type=EventType.PROJECTS_IMPORTED)
    assert event.extra_data["created"] == ["P-100"] and event.extra_data["updated"] == ["P-001"]


@pytest.mark.parametrize(
    ("index", "value", "field", "rule"),
    [
        (3, "NOPE", "projects.owner", "No active unit"),
        (4, "DEPT_TJJ", "projects.district", "not a district"),
        (5, "casino", "projects.category", "Not a category"),
        (6, 122.5, "projects.longitude", "outside the city map"),
        (7, 91, "projects.latitude", "between -90 and 90"),
        (9, "2024-01-01", "projects.planned_end", "before the planned start"),
        (10, -3, "projects.total_investment", "0 or more"),
        (8, "soon", "projects.planned_start", "Not a date"),
        (10, "much", "projects.total_investment", "Not a number"),
    ],
)
def test_a_bad_cell_is_named_by_sheet_row_and_field_and_nothing_is_stored(
    pw: ProjectWorld, index: int, value: object, field: str, rule: str
) -> None:
    bad = list(GOOD[1])
    bad[index] = value
    before = _counts()
    with pytest.raises(BatchRejected) as caught:
        excel.read_register(pw.cycle, excel.workbook([GOOD[0], tuple(bad)], PLAN, MILESTONES))
    errors = [(e.row, e.field) for e in caught.value.errors]
    assert (4, field) in errors, caught.value.errors
    assert any(rule in e.rule for e in caught.value.errors)
    assert _counts() == before


def test_plan_and_milestone_problems_and_duplicates_are_all_listed(pw: ProjectWorld) -> None:
    plan = [*PLAN, ("P-100", "2027-01", 5), ("P-404", "2025-05", 5), ("P-100", "2025-05", -1)]
    milestones = [*MILESTONES, ("P-100", 2, "重复", "", "2025-08-01")]
    with pytest.raises(BatchRejected) as caught:
        excel.read_register(pw.cycle, excel.workbook([GOOD[0], GOOD[1], GOOD[1]], plan, milestones))
    found = {(e.field, e.row) for e in caught.value.errors}
    assert ("projects.code", 5) in found  # the duplicate code
    assert ("plan.month", 6) in found  # outside the project's dates
    assert ("plan.project", 7) in found  # unknown project
    assert ("plan.planned", 8) in found  # negative
    assert ("milestones.seq", 5) in found  # seq used twice


def test_not_a_workbook_is_refused() -> None:
    items, errors = excel.parse_workbook(b"MZ not a workbook")
    assert items == [] and errors[0].field == "file"


def test_import_checks_again_and_is_all_or_nothing(pw: ProjectWorld) -> None:
    rows = excel.read_register(pw.cycle, excel.workbook(GOOD, PLAN, MILESTONES))
    rows[1].district = "NOPE"
    before = _counts()
    with pytest.raises(BatchRejected):
        services.import_projects(pw.cycle, rows, acting_user=pw.office)
    assert _counts() == before
    assert KeyProject.objects.get(pk=pw.east.pk).name_zh == pw.east.name_zh
