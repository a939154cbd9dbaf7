"""A real browser: the survey manager makes a questionnaire, builds its first version in the
builder (the matrix question it starts with, a single-choice question added through htmx
without reloading the page, a problem named beside its question, fixed, saved), prepares a
survey of the two districts with it and opens it; the open link and its QR code are shown.
Nothing breaks the Content-Security-Policy. Screenshots in test-artifacts/."""

from __future__ import annotations

import pytest

from kaohe.core.roles import Role
from kaohe.surveys.models import QuestionnaireVersion, Survey
from kaohe.testing.browser import browser, screenshot, sign_in
from kaohe.testing.world import PASSWORD, build_world, make_user
from kaohe.units import services as unit_services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_manager_builds_a_questionnaire_and_opens_a_survey(live_server, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    world = build_world()
    manager = make_user("survey_boss")
    unit_services.add_grant(
        acting_user=world.admin, user=manager, role=Role.SURVEY_MANAGER, unit=None
    )
    base = live_server.url
    with browser() as chromium:
        page = chromium.new_page(viewport={"width": 1366, "height": 900}, locale="zh-CN")
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        sign_in(page, base, "survey_boss", PASSWORD)
        page.click("nav a[href='/surveys/']")
        page.click("a[href='/surveys/questionnaires/']")
        page.fill("#id_code", "window")
        page.fill("#id_name_zh", "窗口服务满意度")
        page.fill("#id_name_en", "Service windows")
        page.click("#new-questionnaire button[type=submit]")
        page.wait_for_url(f"{base}/surveys/questionnaires/window/new/")
        # the builder starts with a matrix question, its labels prefilled in both languages
        assert page.input_value("#q1-labels_zh").splitlines()[0] == "很不满意"
        assert page.input_value("#q1-labels_en").splitlines()[-1] == "very satisfied"
        page.fill("#q1-key", "rating")
        page.fill("#q1-text_zh", "请对以下单位的窗口服务作出评价")
        page.fill("#q1-text_en", "How satisfied are you with each unit's service windows?")
        page.evaluate("window.__kept = true")  # gone if the page reloads
        page.click("button[name=op][value='add:single']")
        page.wait_for_selector("#question-2[data-kind=single]")
        assert page.evaluate("window.__kept === true"), "htmx swapped the form in place"
        assert page.input_value("#q1-key") == "rating"  # what was typed is kept
        page.fill("#q2-key", "visits")
        page.fill("#q2-text_zh", "您今年去过几次？")
        page.fill("#q2-options", "一次 | once")
        page.click("#save-version")
        page.wait_for_selector("#question-2 .question-errors")
        assert "options" in page.inner_text("#question-2 .question-errors")
        assert page.locator("#question-1 .question-errors").count() == 0
        assert QuestionnaireVersion.objects.filter(questionnaire__code="window").count() == 0
        screenshot(page, "survey-builder-problem")
        page.fill("#q2-options", "一次 | once\n两次以上 | more than once")
        page.click("#save-version")
        page.wait_for_url(f"{base}/surveys/questionnaires/window/v1/")
        version = QuestionnaireVersion.objects.get(questionnaire__code="window")
        assert [q["key"] for q in version.questions] == ["rating", "visits"]
        assert version.questions[1]["options"][1] == {"zh": "两次以上", "en": "more than once"}

        page.goto(f"{base}/surveys/new/")
        page.select_option("#id_cycle", "2025")
        page.select_option("#id_version", str(version.pk))
        page.fill("#id_name_zh", "2025年窗口服务评议")
        page.select_option("#id_kind", "survey")
        page.select_option("#id_category", "district")
        page.fill("#id_index_question", "rating")
        page.fill(
            "#id_groups",
            "users | 办事群众 | Service users | 0.7 | 20\nfirms | 企业 | Firms | 0.3 | 10",
        )
        page.fill("#id_link_group", "users")
        page.click("#survey-form button[type=submit]")
        page.wait_for_selector("#open-survey")
        survey = Survey.objects.get(name_zh="2025年窗口服务评议")
        assert page.input_value("#open-link").endswith(f"/s/l/{survey.link_token}/")
        # the QR code is drawn once its image has loaded (the page's load can come first);
        # polled with evaluate: wait_for_function evaluates a string, which the CSP forbids
        drawn = "(() => { const img = document.querySelector('.open-link img');"
        drawn += " return !!img && img.complete && img.naturalWidth > 100; })()"
        for _ in range(100):
            if page.evaluate(drawn):
                break
            page.wait_for_timeout(100)
        else:
            raise AssertionError("the open link's QR code is not drawn after 10 s")
        page.click("#open-survey")
        page.wait_for_selector("#close-survey")
        screenshot(page, "survey-opened")
        survey.refresh_from_db()
        assert survey.state == "open" and survey.version.frozen
        assert not [p for p in problems if "Content Security Policy" in p], problems
