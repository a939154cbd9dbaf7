"""The office's survey pages through the real URLs, templates and services: the builder round
trip (adding, moving and removing questions stores nothing; saving checks the whole list and
names each problem by question, field and rule beside its question), YAML, a frozen version
read-only, creating, opening and closing a survey, unit quotas, the review of flagged
responses, and who may open these pages."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.test import Client

from kaohe.core.events import EventType
from kaohe.core.models import AuditEvent
from kaohe.surveys import services
from kaohe.surveys.models import Questionnaire, QuestionnaireVersion, Response, Survey, UnitQuota
from kaohe.testing.surveys import QUESTIONS, make_survey, posted

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def builder_post(rows: list[dict[str, str]], **extra: str) -> dict[str, str]:
    """The builder's form as the page posts it."""
    data = {"count": str(len(rows)), "intro_zh": "", "intro_en": "", **extra}
    for n, row in enumerate(rows, start=1):
        for field, value in row.items():
            if value != "":
                data[f"q{n}-{field}"] = value
    return data


LIKERT = {
    "kind": "likert",
    "key": "overall",
    "text_zh": "总体满意度",
    "text_en": "Overall satisfaction",
    "required": "on",
    "points": "5",
    "labels_zh": "很不满意\n不太满意\n一般\n比较满意\n非常满意",
    "labels_en": "",
    "satisfied": "4, 5",
}
CHOICE = {
    "kind": "multiple",
    "key": "topics",
    "text_zh": "您关心哪些方面",
    "options": "就业 | jobs\n教育 | schools\n医疗",
    "max": "2",
}
TEXT = {"kind": "text", "key": "advice", "text_zh": "意见建议", "max_length": "300"}


@pytest.fixture
def ts(world):  # type: ignore[no-untyped-def]
    return make_survey(world, open_it=False)


def test_builder_adds_moves_and_removes_questions_storing_nothing(ts):  # type: ignore[no-untyped-def]
    c = signed_in(ts.manager)
    url = "/surveys/questionnaires/satisfaction/new/"
    page = c.get(url)
    assert page.status_code == 200
    assert page.content.decode().count('class="card question') == len(QUESTIONS)
    events = AuditEvent.objects.count()
    added = c.post(url, builder_post([LIKERT], op="add:matrix"))
    html = added.content.decode()
    assert added.status_code == 200
    # the new matrix question comes with the standard labels in both languages
    assert 'id="question-2" data-kind="matrix"' in html
    assert "很不满意\n不太满意\n一般\n比较满意\n非常满意" in html
    assert "very dissatisfied\ndissatisfied\nneutral\nsatisfied\nvery satisfied" in html
    moved = c.post(url, builder_post([LIKERT, CHOICE, TEXT], op="up:3")).content.decode()
    assert moved.index('value="advice"') < moved.index('value="topics"')
    removed = c.post(url, builder_post([LIKERT, CHOICE, TEXT], op="remove:1")).content.decode()
    assert 'value="overall"' not in removed and 'name="count" value="2"' in removed
    # seven points with the five-point labels get the seven-point labels
    seven = c.post(url, builder_post([{**LIKERT, "points": "7"}], op="refresh")).content.decode()
    assert "非常不满意\n不满意\n不太满意\n一般\n比较满意\n满意\n非常满意" in seven
    assert 'value="6, 7"' in seven
    assert QuestionnaireVersion.objects.count() == 1
    assert AuditEvent.objects.count() == events


def test_builder_saves_a_version_and_names_problems_beside_their_question(ts):  # type: ignore[no-untyped-def]
    c = signed_in(ts.manager)
    url = "/surveys/questionnaires/satisfaction/new/"
    bad = [
        {**LIKERT, "labels_zh": "很不满意\n一般"},
        {**CHOICE, "options": "就业", "max": "x"},
        {**TEXT, "key": "overall", "text_zh": ""},
    ]
    refused = c.post(url, builder_post(bad, op="save"))
    assert refused.status_code == 400
    html = refused.content.decode()
    assert "5 problems: nothing was stored." in html or "个问题" in html
    q1 = html[html.index('id="question-1"') : html.index('id="question-2"')]
    q2 = html[html.index('id="question-2"') : html.index('id="question-3"')]
    q3 = html[html.index('id="question-3"') :]
    assert "labels_zh" in q1
    assert "options" in q2 and "max" in q2
    assert "key" in q3 and "text_zh" in q3
    assert QuestionnaireVersion.objects.count() == 1  # nothing stored
    # the values posted are kept, so the office fixes them in place
    assert "很不满意\n一般" in q1
    good = c.post(url, builder_post([LIKERT, CHOICE, TEXT], op="save", intro_zh="您好"))
    assert good.status_code == 302
    version = QuestionnaireVersion.objects.get(questionnaire__code="satisfaction", number=2)
    assert good["Location"] == "/surveys/questionnaires/satisfaction/v2/"
    assert version.intro_zh == "您好"
    assert version.questions == [
        {
            "key": "overall",
            "kind": "likert",
            "text_zh": "总体满意度",
            "text_en": "Overall satisfaction",
            "required": True,
            "points": 5,
            "labels_zh": ["很不满意", "不太满意", "一般", "比较满意", "非常满意"],
            "satisfied": [4, 5],
        },
        {
            "key": "topics",
            "kind": "multiple",
            "text_zh": "您关心哪些方面",
            "text_en": "",
            "required": False,
            "options": [
                {"zh": "就业", "en": "jobs"},
                {"zh": "教育", "en": "schools"},
                {"zh": "医疗"},
            ],
            "max": 2,
        },
        {
            "key": "advice",
            "kind": "text",
            "text_zh": "意见建议",
            "text_en": "",
            "required": False,
            "max_length": 300,
        },
    ]
    assert (
        AuditEvent.objects.filter(event_type=EventType.QUESTIONNAIRE_VERSION_CREATED).count() == 2
    )


def test_a_version_round_trips_through_the_builder(ts):  # type: ignore[no-untyped-def]
    """The builder prefilled from a version saves the same questions again."""
    c = signed_in(ts.manager)
    page = c.get("/surveys/questionnaires/satisfaction/new/?from=1")
    form = _form_values(page.content.decode())
    saved = c.post("/surveys/questionnaires/satisfaction/new/", {**form, "op": "save"})
    assert saved.status_code == 302
    again = QuestionnaireVersion.objects.get(number=2)
    original = ts.survey.version
    for before, after in zip(original.questions, again.questions, strict=True):
        for key, value in before.items():
            assert after[key] == value, (key, before, after)


def _form_values(html: str) -> dict[str, str]:
    """The builder form's inputs, textareas, checked boxes and selected options (a tiny reader
    for the test: the page's markup is the project's own)."""
    form = html[html.index('id="builder"') : html.index("</form>", html.index('id="builder"'))]
    values: dict[str, str] = {}
    for tag in re.findall(r"<input [^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        if not name:
            continue
        if 'type="checkbox"' in tag:
            if " checked" in tag:
                values[name.group(1)] = "on"
            continue
        value = re.search(r'value="([^"]*)"', tag)
        values[name.group(1)] = _unescape(value.group(1)) if value else ""
    for name, text in re.findall(
        r'<textarea [^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', form, re.S
    ):
        values[name] = _unescape(text)
    for name, body in re.findall(r'<select [^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', body)
        values[name] = chosen.group(1) if chosen else ""
    return values


def _unescape(text: str) -> str:
    return unescape(text)


def test_questions_as_yaml_with_problems_by_question(ts):  # type: ignore[no-untyped-def]
    c = signed_in(ts.manager)
    url = "/surveys/questionnaires/satisfaction/new/yaml/"
    broken = c.post(url, {"yaml_text": "questions: [\n  - key: a\n"})
    assert broken.status_code == 400 and "yaml" in broken.content.decode()
    refused = c.post(
        url,
        {"yaml_text": "- {key: a, kind: likert, text_zh: 满意吗, points: 6, labels_zh: [一]}\n"},
    )
    assert refused.status_code == 400
    html = refused.content.decode()
    question = html[html.index('id="question-1"') :]
    assert "points" in question
    assert QuestionnaireVersion.objects.count() == 1
    ok = c.post(
        url,
        {
            "yaml_text": "intro_zh: 感谢参与\nquestions:\n"
            "  - {key: a, kind: likert, text_zh: 满意吗, points: 5,"
            " labels_zh: [很不满意, 不太满意, 一般, 比较满意, 非常满意]}\n"
        },
    )
    assert ok.status_code == 302
    version = QuestionnaireVersion.objects.get(number=2)
    assert version.intro_zh == "感谢参与" and version.questions[0]["points"] == 5
    # the version page shows its YAML, which reads back to the same questions
    shown = c.get("/surveys/questionnaires/satisfaction/v2/").content.decode()
    assert "intro_zh: 感谢参与" in shown


def test_a_frozen_version_is_read_only_with_a_new_version_from_it(ts):  # type: ignore[no-untyped-def]
    services.open_survey(ts.survey, acting_user=ts.manager)
    c = signed_in(ts.manager)
    page = c.get("/surveys/questionnaires/satisfaction/v1/").content.decode()
    assert "frozen" in page or "冻结" in page
    assert "<form" not in page.split("<main>")[1].split("</main>")[0].replace(
        '<form class="langswitch"', ""
    )
    assert 'href="/surveys/questionnaires/satisfaction/new/?from=1"' in page
    builder = c.get("/surveys/questionnaires/satisfaction/new/?from=1").content.decode()
    assert 'value="rating"' in builder and 'value="channel"' in builder
    preview = c.get("/surveys/questionnaires/satisfaction/v1/preview/").content.decode()
    assert "请对以下单位的工作作出评价" in preview and "电视广播" in preview
    assert "disabled" in preview
    # the respondent's own template: the same sections, a matrix row per sample unit
    assert 'class="answers preview"' in preview and 'data-question="rating"' in preview
    assert preview.count('<fieldset class="unit') == 2 and 'data-reason="preview"' in preview


def test_a_questionnaire_made_on_its_page(ts):  # type: ignore[no-untyped-def]
    c = signed_in(ts.manager)
    made = c.post(
        "/surveys/questionnaires/", {"code": "party", "name_zh": "党建测评", "name_en": "Party"}
    )
    assert made.status_code == 302 and made["Location"].endswith("/party/new/")
    again = c.post("/surveys/questionnaires/", {"code": "party", "name_zh": "重复"})
    assert again.status_code == 400
    assert Questionnaire.objects.filter(code="party").count() == 1
    listing = c.get("/surveys/questionnaires/").content.decode()
    assert "党建测评" in listing


def test_create_open_and_close_a_survey_through_the_pages(world, ts):  # type: ignore[no-untyped-def]
    c = signed_in(ts.manager)
    form = {
        "cycle": "2025",
        "version": str(ts.survey.version.pk),
        "name_zh": "2025年度窗口服务满意度",
        "name_en": "Service windows 2025",
        "kind": "live",
        "category": "district",
        "index_question": "rating",
        "measure": "index",
        "period": "Y",
        "min_n": "5",
        "groups": "deputies | 人大代表 | Deputies | 0.4 | 10 | 200\ncitizens | 市民 | | 0,6 | x",
        "link_group": "citizens",
    }
    refused = c.post("/surveys/new/", form)
    assert refused.status_code == 400
    html = refused.content.decode()
    assert "weight" in html and "quota" in html
    assert Survey.objects.count() == 1
    form["groups"] = "deputies | 人大代表 | Deputies | 0.4 | 10 | 200\ncitizens | 市民 | | 0.6 | 30"
    made = c.post("/surveys/new/", form)
    assert made.status_code == 302
    survey = Survey.objects.exclude(pk=ts.survey.pk).get()
    assert made["Location"] == f"/surveys/{survey.pk}/"
    assert survey.kind == "live" and survey.link_group.code == "citizens"
    assert sorted(survey.units.values_list("code", flat=True)) == ["D01", "D02"]
    page = c.get(f"/surveys/{survey.pk}/").content.decode()
    assert f"/s/l/{survey.link_token}/" in page and 'id="open-survey"' in page
    quota = c.post(
        f"/surveys/{survey.pk}/quotas/",
        {"group": survey.groups.get(code="deputies").pk, "unit": "D02", "quota": "4"},
    )
    assert quota.status_code == 302
    assert UnitQuota.objects.get(group__survey=survey, unit__code="D02").quota == 4
    assert c.post(f"/surveys/{survey.pk}/open/").status_code == 302
    survey.refresh_from_db()
    assert survey.state == "open" and survey.version.frozen
    page = c.get(f"/surveys/{survey.pk}/").content.decode()
    assert 'id="close-survey"' in page and "disabled" not in page.split('id="close-survey"')[1][:40]
    assert c.post(f"/surveys/{survey.pk}/close/").status_code == 302
    survey.refresh_from_db()
    assert survey.state == "closed" and survey.results.count() == 2 * 3


def test_flagged_responses_reviewed_and_the_close_button_says_why(world):  # type: ignore[no-untyped-def]
    ts = make_survey(world)
    d1, d2 = world.d1.pk, world.d2.pk
    services.submit(ts.survey, posted({d1: 5, d2: 4}), client="198.51.100.7")
    flagged = services.submit(
        ts.survey, posted({d1: 5, d2: 4}, advice="很好"), client="198.51.100.7", too_fast=True
    )
    assert flagged.flag == "too_fast"
    c = signed_in(ts.manager)
    page = c.get(f"/surveys/{ts.survey.pk}/").content.decode()
    button = page.split('id="close-survey"')[1][:80]
    assert "disabled" in button
    assert "1 flagged responses wait for review" in page or "待审核" in page
    review = c.get(f"/surveys/{ts.survey.pk}/flagged/").content.decode()
    assert str(flagged.pk) in review
    assert "作答速度快于正常阅读题目所需时间" in review  # the flag in words (zh, the default)
    assert "5 非常满意" in review and "很好" in review and "网络" in review
    refused = c.post(f"/surveys/{ts.survey.pk}/close/")
    assert refused.status_code == 302
    assert Survey.objects.get(pk=ts.survey.pk).state == "open"
    decided = c.post(
        f"/surveys/{ts.survey.pk}/flagged/{flagged.pk}/review/", {"decision": "excluded"}
    )
    assert decided.status_code == 302
    flagged.refresh_from_db()
    assert flagged.review == Response.Review.EXCLUDED
    assert AuditEvent.objects.filter(event_type=EventType.SURVEY_RESPONSE_REVIEWED).count() == 1
    assert str(flagged.pk) not in c.get(f"/surveys/{ts.survey.pk}/flagged/").content.decode()
    shown = c.get(f"/surveys/{ts.survey.pk}/flagged/?review=excluded").content.decode()
    assert str(flagged.pk) in shown
    assert c.post(f"/surveys/{ts.survey.pk}/close/").status_code == 302
    assert Survey.objects.get(pk=ts.survey.pk).state == "closed"


def test_only_who_runs_surveys_opens_these_pages(world, ts):  # type: ignore[no-untyped-def]
    reporter = signed_in(world.users["d1_reporter"])
    assert reporter.get("/surveys/").status_code == 403
    assert reporter.get("/surveys/questionnaires/").status_code == 403
    assert reporter.get(f"/surveys/{ts.survey.pk}/").status_code == 404
    assert reporter.get("/surveys/questionnaires/satisfaction/v1/").status_code == 404
    before = AuditEvent.objects.count()
    assert reporter.post(f"/surveys/{ts.survey.pk}/open/").status_code == 404
    assert AuditEvent.objects.count() == before
    office = signed_in(world.users["office"])
    assert office.get("/surveys/").status_code == 200
    listing = signed_in(ts.manager).get("/surveys/?state=draft").content.decode()
    assert "2025年度群众满意度测评" in listing
    assert (
        "2025年度群众满意度测评"
        not in signed_in(ts.manager).get("/surveys/?state=open").content.decode()
    )
