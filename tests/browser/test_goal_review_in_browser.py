"""A real browser walks the Commerce Bureau's 2026 goals through the four-level joint review:
refused for an excellence goal below its benchmark, submitted, returned once with a comment by
the comprehensive-department reviewer, revised, resubmitted and approved by the office, the
reviewer, the leader in charge and the committee (batch). Screenshots in test-artifacts/."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from kaohe.demo.goals import load_goals_demo
from kaohe.demo.load import DEMO_PASSWORD, load_demo
from kaohe.goals.models import GoalSet
from kaohe.testing.browser import browser, click_through, screenshot, signed_in_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(chromium, base: str, username: str):  # type: ignore[no-untyped-def]
    return signed_in_page(chromium, base, username, DEMO_PASSWORD)


def state_of(page) -> tuple[str | None, str | None]:  # type: ignore[no-untyped-def]
    badge = page.locator(".subtitle .badge[data-state]").first
    return badge.get_attribute("data-state"), badge.get_attribute("data-level")


def decide(chromium, base: str, username: str, url: str, decision: str, comment: str) -> None:  # type: ignore[no-untyped-def]
    page = sign_in(chromium, base, username)
    page.goto(f"{base}/goals/inbox/")
    click_through(page, f"a[href='{url}']")
    page.fill("#decision-form textarea[name=comment]", comment)
    click_through(page, f"#decision-form button[value={decision}]")
    screenshot(page, f"goals-{username}-{decision}")
    page.close()


def test_a_portfolio_walks_the_four_levels_with_one_return(live_server, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    load_demo()
    if not GoalSet.objects.exists():  # until load_demo calls load_goals_demo itself
        load_goals_demo(get_user_model().objects.get(username="admin"))
    goal_set = GoalSet.objects.get(unit__code="DEPT_SWJ", cycle__year=2026)
    url = f"/goals/portfolios/{goal_set.pk}/"
    base = live_server.url
    with browser() as chromium:
        head = sign_in(chromium, base, "swj_head")
        head.goto(f"{base}/goals/")
        click_through(head, f"a[href='{url}']")
        assert head.locator("table.goals tbody tr").count() == 9  # 7 key + 2 excellence
        assert state_of(head) == ("draft", "")
        # An excellence goal may not aim below its benchmark (lower is better: not above 32.5).
        head.locator("tr", has_text="货物进口通关时间").get_by_role("link").last.click()
        head.fill("#id_target_value", "35")
        head.click("#goal-form button[type=submit]")
        errors = head.locator(".errorlist").first.inner_text()
        assert "32.5" in errors and "35" in errors
        screenshot(head, "goals-refused-below-benchmark")
        head.goto(f"{base}{url}")
        click_through(head, "#submit-form button[type=submit]")
        assert state_of(head) == ("in_review", "office")
        screenshot(head, "goals-submitted")

        decide(chromium, base, "office", url, "approve", "格式规范，转综合部门")
        decide(chromium, base, "reviewer", url, "return", "出口目标偏低，请提高至6%")

        head.goto(f"{base}{url}")
        assert state_of(head) == ("returned", "comprehensive")
        assert "出口目标偏低" in head.locator("#return-comment").inner_text()
        head.locator("tr", has_text="出口总额增长").get_by_role("link").last.click()
        head.fill("#id_target_value", "6")
        head.fill("#id_title_zh", "出口总额增长6%")
        head.click("#goal-form button[type=submit]")
        head.wait_for_url(f"{base}{url}")
        head.fill("#submit-form textarea", "已按意见提高出口目标")
        click_through(head, "#submit-form button[type=submit]")
        assert state_of(head) == ("in_review", "comprehensive")
        head.click("#compare")
        head.wait_for_selector(".goal-diff[data-status=changed]")
        assert head.locator(".goal-diff[data-status=changed]").count() == 1
        assert head.locator(".goal-diff[data-status=changed] tr.diff-changed").count() == 2
        screenshot(head, "goals-versions-side-by-side")

        decide(chromium, base, "reviewer", url, "approve", "同意")
        decide(chromium, base, "leader", url, "approve", "同意，报考核委")

        committee = sign_in(chromium, base, "committee")
        committee.goto(f"{base}/goals/inbox/")
        committee.check(f"#batch-form input[value='{goal_set.pk}']")
        committee.fill("#batch-comment", "考核委批准")
        click_through(committee, "#batch-form button[type=submit]")
        screenshot(committee, "goals-committee-batch")

        head.goto(f"{base}{url}")
        assert state_of(head) == ("approved", "")
        assert head.locator(".review-steps li[data-status=done]").count() == 4
        decisions = head.locator("#review-actions tbody tr")
        assert decisions.count() == 5
        assert head.locator("#review-actions tr[data-decision=return]").count() == 1
        screenshot(head, "goals-approved")

        # The district target suggestions: history, band and target drawn, reason in words.
        office = sign_in(chromium, base, "office")
        office.goto(f"{base}/goals/targets/D01/?cycle=2026")
        office.wait_for_function("document.querySelectorAll('.chart canvas').length >= 3")
        assert office.locator(".suggestion .reason").first.inner_text().startswith("近")
        screenshot(office, "goals-target-suggestions-d01")
    goal_set.refresh_from_db()
    assert (goal_set.state, goal_set.version_count) == ("approved", 2)
