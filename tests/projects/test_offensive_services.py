"""The major tasks' services: who may do what (each participating unit reports its own part of
a milestone), the refusals with their message, nothing half stored, the audit trail, and a
decision written once."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kaohe.core.events import EventType
from kaohe.core.models import AuditEvent, ObjectChange
from kaohe.core.roles import Role
from kaohe.projects.models import (
    MilestoneEvidence,
    MilestoneReport,
    Offensive,
    OffensiveMilestone,
    OffensiveUnit,
)
from kaohe.projects.offensives import services
from kaohe.projects.offensives.services import MilestoneSpec
from kaohe.testing.offensives import (
    MILESTONES,
    TaskWorld,
    build_offensive,
    build_task_world,
    evidence,
    report,
)
from kaohe.testing.world import World, make_user
from kaohe.units import services as unit_services


@pytest.fixture
def tw(world: World) -> TaskWorld:
    return build_task_world(world)


def counts() -> tuple[int, ...]:
    return tuple(
        model.objects.count()
        for model in (
            Offensive,
            OffensiveUnit,
            OffensiveMilestone,
            MilestoneReport,
            MilestoneEvidence,
            AuditEvent,
        )
    )


def messages(exc: Any) -> dict[str, list[str]]:
    return exc.value.message_dict


def test_create_stores_everything_with_one_audit_event(tw: TaskWorld) -> None:
    o = tw.offensive
    assert [(p.unit.code, p.role) for p in o.participants.order_by("role")] == [
        ("D02", "cooperating"),
        ("D01", "lead"),
    ]
    assert [(m.seq, m.weight) for m in tw.milestones] == [(1, 1), (2, 2), (3, 1)]
    event = AuditEvent.objects.get(event_type=EventType.OFFENSIVE_CREATED)
    assert event.extra_data["lead"] == "D01" and event.extra_data["cooperating"] == ["D02"]
    # the task, its two participants and three milestones
    assert ObjectChange.objects.filter(event=event).count() == 6


@pytest.mark.parametrize(
    ("change", "field", "text"),
    [
        ({"code": "flood_control"}, "code", "already has a major task with the code"),
        ({"code": "1bad code"}, "code", "Letters, digits and underscores"),
        ({"name_zh": " "}, "name_zh", "Chinese name"),
        ({"lead": None}, "lead", "Choose the lead unit"),
        ({"cooperating": "lead"}, "cooperating", "is the lead unit and cannot also cooperate"),
        ({"milestones": []}, "milestones", "at least one milestone"),
        (
            {"milestones": [MilestoneSpec(name_zh="x", due=dt.date(2026, 1, 5))]},
            "milestones",
            "Milestone 1: the due date 2026-01-05 is not in the cycle's year 2025.",
        ),
        (
            {"milestones": [MilestoneSpec(name_zh="x", due=dt.date(2025, 1, 5), weight=0)]},
            "milestones",
            "Milestone 1: its weight is a number above 0",
        ),
        (
            {
                "milestones": [
                    MilestoneSpec(name_zh="a", due=dt.date(2025, 1, 5), seq=1),
                    MilestoneSpec(name_zh="b", due=dt.date(2025, 2, 5), seq=1),
                ]
            },
            "milestones",
            "Milestone 2: number 1 is used twice.",
        ),
    ],
)
def test_create_refuses_bad_input_and_stores_nothing(
    tw: TaskWorld, change: dict[str, Any], field: str, text: str
) -> None:
    if change.get("cooperating") == "lead":
        change["cooperating"] = [tw.d1, tw.d2]
    arguments: dict[str, Any] = {
        "code": "roads",
        "name_zh": "道路攻坚",
        "lead": tw.d1,
        "cooperating": [tw.d2],
        "milestones": list(MILESTONES),
        **change,
    }
    before = counts()
    with pytest.raises(ValidationError) as exc:
        services.create_offensive(tw.cycle, acting_user=tw.office, **arguments)
    assert any(text in m for m in messages(exc)[field]), messages(exc)
    assert counts() == before


def test_only_the_office_creates(tw: TaskWorld) -> None:
    before = counts()
    with pytest.raises(PermissionDenied):
        services.create_offensive(
            tw.cycle,
            code="roads",
            name_zh="道路攻坚",
            lead=tw.d1,
            milestones=list(MILESTONES),
            acting_user=tw.lead_reporter,
        )
    assert counts() == before


def test_update_replaces_participants_and_milestones_until_a_report(tw: TaskWorld) -> None:
    services.update_offensive(
        tw.offensive,
        acting_user=tw.office,
        name_en="Flood control",
        cooperating=[tw.d2, tw.d3],
        milestones=[MilestoneSpec(name_zh="唯一", due=dt.date(2025, 5, 1), weight=3)],
    )
    o = Offensive.objects.get(pk=tw.offensive.pk)
    assert o.name_en == "Flood control"
    assert sorted(o.participants.values_list("unit__code", flat=True)) == ["D01", "D02", "D03"]
    assert list(o.milestones.values_list("seq", "weight")) == [(1, 3)]
    event = AuditEvent.objects.get(event_type=EventType.OFFENSIVE_CHANGED)
    actions = list(ObjectChange.objects.filter(event=event).values_list("action", flat=True))
    # the task; two participants and three milestones gone; three participants and one new
    assert sorted(actions) == sorted(["update"] + ["delete"] * 5 + ["create"] * 4)
    report(o.milestones.get(), dt.date(2025, 4, 30), tw.lead_reporter)
    before = counts()
    with pytest.raises(ValidationError) as exc:
        services.update_offensive(o, acting_user=tw.office, name_en="Other")
    assert "has already been reported: the task no longer changes" in exc.value.messages[0]
    assert counts() == before


def test_update_refuses_a_lead_among_the_cooperating(tw: TaskWorld) -> None:
    before = counts()
    with pytest.raises(ValidationError) as exc:
        services.update_offensive(tw.offensive, acting_user=tw.office, cooperating=[tw.d1])
    assert "cannot also cooperate" in messages(exc)["cooperating"][0]
    assert counts() == before


def test_lead_reports_with_evidence_and_audit(tw: TaskWorld) -> None:
    r = report(tw.milestones[0], dt.date(2025, 3, 20), tw.lead_reporter)
    assert r.state == "submitted" and r.unit == tw.d1
    stored = r.evidence.get()
    assert stored.name == "proof.pdf" and len(stored.sha256) == 64
    # content-addressed (the storage adds a suffix when the same content is already there)
    assert stored.file.name.startswith(f"evidence/{stored.sha256[:2]}/{stored.sha256}")
    event = AuditEvent.objects.get(event_type=EventType.MILESTONE_REPORTED)
    assert event.extra_data["files"][0][0] == "proof.pdf"
    assert event.unit_id == tw.d1.pk


@pytest.mark.parametrize("who", ["d3_reporter", "office_viewer"])
def test_only_the_participating_units_report(tw: TaskWorld, who: str) -> None:
    user = tw.users["committee"] if who == "office_viewer" else getattr(tw, who)
    before = counts()
    with pytest.raises(PermissionDenied) as exc:
        report(tw.milestones[0], dt.date(2025, 3, 20), user)
    assert "Only the task's participating units report their parts." in str(exc.value)
    assert counts() == before


def test_a_cooperating_unit_reports_its_own_part(tw: TaskWorld) -> None:
    own = report(tw.milestones[0], dt.date(2025, 3, 28), tw.coop_reporter)
    assert own.unit == tw.d2 and own.state == "submitted"
    event = AuditEvent.objects.get(event_type=EventType.MILESTONE_REPORTED)
    assert event.unit_id == tw.d2.pk
    assert event.extra_data["unit"] == "D02" and event.extra_data["role"] == "cooperating"
    # the lead's part of the same milestone is its own: both stand side by side
    lead = report(tw.milestones[0], dt.date(2025, 3, 20), tw.lead_reporter)
    assert lead.unit == tw.d1
    live = MilestoneReport.objects.filter(milestone=tw.milestones[0], state="submitted")
    assert sorted(live.values_list("unit__code", flat=True)) == ["D01", "D02"]
    # the office decides each unit's report on its own
    services.return_milestone(own, acting_user=tw.office, reason="缺照片")
    services.confirm_milestone(lead, acting_user=tw.office)
    again = report(tw.milestones[0], dt.date(2025, 3, 29), tw.coop_reporter)
    assert again.unit == tw.d2 and again.state == "submitted"


def test_the_lead_reports_a_cooperating_part_only_within_its_report_scope(
    tw: TaskWorld,
) -> None:
    before = counts()
    with pytest.raises(PermissionDenied) as exc:
        services.report_milestone(
            tw.milestones[0],
            unit=tw.d2,
            completed_on=dt.date(2025, 3, 20),
            note="代报",
            files=[evidence()],
            acting_user=tw.lead_reporter,
        )
    assert "may not report the part of" in str(exc.value)
    assert counts() == before
    # a unit not taking part is refused even within the user's scope
    with pytest.raises(PermissionDenied):
        services.report_milestone(
            tw.milestones[0],
            unit=tw.d3,
            completed_on=dt.date(2025, 3, 20),
            note="代报",
            files=[evidence()],
            acting_user=tw.d3_reporter,
        )
    # once the lead's reporter may also report for West District, it must say whose part
    unit_services.add_grant(
        acting_user=tw.admin, user=tw.lead_reporter, role=Role.REPORTER, unit=tw.d2
    )
    before = counts()
    with pytest.raises(ValidationError) as choose:
        report(tw.milestones[0], dt.date(2025, 3, 20), tw.lead_reporter)
    assert "choose the unit whose part it is" in messages(choose)["unit"][0]
    assert counts() == before
    part = services.report_milestone(
        tw.milestones[0],
        unit=tw.d2,
        completed_on=dt.date(2025, 3, 20),
        note="代报",
        files=[evidence()],
        acting_user=tw.lead_reporter,
    )
    assert part.unit == tw.d2


@pytest.mark.parametrize(
    ("arguments", "field", "text"),
    [
        ({"completed_on": dt.date(2099, 1, 1)}, "completed_on", "is in the future"),
        ({"completed_on": dt.date(2024, 12, 31)}, "completed_on", "not in the cycle's year 2025"),
        ({"completed_on": None}, "completed_on", "Give the date"),
        ({"note": "  "}, "note", "Say what was done"),
        ({"files": []}, "files", "at least one file"),
        ({"files": [evidence("photo.png")]}, "files", "photo.png"),
        ({"files": [evidence("run.exe", b"MZ")]}, "files", "run.exe"),
    ],
)
def test_report_refuses_bad_input_and_stores_nothing(
    tw: TaskWorld, arguments: dict[str, Any], field: str, text: str
) -> None:
    values: dict[str, Any] = {
        "completed_on": dt.date(2025, 3, 20),
        "note": "完成",
        "files": [evidence()],
        **arguments,
    }
    before = counts()
    with pytest.raises(ValidationError) as exc:
        services.report_milestone(tw.milestones[0], acting_user=tw.lead_reporter, **values)
    assert any(text in m for m in messages(exc)[field]), messages(exc)
    assert counts() == before


def test_one_live_report_per_part_then_again_after_a_return(tw: TaskWorld) -> None:
    first = report(tw.milestones[0], dt.date(2025, 3, 20), tw.lead_reporter)
    with pytest.raises(ValidationError) as exc:
        report(tw.milestones[0], dt.date(2025, 3, 21), tw.lead_reporter)
    assert "already has a report that is awaiting confirmation" in messages(exc)["milestone"][0]
    assert str(tw.d1) in messages(exc)["milestone"][0]
    services.return_milestone(first, acting_user=tw.office, reason="照片不清晰")
    second = report(tw.milestones[0], dt.date(2025, 3, 22), tw.lead_reporter)
    assert second.state == "submitted"
    assert MilestoneReport.objects.filter(milestone=tw.milestones[0]).count() == 2


def test_confirm_is_written_once_with_before_and_after(tw: TaskWorld) -> None:
    r = report(tw.milestones[0], dt.date(2025, 3, 20), tw.lead_reporter)
    confirmed = services.confirm_milestone(r, acting_user=tw.office, note="属实")
    assert confirmed.state == "confirmed" and confirmed.decided_by == tw.office
    assert confirmed.decided_at is not None and confirmed.decision == "属实"
    event = AuditEvent.objects.get(event_type=EventType.MILESTONE_CONFIRMED)
    change = ObjectChange.objects.get(event=event)
    assert change.before["state"] == "submitted" and change.after["state"] == "confirmed"
    before = counts()
    with pytest.raises(ValidationError) as exc:
        services.return_milestone(r, acting_user=tw.office, reason="again")
    assert "already decided (confirmed)" in exc.value.messages[0]
    with pytest.raises(ValidationError):
        services.confirm_milestone(r, acting_user=tw.office)
    assert counts() == before


def test_return_needs_a_reason(tw: TaskWorld) -> None:
    r = report(tw.milestones[0], dt.date(2025, 3, 20), tw.lead_reporter)
    with pytest.raises(ValidationError) as exc:
        services.return_milestone(r, acting_user=tw.office, reason=" ")
    assert messages(exc)["reason"] == ["Say why the report is returned."]
    r.refresh_from_db()
    assert r.state == "submitted"
    services.return_milestone(r, acting_user=tw.office, reason="缺少验收单")
    event = AuditEvent.objects.get(event_type=EventType.MILESTONE_RETURNED)
    assert event.reason == "缺少验收单"


def test_no_one_decides_a_report_of_their_own_unit(tw: TaskWorld) -> None:
    # an office administrator who is also on East District's staff
    insider = make_user("insider")
    unit_services.add_grant(acting_user=tw.admin, user=insider, role=Role.OFFICE_ADMIN)
    unit_services.add_grant(acting_user=tw.admin, user=insider, role=Role.REPORTER, unit=tw.d1)
    r = report(tw.milestones[0], dt.date(2025, 3, 20), tw.lead_reporter)
    before = counts()
    with pytest.raises(PermissionDenied) as exc:
        services.confirm_milestone(r, acting_user=insider)
    assert "no one judges their own unit" in str(exc.value)
    r.refresh_from_db()
    assert r.state == "submitted"
    assert counts() == before


def test_the_office_does_not_report(tw: TaskWorld) -> None:
    before = counts()
    with pytest.raises(PermissionDenied):
        report(tw.milestones[0], dt.date(2025, 3, 20), tw.office)
    assert counts() == before


def test_a_unit_cannot_decide(tw: TaskWorld) -> None:
    r = report(tw.milestones[0], dt.date(2025, 3, 20), tw.lead_reporter)
    with pytest.raises(PermissionDenied):
        services.confirm_milestone(r, acting_user=tw.coop_reporter)


def test_a_closed_cycle_is_refused(tw: TaskWorld) -> None:
    type(tw.cycle).objects.filter(pk=tw.cycle.pk).update(state="closed")
    with pytest.raises(ValidationError) as exc:
        build_offensive(tw.world, code="roads")
    assert "is closed" in exc.value.messages[0]
