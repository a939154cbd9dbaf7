"""Goal pages and API: the scope matrix (another unit's goals are 404 and untouchable), the
refusals shown with their messages, the review through the API, and the target pages."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.test import Client

from kaohe.core.models import AuditEvent, Notification
from kaohe.goals import services
from kaohe.goals.models import Goal, GoalSet, ReviewAction, TargetSuggestion
from kaohe.schemes.models import Cycle
from kaohe.testing.goals import fill_portfolio

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def two_sets(gw):  # type: ignore[no-untyped-def]
    """D01's and D02's portfolios, both submitted once and returned once (two versions each)."""
    u = gw.users
    sets = {}
    for unit, head in ((gw.d1, u["d1_head"]), (gw.d2, u["d2_head"])):
        gs = services.create_goal_set(unit, gw.cycle, acting_user=head)
        fill_portfolio(gs, head)
        services.submit_goal_set(gs, acting_user=head)
        services.return_goal_set_for_revision(gs, acting_user=u["office"], comment="补充")
        services.submit_goal_set(gs, acting_user=head)
        services.return_goal_set_for_revision(gs, acting_user=u["office"], comment="再补充")
        sets[unit.code] = gs
    return sets


def urls_of(gs) -> list[str]:  # type: ignore[no-untyped-def]
    goal = gs.goals.first()
    return [
        f"/goals/portfolios/{gs.pk}/",
        f"/goals/portfolios/{gs.pk}/compare/?a=1&b=2",
        f"/goals/portfolios/{gs.pk}/goals/add/",
        f"/goals/portfolios/goals/{goal.pk}/",
        f"/goals/portfolios/goals/{goal.pk}/edit/",
        f"/api/v1/goal-sets/{gs.pk}/",
        f"/api/v1/goal-sets/{gs.pk}/versions/",
        f"/api/v1/goal-sets/{gs.pk}/diff/?a=1&b=2",
        f"/api/v1/goals/{goal.pk}/",
    ]


def test_a_reporter_reaches_its_own_goals_and_gets_404_on_another_units(gw, two_sets):  # type: ignore[no-untyped-def]
    client = client_for(gw.users["d1_reporter"])
    own, other = urls_of(two_sets["D01"]), urls_of(two_sets["D02"])
    assert [client.get(url).status_code for url in own] == [200] * len(own)
    assert [client.get(url).status_code for url in other] == [404] * len(other)
    listing = client.get("/goals/portfolios/?cycle=2025").content.decode()
    assert "东区" in listing and "西区" not in listing
    api = client.get("/api/v1/goal-sets/").json()["results"]
    assert [row["unit"] for row in api] == ["D01"]


def test_a_reporter_cannot_act_on_another_units_goals(gw, two_sets):  # type: ignore[no-untyped-def]
    other = two_sets["D02"]
    goal = other.goals.get(kind="key", order=1)
    client = client_for(gw.users["d1_reporter"])
    events, actions = AuditEvent.objects.count(), ReviewAction.objects.count()
    posts = [
        (
            f"/goals/portfolios/{other.pk}/goals/add/",
            {"kind": "key", "title_zh": "入侵", "target_value": "1"},
        ),
        (f"/goals/portfolios/{other.pk}/submit/", {}),
        (f"/goals/portfolios/{other.pk}/decide/", {"decision": "approve"}),
        (
            f"/goals/portfolios/goals/{goal.pk}/edit/",
            {"kind": "key", "title_zh": "改", "target_value": "1"},
        ),
        (f"/goals/portfolios/goals/{goal.pk}/remove/", {}),
        (f"/goals/portfolios/goals/{goal.pk}/decompose/", {}),
        (f"/api/v1/goal-sets/{other.pk}/submit/", {}),
        (f"/api/v1/goal-sets/{other.pk}/approve/", {}),
        (f"/api/v1/goal-sets/{other.pk}/return/", {"comment": "x"}),
        (f"/api/v1/goals/{goal.pk}/decompose/", {"shares": []}),
    ]
    assert [client.post(url, data).status_code for url, data in posts] == [404] * len(posts)
    assert (
        client.patch(
            f"/api/v1/goals/{goal.pk}/", {"title_zh": "改"}, content_type="application/json"
        ).status_code
        == 404
    )
    assert client.delete(f"/api/v1/goals/{goal.pk}/").status_code == 404
    response = client.post(
        "/api/v1/goals/",
        {"goal_set": other.pk, "kind": "key", "title_zh": "入侵", "target_value": "1"},
        content_type="application/json",
    )
    assert response.status_code == 400
    other.refresh_from_db()
    goal.refresh_from_db()
    assert (other.state, other.version_count, goal.title_zh) == ("returned", 2, "重点目标1")
    assert (AuditEvent.objects.count(), ReviewAction.objects.count()) == (events, actions)
    assert other.goals.count() == 6


def test_reviewers_see_submitted_portfolios_of_every_unit_but_not_drafts(gw, two_sets):  # type: ignore[no-untyped-def]
    draft = services.create_goal_set(
        gw.d1,
        Cycle.objects.create(year=2026, name_zh="2026"),
        acting_user=gw.users["d1_head"],
    )
    client = client_for(gw.users["reviewer"])
    assert client.get(f"/goals/portfolios/{two_sets['D02'].pk}/").status_code == 200
    assert client.get(f"/goals/portfolios/{draft.pk}/").status_code == 404
    own = client_for(gw.users["tjj_reviewer"])  # the bureau's own reviewer sees its draft
    assert own.get(f"/goals/portfolios/{gw.goal_set.pk}/").status_code == 200


def test_the_page_refuses_an_excellence_goal_below_its_benchmark(gw):  # type: ignore[no-untyped-def]
    client = client_for(gw.users["stats_reporter"])
    response = client.post(
        f"/goals/portfolios/{gw.goal_set.pk}/goals/add/",
        {
            "kind": "excellence",
            "title_zh": "数据发布及时率",
            "direction": "higher",
            "target_value": "95",
            "benchmark_name": "宁波市",
            "benchmark_value": "98",
            "benchmark_year": "2024",
            "benchmark_source": "宁波统计年鉴",
            "target_Y": "95",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert (
        "Excellence goal “数据发布及时率”: the target 95 is below the benchmark 98 (宁波市, 2024)"
        in response.content.decode()
    )
    assert Goal.objects.count() == 0
    response = client.post(
        f"/goals/portfolios/{gw.goal_set.pk}/goals/add/",
        {
            "kind": "excellence",
            "title_zh": "数据发布及时率",
            "direction": "higher",
            "target_value": "99",
            "benchmark_name": "宁波市",
            "benchmark_value": "98",
            "benchmark_year": "2024",
            "benchmark_source": "宁波统计年鉴",
            "target_Y": "99",
            "milestones": "2025-06-30 发布日历上线",
        },
    )
    assert response.status_code == 302
    goal = Goal.objects.get()
    assert goal.benchmark_value == Decimal("98")
    assert [(t.time_node.code, t.value) for t in goal.targets.all()] == [("Y", Decimal("99"))]
    assert [m.title for m in goal.milestones.all()] == ["发布日历上线"]


def test_the_review_through_the_api(gw):  # type: ignore[no-untyped-def]
    u = gw.users
    fill_portfolio(gw.goal_set, u["tjj_head"])
    base = f"/api/v1/goal-sets/{gw.goal_set.pk}"
    head = client_for(u["tjj_head"])
    assert head.post(f"{base}/submit/", {"note": "v1"}).json()["level"] == "office"
    office = client_for(u["office"])
    response = office.post(f"{base}/return/", {"comment": ""}, HTTP_ACCEPT_LANGUAGE="en")
    assert (response.status_code, response.json()) == (
        400,
        {"comment": ["Say what should be revised."]},
    )
    assert office.post(f"{base}/return/", {"comment": "补充对标"}).json()["state"] == "returned"
    goal = gw.goal_set.goals.get(kind="excellence")
    patched = head.patch(
        f"/api/v1/goals/{goal.pk}/", {"target_value": "2"}, content_type="application/json"
    )
    assert patched.json()["target_value"] == "2"
    assert head.post(f"{base}/submit/").json()["version_count"] == 2
    assert office.post(f"{base}/approve/").json()["level"] == "comprehensive"
    assert client_for(u["leader"]).post(f"{base}/approve/").status_code == 403
    for name in ("reviewer", "leader"):
        assert client_for(u[name]).post(f"{base}/approve/").status_code == 200
    batch = client_for(u["committee"]).post(
        "/api/v1/goal-sets/batch-approve/",
        {"goal_sets": [gw.goal_set.pk]},
        content_type="application/json",
    )
    assert [row["state"] for row in batch.json()] == ["approved"]
    diff = head.get(f"{base}/diff/?a=1&b=2", HTTP_ACCEPT_LANGUAGE="en").json()
    assert [(d["status"], d["changes"]) for d in diff if d["status"] != "unchanged"] == [
        ("changed", [{"field": "Target", "a": "3", "b": "2"}])
    ]
    decomposed = head.post(
        f"/api/v1/goals/{goal.pk}/decompose/",
        {"shares": [{"division": "DEPT_TJJ-01", "share": "100"}]},
        content_type="application/json",
    )
    assert decomposed.json()["shares"] == [
        {"division": "DEPT_TJJ-01", "post": None, "share": "100.00"}
    ]


def test_pages_of_the_walk_render_for_each_role(gw):  # type: ignore[no-untyped-def]
    u = gw.users
    fill_portfolio(gw.goal_set, u["tjj_head"])
    services.submit_goal_set(gw.goal_set, acting_user=u["tjj_head"])
    office = client_for(u["office"])
    inbox = office.get("/goals/inbox/").content.decode()
    assert f"/goals/portfolios/{gw.goal_set.pk}/" in inbox
    assert (
        'id="decision-form"' in office.get(f"/goals/portfolios/{gw.goal_set.pk}/").content.decode()
    )
    reviewer_page = (
        client_for(u["reviewer"]).get(f"/goals/portfolios/{gw.goal_set.pk}/").content.decode()
    )
    assert 'id="decision-form"' not in reviewer_page
    assert office.get("/goals/portfolios/rules/?cycle=2025").status_code == 200
    assert client_for(u["tjj_head"]).get("/goals/portfolios/rules/").status_code == 403
    page = office.get("/goals/notifications/").content.decode()
    assert "Statistics Bureau" in page or "统计局" in page
    assert office.post("/goals/notifications/").status_code == 302
    assert Notification.objects.unread_for(u["office"]).count() == 0
    response = office.post(
        f"/goals/portfolios/{gw.goal_set.pk}/decide/", {"decision": "approve", "comment": "好"}
    )
    assert response.status_code == 302
    assert GoalSet.objects.get(pk=gw.goal_set.pk).level == "comprehensive"


def test_the_target_pages_draw_history_band_and_target(gw):  # type: ignore[no-untyped-def]
    suggestion = TargetSuggestion.objects.create(
        unit=gw.d1,
        indicator=gw.indicators["gdp"],
        cycle=gw.cycle,
        period="2025Y",
        history={"2022": 1000.0, "2023": 1070.0, "2024": 1150.0},
        target=1230.0,
        low=1200.0,
        high=1260.0,
        method="combined",
        reason_zh="近3年年均增长7.2%",
        reason_en="Grew 7.2% a year",
        backtest_mase=0.42,
    )
    office = client_for(gw.users["office"])
    page = office.get("/goals/targets/D01/?cycle=2025").content.decode()
    assert "近3年年均增长7.2%" in page
    option = json.loads(
        page.split('<script id="chart-gdp" type="application/json">')[1].split("</script>")[0]
    )
    assert option["xAxis"]["data"][-1].startswith("2025")
    assert [s["data"][-1] for s in option["series"]] == [1200.0, 60.0, None, 1230.0, None]
    response = office.post(
        f"/goals/targets/decide/{suggestion.pk}/",
        {"decision": "adjust", "value": "1250", "reason": "新项目"},
    )
    assert response.status_code == 302
    suggestion.refresh_from_db()
    assert (suggestion.state, suggestion.accepted_value, suggestion.adjustment_reason) == (
        "adjusted",
        1250.0,
        "新项目",
    )
    d2 = client_for(gw.users["d2_head"])
    assert d2.get("/goals/targets/D01/").status_code == 404
    assert d2.get(f"/api/v1/target-suggestions/{suggestion.pk}/").status_code == 404
    assert d2.post(f"/api/v1/target-suggestions/{suggestion.pk}/accept/").status_code == 404
    d1 = client_for(gw.users["d1_head"])
    assert d1.get(f"/api/v1/target-suggestions/{suggestion.pk}/").json()["accepted_value"] == 1250.0
    assert d1.post(f"/api/v1/target-suggestions/{suggestion.pk}/accept/").status_code == 403
    english = d1.get("/goals/targets/D01/?cycle=2025", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Grew 7.2% a year" in english and "近3年年均增长7.2%" not in english


def test_a_goal_shows_itself_in_each_version_with_the_comments(gw, two_sets):  # type: ignore[no-untyped-def]
    goal = two_sets["D01"].goals.get(kind="key", order=1)
    page = (
        client_for(gw.users["d1_reporter"])
        .get(f"/goals/portfolios/goals/{goal.pk}/")
        .content.decode()
    )
    assert page.count("<td>v") == 2 and "补充" in page and "再补充" in page


def test_goals_are_drafted_through_the_api_only_in_scope(gw, two_sets):  # type: ignore[no-untyped-def]
    client = client_for(gw.users["d1_reporter"])
    own, other = two_sets["D01"], two_sets["D02"]
    body = {
        "kind": "key",
        "title_zh": "新增目标",
        "target_value": "10",
        "targets": {"Q1": "2", "Y": "10"},
        "milestones": [{"title": "启动", "due_date": "2025-03-31"}],
    }
    created = client.post(
        "/api/v1/goals/", {**body, "goal_set": own.pk}, content_type="application/json"
    )
    assert created.status_code == 201
    assert created.json()["targets"] == {"2025Q1": "2", "2025Y": "10"}
    assert created.json()["milestones"] == [
        {"due_date": "2025-03-31", "title": "启动", "done": False}
    ]
    answers = [
        client.post(
            "/api/v1/goals/", {**body, "goal_set": pk}, content_type="application/json"
        ).json()
        for pk in (other.pk, 999999)
    ]
    assert answers == [{"goal_set": ["unknown goal set"]}] * 2
    assert other.goals.count() == 6
