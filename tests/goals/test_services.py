"""The goal services: drafting, the portfolio and benchmark rules, the four-level review with a
return, versions and their comparison, reminders, decomposition — each with its audit event."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kaohe.core.events import EventType
from kaohe.core.models import AuditEvent, Notification, ObjectChange
from kaohe.core.roles import Role
from kaohe.goals import selectors, services
from kaohe.goals.models import Goal, GoalSet, GoalSetVersion, GoalShare, ReviewAction
from kaohe.testing.goals import fill_portfolio
from kaohe.testing.world import make_user
from kaohe.units import services as unit_services

pytestmark = pytest.mark.django_db


def last_event_id() -> int:
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def events_after(mark: int) -> list[int]:
    return list(
        AuditEvent.objects.filter(pk__gt=mark).order_by("pk").values_list("event_type", flat=True)
    )


def excellence(gw, **overrides):  # type: ignore[no-untyped-def]
    fields = {
        "kind": "excellence",
        "title_zh": "企业开办时间",
        "direction": "lower",
        "target_value": Decimal("0.5"),
        "unit_of_measure": "天",
        "benchmark_name": "深圳市",
        "benchmark_value": Decimal("1"),
        "benchmark_year": 2024,
        "benchmark_source": "全国营商环境评价2024",
    }
    fields.update(overrides)
    return services.add_goal(gw.goal_set, acting_user=gw.users["stats_reporter"], **fields)


def test_creating_a_goal_set_is_audited_and_unique(gw):  # type: ignore[no-untyped-def]
    event = AuditEvent.objects.filter(event_type=EventType.GOAL_SET_CREATED).get()
    assert (event.unit, event.acting_user) == (gw.dept, gw.users["tjj_head"])
    assert event.changes.get().action == ObjectChange.Action.CREATE
    with pytest.raises(ValidationError) as exc:
        services.create_goal_set(gw.dept, gw.cycle, acting_user=gw.users["tjj_head"])
    assert exc.value.messages == [
        "Statistics Bureau already has a goal portfolio for 2025 annual assessment."
    ]


def test_adding_updating_and_removing_a_goal_are_audited(gw):  # type: ignore[no-untyped-def]
    reporter = gw.users["stats_reporter"]
    mark = last_event_id()
    goal = services.add_goal(
        gw.goal_set,
        acting_user=reporter,
        title_zh="数据质量",
        indicator=gw.indicators["gdp"],
        target_value="1300",
        targets={"Q1": "300", "2025Y": "1300"},
        milestones=[("完成普查", dt.date(2025, 9, 30))],
    )
    assert [(t.time_node.code, t.value) for t in goal.targets.all()] == [
        ("Q1", Decimal("300")),
        ("Y", Decimal("1300")),
    ]
    services.update_goal(goal, acting_user=reporter, target_value="1350", targets={"Y": "1350"})
    services.remove_goal(goal, acting_user=reporter, reason="merged")
    assert events_after(mark) == [
        EventType.GOAL_ADDED,
        EventType.GOAL_UPDATED,
        EventType.GOAL_REMOVED,
    ]
    updated = AuditEvent.objects.get(event_type=EventType.GOAL_UPDATED)
    assert updated.extra_data["before"]["targets"] == {"2025Q1": "300", "2025Y": "1300"}
    assert updated.extra_data["after"]["targets"] == {"2025Y": "1350"}
    assert updated.changes.get().changed_fields == [("target_value", "1300.0000", "1350.0000")]
    removed = AuditEvent.objects.get(event_type=EventType.GOAL_REMOVED)
    assert (removed.reason, removed.changes.get().action) == ("merged", ObjectChange.Action.DELETE)
    assert Goal.objects.count() == 0


def test_an_excellence_goal_below_its_benchmark_is_refused(gw):  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as exc:
        excellence(
            gw, direction="higher", target_value=Decimal("95"), benchmark_value=Decimal("96.5")
        )
    assert exc.value.messages == [
        "Excellence goal “企业开办时间”: the target 95 is below the benchmark 96.5 (深圳市, 2024); "
        "an excellence goal may not aim lower than its benchmark."
    ]
    with pytest.raises(ValidationError) as exc:
        excellence(gw, target_value=Decimal("1.5"))
    assert exc.value.messages == [
        "Excellence goal “企业开办时间”: the target 1.5 is above the benchmark 1 (深圳市, 2024); "
        "for a lower-is-better goal the target may not exceed its benchmark."
    ]
    with pytest.raises(ValidationError) as exc:
        excellence(gw, benchmark_source="")
    assert exc.value.messages == [
        "Excellence goal “企业开办时间” must name its benchmark: the peer city or unit, its value, "
        "the year and the source."
    ]
    assert Goal.objects.count() == 0
    assert not AuditEvent.objects.filter(event_type=EventType.GOAL_ADDED).exists()
    # Equal to the benchmark is allowed; so is a key goal with no benchmark at all.
    assert excellence(gw, target_value=Decimal("1")).pk


def test_an_update_below_the_benchmark_is_refused_and_changes_nothing(gw):  # type: ignore[no-untyped-def]
    goal = excellence(gw)
    with pytest.raises(ValidationError):
        services.update_goal(goal, acting_user=gw.users["stats_reporter"], target_value="2")
    goal.refresh_from_db()
    assert goal.target_value == Decimal("0.5")
    assert not AuditEvent.objects.filter(event_type=EventType.GOAL_UPDATED).exists()


def test_submitting_checks_the_portfolio_rules_naming_each_goal(gw):  # type: ignore[no-untyped-def]
    head = gw.users["tjj_head"]
    fill_portfolio(gw.goal_set, head, key=3, excellence=0)
    services.add_goal(gw.goal_set, acting_user=head, title_zh="无目标值的目标")
    with pytest.raises(ValidationError) as exc:
        services.submit_goal_set(gw.goal_set, acting_user=head)
    assert exc.value.messages == [
        "The portfolio has 4 key goal(s); the rules of 2025 annual assessment ask for 5 to 9.",
        "The portfolio has 0 excellence goal(s); the rules of 2025 annual assessment ask for "
        "1 to 3.",
        "Goal “无目标值的目标” has neither a quantitative target nor a milestone.",
    ]
    gw.goal_set.refresh_from_db()
    assert (gw.goal_set.state, gw.goal_set.version_count) == (GoalSet.State.DRAFT, 0)
    assert GoalSetVersion.objects.count() == 0


def test_portfolio_rules_are_configurable_per_cycle(gw):  # type: ignore[no-untyped-def]
    head = gw.users["tjj_head"]
    fill_portfolio(gw.goal_set, head, key=3, excellence=1)
    mark = last_event_id()
    services.set_portfolio_rules(
        gw.cycle,
        acting_user=gw.users["office"],
        min_key=3,
        max_key=4,
        min_excellence=1,
        max_excellence=1,
    )
    assert events_after(mark) == [EventType.GOAL_PORTFOLIO_RULES_SET]
    version = services.submit_goal_set(gw.goal_set, acting_user=head)
    assert version.number == 1
    with pytest.raises(PermissionDenied):
        services.set_portfolio_rules(
            gw.cycle, acting_user=head, min_key=1, max_key=2, min_excellence=1, max_excellence=1
        )
    with pytest.raises(ValidationError) as exc:
        services.set_portfolio_rules(
            gw.cycle,
            acting_user=gw.users["office"],
            min_key=5,
            max_key=4,
            min_excellence=1,
            max_excellence=3,
        )
    assert exc.value.messages == ["The fewest goals of a kind cannot exceed the most."]


def test_a_reporter_drafts_but_only_the_unit_head_submits(gw):  # type: ignore[no-untyped-def]
    fill_portfolio(gw.goal_set, gw.users["stats_reporter"])
    with pytest.raises(PermissionDenied):
        services.submit_goal_set(gw.goal_set, acting_user=gw.users["stats_reporter"])
    gw.goal_set.refresh_from_db()
    assert gw.goal_set.state == GoalSet.State.DRAFT


def test_the_four_level_walk_with_one_return(gw):  # type: ignore[no-untyped-def]
    u = gw.users
    fill_portfolio(gw.goal_set, u["tjj_head"])
    services.set_review_deadline(
        gw.cycle, acting_user=u["office"], level="comprehensive", due_date=dt.date(2025, 3, 10)
    )
    mark = last_event_id()
    services.submit_goal_set(gw.goal_set, acting_user=u["tjj_head"], note="first")
    gs = GoalSet.objects.get(pk=gw.goal_set.pk)
    assert (gs.state, gs.level) == ("in_review", "office")
    assert selectors.inbox(u["office"], "office") == [gs]
    assert selectors.inbox(u["reviewer"], "office") == []
    assert Notification.objects.filter(user=u["office"]).count() == 1

    services.approve_goal_set(gs, acting_user=u["office"], comment="格式规范")
    gs.refresh_from_db()
    assert gs.level == "comprehensive"
    note = Notification.objects.get(user=u["reviewer"])
    assert note.text == (
        "Goals of Statistics Bureau (2025 annual assessment) wait for your review at the level: "
        "Comprehensive departments. Due 2025-03-10."
    )
    assert note.link == f"/goals/portfolios/{gs.pk}/"

    services.return_goal_set_for_revision(gs, acting_user=u["reviewer"], comment="创优目标对标偏低")
    gs.refresh_from_db()
    assert (gs.state, gs.level, gs.editable) == ("returned", "comprehensive", True)
    assert Notification.objects.filter(user__in=[u["tjj_head"], u["stats_reporter"]]).count() == 2

    goal = gs.goals.get(kind="excellence")
    services.update_goal(goal, acting_user=u["stats_reporter"], target_value="2.5")
    services.submit_goal_set(gs, acting_user=u["tjj_head"], note="revised")
    gs.refresh_from_db()
    assert (gs.state, gs.level, gs.version_count) == ("in_review", "comprehensive", 2)

    services.approve_goal_set(gs, acting_user=u["reviewer"])
    with pytest.raises(PermissionDenied):  # the district's leader does not cover the bureau
        services.approve_goal_set(gs, acting_user=u["district_leader"])
    services.approve_goal_set(gs, acting_user=u["leader"])
    services.approve_goal_set(gs, acting_user=u["committee"], comment="同意")
    gs.refresh_from_db()
    assert (gs.state, gs.level, gs.editable) == ("approved", "", False)
    assert gs.approved_at is not None

    assert events_after(mark) == [
        EventType.GOAL_SET_SUBMITTED,
        EventType.GOAL_SET_APPROVED_AT_LEVEL,
        EventType.GOAL_SET_RETURNED,
        EventType.GOAL_UPDATED,
        EventType.GOAL_SET_SUBMITTED,
        EventType.GOAL_SET_APPROVED_AT_LEVEL,
        EventType.GOAL_SET_APPROVED_AT_LEVEL,
        EventType.GOAL_SET_APPROVED,
    ]
    actions = list(
        gs.actions.values_list("level", "decision", "version__number", "actor__username")
    )
    assert actions == [
        ("office", "approve", 1, "office"),
        ("comprehensive", "return", 1, "reviewer"),
        ("comprehensive", "approve", 2, "reviewer"),
        ("leader", "approve", 2, "leader"),
        ("committee", "approve", 2, "committee"),
    ]
    returned = AuditEvent.objects.get(event_type=EventType.GOAL_SET_RETURNED)
    assert (returned.reason, returned.extra_data) == (
        "创优目标对标偏低",
        {"level": "comprehensive", "version": 1},
    )
    assert returned.changes.get().changed_fields == [("state", "in_review", "returned")]

    v1, v2 = gs.versions.order_by("number")
    diff = selectors.diff_snapshots(v1.snapshot, v2.snapshot)
    assert [d.status for d in diff] == ["unchanged"] * 5 + ["changed"]
    assert [(r[0], r[1], r[2]) for r in diff[-1].rows if r[3]] == [("Target", "3", "2.5")]

    with pytest.raises(ValidationError) as exc:
        services.update_goal(goal, acting_user=u["tjj_head"], title_zh="改")
    assert exc.value.messages == [
        "The goals of Statistics Bureau can only be changed in draft or when returned for "
        "revision (now: approved)."
    ]


def test_acting_at_the_wrong_level_is_refused_and_changes_nothing(gw):  # type: ignore[no-untyped-def]
    u = gw.users
    fill_portfolio(gw.goal_set, u["tjj_head"])
    services.submit_goal_set(gw.goal_set, acting_user=u["tjj_head"])
    for user in (u["reviewer"], u["leader"], u["tjj_head"], u["d1_reporter"]):
        with pytest.raises(PermissionDenied):
            services.approve_goal_set(gw.goal_set, acting_user=user)
        with pytest.raises(PermissionDenied):
            services.return_goal_set_for_revision(gw.goal_set, acting_user=user, comment="x")
    with pytest.raises(ValidationError) as exc:
        services.return_goal_set_for_revision(gw.goal_set, acting_user=u["office"], comment=" ")
    assert exc.value.messages == ["Say what should be revised."]
    gw.goal_set.refresh_from_db()
    assert (gw.goal_set.state, gw.goal_set.level) == ("in_review", "office")
    assert ReviewAction.objects.count() == 0
    with pytest.raises(ValidationError) as exc:
        services.add_goal(gw.goal_set, acting_user=u["tjj_head"], title_zh="晚了", target_value=1)
    assert exc.value.messages == [
        "The goals of Statistics Bureau can only be changed in draft or when returned for "
        "revision (now: in review: Assessment office)."
    ]


def _to_committee(gs, u):  # type: ignore[no-untyped-def]
    for user in (u["office"], u["reviewer"]):
        services.approve_goal_set(gs, acting_user=user)
    services.approve_goal_set(
        gs, acting_user=u["leader"] if gs.unit.code == "DEPT_TJJ" else u["district_leader"]
    )


def test_the_committee_approves_a_batch_all_or_nothing(gw):  # type: ignore[no-untyped-def]
    u = gw.users
    other = services.create_goal_set(gw.d1, gw.cycle, acting_user=u["d1_head"])
    for gs, head in ((gw.goal_set, u["tjj_head"]), (other, u["d1_head"])):
        fill_portfolio(gs, head)
        services.submit_goal_set(gs, acting_user=head)
    _to_committee(gw.goal_set, u)
    with pytest.raises(ValidationError) as exc:
        services.approve_goal_sets_in_batch([gw.goal_set, other], acting_user=u["committee"])
    assert exc.value.messages == [
        "The goals of East District are not waiting for the committee "
        "(now: in review: Assessment office)."
    ]
    assert GoalSet.objects.filter(state="approved").count() == 0
    _to_committee(other, u)
    with pytest.raises(PermissionDenied):
        services.approve_goal_sets_in_batch([gw.goal_set, other], acting_user=u["leader"])
    mark = last_event_id()
    actions = services.approve_goal_sets_in_batch(
        [gw.goal_set, other], acting_user=u["committee"], comment="批量"
    )
    assert [a.decision for a in actions] == ["approve", "approve"]
    assert events_after(mark) == [EventType.GOAL_SET_APPROVED, EventType.GOAL_SET_APPROVED]
    assert GoalSet.objects.filter(state="approved").count() == 2


def test_reminders_reach_the_reviewers_of_due_and_overdue_portfolios(gw):  # type: ignore[no-untyped-def]
    u = gw.users
    fill_portfolio(gw.goal_set, u["tjj_head"])
    services.submit_goal_set(gw.goal_set, acting_user=u["tjj_head"])
    services.set_review_deadline(
        gw.cycle, acting_user=u["office"], level="office", due_date=dt.date(2025, 3, 1)
    )
    Notification.objects.all().delete()
    assert (
        services.send_review_reminders(gw.cycle, acting_user=u["office"], today=dt.date(2025, 2, 1))
        == 0
    )
    sent = services.send_review_reminders(
        gw.cycle, acting_user=u["office"], today=dt.date(2025, 3, 2)
    )
    assert sent == 1
    assert Notification.objects.get().text == (
        "Reminder: the goals of Statistics Bureau wait at the level: Assessment office. "
        "Overdue since 2025-03-01."
    )
    event = (
        AuditEvent.objects.filter(event_type=EventType.GOAL_REVIEW_REMINDERS_SENT)
        .order_by("pk")
        .last()
    )
    assert event.extra_data == {"messages": 1, "today": "2025-03-02"}


def test_decomposition_needs_approval_and_shares_adding_up_to_100(gw):  # type: ignore[no-untyped-def]
    u = gw.users
    fill_portfolio(gw.goal_set, u["tjj_head"])
    goal = gw.goal_set.goals.get(title_zh="重点目标1")
    post = unit_services.create_post(
        acting_user=gw.admin,
        unit=gw.division,
        code="TJJ-01-CHIEF",
        title_zh="处长",
        rank="division_chief",
    )
    shares = [services.ShareRow(gw.division, "60"), services.ShareRow(post, "40")]
    with pytest.raises(ValidationError) as exc:
        services.decompose_goal(goal, acting_user=u["tjj_head"], shares=shares)
    assert exc.value.messages == [
        "Goal “重点目标1” can be decomposed once its portfolio is approved."
    ]
    services.submit_goal_set(gw.goal_set, acting_user=u["tjj_head"])
    _to_committee(gw.goal_set, u)
    services.approve_goal_set(gw.goal_set, acting_user=u["committee"])

    with pytest.raises(ValidationError) as exc:
        services.decompose_goal(
            goal,
            acting_user=u["tjj_head"],
            shares=[services.ShareRow(gw.division, "60"), services.ShareRow(post, "30")],
        )
    assert exc.value.messages == [
        "The shares of goal “重点目标1” add up to 90%; they must add up to 100%."
    ]
    with pytest.raises(ValidationError) as exc:
        services.decompose_goal(
            goal, acting_user=u["tjj_head"], shares=[services.ShareRow(gw.d2, "100")]
        )
    assert exc.value.messages == ["West District is not a division or post of Statistics Bureau."]
    with pytest.raises(PermissionDenied):
        services.decompose_goal(goal, acting_user=u["d1_reporter"], shares=shares)
    assert GoalShare.objects.count() == 0

    mark = last_event_id()
    created = services.decompose_goal(goal, acting_user=u["tjj_head"], shares=shares)
    assert [(str(s.holder), s.share) for s in created] == [
        ("General Division", Decimal("60.00")),
        ("处长", Decimal("40.00")),
    ]
    assert events_after(mark) == [EventType.GOAL_DECOMPOSED]
    assert goal.share_total == Decimal("100.00")


def test_the_reminder_command_sends_as_the_office(gw):  # type: ignore[no-untyped-def]
    from io import StringIO

    from django.core.management import call_command

    u = gw.users
    fill_portfolio(gw.goal_set, u["tjj_head"])
    services.submit_goal_set(gw.goal_set, acting_user=u["tjj_head"])
    services.set_review_deadline(
        gw.cycle, acting_user=u["office"], level="office", due_date=dt.date(2025, 3, 1)
    )
    out = StringIO()
    call_command("send_goal_reminders", "--as", "office", stdout=out)
    assert out.getvalue() == "1 reminder(s) sent for 2025.\n"
    with pytest.raises(PermissionDenied):
        call_command("send_goal_reminders", "--as", "d1_reporter", stdout=out)


def test_no_one_judges_their_own_unit(gw):  # type: ignore[no-untyped-def]
    """The bureau's own reviewer, a leader and a committee member who work in the bureau are
    refused on its goals with the reason; the others decide them."""
    u = gw.users
    fill_portfolio(gw.goal_set, u["tjj_head"])
    services.submit_goal_set(gw.goal_set, acting_user=u["tjj_head"])
    gs = GoalSet.objects.get(pk=gw.goal_set.pk)
    services.approve_goal_set(gs, acting_user=u["office"])
    gs.refresh_from_db()
    assert gs.level == "comprehensive"
    assert selectors.inbox(u["tjj_reviewer"], "comprehensive") == []
    own = "No one judges their own unit: you belong to Statistics Bureau"
    for step in (services.approve_goal_set, services.return_goal_set_for_revision):
        with pytest.raises(PermissionDenied, match=own):
            step(gs, acting_user=u["tjj_reviewer"], comment="本单位")
    gs.refresh_from_db()
    assert (gs.state, gs.level) == ("in_review", "comprehensive")
    services.approve_goal_set(gs, acting_user=u["reviewer"])
    # a leader in charge of the bureau who is also on its staff (a person record of it)
    unit_services.create_person(
        acting_user=gw.admin,
        unit=gw.dept,
        code="TJJ-LEADER",
        name="王局长",
        gender="M",
        user=u["leader"],
    )
    gs.refresh_from_db()
    with pytest.raises(PermissionDenied, match=own):
        services.approve_goal_set(gs, acting_user=u["leader"])
    other_leader = make_user("other_leader")
    unit_services.add_grant(acting_user=gw.admin, user=other_leader, role=Role.LEADER, unit=gw.dept)
    services.approve_goal_set(gs, acting_user=other_leader)
    # a committee member on the bureau's staff: the batch is refused whole
    unit_services.create_person(
        acting_user=gw.admin,
        unit=gw.dept,
        code="TJJ-MEMBER",
        name="李委员",
        gender="F",
        user=u["committee"],
    )
    gs.refresh_from_db()
    with pytest.raises(PermissionDenied, match=own):
        services.approve_goal_sets_in_batch([gs], acting_user=u["committee"])
    gs.refresh_from_db()
    assert (gs.state, gs.level) == ("in_review", "committee")
