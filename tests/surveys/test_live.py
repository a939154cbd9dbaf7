"""The live rating event (向市民报告): its big screen counts the ratings per unit as they come,
its polled panel answers 304 while no response came (the ETag is read from the responses, which
are not audited), the office opens and closes it, and at close the figures freeze. The city's
big screen shows the open surveys' counts."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from kaohe.surveys import services
from kaohe.surveys.models import Survey, SurveyResult
from kaohe.testing.surveys import make_survey, posted

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def live_event(world: Any):  # type: ignore[no-untyped-def]
    ts = make_survey(world, open_it=False, codes=30)
    survey = services.create_survey(
        acting_user=ts.manager,
        cycle=world.cycle,
        version=ts.survey.version,
        name_zh="向市民报告·现场测评",
        units=[world.d1, world.d2],
        groups=[services.GroupSpec("public", "市民代表", Decimal("1"), 50)],
        index_question="rating",
        kind=Survey.Kind.LIVE,
        link_group="public",
        min_n=2,
    )
    return ts, survey


def test_the_office_opens_the_event_and_the_screen_counts_live(world):
    _ts, survey = live_event(world)
    office = client_for(world.users["office"])
    screen = office.get(f"/surveys/{survey.pk}/live/")
    assert screen.status_code == 200
    html = screen.content.decode()
    assert 'class="screen live-screen"' in html and "<svg" in html  # its own layout, the QR
    assert f"/s/l/{survey.link_token}/" in html
    assert 'data-state="draft"' in html
    assert office.post(f"/surveys/{survey.pk}/live/open/").status_code == 302
    survey.refresh_from_db()
    assert survey.state == Survey.State.OPEN
    panel = office.get(f"/surveys/{survey.pk}/live/panel/")
    etag = panel["ETag"]
    assert 'data-responses="0"' in panel.content.decode()
    assert (
        office.get(f"/surveys/{survey.pk}/live/panel/", HTTP_IF_NONE_MATCH=etag).status_code == 304
    )
    d1, d2 = world.d1.pk, world.d2.pk
    for i, (a, b) in enumerate(((5, 3), (4, 3), (5, 4))):
        services.submit(survey, posted({d1: a, d2: b}), client=f"10.5.0.{i}")
    fresh = office.get(f"/surveys/{survey.pk}/live/panel/", HTTP_IF_NONE_MATCH=etag)
    assert fresh.status_code == 200 and fresh["ETag"] != etag
    live = fresh.context["live"]
    assert live.responses == 3 and not live.final
    by_unit = {u.unit.code: u for u in live.units}
    assert by_unit["D01"].answers == 3
    assert by_unit["D01"].mean == pytest.approx((100 + 75 + 100) / 3)
    assert by_unit["D02"].mean == pytest.approx((50 + 50 + 75) / 3)
    assert 'data-responses="3"' in fresh.content.decode()


def test_closing_freezes_the_figures_and_the_screen_says_final(world):
    ts, survey = live_event(world)
    survey = services.open_survey(survey, acting_user=ts.manager)
    for i in range(4):
        services.submit(
            survey, posted({world.d1.pk: 4, world.d2.pk: 2 + i % 2}), client=f"10.6.0.{i}"
        )
    manager = client_for(ts.manager)
    assert manager.post(f"/surveys/{survey.pk}/live/close/").status_code == 302
    survey.refresh_from_db()
    assert survey.state == Survey.State.CLOSED
    panel = manager.get(f"/surveys/{survey.pk}/live/panel/")
    html = panel.content.decode()
    assert "data-final" in html
    live = panel.context["live"]
    frozen = SurveyResult.objects.get(survey=survey, unit=world.d2, group=None)
    d2 = next(u for u in live.units if u.unit.code == "D02")
    assert live.final and (d2.mean, d2.low, d2.high) == (
        frozen.index,
        frozen.index_low,
        frozen.index_high,
    )
    # a submission after close is refused, so the frozen screen never moves
    with pytest.raises(services.Refused):
        services.submit(survey, posted({world.d1.pk: 1}), client="10.6.0.9")


def test_only_city_wide_viewers_see_the_live_screen_and_managers_run_it(world):
    ts, survey = live_event(world)
    for name in ("d1_reporter", "nobody"):
        c = client_for(world.users[name])
        assert c.get(f"/surveys/{survey.pk}/live/").status_code == 404
        assert c.get(f"/surveys/{survey.pk}/live/panel/").status_code == 404
    committee = client_for(world.users["committee"])
    assert committee.get(f"/surveys/{survey.pk}/live/").status_code == 200
    assert committee.post(f"/surveys/{survey.pk}/live/open/").status_code == 403
    survey.refresh_from_db()
    assert survey.state == Survey.State.DRAFT
    # a questionnaire survey has no live screen
    assert committee.get(f"/surveys/{ts.survey.pk}/live/").status_code == 404


def test_the_city_screen_shows_the_open_surveys_counts(world):
    ts, survey = live_event(world)
    office = client_for(world.users["office"])
    before = office.get("/screen/panels/")
    assert before.context["screen"].surveys.surveys == []
    survey = services.open_survey(survey, acting_user=ts.manager)
    opened = office.get("/screen/panels/", HTTP_IF_NONE_MATCH=before["ETag"])
    assert opened.status_code == 200
    (figure,) = opened.context["screen"].surveys.surveys
    assert (figure.name, figure.responses, figure.target) == ("向市民报告·现场测评", 0, 50)
    etag = opened["ETag"]
    assert office.get("/screen/panels/", HTTP_IF_NONE_MATCH=etag).status_code == 304
    services.submit(survey, posted({world.d1.pk: 5}), client="10.7.0.1")  # not audited
    fresh = office.get("/screen/panels/", HTTP_IF_NONE_MATCH=etag)
    assert fresh.status_code == 200
    (figure,) = fresh.context["screen"].surveys.surveys
    assert figure.responses == 1
    assert 'data-surveys="1"' in fresh.content.decode()


def test_the_live_figures_have_a_json_api_as_fresh_as_the_screen(world):  # type: ignore[no-untyped-def]
    ts, survey = live_event(world)
    office = client_for(world.users["office"])
    survey = services.open_survey(survey, acting_user=ts.manager)
    url = f"/api/v1/survey-live/{survey.pk}/"
    first = office.get(url).json()
    assert (first["state"], first["final"], first["responses"]) == ("open", False, 0)
    assert [u["unit"] for u in first["units"]] == ["D01", "D02"]
    services.submit(survey, posted({world.d1.pk: 5, world.d2.pk: 3}), client="198.51.100.7")
    services.submit(survey, posted({world.d1.pk: 4, world.d2.pk: 3}), client="198.51.100.8")
    after = office.get(url).json()  # not a cached answer: two responses since
    assert after["responses"] == 2 and after["groups"][0] == {
        "group": "public", "responses": 2, "wanted": 50,
    }  # fmt: skip
    by_unit = {u["unit"]: u for u in after["units"]}
    assert by_unit["D01"]["answers"] == 2 and by_unit["D01"]["mean"] == pytest.approx(87.5)
    listed = office.get("/api/v1/survey-live/").json()
    assert [s["survey"] for s in listed["results"]] == [survey.pk] and listed["count"] == 1
    # a unit's reporter is not a city-wide viewer: the event is not there for them
    assert client_for(world.users["d1_reporter"]).get(url).status_code == 404


def test_the_city_screen_page_is_not_served_from_cache_past_a_response(world, settings):  # type: ignore[no-untyped-def]
    settings.KAOHE_FRAGMENT_SECONDS = 60  # the page cache on, as in production
    ts, survey = live_event(world)
    survey = services.open_survey(survey, acting_user=ts.manager)
    office = client_for(world.users["office"])
    assert '<td class="num">0 / 50</td>' in office.get("/screen/").content.decode()
    services.submit(survey, posted({world.d1.pk: 5}), client="10.7.0.2")  # not audited
    # the cached page would still say 0: its key names the open surveys' responses
    assert '<td class="num">1 / 50</td>' in office.get("/screen/").content.decode()
