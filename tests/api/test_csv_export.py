"""CSV on the API lists: the same rows, filters, scope and order as the JSON list, every row
(not one page), UTF-8 with a byte-order mark, formula-safe cells, a file name; and the table
writer's rules (dotted columns, joined lists) on their own."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator

from kaohe.core.tables import CsvTable, cell_text, flatten
from kaohe.observations.models import Observation, Source
from kaohe.observations.services import ValueRow, record_observations
from kaohe.units import services as unit_services
from kaohe.units.models import Post

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def csv_rows(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff"), "Excel needs the byte-order mark to read UTF-8"
    return list(csv.DictReader(io.StringIO(text[1:])))


def json_rows(client: Client, url: str) -> list[dict[str, Any]]:
    response = client.get(url, {"limit": 1000})
    assert response.status_code == 200, response.content
    return response.json()["results"]


@pytest.fixture
def many_posts(world):  # type: ignore[no-untyped-def]
    """130 posts in the East District (more than a page of 100), one in the West."""
    for i in range(130):
        unit_services.create_post(
            acting_user=world.admin,
            unit=world.d1,
            code=f"D01-P{i:03d}",
            title_zh=f"科员{i}",
            rank="staff",
        )
    return world


def test_a_scoped_list_gives_each_role_exactly_its_rows(world):  # type: ignore[no-untyped-def]
    seen = {}
    for role in ("d1_reporter", "d2_reporter", "stats_reporter", "office"):
        client = client_for(world.users[role])
        rows = csv_rows(client.get("/api/v1/observations/", {"format": "csv"}))
        assert [r["id"] for r in rows] == [
            str(o["id"]) for o in json_rows(client, "/api/v1/observations/")
        ]
        seen[role] = sorted({r["unit"] for r in rows})
        own = {"d1_reporter": world.d1, "d2_reporter": world.d2}.get(role)
        if own is not None:  # exactly the district's values, every one of them
            expected = Observation.objects.filter(unit=own).values_list("pk", flat=True)
            assert sorted(int(r["id"]) for r in rows) == sorted(expected)
            assert len(rows) == 8
    assert seen == {
        "d1_reporter": ["D01"],
        "d2_reporter": ["D02"],
        # the bureau is responsible for the indicators: it sees them for every district
        "stats_reporter": ["D01", "D02"],
        "office": ["D01", "D02"],
    }


def test_filters_and_order_are_the_json_lists(world):  # type: ignore[no-untyped-def]
    office = client_for(world.users["office"])
    query = {"indicator": "gdp", "period": "2025Q1"}
    rows = csv_rows(office.get("/api/v1/observations/", {**query, "format": "csv"}))
    assert [(r["unit"], r["indicator"], r["period"], r["value"]) for r in rows] == [
        ("D01", "gdp", "2025Q1", "1200.500000"),
        ("D02", "gdp", "2025Q1", "860.250000"),
    ]
    reporter = client_for(world.users["d1_reporter"])
    rows = csv_rows(reporter.get("/api/v1/observations/", {**query, "format": "csv"}))
    assert [r["unit"] for r in rows] == ["D01"]
    # a unit out of the reporter's scope is refused as in the JSON list
    refused = reporter.get("/api/v1/observations/", {"unit": "D02", "format": "csv"})
    assert refused.status_code == 400 and b"D02" not in refused.content


def test_accept_header_asks_for_csv_too_and_names_the_file(world):  # type: ignore[no-untyped-def]
    office = client_for(world.users["office"])
    response = office.get("/api/v1/units/", HTTP_ACCEPT="text/csv")
    rows = csv_rows(response)
    assert [r["code"] for r in rows] == ["CITY", "D01", "D02", "DEPT_TJJ", "DEPT_TJJ-01"]
    assert rows[1]["name_zh"] == "东区" and rows[1]["is_assessed"] == "true"
    assert rows[1]["parent"] == "CITY" and rows[0]["parent"] == ""
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="kaohe-units-')
    assert disposition.endswith('.csv"')
    # JSON stays the default
    assert office.get("/api/v1/units/")["Content-Type"] == "application/json"


def test_every_row_is_exported_not_one_page(many_posts):  # type: ignore[no-untyped-def]
    world = many_posts
    reporter = client_for(world.users["d1_reporter"])
    assert reporter.get("/api/v1/posts/").json()["count"] == 131
    assert len(reporter.get("/api/v1/posts/").json()["results"]) == 100
    rows = csv_rows(reporter.get("/api/v1/posts/", {"format": "csv", "limit": 5, "offset": 7}))
    expected = list(
        Post.objects.filter(unit=world.d1)
        .order_by(*Post._meta.ordering or ["pk"])
        .values_list("code", flat=True)
    )
    assert len(rows) == 131 and {r["unit"] for r in rows} == {"D01"}
    assert [r["code"] for r in rows] == [p["code"] for p in json_rows(reporter, "/api/v1/posts/")]
    assert sorted(r["code"] for r in rows) == sorted(expected)
    office = client_for(world.users["office"])
    assert len(csv_rows(office.get("/api/v1/posts/", {"format": "csv"}))) == 132


def test_past_the_bound_the_export_is_refused(many_posts, settings):  # type: ignore[no-untyped-def]
    settings.KAOHE_CSV_MAX_ROWS = 100
    office = client_for(many_posts.users["office"])
    refused = office.get("/api/v1/posts/", {"format": "csv"})
    assert refused.status_code == 400
    assert "132" in refused.content.decode("utf-8")
    assert "Content-Disposition" not in refused
    narrowed = office.get("/api/v1/posts/", {"format": "csv", "unit": "D02"})
    assert len(csv_rows(narrowed)) == 1


def test_formulas_are_neutralised_and_numbers_kept(world):  # type: ignore[no-untyped-def]
    for code, title in (("F1", '=HYPERLINK("http://x","y")'), ("F2", "+1+1"), ("F3", "@SUM(A1)")):
        unit_services.create_post(
            acting_user=world.admin, unit=world.d2, code=code, title_zh=title, rank="staff"
        )
    record_observations(
        [ValueRow("D02", "gdp_growth", "2025Q3", "-2.5")],
        acting_user=world.admin,
        source=Source.IMPORT,
    )
    office = client_for(world.users["office"])
    titles = {
        r["code"]: r["title_zh"]
        for r in csv_rows(office.get("/api/v1/posts/", {"format": "csv", "unit": "D02"}))
    }
    assert titles["F1"] == '\'=HYPERLINK("http://x","y")'
    assert titles["F2"] == "'+1+1" and titles["F3"] == "'@SUM(A1)"
    assert titles["D02-HEAD"] == "区长"
    values = csv_rows(
        office.get("/api/v1/observations/", {"format": "csv", "unit": "D02", "period": "2025Q3"})
    )
    # a negative number is a number, not a formula: it stays as the JSON list gives it
    assert [(r["indicator"], r["value"]) for r in values] == [("gdp_growth", "-2.500000")]


def test_only_lists_answer_csv(world):  # type: ignore[no-untyped-def]
    office = client_for(world.users["office"])
    assert office.get("/api/v1/units/D01/", {"format": "csv"}).status_code == 404
    assert office.get("/api/v1/units/D01/", HTTP_ACCEPT="text/csv").status_code == 406
    versions = f"/api/v1/observations/{world.obs_d1.pk}/versions/"
    assert office.get(versions, HTTP_ACCEPT="text/csv").status_code == 406


def test_the_schema_documents_csv_on_the_lists_only() -> None:
    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    listing = paths["/api/v1/observations/"]["get"]
    assert set(listing["responses"]["200"]["content"]) == {"application/json", "text/csv"}
    assert listing["responses"]["200"]["content"]["text/csv"]["schema"]["type"] == "string"
    formats = [p for p in listing["parameters"] if p["name"] == "format"]
    assert formats and sorted(formats[0]["schema"]["enum"]) == ["csv", "json"]
    detail = paths["/api/v1/observations/{id}/"]["get"]
    assert set(detail["responses"]["200"]["content"]) == {"application/json"}
    assert all(p["name"] != "format" for p in detail.get("parameters", []))


# --- the table writer ---------------------------------------------------------------------


def test_nested_values_become_dotted_columns_and_lists_are_joined() -> None:
    assert flatten({"p5": 1, "p95": {"x": None}}, "robustness") == {
        "robustness.p5": "1",
        "robustness.p95.x": "",
    }
    assert flatten(["top3", "=bad"], "flags") == {"flags": "top3; '=bad"}
    assert flatten([{"a": 1}], "changes") == {"changes": '[{"a":1}]'}
    assert [cell_text(v) for v in (None, True, 2, 0.5, float("nan"), "-3.25", "-3+2")] == [
        "",
        "true",
        "2",
        "0.5",
        "",
        "-3.25",
        "'-3+2",
    ]


def test_a_table_keeps_the_field_order_and_finds_late_keys() -> None:
    table = CsvTable(["id", "robustness", "name"])
    table.add({"id": 1, "robustness": None, "name": "东区"})
    table.add({"id": 2, "robustness": {"p5": 1, "p95": 3}, "name": "=x"})
    text = table.render().decode("utf-8")
    assert text.startswith("\ufeff")
    assert list(csv.reader(io.StringIO(text[1:]))) == [
        ["id", "robustness.p5", "robustness.p95", "name"],
        ["1", "", "", "东区"],
        ["2", "1", "3", "'=x"],
    ]
    empty = CsvTable(["id", "name"]).render().decode("utf-8")
    assert empty == "\ufeffid,name\r\n"
