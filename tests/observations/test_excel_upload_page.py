"""The Excel door through the page: template per responsible department, a refused file names
every bad cell and stores nothing, a corrected file goes through the pipeline, twice is once."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from kaohe.observations.excel import DATA_SHEET
from kaohe.observations.models import IngestionBatch, Observation

pytestmark = pytest.mark.django_db


def statistics_bureau(world):  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(world.users["stats_reporter"])
    return client


def filled_template(client, values):  # type: ignore[no-untyped-def]
    response = client.get("/observations/upload/?period=2025Q3&template=1")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook[DATA_SHEET]
    header = {cell.value: cell.column for cell in sheet[2] if cell.value}
    rows = {sheet.cell(row=r, column=1).value: r for r in range(4, sheet.max_row + 1)}
    for (unit, code), value in values.items():
        sheet.cell(row=rows[unit], column=header[code], value=value)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue(), header, rows


def upload(client, data, name="tjj-2025Q3.xlsx", **headers):  # type: ignore[no-untyped-def]
    return client.post(
        "/observations/upload/",
        {"period": "2025Q3", "file": SimpleUploadedFile(name, data)},
        **headers,
    )


def test_one_wrong_cell_refuses_the_file_then_the_fixed_file_goes_in(world):  # type: ignore[no-untyped-def]
    client = statistics_bureau(world)
    values = {("D01", "gdp"): 1900.5, ("D02", "gdp"): "一千四", ("D01", "gdp_growth"): 7.1}
    data, header, _ = filled_template(client, values)
    assert set(header) >= {"gdp", "gdp_growth", "fiscal_revenue", "tax_revenue"}
    refused = upload(client, data).content.decode()
    assert "nothing was saved" in refused or "未保存" in refused
    assert "一千四" in refused
    assert not Observation.objects.filter(time_node__period="2025Q3").exists()
    assert not IngestionBatch.objects.exists()
    values[("D02", "gdp")] = 1400
    fixed, _, _ = filled_template(client, values)
    accepted = upload(client, fixed)
    assert accepted.status_code == 200
    batch = IngestionBatch.objects.get()
    assert (batch.source, batch.created, batch.file_name) == ("excel", 3, "tjj-2025Q3.xlsx")
    assert (
        Observation.objects.get(
            unit=world.d2, indicator__code="gdp", time_node__period="2025Q3"
        ).value
        == 1400
    )
    upload(client, fixed)  # the same file again changes nothing
    assert IngestionBatch.objects.count() == 1


def test_a_non_excel_file_is_refused_clearly(world):  # type: ignore[no-untyped-def]
    client = statistics_bureau(world)
    page = upload(client, b"unit,gdp\nD01,1\n", name="values.xlsx").content.decode()
    assert "xlsx" in page.lower()
    assert not IngestionBatch.objects.exists()


def test_a_unit_reporter_gets_its_own_unit_only(world):  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(world.users["d1_reporter"])
    response = client.get("/observations/upload/?period=2025Q3&template=1")
    sheet = load_workbook(io.BytesIO(response.content))[DATA_SHEET]
    units = [sheet.cell(row=r, column=1).value for r in range(4, sheet.max_row + 1)]
    assert [u for u in units if u] == ["D01"]


def test_a_pipeline_error_names_the_sheet_row_and_column(world):  # type: ignore[no-untyped-def]
    """Range checks are the pipeline's, which numbers a batch's rows 1, 2, …; the page shows
    them as the sheet's row and the indicator's column letter."""
    client = statistics_bureau(world)
    data, header, rows = filled_template(client, {("D01", "gdp"): 1, ("D02", "gdp"): -250})
    response = upload(client, data, HTTP_ACCEPT_LANGUAGE="en")
    errors = [(e["row"], e["field"], e["rule"], e["value"]) for e in response.context["errors"]]
    letter = get_column_letter(header["gdp"])
    assert errors == [(rows["D02"], letter, "below the lowest plausible value -100", "-250")]
    assert not IngestionBatch.objects.exists()


def test_the_accepted_file_shows_values_growth_and_warnings_at_once(world):  # type: ignore[no-untyped-def]
    from kaohe.flows.ingest import ingest
    from kaohe.monitoring.services import save_rule
    from kaohe.observations.services import ValueRow
    from kaohe.schemes import services as scheme_services

    save_rule(
        acting_user=world.admin,
        code="tax_within_fiscal",
        name_zh="税收不超过财政收入",
        name_en="Tax within fiscal revenue",
        spec={"kind": "cross_check", "expression": "tax_revenue <= fiscal_revenue"},
    )
    last_year = scheme_services.create_cycle(acting_user=world.admin, year=2024)
    assert last_year.time_nodes.filter(period="2024Q3").exists()
    ingest([ValueRow("D01", "gdp", "2024Q3", "1000")], acting_user=world.admin, source="import")
    client = statistics_bureau(world)
    values = {("D01", "fiscal_revenue"): 100, ("D01", "tax_revenue"): 118, ("D01", "gdp"): 1900}
    data, _, _ = filled_template(client, values)
    response = client.post(
        "/observations/upload/",
        {"period": "2025Q3", "file": SimpleUploadedFile("tjj.xlsx", data)},
        HTTP_HX_REQUEST="true",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    page = response.content.decode()
    assert "Tax within" not in page  # the message, not the rule name, is shown
    assert "fails the cross-check" in page  # the warning raised by this very file
    assert page.count('class="batch-rows"') == 1
    assert "税收占比" in page  # the derived share, recomputed on arrival
    assert ">90.0<" in page  # GDP 1900 against 1000 a year earlier: +90.0 %
    # the statistics bureau sees the warning its file raised, but answering is the district's
    warning = response.context["warnings"][0]
    detail = client.get(f"/monitoring/warnings/{warning.pk}/")
    assert detail.status_code == 200


def test_a_refused_file_is_explained_in_the_users_language(world):  # type: ignore[no-untyped-def]
    """The parser's rule texts are English (the API keys on them); the page translates them."""
    client = statistics_bureau(world)
    data, header, rows = filled_template(client, {("D02", "gdp"): "一千四"})
    cell = f"{get_column_letter(header['gdp'])}{rows['D02']}"
    chinese = upload(client, data)  # no Accept-Language: the default, zh-hans
    page = chinese.content.decode()
    assert "不是数字：请填写普通十进制数" in page
    assert "not a number" not in page
    [error] = chinese.context["errors"]
    assert (error["row"], error["field"], error["value"]) == (rows["D02"], cell[0], "一千四")
    english = upload(client, data, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "not a number: enter a plain decimal number" in english
    assert "不是数字" not in english
    assert not IngestionBatch.objects.exists()


def test_a_refused_csv_row_names_its_fields_in_chinese(world):  # type: ignore[no-untyped-def]
    client = statistics_bureau(world)
    data = b"unit,indicator,period,value\r\nD09,gdp,2025Q3,1\r\n"
    response = upload(client, data, name="values.csv")
    errors = [(e["row"], e["field"], e["rule"], e["value"]) for e in response.context["errors"]]
    assert errors == [(2, "单位", "不是您模板中的单位", "D09")]
