"""A real browser shows the live rating event's big screen at 1920×1080 and sees it update by
itself (htmx polling with an ETag) while people rate; after close it says "final". Screenshots
in test-artifacts/."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kaohe.surveys import services
from kaohe.surveys.models import Survey
from kaohe.testing.browser import browser, screenshot, sign_in
from kaohe.testing.surveys import make_survey, posted
from kaohe.testing.world import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_live_screen_updates_by_itself(live_server, world, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    ts = make_survey(world, open_it=False)
    survey = services.create_survey(
        acting_user=ts.manager,
        cycle=world.cycle,
        version=ts.survey.version,
        name_zh="向市民报告·现场测评",
        units=[world.d1, world.d2],
        groups=[services.GroupSpec("public", "市民代表", Decimal("1"), 100)],
        index_question="rating",
        kind=Survey.Kind.LIVE,
        link_group="public",
        min_n=2,
    )
    survey = services.open_survey(survey, acting_user=ts.manager)
    base = live_server.url
    with browser() as chromium:
        page = chromium.new_page(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
        sign_in(page, base, "office", PASSWORD)
        page.goto(f"{base}/surveys/{survey.pk}/live/")
        total = page.locator("[data-total]")
        assert total.inner_text() == "0"
        assert page.locator(".live-qr svg").count() == 1
        # no scrolling on the big screen
        assert page.evaluate("document.documentElement.scrollHeight") <= 1080
        for i, (a, b) in enumerate(((5, 4), (4, 4), (5, 2))):
            services.submit(survey, posted({world.d1.pk: a, world.d2.pk: b}), client=f"10.8.0.{i}")
        # no reload: the polled panel (every 3 s, ETag) brings the new count by itself
        page.wait_for_selector('.live-panel[data-responses="3"]', timeout=15_000)
        assert total.inner_text() == "3"
        d1 = page.locator("tr[data-unit=D01] td.score")
        assert d1.inner_text() == f"{(100 + 75 + 100) / 3:.1f}"
        assert page.locator("#live-bars canvas").count() == 1  # the bars redrawn after the swap
        screenshot(page, "live-screen-open")
        services.close_survey(survey, acting_user=ts.manager)
        page.wait_for_selector("[data-final]", timeout=15_000)
        screenshot(page, "live-screen-final")
