"""Excel export of a run's results (openpyxl), safe against formula injection."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from kaohe.core.tables import safe_text
from kaohe.engine.scheme import load_scheme
from kaohe.results.labels import RunLabels
from kaohe.results.models import ScoringRun


def run_workbook(run: ScoringRun) -> bytes:
    """One sheet: a row per unit with total, rank, grade, flags and every scheme node."""
    scheme = load_scheme(run.scheme_version.document)
    labels = RunLabels(run.scheme_version.document)
    node_ids = [n.id for n in scheme.root.walk() if n.id != scheme.root.id]
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = f"{run.cycle.year}"[:31]
    header = [
        "单位代码 unit",
        "单位 name",
        "类别 category",
        "总分 total",
        "排名 rank",
        "上年排名 previous",
        "位次变化 change",
        "等次 grade",
        "标记 flags",
        "状态 status",
        "说明 reason",
        "排名区间 p5",
        "排名区间 p95",
        *node_ids,
    ]
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="B71C1C")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    results = run.results.select_related("unit").order_by("category_code", "rank", "unit__code")
    for r in results:
        sheet.append(
            [
                safe_text(r.unit.code),
                safe_text(r.unit.name_zh),
                safe_text(r.category_code),
                r.total_rounded,
                r.rank,
                r.previous_rank,
                r.rank_change,
                safe_text(labels.grade(r.grade)),
                safe_text("；".join(f.label for f in labels.flags(r.flags))),
                safe_text(labels.status(r.status)),
                safe_text(r.reason),
                r.robustness.get("p5"),
                r.robustness.get("p95"),
                *[r.nodes.get(node_id) for node_id in node_ids],
            ]
        )
    for index in range(1, len(header) + 1):
        sheet.column_dimensions[get_column_letter(index)].width = 14
    sheet.freeze_panes = "C2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
