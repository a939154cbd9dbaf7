"""No value the catalogue forbids is stored, whatever the door: the kind and range of an
indicator, its grades, its frequency, who reports it, the cycle's state, and one reading of a
number for JSON, Excel and CSV alike."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from kaohe.core.errors import BatchRejected
from kaohe.flows.ingest import ingest
from kaohe.indicators import services as indicator_services
from kaohe.indicators import values
from kaohe.observations import messages as rules
from kaohe.observations.excel import DATA_SHEET
from kaohe.observations.models import IngestionBatch, Observation, Source
from kaohe.observations.services import ValueRow
from kaohe.schemes import services as scheme_services
from kaohe.schemes.models import Cycle
from kaohe.units import services as unit_services
from kaohe.units.models import Unit

pytestmark = pytest.mark.django_db


def office_indicator(world, code, **fields):  # type: ignore[no-untyped-def]
    """An indicator the office records (a rating, a survey figure, an event count)."""
    office = Unit.objects.filter(code="OFFICE").first() or unit_services.create_unit(
        acting_user=world.admin,
        code="OFFICE",
        name_zh="考核办",
        kind="department",
        parent=world.city,
    )
    fields.setdefault("frequency", "annual")
    return indicator_services.create_indicator(
        acting_user=world.admin,
        code=code,
        name_zh=code,
        responsible_department=office,
        **fields,
    )


def refused(world, rows, user="office"):  # type: ignore[no-untyped-def]
    """The errors a batch is refused with, as (row, field, rule); nothing may be stored."""
    before = Observation.objects.count()
    with pytest.raises(BatchRejected) as caught:
        ingest(rows, acting_user=world.users[user], source=Source.API)
    assert Observation.objects.count() == before
    return [(e.row, e.field, e.rule) for e in caught.value.errors]


def post_file(client, name, data):  # type: ignore[no-untyped-def]
    """The upload page, in English, for 2025Q3."""
    return client.post(
        "/observations/upload/",
        {"period": "2025Q3", "file": SimpleUploadedFile(name, data)},
        HTTP_ACCEPT_LANGUAGE="en",
    )


def saved(workbook) -> bytes:  # type: ignore[no-untyped-def]
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def api(client, rows):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/observations/", {"rows": rows}, content_type="application/json")


# --- kinds and ranges ----------------------------------------------------------------------


def test_a_percentage_stays_within_0_to_100(world):  # type: ignore[no-untyped-def]
    office_indicator(world, "satisfaction", value_type="rate", min_value=0, max_value=100)
    assert refused(world, [ValueRow("D01", "satisfaction", "2025Y", 150)]) == [
        (1, "value", "above the highest plausible value 100")
    ]
    assert refused(world, [ValueRow("D01", "satisfaction", "2025Y", -0.5)]) == [
        (1, "value", "below the lowest plausible value 0")
    ]


def test_an_amount_is_not_negative_and_a_count_is_whole(world):  # type: ignore[no-untyped-def]
    indicator_services.update_indicator(
        world.indicators["fiscal_revenue"], acting_user=world.admin, min_value=0, reason="金额"
    )
    office_indicator(world, "accidents", value_type="count")
    assert refused(
        world,
        [
            ValueRow("D01", "fiscal_revenue", "2025Q3", -20),
            ValueRow("D01", "accidents", "2025Y", 0.5),
            ValueRow("D02", "accidents", "2025Y", -5),
        ],
    ) == [
        (1, "value", "below the lowest plausible value 0"),
        (2, "value", values.NOT_WHOLE),
        (3, "value", values.NEGATIVE_COUNT),
    ]


def test_a_grade_is_one_of_the_indicators_labels(world):  # type: ignore[no-untyped-def]
    office_indicator(world, "reform_rating", value_type="grade", grade_labels=["A", "B", "C", "D"])
    labels = values.NOT_A_LABEL % {"labels": "A, B, C, D"}
    assert refused(
        world,
        [
            ValueRow("D01", "reform_rating", "2025Y", "优秀"),
            ValueRow("D02", "reform_rating", "2025Y", "x" * 40),
        ],
    ) == [(1, "value", labels), (2, "value", labels)]
    ingest(
        [ValueRow("D01", "reform_rating", "2025Y", " B ")],
        acting_user=world.users["office"],
        source=Source.API,
    )
    assert Observation.objects.get(indicator__code="reform_rating").text == "B"


def test_the_catalogue_refuses_a_grade_without_labels_or_a_range_upside_down(world):  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as no_labels:
        office_indicator(world, "rating", value_type="grade")
    assert "grade_labels" in no_labels.value.message_dict
    with pytest.raises(ValidationError) as too_long:
        indicator_services.create_indicator(
            acting_user=world.admin,
            code="rating2",
            name_zh="评价",
            value_type="grade",
            grade_labels=["A", "y" * 41],
        )
    assert "grade_labels" in too_long.value.message_dict
    with pytest.raises(ValidationError) as upside_down:
        indicator_services.create_indicator(
            acting_user=world.admin, code="share", name_zh="占比", min_value=100, max_value=0
        )
    assert "max_value" in upside_down.value.message_dict


# --- frequency, who reports, the cycle's state ---------------------------------------------


def test_an_annual_indicator_is_refused_for_a_quarter(world):  # type: ignore[no-untyped-def]
    office_indicator(world, "satisfaction", value_type="rate")
    assert refused(world, [ValueRow("D01", "satisfaction", "2025Q1", 90)]) == [
        (1, "period", rules.ANNUAL_ONLY)
    ]


def test_a_district_does_not_report_the_offices_ratings_of_itself(world, client):  # type: ignore[no-untyped-def]
    office_indicator(world, "major_accidents", value_type="count")
    office_indicator(world, "satisfaction", value_type="rate", min_value=0, max_value=100)
    client.force_login(world.users["d1_reporter"])
    response = api(
        client,
        [
            {"unit": "D01", "indicator": "major_accidents", "period": "2025Y", "value": 0},
            {"unit": "D01", "indicator": "satisfaction", "period": "2025Y", "value": 99},
            {"unit": "D01", "indicator": "gdp", "period": "2025Y", "value": 1900},
        ],
    )
    assert response.status_code == 400
    assert [(e["row"], e["field"], e["rule"]) for e in response.json()["errors"]] == [
        (1, "indicator", rules.DEPARTMENT_REPORTS),
        (2, "indicator", rules.DEPARTMENT_REPORTS),
    ]
    assert not Observation.objects.filter(time_node__period="2025Y").exists()


def test_a_department_does_not_judge_itself(world):  # type: ignore[no-untyped-def]
    """The statistics bureau rates the districts on its department-only indicator; it does not
    send its own rating of itself."""
    world.dept.is_assessed = True
    world.dept.save()
    indicator_services.create_indicator(
        acting_user=world.admin,
        code="data_quality",
        name_zh="数据质量评价",
        responsible_department=world.dept,
        frequency="annual",
    )
    rows = [
        ValueRow("D01", "data_quality", "2025Y", 90),
        ValueRow(world.dept.code, "data_quality", "2025Y", 100),
    ]
    assert refused(world, rows, user="stats_reporter") == [
        (2, "indicator", rules.NOT_ONE_S_OWN_JUDGE)
    ]


def test_an_unknown_code_and_another_districts_code_get_the_same_answer(world):  # type: ignore[no-untyped-def]
    rows = [ValueRow("D02", "gdp", "2025Q3", 1), ValueRow("D99", "gdp", "2025Q3", 1)]
    assert refused(world, rows, user="d1_reporter") == [
        (1, "unit", rules.NOT_YOUR_UNIT),
        (2, "unit", rules.NOT_YOUR_UNIT),
    ]
    # the office sees every unit: it is told plainly that a code doesn't exist
    assert refused(world, [ValueRow("D99", "gdp", "2025Q3", 1)]) == [
        (1, "unit", rules.UNKNOWN_UNIT)
    ]


def close(world) -> None:  # type: ignore[no-untyped-def]
    cycle = world.cycle
    while cycle.state != Cycle.State.CLOSED:
        cycle = scheme_services.advance_cycle(cycle, acting_user=world.admin, reason="年度结束")


def test_a_closed_cycle_takes_no_value_through_any_door(world, client):  # type: ignore[no-untyped-def]
    client.force_login(world.users["stats_reporter"])
    template = client.get("/observations/upload/?period=2025Q3&template=1").content
    close(world)
    row = ValueRow("D01", "gdp", "2025Q1", 1300, reason="更正")
    assert refused(world, [row]) == [(1, "period", rules.CYCLE_CLOSED)]
    response = api(
        client,
        [{"unit": "D01", "indicator": "gdp", "period": "2025Q3", "value": 1, "reason": "x"}],
    )
    assert response.json()["errors"][0]["rule"] == rules.CYCLE_CLOSED
    workbook = load_workbook(io.BytesIO(template))
    workbook[DATA_SHEET]["C4"] = 1900
    page = post_file(client, "a.xlsx", saved(workbook))
    # the page offers no period of a closed cycle; a post from a page opened before it closed
    # is refused with that reason
    assert page.status_code == 200
    assert "the cycle is closed: its values can no longer change" in page.content.decode()
    assert not IngestionBatch.objects.exists()


# --- one reading of a number ----------------------------------------------------------------

TEXTS = [
    ("1,2,3", values.NOT_A_NUMBER),
    ("1_000", values.NOT_A_NUMBER),
    ("１２", values.NOT_A_NUMBER),  # full-width digits
    ("١٢", values.NOT_A_NUMBER),  # Arabic-Indic digits
    ("1e3", values.NOT_A_NUMBER),
    ("12%", values.NOT_A_NUMBER),
    ("1.1234567", values.TOO_PRECISE),
]


@pytest.mark.parametrize(("text", "rule"), TEXTS)
def test_the_json_and_csv_doors_read_a_number_alike(world, client, text, rule):  # type: ignore[no-untyped-def]
    client.force_login(world.users["stats_reporter"])
    response = api(client, [{"unit": "D01", "indicator": "gdp", "period": "2025Q3", "value": text}])
    assert response.status_code == 400
    assert response.json()["errors"] == [{"row": 1, "field": "value", "rule": rule, "value": text}]
    csv_text = f'unit,indicator,period,value\nD01,gdp,2025Q3,"{text}"\n'.encode()
    page = post_file(client, "a.csv", csv_text)
    assert [(e["row"], e["rule"]) for e in page.context["errors"]] == [(2, rule)]
    assert not Observation.objects.filter(time_node__period="2025Q3").exists()


def test_a_json_number_past_six_places_is_refused_not_rounded(world, client):  # type: ignore[no-untyped-def]
    client.force_login(world.users["stats_reporter"])
    rows = [{"unit": "D01", "indicator": "gdp", "period": "2025Q3", "value": 1.1234567}]
    assert api(client, rows).json()["errors"][0]["rule"] == values.TOO_PRECISE
    rows[0]["value"] = 0.1 + 0.2  # 0.30000000000000004: the 0.3 a sheet shows
    assert api(client, rows).status_code == 201
    assert str(Observation.objects.get(time_node__period="2025Q3").value) == "0.300000"


def test_an_excel_upload_shows_cell_types_and_row_rules_in_one_answer(world, client):  # type: ignore[no-untyped-def]
    client.force_login(world.users["stats_reporter"])
    template = client.get("/observations/upload/?period=2025Q3&template=1").content
    workbook = load_workbook(io.BytesIO(template))
    sheet = workbook[DATA_SHEET]
    header = {cell.value: cell.column_letter for cell in sheet[2] if cell.value}
    rows = {sheet.cell(row=r, column=1).value: r for r in range(4, sheet.max_row + 1)}
    gdp, growth = header["gdp"], header["gdp_growth"]
    sheet[f"{gdp}{rows['D01']}"] = "一千九"  # a cell's type: the parser's rule
    sheet[f"{gdp}{rows['D02']}"] = -250  # the catalogue's range: the pipeline's rule
    sheet[f"{growth}{rows['D02']}"] = 5.5  # fine
    page = post_file(client, "a.xlsx", saved(workbook))
    assert [(e["row"], e["field"], e["rule"]) for e in page.context["errors"]] == [
        (rows["D01"], gdp, values.NOT_A_NUMBER),
        (rows["D02"], gdp, "below the lowest plausible value -100"),
    ]
    assert not IngestionBatch.objects.exists()
