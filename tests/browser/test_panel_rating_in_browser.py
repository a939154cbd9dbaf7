"""A real browser: the demo's `expert` signs in, finds their ratings in the navigation, opens an
excellence goal still to rate, sees the rubric's anchored bands beside each score and submits a
rating, which is then final. Screenshots in test-artifacts/."""

from __future__ import annotations

import pytest

from kaohe.demo.load import DEMO_PASSWORD, load_demo
from kaohe.panels.models import Assignment, Rating
from kaohe.testing.browser import browser, screenshot, signed_in_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_expert_rates_a_goal_against_the_rubric(live_server, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    load_demo()
    waiting = Assignment.objects.filter(member__expert__username="expert", state="open")
    assert waiting.count() == 3
    base = live_server.url
    with browser() as chromium:
        page = signed_in_page(chromium, base, "expert", DEMO_PASSWORD)
        page.click("nav a[href='/panels/mine/']")
        page.wait_for_url(f"{base}/panels/mine/")
        rows = page.locator("#assignments tbody tr")
        assert rows.count() == 12
        assert page.locator("#assignments tbody tr[data-state=open]").count() == 3
        screenshot(page, "panels-expert-list")
        page.locator("#assignments tbody tr[data-state=open] a").first.click()
        page.wait_for_selector("#rating-form")
        # the rubric beside each of the four scores: four bands each, Chinese by default
        assert page.locator(".rubric-row").count() == 4
        difficulty = page.locator(".rubric-row[data-dimension=difficulty]")
        assert difficulty.locator("table.rubric tr").count() == 4
        assert "需突破体制机制或重大技术瓶颈" in difficulty.inner_text()
        assert "90–100" in difficulty.inner_text()
        url = page.url
        for name, value in (
            ("excellence", "86"),
            ("difficulty", "91"),
            ("innovation", "78"),
            ("benefit", "88"),
        ):
            page.fill(f"#rating-form input[name={name}]", value)
        page.fill("#rating-form textarea[name=comment]", "目标对标先进，攻坚难度大")
        screenshot(page, "panels-expert-rating-form")
        page.click("#rating-form button[type=submit]")
        page.wait_for_url(f"{base}/panels/mine/")
        assert page.locator("#assignments tbody tr[data-state=open]").count() == 2
        # the rating is final: its page shows it and has no form
        page.goto(url)
        assert page.locator("#rating-form").count() == 0
        submitted = page.locator("#submitted").inner_text()
        assert "91" in submitted and "目标对标先进" in submitted
        screenshot(page, "panels-expert-rating-submitted")
        page.close()
    rating = Rating.objects.filter(assignment__member__expert__username="expert").latest("pk")
    assert rating.scores == {"excellence": 86, "difficulty": 91, "innovation": 78, "benefit": 88}
