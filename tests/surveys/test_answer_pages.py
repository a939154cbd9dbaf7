"""The respondent's pages through the real stack (django test Client, CSRF enforced): the
questionnaire for a code, its messages with their HTTP status, invalid answers shown beside
their question with what was given kept, the open link's checks, and no session for anyone."""

from __future__ import annotations

import re
import time

import pytest
from django.contrib.sessions.models import Session
from django.core import signing
from django.test import Client

from kaohe.surveys import services
from kaohe.surveys.models import AccessCode, Response
from kaohe.surveys.views.answer import STAMP_SALT
from kaohe.testing.surveys import make_survey

pytestmark = pytest.mark.django_db


def csrf_client(**extra: str) -> Client:
    return Client(enforce_csrf_checks=True, **extra)


def form_of(c: Client, url: str) -> dict[str, str]:
    """GET the questionnaire; the hidden fields (CSRF token, shown stamp) it carries."""
    page = c.get(url)
    assert page.status_code == 200, page.content[:300]
    html = page.content.decode()
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
    return {k: v for k, v in hidden.items() if k in ("csrfmiddlewaretoken", "shown")}


def answers(world, d1: str = "5", d2: str = "4", **more: str) -> dict[str, str]:
    return {
        f"rating.{world.d1.pk}": d1,
        f"rating.{world.d2.pk}": d2,
        "channel": "2",
        "advice": "多修路",
        **more,
    }


def test_a_code_opens_its_questionnaire_in_chinese_and_answers_once(world):
    ts = make_survey(world)
    code = ts.codes[0].code
    c = csrf_client(REMOTE_ADDR="203.0.113.7")
    assert c.get("/s/").status_code == 200
    typed = c.get("/s/", {"code": f" {code[:4].lower()}-{code[4:]} "})
    assert typed.status_code == 302 and typed["Location"] == f"/s/c/{code}/"
    page = c.get(f"/s/c/{code}/")
    html = page.content.decode()
    assert page.status_code == 200 and 'lang="zh-hans"' in html
    assert "请对以下单位的工作作出评价" in html and "非常满意" in html and world.d1.name_zh in html
    assert f'name="rating#{world.d1.pk}"' in html  # the matrix's comment box per unit
    assert "<script" not in html and "<style" not in html and "topbar" not in html
    assert page["Referrer-Policy"] == "strict-origin"
    hidden = form_of(c, f"/s/c/{code}/")
    sent = c.post(f"/s/c/{code}/", {**hidden, **answers(world)})
    assert sent.status_code == 302 and sent["Location"] == "/s/thanks/"
    assert c.get("/s/thanks/").status_code == 200
    assert Response.objects.count() == 1 and AccessCode.objects.get(code=code).burned
    again = c.get(f"/s/c/{code}/")
    assert again.status_code == 410 and 'data-reason="used_code"' in again.content.decode()
    assert c.post(f"/s/c/{code}/", {**hidden, **answers(world)}).status_code == 410
    assert Response.objects.count() == 1
    assert Session.objects.count() == 0 and "sessionid" not in c.cookies


def test_english_on_request(world):
    ts = make_survey(world)
    page = Client(HTTP_ACCEPT_LANGUAGE="en").get(f"/s/c/{ts.codes[0].code}/")
    assert "How satisfied are you" in page.content.decode()
    assert "very satisfied" in page.content.decode()


def test_the_refusals_are_pages_with_their_status(world):
    c = Client()
    assert c.get("/s/c/NOSUCHCODE/").status_code == 404
    assert c.get("/s/l/no-such-token/").status_code == 404
    draft = make_survey(world, open_it=False)
    not_open = c.get(f"/s/c/{draft.codes[0].code}/")
    assert not_open.status_code == 403 and 'data-reason="not_open"' in not_open.content.decode()
    survey = services.open_survey(draft.survey, acting_user=draft.manager)
    services.close_survey(survey, acting_user=draft.manager)
    closed = c.get(f"/s/c/{draft.codes[0].code}/")
    assert closed.status_code == 403 and 'data-reason="closed"' in closed.content.decode()


def test_a_full_quota_is_said_before_and_on_sending(world):
    ts = make_survey(world, codes=12)  # the coded group's quota is 10
    c = Client()
    for code in ts.codes[:10]:
        assert c.post(f"/s/c/{code.code}/", answers(world)).status_code == 302
    full = c.get(f"/s/c/{ts.codes[10].code}/")
    assert full.status_code == 403 and 'data-reason="quota_full"' in full.content.decode()
    refused = c.post(f"/s/c/{ts.codes[11].code}/", answers(world))
    assert refused.status_code == 403 and not AccessCode.objects.get(pk=ts.codes[11].pk).burned


def test_an_answer_out_of_range_is_shown_beside_its_question_with_the_answers_kept(world):
    ts = make_survey(world)
    code = ts.codes[0].code
    c = csrf_client()
    hidden = form_of(c, f"/s/c/{code}/")
    sent = c.post(
        f"/s/c/{code}/",
        {**hidden, **answers(world, d1="9"), "channel": "", f"rating#{world.d2.pk}": "路灯不亮"},
    )
    html = sent.content.decode()
    assert sent.status_code == 400 and 'data-reason="invalid"' in html
    # the problem is inside the unit's fieldset, next to its radio buttons
    row = re.search(
        rf'<fieldset class="unit has-error" data-field="rating.{world.d1.pk}">(.*?)</fieldset>',
        html,
        re.S,
    )
    assert row and '<p class="error"' in row.group(1) and "1–5" in row.group(1)
    assert re.search(r'data-question="channel">.*?<p class="error"', html, re.S)
    # what was given is kept: the other unit's rating, its comment, the text
    assert re.search(rf'name="rating.{world.d2.pk}" value="4" checked', html)
    assert "路灯不亮" in html and "多修路" in html
    assert not AccessCode.objects.get(code=code).burned and Response.objects.count() == 0


def test_the_open_link_flags_answers_sent_too_fast_and_stores_nothing_of_the_time(world):
    ts = make_survey(world)
    url = f"/s/l/{ts.survey.link_token}/"
    fast = csrf_client(REMOTE_ADDR="198.51.100.1")
    assert fast.post(url, {**form_of(fast, url), **answers(world)}).status_code == 302
    slow = csrf_client(REMOTE_ADDR="198.51.100.2")
    hidden = form_of(slow, url)
    real = time.time
    signing_time = signing.time  # the signer's clock: the form was shown ten seconds ago
    try:
        signing_time.time = lambda: real() - 10  # type: ignore[method-assign]
        hidden["shown"] = signing.TimestampSigner(salt=STAMP_SALT).sign("answer")
    finally:
        signing_time.time = real  # type: ignore[method-assign]
    assert slow.post(url, {**hidden, **answers(world, d1="3")}).status_code == 302
    forged = Client(REMOTE_ADDR="198.51.100.3")  # no stamp at all: a program, not a form
    assert forged.post(url, answers(world, d1="2")).status_code == 302
    flags = {r.answers["rating"][str(world.d1.pk)]: r.flag for r in Response.objects.all()}
    assert flags == {5: "too_fast", 3: "", 2: "too_fast"}
    assert all(r.review == ("pending" if r.flag else "") for r in Response.objects.all())


def test_the_open_link_is_rate_limited_per_client_behind_the_trusted_proxy(world, settings):
    settings.KAOHE_SURVEY_LINK_PER_HOUR = 2
    settings.KAOHE_TRUSTED_PROXY_NETWORKS = [__import__("ipaddress").ip_network("10.0.0.0/8")]
    ts = make_survey(world)
    url = f"/s/l/{ts.survey.link_token}/"
    proxy = Client(REMOTE_ADDR="10.0.0.5")
    one = {"HTTP_X_FORWARDED_FOR": "203.0.113.50"}
    for d1 in ("5", "4"):
        assert proxy.post(url, answers(world, d1=d1), **one).status_code == 302
    limited = proxy.post(url, answers(world, d1="3"), **one)
    assert limited.status_code == 429 and int(limited["Retry-After"]) > 0
    # another client behind the same proxy is not limited, and a forged hop does not help
    other = {"HTTP_X_FORWARDED_FOR": "203.0.113.51"}
    assert proxy.post(url, answers(world, d1="3"), **other).status_code == 302
    forged = {"HTTP_X_FORWARDED_FOR": "192.0.2.9, 203.0.113.50"}
    assert proxy.post(url, answers(world, d1="2"), **forged).status_code == 429
    assert Response.objects.count() == 3


def test_over_the_admission_limit_a_submission_is_answered_503_and_nothing_written(world, settings):
    settings.KAOHE_SURVEY_MAX_PER_SECOND = 2
    ts = make_survey(world)
    c = Client()
    outcomes = []
    for code in ts.codes[:10]:
        sent = c.post(f"/s/c/{code.code}/", answers(world))
        outcomes.append((code.pk, sent.status_code, sent.get("Retry-After")))
        if sent.status_code == 503:
            break
    pk, status, retry = outcomes[-1]
    assert status == 503 and retry == "1"
    assert not AccessCode.objects.get(pk=pk).burned
    stored = [p for p, s, _r in outcomes if s == 302]
    assert Response.objects.count() == len(stored) >= 2
    assert AccessCode.objects.filter(burned=True).count() == len(stored)
    settings.KAOHE_SURVEY_MAX_PER_SECOND = 0  # off: taken again
    assert c.post(f"/s/c/{AccessCode.objects.get(pk=pk).code}/", answers(world)).status_code == 302


def test_the_admission_gate_refuses_before_the_rest_of_the_stack(world, settings):
    """Over the limit the first middleware answers: no CSRF check ran (a post without a token
    is refused 503, not 403), no session, the page in the reader's language with the headers
    the skipped middleware would have set; under it the same post meets the CSRF check."""
    settings.KAOHE_SURVEY_MAX_PER_SECOND = 1
    ts = make_survey(world)
    c = csrf_client()
    refused = []
    for code, language in zip(ts.codes[:4], ("zh-hans", "zh-hans", "en", "en"), strict=True):
        sent = c.post(f"/s/c/{code.code}/", answers(world), HTTP_ACCEPT_LANGUAGE=language)
        if sent.status_code == 503:
            refused.append((language, sent))
        else:
            assert sent.status_code == 403  # the one admitted this second: no CSRF token
    assert refused, "the limit of 1 a second admitted every post"
    for language, sent in refused:
        assert sent["Retry-After"] == "1" and sent["Cache-Control"] == "no-store"
        assert "frame-ancestors 'none'" in sent["Content-Security-Policy"]
        assert sent["X-Content-Type-Options"] == "nosniff"
        page = sent.content.decode()
        assert 'data-reason="busy"' in page and "csrfmiddlewaretoken" not in page
        wanted = "Many people are answering" if language == "en" else "当前作答人数较多"
        assert wanted in page, page
    assert not AccessCode.objects.filter(burned=True).exists()
    assert not Response.objects.exists() and not Session.objects.exists()
