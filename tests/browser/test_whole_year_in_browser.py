"""A real browser runs a whole assessment year as the office, through the pages alone, on the
small test world whose 2025 results are published: it opens the 2026 cycle, starts the 2026
scheme from a copy of 2025's and publishes it, moves the cycle on (refused at year-end while the
scheme has no data, with the reason), uploads the year's values as an Excel file, computes the
scoring run (a job whose progress page leads to the run), reviews the ranking and a unit's
diagnosis, publishes the run and the results; a visitor reads the public bulletin logged out;
the interview item is opened, planned by the unit, accepted, reported on and closed; the cycle
is closed, and a later upload of a 2026 value is refused. Screenshots in test-artifacts/."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from kaohe.core.roles import Role
from kaohe.observations.excel import DATA_SHEET
from kaohe.rectification.models import RectificationItem
from kaohe.results.models import ScoringRun
from kaohe.schemes.models import Cycle
from kaohe.testing.browser import browser, click_through, screenshot, signed_in_page
from kaohe.testing.jobs import run_queued_jobs
from kaohe.testing.rectification import decide, report_progress, submit_plan
from kaohe.testing.results import published_run
from kaohe.testing.world import PASSWORD, SCHEME_YAML, make_user
from kaohe.units.services import add_grant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# the last place is interviewed
YAML_2025 = SCHEME_YAML + "results:\n  interview: {bottom: 1}\n"
VALUES_2026 = {
    "D01": {"gdp": 5200, "gdp_growth": 4.0, "fiscal_revenue": 110},
    "D02": {"gdp": 3300, "gdp_growth": 6.5, "fiscal_revenue": 90},
}


def fill(template: bytes, values: dict[str, dict[str, object]]) -> bytes:
    workbook = load_workbook(io.BytesIO(template))
    sheet = workbook[DATA_SHEET]
    header = {cell.value: cell.column for cell in sheet[2] if cell.value}
    for row in range(4, sheet.max_row + 1):
        for code, value in values.get(str(sheet.cell(row, 1).value), {}).items():
            sheet.cell(row=row, column=header[code], value=value)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def advance(page, base: str, year: int) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base}/schemes/cycles/")
    click_through(page, f"form[action='/schemes/cycles/{year}/advance/'] button[type=submit]")


def state(year: int) -> str:
    return Cycle.objects.get(year=year).state


def upload(page, base: str, tmp_path, name: str, values) -> str:  # type: ignore[no-untyped-def]
    prepare_upload(page, base, tmp_path, name, values)
    return submit_upload(page)


def prepare_upload(page, base: str, tmp_path, name: str, values) -> None:  # type: ignore[no-untyped-def]
    """The upload page open with the period chosen and the filled template attached."""
    page.goto(f"{base}/observations/upload/")
    page.select_option("#t-period", "2026Y")
    with page.expect_download() as download:
        page.click("button[name=template][value=xlsx]")
    template = tmp_path / f"{name}-template.xlsx"
    download.value.save_as(template)
    filled = tmp_path / f"{name}.xlsx"
    filled.write_bytes(fill(template.read_bytes(), values))
    page.select_option("#u-period", "2026Y")
    page.set_input_files("#u-file", str(filled))


def submit_upload(page) -> str:  # type: ignore[no-untyped-def]
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("#upload-result table")
    return str(page.locator("#upload-result").inner_text())


def test_the_office_runs_a_whole_year_through_the_pages(  # type: ignore[no-untyped-def]
    world, live_server, monkeypatch, tmp_path
):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    published_run(world, YAML_2025)
    head = make_user("d2_head")
    add_grant(acting_user=world.admin, user=head, role=Role.UNIT_HEAD, unit=world.d2)
    base = live_server.url
    with browser() as chromium:
        office = signed_in_page(chromium, base, "office", PASSWORD)

        office.goto(f"{base}/schemes/cycles/")
        office.fill("#id_year", "2026")
        click_through(office, "form[action='/schemes/cycles/new/'] button[type=submit]")
        assert state(2026) == "planning"

        office.goto(f"{base}/schemes/")
        source = office.locator("#id_source option", has_text="v1").first.get_attribute("value")
        office.select_option("#id_source", source)
        cycle = office.locator("#id_cycle option", has_text="2026").first.get_attribute("value")
        office.select_option("#id_cycle", cycle)
        office.click("form[action='/schemes/copy/'] button[type=submit]")
        office.wait_for_selector("form[action$='/publish/']")
        click_through(office, "form[action$='/publish/'] button[type=submit]")

        advance(office, base, 2026)  # goal setting: a scheme is published
        advance(office, base, 2026)  # in progress
        advance(office, base, 2026)  # year-end: refused, no data yet
        assert state(2026) == "in_progress"
        gaps = office.locator(".gaps").inner_text()
        assert "在2026年度综合考核尚无数据" in gaps, gaps
        screenshot(office, "year-refused-without-data")

        result = upload(office, base, tmp_path, "year-2026", VALUES_2026)
        assert "未保存" not in result, result
        advance(office, base, 2026)
        assert state(2026) == "year_end"

        office.goto(f"{base}/results/")
        version = office.locator("#id_version option", has_text="2026").first.get_attribute("value")
        office.select_option("#id_version", version)
        office.click("form[action='/results/runs/'] button[type=submit]")
        office.wait_for_selector("#job-progress progress")
        assert run_queued_jobs() == 1
        office.click("#job-progress a.btn", timeout=15_000)  # the progress page finds the run
        office.wait_for_selector("form[action$='/publish/']")
        run = ScoringRun.objects.get(cycle__year=2026)
        assert office.url.endswith(f"/results/runs/{run.pk}/")
        office.goto(f"{base}/results/runs/{run.pk}/units/D01/diagnosis/")
        assert "绩效诊断" in office.locator("h1").inner_text()
        assert office.locator(".suggestions li").count() >= 1
        screenshot(office, "year-diagnosis")
        office.goto(f"{base}/results/runs/{run.pk}/")
        click_through(office, "form[action$='/publish/'] button[type=submit]")
        advance(office, base, 2026)
        assert state(2026) == "published"

        visitor = chromium.new_page(viewport={"width": 1366, "height": 900}, locale="zh-CN")
        visitor.goto(f"{base}/public/results/")
        click_through(visitor, f"a[href='/public/results/{run.pk}/']")
        assert visitor.locator("table.ranking tbody tr").count() == 2
        screenshot(visitor, "year-public-bulletin")

        office.goto(f"{base}/results/runs/{run.pk}/")
        due = (dt.date.today() + dt.timedelta(days=30)).isoformat()
        office.fill("#due-date", due)
        click_through(office, "form[action$='/open/'] button[type=submit]")
        item = RectificationItem.objects.get(run=run)
        assert item.unit.code == "D01"  # fell to the last place

        unit_head = signed_in_page(chromium, base, "d1_head", PASSWORD)
        submit_plan(
            unit_head, base, item.pk, "增速回落，重点项目投资不足", f"新开工重点项目五个 | {due}"
        )
        decide(office, base, item.pk, "accept", "同意")
        reporter = signed_in_page(chromium, base, "d1_reporter", PASSWORD)
        report_progress(reporter, base, item.pk, "五个项目均已开工")
        decide(office, base, item.pk, "close", "整改到位")

        # the reporter has a late correction ready on the upload page as the office closes
        prepare_upload(reporter, base, tmp_path, "late", {"D01": {"gdp": 5300}})
        advance(office, base, 2026)
        assert state(2026) == "closed"
        screenshot(office, "year-closed")
        later = submit_upload(reporter)
        assert "该考核周期已关闭" in later and "未保存" in later, later
    assert ScoringRun.objects.filter(cycle__year=2026).count() == 1
