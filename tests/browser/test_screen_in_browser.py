"""A real browser at 1920×1080 opens the big screen as the office on the test world (a published
district run, a serious warning, the two districts' map from the demo's generator uploaded
through the service): ECharts draws the map (a `map` series on a painted canvas, each district
filled with its grade's tone), nothing breaks the Content-Security-Policy, the page fits the
screen without scrollbars, and a refresh of the panels draws the map again. Screenshot in
test-artifacts/."""

from __future__ import annotations

import pytest

from kaohe import charts
from kaohe.demo.geography import district_map_bytes
from kaohe.flows.ingest import ingest
from kaohe.observations.models import Source
from kaohe.observations.services import ValueRow
from kaohe.testing.browser import browser, screenshot, sign_in
from kaohe.testing.monitoring import save_test_rules
from kaohe.testing.results import published_run
from kaohe.testing.world import PASSWORD, build_world
from kaohe.units.services import upload_city_map

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MAP_DRAWN = """() => {
  const el = document.getElementById('screen-map');
  const chart = el && window.echarts && echarts.getInstanceByDom(el);
  return Boolean(chart) && chart.getOption().series[0].type === 'map';
}"""

PAINTED = """() => {
  const canvas = document.querySelector('#screen-map canvas');
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < data.length; i += 4) { if (data[i] > 0) { painted += 1; } }
  return {width: canvas.width, height: canvas.height, painted: painted};
}"""

FILLS = """() => echarts.getInstanceByDom(document.getElementById('screen-map'))
  .getOption().series[0].data.map(d => [d.name, d.itemStyle.areaColor])"""

FITS = """() => ({
  width: document.documentElement.scrollWidth, height: document.documentElement.scrollHeight,
  innerWidth: window.innerWidth, innerHeight: window.innerHeight,
})"""


def test_the_office_sees_the_districts_map_on_the_big_screen(live_server, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    world = build_world()
    run = published_run(world)
    save_test_rules(world.admin)
    ingest(
        [
            ValueRow("D01", "fiscal_revenue", "2025Q3", 100),
            ValueRow("D01", "tax_revenue", "2025Q3", 118),
        ],
        acting_user=world.users["stats_reporter"],
        source=Source.API,
    )
    upload_city_map(acting_user=world.users["office"], content=district_map_bytes(["D01"], ["D02"]))
    grades = {r.unit.code: r.grade for r in run.results.select_related("unit")}
    tones = charts.grade_tones(["excellent", "qualified", "unqualified"])
    base = live_server.url
    with browser() as chromium:
        page = chromium.new_page(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
        problems: list[str] = []
        page.on(
            "console",
            lambda m: (
                problems.append(m.text[:200]) if "Content Security Policy" in m.text else None
            ),
        )
        page.on("pageerror", lambda e: problems.append(f"script error: {e}"))
        sign_in(page, base, "office", PASSWORD)
        page.goto(f"{base}/screen/")
        page.wait_for_function(MAP_DRAWN)
        painted = page.evaluate(PAINTED)
        assert painted["width"] > 600 and painted["height"] > 600
        assert painted["painted"] > painted["width"] * painted["height"] // 10
        assert page.evaluate(FILLS) == [
            ["东区", tones[grades["D01"]]],
            ["西区", tones[grades["D02"]]],
        ]
        assert page.locator('.severity[data-severity="serious"] .count').inner_text() == "1"
        assert page.locator(".survey-panel .empty-panel").count() == 1
        fits = page.evaluate(FITS)
        assert fits["width"] <= fits["innerWidth"], fits
        assert fits["height"] <= fits["innerHeight"], fits
        screenshot(page, "big-screen-1920x1080")

        # the panels refresh by themselves: one refresh, done now, draws the map again
        page.evaluate("() => { window.beforeRefresh = document.querySelector('#screen-map'); }")
        page.evaluate(
            "() => htmx.ajax('GET', '/screen/panels/', "
            "{target: '#screen-panels', swap: 'innerHTML'})"
        )
        page.wait_for_function(
            "() => document.querySelector('#screen-map') !== window.beforeRefresh"
        )
        page.wait_for_function(MAP_DRAWN)
        assert page.evaluate(
            "() => echarts.getInstanceByDom(window.beforeRefresh) === undefined"
        )  # the old chart was disposed, not left behind
        assert page.locator("#screen-panels").get_attribute("hx-trigger") == "every 60s"
    assert problems == []
