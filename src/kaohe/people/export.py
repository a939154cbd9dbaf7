"""Excel export of a confirmed reward pool for payroll (openpyxl), safe against formula
injection: one row per person with their grade, score, coefficient and amount in yuan, and the
total. Personal data: for the office's payroll, never for publication."""

from __future__ import annotations

import io
from decimal import Decimal

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from kaohe.core.tables import safe_text
from kaohe.people.models import RewardPool, RewardShare, StaffGrade


def pool_workbook(pool: RewardPool) -> bytes:
    grading = pool.grading
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = _("Rewards")[:31]
    sheet.append([safe_text(f"{grading.unit} · {grading.run.cycle.year}")])
    sheet.append(
        [_("Code"), _("Name"), _("Grade"), _("Score"), _("Coefficient"), _("Amount (yuan)")]
    )
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    shares = RewardShare.objects.filter(pool=pool).select_related("person").order_by("person__code")
    for share in shares:
        sheet.append(
            [
                safe_text(share.person.code),
                safe_text(share.person.name),
                str(StaffGrade(share.grade).label),
                share.score,
                share.coefficient,
                Decimal(share.amount_cents) / 100,
            ]
        )
        sheet.cell(sheet.max_row, 6).number_format = "#,##0.00"
    sheet.append([_("Total"), "", "", "", "", Decimal(pool.amount_cents) / 100])
    sheet.cell(sheet.max_row, 6).number_format = "#,##0.00"
    for column, width in zip("ABCDEF", (14, 14, 16, 10, 12, 16), strict=True):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
