"""A real browser signs in as two roles and checks what each sees (screenshots kept in
test-artifacts/). Runs when KAOHE_BROWSER_TESTS=1, as CI does."""

from __future__ import annotations

import pytest

from kaohe.demo.load import DEMO_PASSWORD, load_demo
from kaohe.testing.browser import browser, click_through, screenshot
from kaohe.testing.browser import sign_in as browser_sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, base: str, username: str) -> None:  # type: ignore[no-untyped-def]
    browser_sign_in(page, base, username, DEMO_PASSWORD)


def watch_policy(page, violations: list[str]) -> None:  # type: ignore[no-untyped-def]
    """Collect every Content-Security-Policy violation the page reports on its console."""
    page.on(
        "console",
        lambda m: (
            violations.append(f"{page.url}: {m.text[:200]}")
            if "Content Security Policy" in m.text
            else None
        ),
    )


def test_office_and_district_reporter_see_their_own_worlds(live_server, monkeypatch):  # type: ignore[no-untyped-def]
    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes
    # itself are still synchronous and safe here.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    load_demo()
    base = live_server.url
    with browser() as chromium:
        violations: list[str] = []
        office = chromium.new_page(viewport={"width": 1366, "height": 900}, locale="zh-CN")
        watch_policy(office, violations)
        sign_in(office, base, "office")
        office.wait_for_selector("#chart-gdp", state="attached")
        office.wait_for_function("document.querySelectorAll('.chart canvas').length >= 3")
        assert office.locator("html").get_attribute("lang") == "zh-hans"
        assert office.locator("nav a[href='/audit/']").count() == 1
        assert office.locator("table.districts tbody tr").count() == 10  # all ten districts
        screenshot(office, "office-overview-zh")
        office.goto(f"{base}/results/")
        office.click("text=区市 >> nth=0")  # the newest district run (2025)
        office.wait_for_function("document.querySelectorAll('.chart canvas').length >= 2")
        office.locator(".chart canvas").first.hover()  # a tooltip: ECharts' inline styles
        assert office.locator("table tbody tr").count() == 10
        assert (
            office.locator(
                '.badge.red[data-flag="veto:statistical_fraud"]', has_text="统计造假一票否决"
            ).count()
            == 1
        )
        screenshot(office, "office-ranking-zh")
        veto_badge = office.locator('.badge.red[data-flag="veto:statistical_fraud"]')
        vetoed = office.locator("tr", has=veto_badge)
        vetoed.locator("a").first.click()
        office.wait_for_selector(".tree")
        assert office.locator(".tree a[href*='/observations/']").count() > 10
        screenshot(office, "office-explanation-zh")
        office.goto(f"{base}/units/D02/")
        assert office.locator("h1").inner_text() != ""
        click_through(office, "button[value=en]")
        assert office.locator("html").get_attribute("lang") == "en"
        screenshot(office, "office-unit-en")

        office.goto(f"{base}/api/docs/")  # Swagger UI runs under the same policy
        office.wait_for_selector(".swagger-ui .opblock", timeout=20_000)

        reporter = chromium.new_page(viewport={"width": 1366, "height": 900})
        watch_policy(reporter, violations)
        sign_in(reporter, base, "d01_reporter")
        reporter.wait_for_function("document.querySelectorAll('.chart canvas').length >= 1")
        assert reporter.locator("table.districts tbody tr").count() == 1  # only its own district
        assert reporter.locator("nav a[href='/audit/']").count() == 0
        screenshot(reporter, "d01-reporter-overview")
        response = reporter.goto(f"{base}/units/D02/")
        assert response is not None and response.status == 404
        assert reporter.locator(".state-page .code").inner_text() == "404"
        screenshot(reporter, "d01-reporter-404")
        api = reporter.goto(f"{base}/api/v1/units/D02/")
        assert api is not None and api.status == 404
        # the period menu submits by itself (a script file's listener, not an inline handler)
        reporter.goto(f"{base}/observations/units/D01/")
        period = reporter.locator("#f-period")
        choice = period.locator("option").nth(1).get_attribute("value")
        with reporter.expect_navigation():
            period.select_option(choice)
        assert f"period={choice}" in reporter.url
        assert violations == []
