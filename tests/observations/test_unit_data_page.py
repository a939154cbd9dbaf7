"""The unit data page: values with growth, and the web form door through the pipeline."""

from __future__ import annotations

import pytest
from django.test import Client

from kaohe.observations.models import IngestionBatch, Observation

pytestmark = pytest.mark.django_db


def signed_in(user):  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def test_the_form_goes_through_the_pipeline_and_reports_errors_per_value(world):  # type: ignore[no-untyped-def]
    client = signed_in(world.users["d1_reporter"])
    page = client.get("/observations/units/D01/?period=2025H1")
    assert page.status_code == 200 and 'name="value-gdp"' in page.content.decode()
    form = {"period": "2025Q3", "value-gdp": "1900", "value-gdp_growth": "seven", "client_key": "a"}
    bad = client.post("/observations/units/D01/", form, HTTP_ACCEPT_LANGUAGE="en")
    assert bad.status_code == 200
    assert "not a number: enter a plain decimal number" in bad.content.decode()
    chinese = client.post("/observations/units/D01/", form).content.decode()
    assert "不是数字" in chinese and "not a number" not in chinese
    assert not Observation.objects.filter(time_node__period="2025Q3").exists()
    good = client.post(
        "/observations/units/D01/",
        {"period": "2025Q3", "value-gdp": "1900", "value-gdp_growth": "7.2", "client_key": "b"},
    )
    assert good.status_code == 302
    batch = IngestionBatch.objects.get()
    assert (batch.source, batch.created, batch.sender) == ("form", 2, world.users["d1_reporter"])
    again = client.post(  # a double click sends the same form key: nothing twice
        "/observations/units/D01/",
        {"period": "2025Q3", "value-gdp": "1950", "client_key": "b"},
    )
    assert again.status_code == 302
    assert IngestionBatch.objects.count() == 1


def test_growth_against_last_year_and_scope(world):  # type: ignore[no-untyped-def]
    from kaohe.observations.services import ValueRow, record_observations
    from kaohe.schemes import services as schemes

    schemes.create_cycle(acting_user=world.admin, year=2026)
    record_observations([ValueRow("D01", "gdp", "2026Q1", 1320.55)], acting_user=world.admin)
    page = signed_in(world.users["office"]).get("/observations/units/D01/?period=2026Q1")
    assert "10.0" in page.content.decode()  # 1320.55 / 1200.50 − 1 = 10.0 %
    assert signed_in(world.users["d2_reporter"]).get("/observations/units/D01/").status_code == 404
    read_only = signed_in(world.users["auditor"]).get("/observations/units/D01/?period=2026Q1")
    assert 'name="value-gdp"' not in read_only.content.decode()


def test_progress_against_the_targets_pace(world):  # type: ignore[no-untyped-def]
    from kaohe.indicators import services as indicators
    from kaohe.observations.services import ValueRow, record_observations

    indicators.create_indicator(
        acting_user=world.admin,
        code="fiscal_revenue_target",
        name_zh="一般公共预算收入目标",
        unit_zh="亿元",
        responsible_department=world.dept,
    )
    record_observations(
        [ValueRow("D01", "fiscal_revenue_target", "2025Y", 200)], acting_user=world.admin
    )
    page = signed_in(world.users["office"]).get("/observations/units/D01/?period=2025H1")
    html = page.content.decode()
    # fiscal revenue 95.2 by mid-year against a target of 200: 47.6 % done, the pace needs 50 %
    import re

    (span,) = re.findall(r"<span[^>]*>47\.6</span> <span[^>]*>/ 50</span>", html)
    assert "color:var(--red)" in span  # behind the pace
