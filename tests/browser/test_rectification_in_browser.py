"""A real browser follows the first district (D01) through its interview item of 2025 on the
demo city: a visitor reads the public bulletin without signing in and finds it on the backward
list; the district head submits a plan with a measure whose deadline is no date and is told
which measure and why, fixes it; the office returns the plan once, the head resubmits, the
office accepts; the district's reporter reports progress and the office closes the item.
Screenshots in test-artifacts/."""

from __future__ import annotations

import datetime as dt

import pytest

from kaohe.demo.load import DEMO_PASSWORD, load_demo
from kaohe.rectification.models import RectificationItem
from kaohe.results.models import ScoringRun
from kaohe.testing.browser import browser, click_through, screenshot, signed_in_page
from kaohe.testing.rectification import decide, report_progress, submit_plan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_public_bulletin_then_plan_return_accept_progress_close(live_server, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    load_demo()
    base = live_server.url
    item = RectificationItem.objects.get(unit__code="D01", run__cycle__year=2025)
    run = ScoringRun.objects.get(pk=item.run_id)
    deadline = (dt.date.today() + dt.timedelta(days=60)).isoformat()
    with browser() as chromium:
        visitor = chromium.new_page(viewport={"width": 1366, "height": 900}, locale="zh-CN")
        visitor.goto(f"{base}/public/results/")
        click_through(visitor, f"a[href='/public/results/{run.pk}/']")
        assert visitor.locator("ul.backward li", has_text=item.unit.name_zh).count() == 1
        assert visitor.locator("table.ranking tbody tr").count() == 10
        screenshot(visitor, "public-bulletin-zh")

        head = signed_in_page(chromium, base, "d01_head", DEMO_PASSWORD)
        head.goto(f"{base}/rectification/")
        head.click(f"a[href='/rectification/{item.pk}/']")
        head.fill("#id_text", "重点项目落地慢，投资进度滞后")
        head.fill("#id_measures", "建立重点项目周调度机制 | 六月底")
        head.click("form[action$='/plan/'] button[type=submit]")
        error = head.locator(".messages .error")
        assert "第 1 条措施：完成时限 '六月底' 不是日期" in error.inner_text()
        head.fill("#id_text", "重点项目落地慢，投资进度滞后")
        head.fill("#id_measures", f"建立重点项目周调度机制 | {deadline}")
        head.click("form[action$='/plan/'] button[type=submit]")
        head.wait_for_selector(".entry[data-kind=plan]")
        screenshot(head, "d01-plan-submitted")

        office = signed_in_page(chromium, base, "office", DEMO_PASSWORD)
        decide(office, base, item.pk, "return", "措施不够具体，请细化到项目")
        measures = f"每周调度12个重点项目 | {deadline}\n季度通报投资进度 | {deadline}"
        submit_plan(head, base, item.pk, "细化到项目的整改方案", measures, nth=1)
        decide(office, base, item.pk, "accept", "同意")
        reporter = signed_in_page(chromium, base, "d01_reporter", DEMO_PASSWORD)
        report_progress(reporter, base, item.pk, "已开工8个项目，投资完成率提高到92%")
        decide(office, base, item.pk, "close", "整改到位，予以销号")
        screenshot(office, "office-rectification-closed")
    item.refresh_from_db()
    assert item.state == "closed"
    assert [e.kind for e in item.entries.all()] == [
        "plan", "returned", "plan", "accepted", "progress", "closed",
    ]  # fmt: skip
