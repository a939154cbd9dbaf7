"""Excel export of a survey's results (openpyxl), safe against formula injection: a sheet of
units × groups with each unit's group-weighted index and rate and their 95 % intervals, and a
sheet of the comments. The figures are those the reader may see (`selectors.survey_figures`)."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from kaohe.core.tables import safe_text
from kaohe.surveys.models import SurveyComment
from kaohe.surveys.selectors import Results


def _percent(value: float | None) -> float | None:
    return None if value is None else round(value * 100.0, 2)


def _score(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _header(sheet: Any, header: list[str]) -> None:
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="B71C1C")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for index in range(1, len(header) + 1):
        sheet.column_dimensions[get_column_letter(index)].width = 14


def results_workbook(results: Results, comments: Iterable[SurveyComment]) -> bytes:
    survey = results.survey
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "结果 results"
    header = [
        "单位代码 unit",
        "单位 name",
        "问卷数 responses",
        "有效回答 answers",
        "配额 quota",
        "回收率% response rate",
        "满意度指数 index",
        "指数下限 index low 95%",
        "指数上限 index high 95%",
        "满意率% rate",
        "满意率下限% rate low 95%",
        "满意率上限% rate high 95%",
        "说明 note",
    ]
    for group in results.groups:
        code = group.code
        header += [
            f"{group.name_zh} 回答 {code} answers",
            f"{group.name_zh} 满意率% {code} rate",
            f"{group.name_zh} 下限% {code} rate low",
            f"{group.name_zh} 上限% {code} rate high",
            f"{group.name_zh} 均分 {code} mean",
            f"{group.name_zh} 回收率% {code} response rate",
        ]
    _header(sheet, header)
    for u in results.units:
        row: list[Any] = [
            safe_text(u.unit.code),
            safe_text(u.unit.name_zh),
            u.responses,
            u.answers,
            u.quota,
            _percent(u.response_rate),
            _score(u.index),
            _score(u.index_low),
            _score(u.index_high),
            _percent(u.rate),
            _percent(u.rate_low),
            _percent(u.rate_high),
            safe_text(u.note),
        ]
        cells = {c.group.pk: c for c in u.groups}
        for group in results.groups:
            c = cells.get(group.pk)
            if c is None:
                row += [None] * 6
                continue
            row += [
                c.answers,
                _percent(c.rate),
                _percent(c.rate_low),
                _percent(c.rate_high),
                _score(c.mean),
                _percent(c.response_rate),
            ]
        sheet.append(row)
    sheet.freeze_panes = "C2"

    groups = workbook.create_sheet("群体 groups")
    _header(groups, ["代码 code", "群体 group", "权重 weight", "配额 quota", "总体 population"])
    for group in results.groups:
        groups.append(
            [
                safe_text(group.code),
                safe_text(group.name_zh),
                float(group.weight),
                group.quota,
                group.population,
            ]
        )
    about = workbook.create_sheet("说明 about")
    about.append(["调查 survey", safe_text(survey.name_zh)])
    about.append(
        [
            "问卷 questionnaire",
            safe_text(f"{survey.version.questionnaire.code} v{survey.version.number}"),
        ]
    )
    about.append(["状态 state", "临时 provisional" if results.provisional else "最终 final"])
    about.append(["计入问卷 responses counted", results.responses])
    about.append(["每组最少回答 fewest answers per group", survey.min_n])

    sheet_comments = workbook.create_sheet("意见 comments")
    _header(
        sheet_comments,
        ["单位代码 unit", "单位 name", "群体 group", "题目 question", "意见 comment"],
    )
    sheet_comments.column_dimensions["E"].width = 80
    for comment in comments:
        sheet_comments.append(
            [
                safe_text(comment.unit.code if comment.unit else ""),
                safe_text(comment.unit.name_zh if comment.unit else "（整体）"),
                safe_text(comment.group.name_zh),
                safe_text(comment.question),
                safe_text(comment.text),
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
