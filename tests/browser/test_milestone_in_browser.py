"""A real browser: East District's reporter finds the flood-control task among their own tasks,
reports its own part of the last milestone done with a PDF, and the office confirms it in the
task's milestones × participants matrix; West District's part stays its own; the board then
counts it. Screenshots in test-artifacts/."""

from __future__ import annotations

import pytest

from kaohe.projects.models import MilestoneReport
from kaohe.testing.browser import browser, click_through, screenshot, signed_in_page
from kaohe.testing.offensives import PDF, build_task_world
from kaohe.testing.world import PASSWORD, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_lead_reports_and_the_office_confirms(live_server, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    tw = build_task_world(build_world())
    last = tw.milestones[2]
    base = live_server.url
    with browser() as chromium:
        page = signed_in_page(chromium, base, "d1_reporter", PASSWORD)
        page.goto(f"{base}/projects/tasks/mine/")
        task = page.locator(".task[data-role=lead]")
        assert task.count() == 1 and "防汛攻坚战" in task.inner_text()
        assert task.locator("a.report").count() == 3
        screenshot(page, "tasks-my-tasks")
        click_through(
            page, f"a[href='/projects/tasks/milestones/{last.pk}/report/?unit={tw.d1.pk}']"
        )
        page.fill("#report-form input[name=completed_on]", "2025-09-28")
        page.fill("#report-form textarea[name=note]", "汛期演练已完成")
        page.set_input_files(
            "#id_files", files=[{"name": "drill.pdf", "mimeType": "application/pdf", "buffer": PDF}]
        )
        click_through(page, "#report-form button[type=submit]")
        assert page.url.endswith(f"/projects/tasks/{tw.offensive.pk}/")
        cell = page.locator(f"tr[data-milestone='{last.pk}'] td.part[data-unit='{tw.d1.pk}']")
        assert cell.get_attribute("data-status") == "awaiting"
        west = page.locator(f"tr[data-milestone='{last.pk}'] td.part[data-unit='{tw.d2.pk}']")
        assert west.get_attribute("data-status") == "overdue"
        assert west.locator("a.report").count() == 0  # not East District's to report
        page.close()
        office = signed_in_page(chromium, base, "office", PASSWORD)
        office.goto(f"{base}/projects/tasks/{tw.offensive.pk}/")
        cell = office.locator(f"tr[data-milestone='{last.pk}'] td.part[data-unit='{tw.d1.pk}']")
        assert "drill.pdf" in cell.inner_text()
        screenshot(office, "tasks-office-decides")
        cell.locator("input[name=note]").fill("演练记录齐全")
        with office.expect_navigation():
            cell.locator("button[value=confirm]").click()
        cell = office.locator(f"tr[data-milestone='{last.pk}'] td.part[data-unit='{tw.d1.pk}']")
        assert cell.get_attribute("data-status") == "on_time"
        office.goto(f"{base}/projects/tasks/")
        assert office.locator("#status-counts [data-status=on_time] .value").inner_text() == "1"
        assert office.locator("#milestones tbody tr").count() == 6  # 3 milestones × 2 units
        screenshot(office, "tasks-board")
        office.close()
    assert MilestoneReport.objects.get(milestone=last).state == "confirmed"
