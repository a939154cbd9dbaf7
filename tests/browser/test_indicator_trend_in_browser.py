"""A real browser on the indicator page's trend: the chart is drawn from its json_script under
the strict policy, the unit menu switches the series by itself, and a district reporter is
offered its own district only (screenshots kept in test-artifacts/)."""

from __future__ import annotations

import pytest

from kaohe.observations.models import Source
from kaohe.observations.services import ValueRow, record_observations
from kaohe.schemes import services as scheme_services
from kaohe.testing.browser import browser, screenshot, sign_in
from kaohe.testing.world import PASSWORD, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GDP = {"D01": (1000, 1080, 1140, 1235), "D02": (700, 745, 770, 812)}


def test_the_trend_is_drawn_and_the_unit_menu_switches_it(live_server, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    world = build_world()
    for year in (2021, 2022, 2023, 2024):
        scheme_services.create_cycle(acting_user=world.admin, year=year)
    record_observations(
        [
            ValueRow(unit, "gdp", f"{2021 + i}Y", value)
            for unit, values in GDP.items()
            for i, value in enumerate(values)
        ],
        acting_user=world.admin,
        source=Source.IMPORT,
    )
    base = live_server.url
    with browser() as chromium:
        violations: list[str] = []
        page = chromium.new_page(viewport={"width": 1366, "height": 900}, locale="zh-CN")
        page.on(
            "console",
            lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
        )
        sign_in(page, base, "office", PASSWORD)
        page.goto(f"{base}/indicators/gdp/")
        page.wait_for_function("document.querySelector('#trend .chart canvas') !== null")
        assert page.locator("#trend").get_attribute("data-unit") == "D01"
        assert page.locator("#trend tr.history").count() == 4
        assert page.locator("#trend tr.foresight").get_attribute("data-period") == "2025Y"
        screenshot(page, "indicator-trend-office-d01")
        with page.expect_navigation():
            page.locator("#f-unit").select_option("D02")
        assert "unit=D02" in page.url
        page.wait_for_function("document.querySelector('#trend .chart canvas') !== null")
        assert page.locator("#trend").get_attribute("data-unit") == "D02"
        assert "812.00" in page.locator("#trend table").inner_text()

        reporter = chromium.new_page(viewport={"width": 1366, "height": 900})
        sign_in(reporter, base, "d1_reporter", PASSWORD)
        reporter.goto(f"{base}/indicators/gdp/")
        reporter.wait_for_function("document.querySelector('#trend .chart canvas') !== null")
        options = reporter.locator("#f-unit option").evaluate_all("os => os.map(o => o.value)")
        assert [o for o in options if o] == ["D01"]
        screenshot(reporter, "indicator-trend-d1-reporter")
        assert violations == []
