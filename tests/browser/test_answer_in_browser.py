"""A respondent on a phone (375 px wide, Chinese locale): opens the questionnaire at the QR
code's address, answers every unit by tapping the labels, writes a comment, sends, and sees the
thanks page; the same code a second time shows the used-code message; a crafted out-of-range
answer comes back beside its question with the other answers kept. No script is needed, nothing
breaks the Content-Security-Policy, nothing is wider than the screen, every choice is a large
target. Screenshots in test-artifacts/."""

from __future__ import annotations

from typing import Any

import pytest

from kaohe.surveys.models import AccessCode, Response
from kaohe.testing.browser import browser, screenshot
from kaohe.testing.surveys import make_survey
from kaohe.testing.world import build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 740}
FITS = "() => document.documentElement.scrollWidth <= window.innerWidth"
SMALLEST_TARGET = """() => Math.min(
  ...[...document.querySelectorAll('.scale label, .options label')]
  .map(l => l.getBoundingClientRect().height))"""


def phone_page(chromium: Any, problems: list[str]) -> Any:
    page = chromium.new_page(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    page.on(
        "console",
        lambda m: problems.append(m.text[:200]) if "Content Security Policy" in m.text else None,
    )
    page.on("pageerror", lambda e: problems.append(f"script error: {e}"))
    return page


def test_a_respondent_answers_on_a_phone(live_server, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    world = build_world()
    ts = make_survey(world)
    d1, d2 = world.d1, world.d2
    code, other = ts.codes[0].code, ts.codes[1].code
    base = live_server.url
    problems: list[str] = []
    with browser() as chromium:
        page = phone_page(chromium, problems)
        shown = page.goto(f"{base}/s/c/{code}/")
        assert shown is not None and shown.status == 200
        assert page.get_attribute("html", "lang") == "zh-hans"
        assert page.locator("button[value=zh-hans]").get_attribute("aria-pressed") == "true"
        assert page.locator("h2", has_text="请对以下单位的工作作出评价").count() == 1
        assert page.locator(".topbar").count() == 0 and page.locator("script").count() == 0
        assert page.evaluate(FITS), "the questionnaire is wider than the phone"
        assert page.evaluate(SMALLEST_TARGET) >= 44
        screenshot(page, "survey-answer-375-zh")
        page.locator(f"fieldset[data-field='rating.{d1.pk}'] label", has_text="比较满意").tap()
        page.locator(f"fieldset[data-field='rating.{d2.pk}'] label", has_text="非常满意").tap()
        page.fill(f"textarea[name='rating#{d1.pk}']", "窗口办事排队时间长")
        page.locator("fieldset[data-field=channel] label", has_text="网络").tap()
        page.locator("fieldset[data-field=topics] label", has_text="教育").tap()
        page.fill("textarea[name=advice]", "希望多建停车场")
        page.locator("button.send").tap()
        page.wait_for_url(f"{base}/s/thanks/")
        assert page.locator("[data-reason=thanks]").count() == 1
        screenshot(page, "survey-thanks-375-zh")
        stored = Response.objects.get()
        assert stored.answers["rating"] == {str(d1.pk): 4, str(d2.pk): 5}
        assert stored.answers["rating#comment"] == {str(d1.pk): "窗口办事排队时间长"}
        assert stored.answers["topics"] == [2] and stored.answers["advice"] == "希望多建停车场"

        again = page.goto(f"{base}/s/c/{code}/")
        assert again is not None and again.status == 410
        assert page.locator("[data-reason=used_code]").is_visible()
        screenshot(page, "survey-used-code-375-zh")

        page.goto(f"{base}/s/c/{other}/")
        page.locator(f"fieldset[data-field='rating.{d2.pk}'] label", has_text="一般").tap()
        page.locator("fieldset[data-field=channel] label", has_text="电视广播").tap()
        page.fill("textarea[name=advice]", "无")
        # a crafted value: the first unit's "very satisfied" button now sends 9
        page.evaluate(
            "() => { const i = document.querySelector("
            f"\"input[name='rating.{d1.pk}'][value='5']\"); i.value = '9'; i.checked = true; }}"
        )
        with page.expect_navigation() as sent:
            page.locator("button.send").tap()
        assert sent.value is not None and sent.value.status == 400
        row = page.locator(f"fieldset[data-field='rating.{d1.pk}']")
        assert row.locator(".error").is_visible() and "1–5" in row.locator(".error").inner_text()
        assert page.locator(f"input[name='rating.{d2.pk}'][value='3']").is_checked()
        assert page.locator("textarea[name=advice]").input_value() == "无"
        assert page.evaluate(FITS)
        screenshot(page, "survey-invalid-375-zh")
    assert not AccessCode.objects.get(code=other).burned and Response.objects.count() == 1
    assert problems == []
