"""The register's services: registering and changing projects (the office), progress reports
kept as versions with checked evidence, scope refusals, audit records, and bad input refused
with its field named and nothing stored."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from kaohe.core.events import EventType
from kaohe.core.models import AuditEvent
from kaohe.observations.evidence import EvidenceFile
from kaohe.projects import services
from kaohe.projects.models import (
    InvestmentFeed,
    KeyProject,
    PlanMonth,
    ProgressEvidence,
    ProgressReport,
    ProjectMilestone,
)
from kaohe.testing.projects import ProjectWorld, project_data, tiny_png


def _events(kind: EventType) -> int:
    return AuditEvent.objects.filter(event_type=kind).count()


def _counts() -> tuple[int, int, int, int, int]:
    return (
        KeyProject.objects.count(),
        PlanMonth.objects.count(),
        ProjectMilestone.objects.count(),
        ProgressReport.objects.count(),
        ProgressEvidence.objects.count(),
    )


def test_register_stores_the_plan_and_milestones_with_an_audit_record(pw: ProjectWorld) -> None:
    assert pw.east.plan.count() == 12
    assert [m.seq for m in pw.east.milestones.all()] == [1, 2, 3]
    event = AuditEvent.objects.filter(
        event_type=EventType.PROJECT_REGISTERED, object_id=str(pw.east.pk)
    ).get()
    assert event.unit_id == pw.d1.pk
    assert event.extra_data["code"] == "P-001"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"owner": "NOPE"}, "owner"),
        ({"district": "DEPT_TJJ"}, "district"),
        ({"category": "casino"}, "category"),
        ({"longitude": Decimal("121.5")}, "longitude"),
        ({"latitude": Decimal("95")}, "latitude"),
        ({"planned_end": dt.date(2024, 12, 1)}, "planned_end"),
        ({"total_investment": Decimal("-1")}, "total_investment"),
        ({"code": "P-001"}, "code"),
        ({"plan": {"2026-03": 10}}, "plan"),
    ],
)
def test_bad_input_names_its_field_and_stores_nothing(
    pw: ProjectWorld, change: dict, field: str
) -> None:
    before, events = _counts(), _events(EventType.PROJECT_REGISTERED)
    data = {**project_data("P-009", "D01", "D01", 120.05), **change}
    with pytest.raises(ValidationError) as caught:
        services.register_project(pw.cycle, data, acting_user=pw.office)
    assert field in caught.value.message_dict
    assert _counts() == before
    assert _events(EventType.PROJECT_REGISTERED) == events


def test_only_the_office_registers_and_changes(pw: ProjectWorld) -> None:
    data = project_data("P-010", "D01", "D01", 120.05)
    with pytest.raises(PermissionDenied):
        services.register_project(pw.cycle, data, acting_user=pw.users["d1_reporter"])
    with pytest.raises(PermissionDenied):
        services.update_project(
            pw.east, acting_user=pw.users["d1_reporter"], reason="x", name_zh="改名"
        )


def test_update_records_before_and_after_and_replaces_plan_and_milestones(
    pw: ProjectWorld,
) -> None:
    project = services.update_project(
        pw.east,
        acting_user=pw.office,
        reason="调整计划",
        total_investment=Decimal("1500"),
        plan={"2025-01": 200, "2025-02": 300},
        milestones=[{"seq": 1, "name_zh": "开工", "due": "2025-03-31"}],
    )
    assert project.total_investment == Decimal("1500.00")
    assert [(p.month.month, p.planned) for p in project.plan.all()] == [
        (1, Decimal("200.00")),
        (2, Decimal("300.00")),
    ]
    assert [(m.seq, m.due) for m in project.milestones.all()] == [(1, dt.date(2025, 3, 31))]
    event = AuditEvent.objects.filter(event_type=EventType.PROJECT_CHANGED).latest("pk")
    assert event.reason == "调整计划"
    change = event.changes.get()
    assert change.before is not None and change.after is not None
    assert (change.before["total_investment"], change.after["total_investment"]) == (
        "1200.00",
        "1500.00",
    )
    assert event.extra_data["plan"]["before"][0] == "2025-01=100.00"


def test_update_with_a_bad_value_changes_nothing(pw: ProjectWorld) -> None:
    with pytest.raises(ValidationError) as caught:
        services.update_project(
            pw.east, acting_user=pw.office, reason="", planned_end=dt.date(2024, 1, 1), plan={}
        )
    assert "planned_end" in caught.value.message_dict
    pw.east.refresh_from_db()
    assert pw.east.planned_end == dt.date(2025, 12, 31)
    assert pw.east.plan.count() == 12


def _report(pw: ProjectWorld, user: str = "d1_reporter", **extra):  # type: ignore[no-untyped-def]
    args = {
        "month": "2025-03",
        "invested": "250",
        "status": KeyProject.Status.UNDER_WAY,
        "milestones_done": {1: "2025-02-20"},
        "note": "主体施工",
        "files": [EvidenceFile("site.png", tiny_png())],
    }
    args.update(extra)
    return services.report_progress(pw.east, acting_user=pw.users[user], **args)


def test_a_second_report_of_a_month_is_the_next_version_and_the_first_stays(
    pw: ProjectWorld,
) -> None:
    first = _report(pw)
    second = _report(pw, invested="300", files=[])
    assert (first.version, second.version) == (1, 2)
    first.refresh_from_db()
    assert first.invested == Decimal("250.00")
    assert ProgressReport.objects.filter(project=pw.east, month=dt.date(2025, 3, 1)).count() == 2
    evidence = ProgressEvidence.objects.get(report=first)
    assert evidence.is_photo and len(evidence.sha256) == 64
    assert evidence.file.read() == tiny_png()
    event = (
        AuditEvent.objects.filter(event_type=EventType.PROJECT_PROGRESS_REPORTED)
        .order_by("pk")
        .first()
    )
    assert event is not None and event.extra_data["files"][0][0] == "site.png"
    with pytest.raises(ValueError):
        first.save()


def test_the_report_sets_the_projects_status(pw: ProjectWorld) -> None:
    _report(pw, status=KeyProject.Status.SUSPENDED)
    pw.east.refresh_from_db()
    assert pw.east.status == KeyProject.Status.SUSPENDED


def test_another_unit_may_not_report(pw: ProjectWorld) -> None:
    with pytest.raises(PermissionDenied):
        _report(pw, user="d2_reporter")
    assert ProgressReport.objects.count() == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"month": "2024-12"}, "month"),
        ({"month": "2025-13"}, "month"),
        ({"invested": "-5"}, "invested"),
        ({"invested": "lots"}, "invested"),
        ({"invested": "12000000"}, "invested"),  # in 元: more than the whole project (1,200)
        ({"status": "dreaming"}, "status"),
        ({"milestones_done": {9: "2025-02-01"}}, "milestones_done"),
        ({"milestones_done": {1: "2999-01-01"}}, "milestones_done"),
        ({"files": [EvidenceFile("photo.jpg", b"MZ\x90\x00 a program")]}, "files"),
        ({"files": [EvidenceFile("virus.exe", b"MZ\x90\x00")]}, "files"),
    ],
)
def test_a_bad_report_names_its_field_and_stores_nothing(
    pw: ProjectWorld, change: dict, field: str
) -> None:
    before, events = _counts(), _events(EventType.PROJECT_PROGRESS_REPORTED)
    with pytest.raises(ValidationError) as caught:
        _report(pw, **change)
    assert field in caught.value.message_dict
    assert _counts() == before
    assert _events(EventType.PROJECT_PROGRESS_REPORTED) == events


def test_a_future_month_is_refused(pw: ProjectWorld, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(timezone, "localdate", lambda: dt.date(2025, 4, 15))
    with pytest.raises(ValidationError) as caught:
        _report(pw, month="2025-05")
    assert "month" in caught.value.message_dict


def test_set_investment_feed_checks_the_pace(pw: ProjectWorld) -> None:
    gdp = pw.indicators["gdp"]
    with pytest.raises(ValidationError):
        services.set_investment_feed(pw.cycle, gdp, "1.5", acting_user=pw.office)
    with pytest.raises(ValidationError):
        services.set_investment_feed(pw.cycle, pw.indicators["tax_share"], acting_user=pw.office)
    feed = services.set_investment_feed(pw.cycle, gdp, "0.7", acting_user=pw.office)
    assert InvestmentFeed.objects.get(cycle=pw.cycle).min_pace == Decimal("0.70")
    assert feed.indicator == gdp
