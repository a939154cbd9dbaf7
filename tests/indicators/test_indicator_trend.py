"""Trend and foresight on the indicator page and its API: one unit's full-year values and the
next year's value with its 80% range — the office's target suggestion when there is one, else
the target suggestions' engine forecast — for the units the user may see only."""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np
import pytest
from django.test import Client

from kaohe.engine.forecast import suggest_targets
from kaohe.goals import services as goal_services
from kaohe.goals.models import TargetSuggestion
from kaohe.observations.models import Source
from kaohe.observations.services import ValueRow, record_observations
from kaohe.schemes import services as scheme_services

pytestmark = pytest.mark.django_db

GDP = {"D01": (1000, 1080, 1140, 1235), "D02": (700, 745, 770, 812)}
YEARS = (2021, 2022, 2023, 2024)


@pytest.fixture
def history(world):  # type: ignore[no-untyped-def]
    """Four full years of GDP for both districts (the world's cycle 2025 has quarters only)."""
    for year in YEARS:
        scheme_services.create_cycle(acting_user=world.admin, year=year)
    record_observations(
        [
            ValueRow(unit, "gdp", f"{year}Y", value)
            for unit, values in GDP.items()
            for year, value in zip(YEARS, values, strict=True)
        ],
        acting_user=world.admin,
        source=Source.IMPORT,
    )
    return world


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def trend(client: Client, query: str = "") -> Any:
    return client.get(f"/api/v1/indicators/gdp/trend/{query}")


def engine_forecast() -> tuple[float, float, float]:
    """What the engine says for the East District's next GDP, batched with its peer."""
    grid = np.full((2, 5), np.nan)
    grid[0, 1:] = GDP["D01"]
    grid[1, 1:] = GDP["D02"]
    result = suggest_targets(grid, list(range(2020, 2025)), horizon=1, direction="higher")
    return float(result.target[0]), float(result.low[0]), float(result.high[0])


def test_the_api_gives_the_history_and_the_engine_forecast(history):  # type: ignore[no-untyped-def]
    office = client_for(history.users["office"])
    response = trend(office, "?unit=D01")
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["indicator"], data["unit"], data["units"]) == ("gdp", "D01", ["D01", "D02"])
    assert data["history"] == [
        {"period": f"{y}Y", "value": float(v)} for y, v in zip(YEARS, GDP["D01"], strict=True)
    ]
    f = data["foresight"]
    assert (f["period"], f["source"], f["coverage"], f["state"]) == ("2025Y", "forecast", 0.8, "")
    value, low, high = engine_forecast()
    assert f["value"] == pytest.approx(value) and 1235 < value < 1400
    assert (f["low"], f["high"]) == (pytest.approx(low), pytest.approx(high))
    assert f["low"] < f["value"] < f["high"]
    assert f["reason"] and f["method"] and f["target_set"] is None


def test_the_office_suggestion_is_shown_when_there_is_one(history):  # type: ignore[no-untyped-def]
    office = client_for(history.users["office"])
    forecast = trend(office, "?unit=D01").json()["foresight"]
    goal_services.suggest_district_targets(history.cycle, acting_user=history.users["office"])
    stored = TargetSuggestion.objects.get(unit=history.d1, indicator__code="gdp")
    f = trend(office, "?unit=D01").json()["foresight"]
    assert (f["source"], f["period"], f["state"]) == ("suggestion", "2025Y", "suggested")
    assert (f["value"], f["low"], f["high"]) == (stored.target, stored.low, stored.high)
    # the same series, the same engine: the forecast before was the suggestion now
    assert f["value"] == pytest.approx(forecast["value"])
    assert (f["low"], f["high"]) == (
        pytest.approx(forecast["low"]),
        pytest.approx(forecast["high"]),
    )
    goal_services.adjust_suggestion(
        stored, acting_user=history.users["office"], value="1300", reason="规划目标"
    )
    f = trend(office, "?unit=D01").json()["foresight"]
    assert (f["state"], f["target_set"]) == ("adjusted", 1300.0)


def test_a_unit_out_of_scope_is_not_found(history):  # type: ignore[no-untyped-def]
    reporter = client_for(history.users["d1_reporter"])
    assert trend(reporter, "?unit=D02").status_code == 404
    assert trend(reporter, "?unit=NOPE").status_code == 404
    own = trend(reporter).json()  # no unit asked for: the first the reporter may see
    assert (own["unit"], own["units"]) == ("D01", ["D01"])
    assert [p["value"] for p in own["history"]] == [1000.0, 1080.0, 1140.0, 1235.0]
    # the bureau is responsible for GDP: it sees the series of every district
    bureau = client_for(history.users["stats_reporter"])
    assert [p["value"] for p in trend(bureau, "?unit=D02").json()["history"]] == [
        700.0,
        745.0,
        770.0,
        812.0,
    ]
    assert trend(client_for(history.users["nobody"]), "?unit=D01").status_code == 404
    assert trend(client_for(history.users["nobody"])).json()["unit"] is None


def test_a_short_series_has_no_foresight(world):  # type: ignore[no-untyped-def]
    scheme_services.create_cycle(acting_user=world.admin, year=2024)
    record_observations(
        [ValueRow("D01", "gdp", "2024Y", 1100)], acting_user=world.admin, source=Source.IMPORT
    )
    data = trend(client_for(world.users["office"]), "?unit=D01").json()
    assert data["history"] == [{"period": "2024Y", "value": 1100.0}]
    assert data["foresight"] is None


def chart(html: str, chart_id: str) -> dict[str, Any]:
    found = re.search(rf'<script id="{chart_id}" type="application/json">(.*?)</script>', html)
    assert found, f"no chart {chart_id}"
    return json.loads(found.group(1))


def test_the_page_shows_the_history_and_the_range(history):  # type: ignore[no-untyped-def]
    office = client_for(history.users["office"])
    response = office.get("/indicators/gdp/?unit=D02", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-unit="D02"' in html
    for value in ("700.00", "745.00", "770.00", "812.00"):
        assert value in html
    api = trend(office, "?unit=D02").json()["foresight"]
    option = chart(html, "chart-trend")
    lines = [s["data"] for s in option["series"] if s["type"] == "line"]
    target, decided = (s["data"] for s in option["series"] if s["type"] == "scatter")
    assert lines[-1] == [700.0, 745.0, 770.0, 812.0, None]
    assert target[-1] == round(api["value"], 2) and decided[-1] is None
    target = target[-1]
    band_low, band_width = (s["data"][-1] for s in option["series"][:2])
    assert band_low == round(api["low"], 2) and band_low <= target <= band_low + band_width
    assert option["xAxis"]["data"][-1] == "2025"
    row = re.search(r'<tr class="foresight" data-period="2025Y">(.*?)</tr>', html, re.S)
    assert row and f"{api['value']:.2f}" in row.group(1)
    assert f"{api['low']:.2f} – {api['high']:.2f}" in row.group(1)


def test_the_page_shows_no_unit_out_of_scope(history):  # type: ignore[no-untyped-def]
    reporter = client_for(history.users["d1_reporter"])
    html = reporter.get("/indicators/gdp/?unit=D02").content.decode()
    assert "data-unit=" not in html and 'id="chart-trend"' not in html
    for value in ("700.00", "745.00", "770.00", "812.00"):
        assert value not in html
    assert '<option value="D02"' not in html
    own = reporter.get("/indicators/gdp/").content.decode()
    assert 'data-unit="D01"' in own and "1235.00" in own
    assert '<option value="D01" selected>' in own and '<option value="D02"' not in own
