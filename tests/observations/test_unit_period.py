"""The unit data page's figures: target progress at the node's pace, growth, the template title."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from openpyxl import load_workbook

from kaohe.observations.excel import DATA_SHEET
from kaohe.observations.unit_period import Progress, growth, target_progress


def test_progress_is_measured_against_the_share_of_the_year_the_node_has_run() -> None:
    assert target_progress(30.0, 100.0, "Q1") == Progress(30.0, 25.0)
    assert target_progress(40.0, 100.0, "H1") == Progress(40.0, 50.0)
    assert target_progress(40.0, 100.0, "H1").behind  # type: ignore[union-attr]
    assert not target_progress(80.0, 100.0, "Q3").behind  # type: ignore[union-attr]
    assert target_progress(100.0, 100.0, "Y") == Progress(100.0, 100.0)
    assert target_progress(None, 100.0, "Q1") is None
    assert target_progress(10.0, 0.0, "Q1") is None
    assert target_progress(10.0, 100.0, "week") is None


def test_growth_needs_both_values_and_a_base_other_than_zero() -> None:
    assert growth(110.0, 100.0) == pytest.approx(10.0, abs=1e-12)
    assert growth(90.0, 100.0) == pytest.approx(-10.0, abs=1e-12)
    assert growth(1.0, 0.0) is None
    assert growth(None, 1.0) is None
    assert growth(1.0, None) is None


@pytest.mark.django_db
def test_the_excel_template_is_headed_with_the_citys_name_from_the_unit_tree(world) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(world.users["stats_reporter"])
    response = client.get("/observations/upload/?period=2025Q3&template=1")
    sheet = load_workbook(io.BytesIO(response.content))[DATA_SHEET]
    assert sheet["D1"].value == "测试市考核数据报送"
