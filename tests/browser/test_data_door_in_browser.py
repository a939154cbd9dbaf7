"""A real browser walks the data platform's story on the demo city: a district reporter
downloads the Excel template, uploads it with one wrong cell and gets a precise error in
Chinese with nothing stored; fixes it and sees the values, the year-on-year change and the
cross-check warning its inflated tax figure raised at once; explains the figure; the office
accepts the explanation. The provisional ranking page shows the batch without a reload.
Screenshots in test-artifacts/."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from kaohe.demo.load import DEMO_PASSWORD, load_demo
from kaohe.monitoring.models import Warning
from kaohe.observations.excel import DATA_SHEET
from kaohe.observations.models import IngestionBatch, Observation
from kaohe.testing.browser import browser, click_through, screenshot, signed_in_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PERIOD = "2026Y"


def sign_in(chromium, base: str, username: str):  # type: ignore[no-untyped-def]
    return signed_in_page(chromium, base, username, DEMO_PASSWORD)


def fill(template: bytes, values: dict[str, object]) -> bytes:
    """The template with the D01 row's cells set (by indicator code)."""
    workbook = load_workbook(io.BytesIO(template))
    sheet = workbook[DATA_SHEET]
    header = {cell.value: cell.column for cell in sheet[2] if cell.value}
    row = next(r for r in range(4, sheet.max_row + 1) if sheet.cell(r, 1).value == "D01")
    for code, value in values.items():
        sheet.cell(row=row, column=header[code], value=value)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_upload_refused_fixed_warned_explained_decided(live_server, monkeypatch, tmp_path):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    load_demo()
    base = live_server.url
    before = Observation.objects.filter(unit__code="D01", time_node__period=PERIOD).count()
    with browser() as chromium:
        reporter = sign_in(chromium, base, "d01_reporter")
        reporter.goto(f"{base}/observations/upload/")
        reporter.select_option("#t-period", PERIOD)
        reporter.select_option("#u-period", PERIOD)
        with reporter.expect_download() as download:
            reporter.click("button[name=template][value=xlsx]")
        path = tmp_path / "template.xlsx"
        download.value.save_as(path)
        template = path.read_bytes()

        wrong = fill(template, {"fiscal_revenue": 100, "tax_revenue": "一百一十八", "gdp": 660})
        (tmp_path / "wrong.xlsx").write_bytes(wrong)
        reporter.set_input_files("#u-file", str(tmp_path / "wrong.xlsx"))
        reporter.click("#upload-form button[type=submit]")
        reporter.wait_for_selector("#upload-result table")
        result = reporter.locator("#upload-result").inner_text()
        assert "未保存" in result and "一百一十八" in result and "不是数字" in result
        screenshot(reporter, "upload-refused-zh")
        assert not IngestionBatch.objects.filter(file_name="wrong.xlsx").exists()
        assert (
            Observation.objects.filter(unit__code="D01", time_node__period=PERIOD).count() == before
        )

        fixed = fill(template, {"fiscal_revenue": 100, "tax_revenue": 118, "gdp": 660})
        (tmp_path / "fixed.xlsx").write_bytes(fixed)
        reporter.set_input_files("#u-file", str(tmp_path / "fixed.xlsx"))
        reporter.click("#upload-form button[type=submit]")
        reporter.wait_for_selector("#upload-result table.batch-rows")
        result = reporter.locator("#upload-result").inner_text()
        assert "本文件触发的预警" in result and "税收" in result
        assert "上年同期" in result
        screenshot(reporter, "upload-accepted-zh")

        warning = Warning.objects.get(
            unit__code="D01", time_node__period=PERIOD, rule__code="tax_within_fiscal"
        )
        reporter.click(f"#upload-result a[href='/monitoring/warnings/{warning.pk}/']")
        reporter.wait_for_selector("#id-explain")
        assert "一般公共预算收入" in reporter.locator("table").first.inner_text()
        reporter.fill("#id-explain", "含一次性土地出让相关税收，已附说明")
        click_through(reporter, "form[action$='/explain/'] button[type=submit]")
        warning.refresh_from_db()
        assert warning.state == Warning.State.EXPLAINED

        office = sign_in(chromium, base, "office")
        office.goto(f"{base}/results/provisional/")
        assert office.locator("tr[data-unit='D01']").count() == 1
        office.goto(f"{base}/monitoring/warnings/{warning.pk}/")
        office.select_option("select[name=accept]", "1")
        office.fill("textarea[name=decision]", "说明合理，予以认可")
        click_through(office, "form[action$='/decide/'] button[type=submit]")
        warning.refresh_from_db()
        assert (warning.state, warning.resolution) == (Warning.State.CLOSED, "accepted")
        screenshot(office, "warning-decided-zh")
