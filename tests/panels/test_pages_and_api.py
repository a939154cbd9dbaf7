"""The panel pages and API per role: an expert sees only their assignments; a unit sees its own
goals' aggregated results, never a rating or who rated; the office builds and runs the panel
with buttons and forms through the services."""

from __future__ import annotations

import pytest
from django.test import Client

from kaohe.core.events import EventType
from kaohe.core.models import AuditEvent
from kaohe.panels import services
from kaohe.panels.models import Assignment, Panel, PanelGoal, Rating

from .test_services import RATINGS, rate_all, scores

pytestmark = pytest.mark.django_db


def client(user) -> Client:  # type: ignore[no-untyped-def]
    c = Client(HTTP_ACCEPT_LANGUAGE="en")  # the messages quoted below are the English ones
    c.force_login(user)
    return c


def test_the_expert_page_lists_only_their_assignments(pw) -> None:  # type: ignore[no-untyped-def]
    rate_all(pw)
    e3 = pw.experts["e3"]
    (extra,) = services.assign_goal(
        pw.panel, pw.goals["D02"], acting_user=pw.users["office"], experts=[e3]
    )
    page = client(e3).get("/panels/mine/")
    assert page.status_code == 200
    shown = list(page.context["assignments"])
    assert sorted(a.pk for a in shown) == sorted(
        Assignment.objects.filter(member__expert=e3).values_list("pk", flat=True)
    )
    assert len(shown) == 3 and shown[0].pk == extra.pk  # the open one first
    html = page.content.decode()
    assert f"/panels/assignments/{extra.pk}/" in html
    # another expert's assignment is not there, and its page is a 404
    others = Assignment.objects.exclude(member__expert=e3)
    assert client(e3).get(f"/panels/assignments/{others.first().pk}/").status_code == 404
    api = client(e3).get("/api/v1/panel-assignments/").json()
    assert {row["expert"] for row in api["results"]} == {"e3"} and api["count"] == 3
    ratings = client(e3).get("/api/v1/panel-ratings/").json()
    assert ratings["count"] == 2 and {row["expert"] for row in ratings["results"]} == {"e3"}
    # the panel and the goal results are not the expert's
    assert client(e3).get(f"/panels/{pw.panel.pk}/").status_code == 404
    assert client(e3).get("/api/v1/panel-results/").json()["count"] == 0


def test_the_rating_form_shows_the_rubric_and_submits_once(pw) -> None:  # type: ignore[no-untyped-def]
    e1 = pw.experts["e1"]
    (assignment,) = services.assign_goal(
        pw.panel, pw.goals["D01"], acting_user=pw.users["office"], experts=[e1]
    )
    c = client(e1)
    url = f"/panels/assignments/{assignment.pk}/"
    page = c.get(url)
    html = page.content.decode()
    for band in ("90–100", "75–89", "60–74", "0–59", "Needs a breakthrough in institutions"):
        assert band in html
    assert html.count('class="card rubric-row"') == 4
    refused = c.post(url, {"excellence": 120, "difficulty": 80, "innovation": 70, "benefit": 60})
    assert refused.status_code == 200 and not Rating.objects.exists()
    done = c.post(url, {**scores((91, 82, 73, 64)), "comment": "对标深圳"})
    assert done.status_code == 302 and done["Location"] == "/panels/mine/"
    rating = Rating.objects.get()
    assert rating.scores == scores((91, 82, 73, 64)) and rating.comment == "对标深圳"
    # submitted: the page shows it and takes no second rating
    again = c.post(url, scores((10, 10, 10, 10)))
    assert again.status_code == 200
    assert "already rated; a submitted rating is final" in again.content.decode()
    assert Rating.objects.get().excellence == 91
    assert 'id="rating-form"' not in c.get(url).content.decode()
    # the office sees the assignment but does not rate it
    office_try = client(pw.users["office"]).post(
        "/api/v1/panel-ratings/",
        {"assignment": assignment.pk, **scores((1, 1, 1, 1))},
        content_type="application/json",
    )
    assert office_try.status_code in {400, 403}


def test_a_unit_sees_its_own_aggregate_only(pw) -> None:  # type: ignore[no-untyped-def]
    rate_all(pw)
    head = client(pw.users["d1_head"])
    own = PanelGoal.objects.get(goal=pw.goals["D01"])
    other = PanelGoal.objects.get(goal=pw.goals["D02"])
    page = head.get(f"/panels/results/{own.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "81.25" in html and "85.00" in html
    # no single rating, no rater: neither the experts' names nor a dropped extreme (95, 70)
    for secret in ("专家1", "(e1)", "Dropped", ">95<", ">70<"):
        assert secret not in html
    assert head.get(f"/panels/results/{other.pk}/").status_code == 404
    listing = head.get("/panels/results/")
    assert [item.pk for item, _r in listing.context["rows"]] == [own.pk]
    api = head.get("/api/v1/panel-results/").json()
    assert [row["unit"] for row in api["results"]] == ["D01"]
    row = api["results"][0]
    assert row["score"] == 81.25 and row["ratings"] == 5
    assert set(row) == {
        "id",
        "panel",
        "cycle",
        "unit",
        "goal",
        "goal_title",
        "ratings",
        "dimensions",
        "score",
        "notes",
    }
    assert head.get(f"/api/v1/panel-results/{other.pk}/").status_code == 404
    for path in ("panel-ratings", "panel-assignments", "panel-conflicts", "panels"):
        assert head.get(f"/api/v1/{path}/").json()["count"] == 0, path
    assert head.get(f"/panels/{pw.panel.pk}/").status_code == 404


def test_the_office_sees_everything(pw) -> None:  # type: ignore[no-untyped-def]
    rate_all(pw)
    c = client(pw.users["office"])
    page = c.get(f"/panels/{pw.panel.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "81.25" in html and "77.50" in html and "89.25" in html
    assert "Kendall&#x27;s W = " in html and "ICC(2,1) = " in html
    item = PanelGoal.objects.get(goal=pw.goals["D01"])
    detail = c.get(f"/panels/results/{item.pk}/").content.decode()
    assert "专家5" in detail and ">95<" in detail  # each rating, and who gave it
    results = c.get(f"/api/v1/panels/{pw.panel.pk}/results/").json()
    assert [g["score"] for g in results["goals"]] == [81.25, 89.25, 77.5]
    assert [r["expert"] for r in results["raters"]] == ["e1", "e2", "e3", "e4", "e5"]
    assert client(pw.users["auditor"]).get(f"/panels/{pw.panel.pk}/").status_code == 200
    assert c.get("/api/v1/panel-ratings/").json()["count"] == sum(map(len, RATINGS.values()))


def test_the_office_runs_a_panel_with_buttons(pw) -> None:  # type: ignore[no-untyped-def]
    c = client(pw.users["office"])
    made = c.post(
        "/panels/new/",
        {
            "cycle": 2025,
            "name_zh": "第二评审组",
            "indicator": "excellence_score",
            **{f"weight_{d}": 1 for d in ("excellence", "difficulty", "innovation", "benefit")},
        },
    )
    panel = Panel.objects.get(name_zh="第二评审组")
    assert made.status_code == 302 and made["Location"] == f"/panels/{panel.pk}/"
    for name in ("e1", "e5"):
        c.post(f"/panels/{panel.pk}/members/", {"expert": pw.experts[name].pk})
    assert panel.members.count() == 2
    # e5 belongs to West District: refused with the reason shown, nothing assigned
    refused = c.post(
        f"/panels/{panel.pk}/assign/",
        {"goal": pw.goals["D02"].pk, "experts": [pw.experts["e1"].pk, pw.experts["e5"].pk]},
        follow=True,
    )
    assert "专家5 (e5) belongs to West District" in refused.content.decode()
    assert not Assignment.objects.filter(item__panel=panel).exists()
    c.post(
        f"/panels/{panel.pk}/assign/",
        {"goal": pw.goals["D02"].pk, "experts": [pw.experts["e1"].pk]},
    )
    assignment = Assignment.objects.get(item__panel=panel)
    c.post(f"/panels/assignments/{assignment.pk}/withdraw/", {"reason": "重新安排"})
    assignment.refresh_from_db()
    assert assignment.state == "withdrawn" and assignment.withdrawn_reason == "重新安排"
    c.post(f"/panels/{panel.pk}/close/", {"reason": "结束"})
    panel.refresh_from_db()
    assert panel.state == Panel.State.CLOSED
    kinds = set(
        AuditEvent.objects.filter(acting_user=pw.users["office"]).values_list(
            "event_type", flat=True
        )
    )
    assert {
        EventType.PANEL_CREATED,
        EventType.PANEL_MEMBER_ADDED,
        EventType.PANEL_GOAL_ASSIGNED,
        EventType.PANEL_ASSIGNMENT_WITHDRAWN,
        EventType.PANEL_CLOSED,
    } <= kinds
    # the committee reads the panel but does not run it
    committee = client(pw.users["committee"])
    assert committee.get(f"/panels/{panel.pk}/").status_code == 200
    assert committee.post(f"/panels/{panel.pk}/feed/").status_code == 403


def test_the_api_rates_and_refuses_with_reasons(pw) -> None:  # type: ignore[no-untyped-def]
    office = client(pw.users["office"])
    refused = office.post(
        f"/api/v1/panels/{pw.panel.pk}/assign/",
        {"goal": pw.goals["D02"].pk, "experts": ["e5"]},
        content_type="application/json",
    )
    assert refused.status_code == 400
    assert "no one judges their own unit" in refused.json()["experts"][0]
    made = office.post(
        f"/api/v1/panels/{pw.panel.pk}/assign/",
        {"goal": pw.goals["D02"].pk, "experts": ["e1", "e2"]},
        content_type="application/json",
    )
    assert made.status_code == 200 and [a["expert"] for a in made.json()] == ["e1", "e2"]
    e1 = client(pw.experts["e1"])
    body = {"assignment": made.json()[0]["id"], **scores((88, 92, 84, 90)), "comment": "好"}
    first = e1.post("/api/v1/panel-ratings/", body, content_type="application/json")
    assert first.status_code == 201 and first.json()["excellence"] == 88
    second = e1.post(
        "/api/v1/panel-ratings/", {**body, "excellence": 10}, content_type="application/json"
    )
    assert second.status_code == 400 and "final" in str(second.json())
    conflict = client(pw.experts["e2"]).post(
        "/api/v1/panel-conflicts/",
        {"unit": "D02", "reason": "亲属任职"},
        content_type="application/json",
    )
    assert conflict.status_code == 201 and conflict.json()["expert"] == "e2"
    assert Assignment.objects.get(pk=made.json()[1]["id"]).state == "withdrawn"
    created = office.post(
        "/api/v1/panels/",
        {"cycle": 2025, "name_zh": "接口评审组", "weights": {"excellence": 2, "benefit": 1}},
        content_type="application/json",
    )
    assert created.status_code == 201
    assert [d["weight"] for d in created.json()["dimensions"]] == [
        "2.0000",
        "0.0000",
        "0.0000",
        "1.0000",
    ]
