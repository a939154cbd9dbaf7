"""Survey results pages: every unit's figures for city-wide viewers (provisional while open,
the frozen rows once closed), a chart and a table sharing numbers, a unit's own page showing
only its unit, an Excel export with units × groups, intervals and the comments, and the API."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from kaohe.surveys import services
from kaohe.surveys.models import SurveyResult
from kaohe.testing.surveys import make_survey, posted

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def json_script(body: str, element_id: str) -> Any:
    found = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', body)
    assert found is not None, element_id
    return json.loads(found.group(1))


def answered(world: Any):  # type: ignore[no-untyped-def]
    ts = make_survey(world, codes=12)
    d1, d2 = world.d1.pk, world.d2.pk
    for i, code in enumerate(ts.codes[:10]):
        services.submit(
            ts.survey,
            posted(
                {d1: 4 + i % 2, d2: 2 + i % 3},
                comments={d2: "西区窗口排队太久"} if i == 0 else None,
            ),
            code=code,
        )
    for i in range(8):
        services.submit(
            ts.survey,
            posted(
                {d1: 5, d2: 3},
                advice="希望多公开信息" if i == 0 else "",
                comments={d1: "东区服务好"} if i == 1 else None,
            ),
            client=f"10.2.0.{i}",
        )
    return ts


def test_open_results_are_provisional_and_chart_and_table_agree(world):
    ts = answered(world)
    body = client_for(world.users["committee"]).get(f"/surveys/{ts.survey.pk}/results/")
    assert body.status_code == 200
    html = body.content.decode()
    assert 'data-state="provisional"' in html
    figures = body.context["results"]
    assert figures.provisional and [u.unit.code for u in figures.units] == ["D01", "D02"]
    expected = services.compute_results(ts.survey).result
    option = json_script(html, "chart-index")
    dots = {name: value for value, name in option["series"][2]["data"]}
    for i, u in enumerate(figures.units):
        assert u.index == expected.index[i]
        assert dots[u.unit.name] == round(u.index, 1)
        assert f"{u.index:.1f}" in html  # the table shows the chart's number
        assert u.index_low <= u.index <= u.index_high
    assert "西区窗口排队太久" not in html  # comments only after close
    assert SurveyResult.objects.count() == 0  # nothing frozen while open


def test_closed_results_are_the_frozen_rows_with_comments(world):
    ts = answered(world)
    services.close_survey(ts.survey, acting_user=ts.manager)
    body = client_for(world.users["office"]).get(f"/surveys/{ts.survey.pk}/results/")
    html = body.content.decode()
    assert 'data-state="final"' in html
    frozen = SurveyResult.objects.get(survey=ts.survey, unit=world.d2, group=None)
    figure = next(u for u in body.context["results"].units if u.unit.code == "D02")
    assert (figure.index, figure.index_low, figure.index_high) == (
        frozen.index,
        frozen.index_low,
        frozen.index_high,
    )
    assert figure.rate == frozen.satisfaction_rate
    for text in ("西区窗口排队太久", "东区服务好", "希望多公开信息"):
        assert text in html
    assert body.context["results"].responses == 18


def test_a_unit_sees_its_own_figures_and_comments_only(world):
    ts = answered(world)
    services.close_survey(ts.survey, acting_user=ts.manager)
    reporter = client_for(world.users["d1_reporter"])
    own = reporter.get(f"/surveys/{ts.survey.pk}/units/D01/")
    assert own.status_code == 200
    html = own.content.decode()
    assert "东区服务好" in html and "西区窗口排队太久" not in html
    assert "希望多公开信息" not in html  # a comment on the whole questionnaire is the office's
    assert [u.unit.code for u in own.context["results"].units] == ["D01"]
    assert reporter.get(f"/surveys/{ts.survey.pk}/units/D02/").status_code == 404
    assert reporter.get(f"/surveys/{ts.survey.pk}/results/").status_code == 404
    assert reporter.get(f"/surveys/{ts.survey.pk}/results/export.xlsx").status_code == 404
    listed = reporter.get("/surveys/results/").content.decode()
    assert f"/surveys/{ts.survey.pk}/units/D01/" in listed
    assert f"/surveys/{ts.survey.pk}/units/D02/" not in listed
    assert (
        client_for(world.users["nobody"]).get(f"/surveys/{ts.survey.pk}/units/D01/").status_code
        == 404
    )


def test_a_unit_sees_its_provisional_figures_while_open(world):
    ts = answered(world)
    page = client_for(world.users["d1_reporter"]).get(f"/surveys/{ts.survey.pk}/units/D01/")
    assert page.status_code == 200
    assert 'data-state="provisional"' in page.content.decode()
    assert [u.unit.code for u in page.context["results"].units] == ["D01"]


def test_the_excel_export_has_units_by_groups_intervals_and_comments(world):
    ts = answered(world)
    services.close_survey(ts.survey, acting_user=ts.manager)
    answer = client_for(world.users["auditor"]).get(f"/surveys/{ts.survey.pk}/results/export.xlsx")
    assert answer.status_code == 200
    book = load_workbook(io.BytesIO(answer.content))
    sheet = book["结果 results"]
    header = [c.value for c in sheet[1]]
    rows = {
        r[0]: dict(zip(header, r, strict=True))
        for r in sheet.iter_rows(min_row=2, values_only=True)
    }
    assert set(rows) == {"D01", "D02"}
    for unit in (world.d1, world.d2):
        frozen = SurveyResult.objects.get(survey=ts.survey, unit=unit, group=None)
        row = rows[unit.code]
        assert row["满意度指数 index"] == round(frozen.index, 2)
        assert row["指数下限 index low 95%"] == round(frozen.index_low, 2)
        assert row["指数上限 index high 95%"] == round(frozen.index_high, 2)
        assert row["满意率% rate"] == round(frozen.satisfaction_rate * 100, 2)
        for group in (ts.coded, ts.open):
            cell = SurveyResult.objects.get(survey=ts.survey, unit=unit, group=group)
            assert row[f"{group.name_zh} 回答 {group.code} answers"] == cell.answers
            assert row[f"{group.name_zh} 满意率% {group.code} rate"] == (
                None if cell.satisfaction_rate is None else round(cell.satisfaction_rate * 100, 2)
            )
    comments = [r for r in book["意见 comments"].iter_rows(min_row=2, values_only=True)]
    assert sorted(r[4] for r in comments) == sorted(
        ["西区窗口排队太久", "东区服务好", "希望多公开信息"]
    )


def test_the_api_gives_the_frozen_figures_in_scope(world):
    ts = answered(world)
    services.close_survey(ts.survey, acting_user=ts.manager)
    office = client_for(world.users["office"]).get(
        "/api/v1/survey-results/", {"survey": ts.survey.pk, "index": "true"}
    )
    assert office.status_code == 200
    rows = office.json()["results"]
    assert [(r["unit"], r["group"]) for r in rows] == [("D01", None), ("D02", None)]
    frozen = SurveyResult.objects.get(survey=ts.survey, unit=world.d1, group=None)
    assert rows[0]["index"] == frozen.index and rows[0]["index_low"] == frozen.index_low
    mine = client_for(world.users["d1_reporter"]).get("/api/v1/survey-results/").json()
    assert {r["unit"] for r in mine["results"]} == {"D01"}
    other = SurveyResult.objects.get(survey=ts.survey, unit=world.d2, group=None)
    assert (
        client_for(world.users["d1_reporter"])
        .get(f"/api/v1/survey-results/{other.pk}/")
        .status_code
        == 404
    )
