"""The CSV door through the page: the CSV template, a refused file names the row, field and rule
and stores nothing, a good file goes through the pipeline with source "csv", twice is once."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from kaohe.observations.csvfile import TEMPLATE_COLUMNS
from kaohe.observations.models import IngestionBatch, Observation, ObservationVersion

pytestmark = pytest.mark.django_db

HEADER = "unit,indicator,period,value,reason\r\n"
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}


def login(world, username="stats_reporter"):  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(world.users[username])
    return client


def csv_template(client):  # type: ignore[no-untyped-def]
    response = client.get("/observations/upload/?period=2025Q3&template=csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="kaohe-2025Q3.csv"' in response["Content-Disposition"]
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))


def filled(table, values):  # type: ignore[no-untyped-def]
    """The template with values filled in, as a spreadsheet saves it (UTF-8 with a BOM)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(table[0])
    for row in table[1:]:
        writer.writerow([*row[:5], values.get((row[0], row[2]), ""), row[6]])
    return out.getvalue().encode("utf-8-sig")


def upload(client, data, name="tjj-2025Q3.csv", reason="", **headers):  # type: ignore[no-untyped-def]
    return client.post(
        "/observations/upload/",
        {"period": "2025Q3", "file": SimpleUploadedFile(name, data), "reason": reason},
        **headers,
    )


def counts():  # type: ignore[no-untyped-def]
    return (
        Observation.objects.count(),
        ObservationVersion.objects.count(),
        IngestionBatch.objects.count(),
    )


def error_rows(response):  # type: ignore[no-untyped-def]
    """(row, field, rule, value) of every error on the result page."""
    return [
        (e["row"], e["field"], e["rule"], e["value"]) for e in response.context.get("errors") or []
    ]


def test_the_csv_template_lists_every_unit_and_indicator(world):  # type: ignore[no-untyped-def]
    table = csv_template(login(world))
    assert tuple(table[0]) == TEMPLATE_COLUMNS
    pairs = {(row[0], row[2]) for row in table[1:]}
    indicators = {"gdp", "gdp_growth", "fiscal_revenue", "tax_revenue"}
    assert pairs == {(u, i) for u in ("D01", "D02") for i in indicators}
    assert all(row[4] == "2025Q3" and row[5] == "" for row in table[1:])
    # a unit reporter's template holds its own unit only
    assert {row[0] for row in csv_template(login(world, "d1_reporter"))[1:]} == {"D01"}


def test_a_good_csv_is_stored_with_source_csv_and_twice_is_once(world):  # type: ignore[no-untyped-def]
    client = login(world)
    table = csv_template(client)
    data = filled(
        table, {("D01", "gdp"): "1900.5", ("D02", "gdp"): "-3.5", ("D01", "gdp_growth"): 7}
    )
    before = counts()
    response = upload(client, data)
    assert response.status_code == 200 and not response.context.get("errors")
    batch = IngestionBatch.objects.get()
    assert (batch.source, batch.created, batch.file_name) == ("csv", 3, "tjj-2025Q3.csv")
    d2_gdp = Observation.objects.get(
        unit=world.d2, indicator__code="gdp", time_node__period="2025Q3"
    )
    assert d2_gdp.value == pytest.approx(-3.5)
    assert d2_gdp.versions.get().source == "csv"
    after = counts()
    assert after == (before[0] + 3, before[1] + 3, 1)

    again = upload(client, data)
    assert again.context["duplicate"] is True
    assert counts() == after


def test_one_wrong_cell_is_named_and_nothing_is_stored(world):  # type: ignore[no-untyped-def]
    client = login(world)
    table = csv_template(client)
    data = filled(table, {("D01", "gdp"): "1900.5", ("D02", "gdp"): "=1+2"})
    row = 1 + next(i for i, r in enumerate(table) if r[:3:2] == ["D02", "gdp"])
    before = counts()
    response = upload(client, data, **ENGLISH)
    [(shown_row, field, rule, value)] = error_rows(response)
    assert (shown_row, field, value) == (row, "value", "=1+2")
    assert rule.startswith("not a number")
    page = response.content.decode()
    assert "=1+2" in page and ("nothing was saved" in page or "未保存" in page)
    assert counts() == before


def test_a_pipeline_error_names_the_csv_row(world):  # type: ignore[no-untyped-def]
    """Range checks are the pipeline's; its errors come back numbered as the file's rows."""
    client = login(world)
    data = (
        HEADER
        + "D01,gdp,2025Q3,1900.5,\r\n"
        + "\r\n"
        + "D02,gdp_growth,2025Q3,5,\r\n"
        + "D02,gdp,2025Q3,-250,\r\n"  # the world's indicators have a minimum of -100
    ).encode()
    before = counts()
    errors = error_rows(upload(client, data, **ENGLISH))
    assert errors == [(5, "value", "below the lowest plausible value -100", "-250")]
    errors = error_rows(upload(client, data))  # the Chinese interface, the default
    assert errors == [(5, "数值", "低于合理下限-100", "-250")]
    assert counts() == before


def test_a_gb18030_file_from_chinese_excel_is_accepted(world):  # type: ignore[no-untyped-def]
    client = login(world)
    data = "单位代码,指标代码,报送期间,数值,原因\r\nD01,gdp,2025Q3,1888,统计局核定\r\n".encode(
        "gb18030"
    )
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    response = upload(client, data)
    assert not response.context.get("errors")
    version = ObservationVersion.objects.get(
        observation__unit=world.d1, observation__time_node__period="2025Q3"
    )
    assert (version.value, version.source, version.reason) == (1888, "csv", "统计局核定")


def test_binary_junk_named_csv_is_refused_clearly(world):  # type: ignore[no-untyped-def]
    client = login(world)
    before = counts()
    junk = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))
    response = upload(client, junk, name="values.csv", **ENGLISH)
    assert error_rows(response) == [
        (0, "file", "not a text file (it holds binary data): save the sheet as CSV", "")
    ]
    assert counts() == before


def test_a_missing_header_column_is_refused_clearly(world):  # type: ignore[no-untyped-def]
    client = login(world)
    before = counts()
    response = upload(client, b"unit,indicator,value\r\nD01,gdp,1\r\n", **ENGLISH)
    assert error_rows(response) == [(1, "header", "required column missing", "period")]
    assert "required column missing" in response.content.decode()
    page = upload(client, b"unit,indicator,value\r\nD01,gdp,1\r\n").content.decode()
    assert "缺少必填列" in page and "required column missing" not in page
    assert counts() == before


def test_a_district_reporter_cannot_store_another_districts_values(world):  # type: ignore[no-untyped-def]
    client = login(world, "d1_reporter")
    before = counts()
    data = (HEADER + "D01,gdp,2025Q3,1900,\r\nD02,gdp,2025Q3,1,\r\n").encode()
    response = upload(client, data, **ENGLISH)
    assert error_rows(response) == [(3, "unit", "not one of the units of your template", "D02")]
    assert counts() == before
    assert not Observation.objects.filter(time_node__period="2025Q3").exists()


def test_the_page_offers_both_templates_and_takes_csv(world):  # type: ignore[no-untyped-def]
    page = login(world).get("/observations/upload/").content.decode()
    assert 'value="csv"' in page and 'accept=".xlsx,.csv"' in page
