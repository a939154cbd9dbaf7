"""Behind-schedule warnings: raised for an overdue milestone and an investment pace below plan,
cleared when the cause is gone, answered and decided through the monitoring life cycle; major
tasks' overdue milestone parts on the unit whose part it is; the monitoring pages show them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kaohe.core.events import EventType
from kaohe.core.models import AuditEvent, Job, Notification
from kaohe.monitoring import services as monitoring
from kaohe.monitoring.models import MonitoringRule, Warning
from kaohe.projects import schedule, services
from kaohe.projects.jobs import start_check
from kaohe.projects.models import (
    MilestoneReport,
    Offensive,
    OffensiveMilestone,
    OffensiveUnit,
    Role,
)
from kaohe.schemes import services as scheme_services
from kaohe.testing.jobs import run_queued_jobs
from kaohe.testing.projects import ProjectWorld

APRIL = dt.date(2025, 4, 15)


@pytest.fixture
def april(monkeypatch: pytest.MonkeyPatch) -> dt.date:
    monkeypatch.setattr(timezone, "localdate", lambda: APRIL)
    return APRIL


def _active(project_id: int) -> dict[str, Warning]:
    return {
        w.rule.code: w
        for w in Warning.objects.filter(subject__startswith=f"project:{project_id}")
        .exclude(state=Warning.State.CLOSED)
        .select_related("rule")
    }


def test_overdue_milestone_and_slow_investment_raise_warnings(pw: ProjectWorld) -> None:
    result = schedule.check_schedules(pw.cycle, as_of=APRIL, acting_user=pw.office)
    assert result.raised == 4  # both projects: milestone 1 overdue, nothing invested
    warnings = _active(pw.east.pk)
    overdue = warnings[schedule.MILESTONE_OVERDUE]
    assert overdue.subject == f"project:{pw.east.pk}:m1"
    assert overdue.unit == pw.d1
    assert overdue.time_node.code == "H1"
    assert "开工" in overdue.message_zh and "Start" in overdue.message_en
    pace = warnings[schedule.INVESTMENT_PACE]
    assert pace.details["planned_to_date"] == 300.0
    assert pace.details["actual_to_date"] == 0.0
    assert pace.details["through"] == "2025-03"
    assert pace.rule.kind == "schedule" and pace.raised_by_batch is None
    assert Notification.objects.filter(user=pw.users["d1_reporter"]).exists()
    # checking again raises nothing new
    again = schedule.check_schedules(pw.cycle, as_of=APRIL, acting_user=pw.office)
    assert (again.raised, again.cleared, again.still_open) == (0, 0, 4)
    assert AuditEvent.objects.filter(event_type=EventType.PROJECT_SCHEDULE_CHECKED).count() == 2
    rules = MonitoringRule.objects.filter(kind="schedule")
    assert {r.code for r in rules} == set(schedule.RULES)


def test_a_report_catching_up_clears_the_warnings(pw: ProjectWorld, april: dt.date) -> None:
    schedule.check_schedules(pw.cycle, as_of=april, acting_user=pw.office)
    reporter = pw.users["d1_reporter"]
    for month, amount in (("2025-01", 90), ("2025-02", 80)):
        services.report_progress(
            pw.east, month=month, invested=amount, status="under_way", acting_user=reporter
        )
    assert set(_active(pw.east.pk)) == {schedule.MILESTONE_OVERDUE, schedule.INVESTMENT_PACE}
    services.report_progress(
        pw.east,
        month="2025-03",
        invested=100,  # 270 of 300: 90 %, above 80 %
        status="under_way",
        milestones_done={1: "2025-03-02"},
        acting_user=reporter,
    )
    assert _active(pw.east.pk) == {}
    cleared = Warning.objects.filter(subject__startswith=f"project:{pw.east.pk}")
    assert {w.resolution for w in cleared} == {Warning.Resolution.CLEARED}
    # the other district's project is untouched by East District's report
    assert len(_active(pw.west.pk)) == 2


def test_the_pace_uses_the_latest_version_and_the_feed_setting(
    pw: ProjectWorld, april: dt.date
) -> None:
    reporter = pw.users["d1_reporter"]
    for month in ("2025-01", "2025-02", "2025-03"):
        services.report_progress(
            pw.east, month=month, invested=80, status="under_way", acting_user=reporter
        )
    assert schedule.INVESTMENT_PACE not in _active(pw.east.pk)  # 240 / 300 = 80 %
    services.report_progress(
        pw.east, month="2025-03", invested=10, status="under_way", acting_user=reporter
    )
    assert schedule.INVESTMENT_PACE in _active(pw.east.pk)  # version 2 counts: 170 / 300
    services.set_investment_feed(pw.cycle, pw.indicators["gdp"], "0.5", acting_user=pw.office)
    schedule.check_schedules(pw.cycle, as_of=april, acting_user=pw.office)
    assert schedule.INVESTMENT_PACE not in _active(pw.east.pk)  # 57 % ≥ 50 %


def test_explain_and_decide_close_it_and_it_is_not_raised_again_at_the_node(
    pw: ProjectWorld,
) -> None:
    schedule.check_schedules(pw.cycle, as_of=APRIL, acting_user=pw.office)
    warning = _active(pw.east.pk)[schedule.MILESTONE_OVERDUE]
    monitoring.explain_warning(
        warning, acting_user=pw.users["d1_reporter"], explanation="征地延后，已调整节点"
    )
    # an answered warning waits for the office even if the check no longer finds it
    monitoring.decide_warning(warning, acting_user=pw.office, accept=True, decision="同意")
    warning.refresh_from_db()
    assert (warning.state, warning.resolution) == (
        Warning.State.CLOSED,
        Warning.Resolution.ACCEPTED,
    )
    result = schedule.check_schedules(pw.cycle, as_of=APRIL, acting_user=pw.office)
    assert result.raised == 0
    assert schedule.MILESTONE_OVERDUE not in _active(pw.east.pk)
    # at a later node it is raised again
    later = schedule.check_schedules(pw.cycle, as_of=dt.date(2025, 7, 15), acting_user=pw.office)
    assert later.raised >= 1
    assert _active(pw.east.pk)[schedule.MILESTONE_OVERDUE].time_node.code == "Q3"


def test_the_unit_may_not_decide_its_own_warning(pw: ProjectWorld) -> None:
    schedule.check_schedules(pw.cycle, as_of=APRIL, acting_user=pw.office)
    warning = _active(pw.east.pk)[schedule.INVESTMENT_PACE]
    monitoring.explain_warning(warning, acting_user=pw.users["d1_head"], explanation="原因")
    with pytest.raises(PermissionDenied):
        monitoring.decide_warning(
            warning, acting_user=pw.users["d1_head"], accept=True, decision="自己同意"
        )


def test_only_the_office_checks(pw: ProjectWorld) -> None:
    with pytest.raises(PermissionDenied):
        schedule.check_schedules(pw.cycle, as_of=APRIL, acting_user=pw.users["d1_reporter"])


def test_an_overdue_part_of_a_task_milestone_warns_the_unit_whose_part_it_is(
    pw: ProjectWorld,
) -> None:
    task = Offensive.objects.create(
        cycle=pw.cycle, code="clean_water", name_zh="碧水攻坚", created_by=pw.office
    )
    OffensiveUnit.objects.create(offensive=task, unit=pw.d2, role=Role.LEAD)
    OffensiveUnit.objects.create(offensive=task, unit=pw.d1, role=Role.COOPERATING)
    milestone = OffensiveMilestone.objects.create(
        offensive=task, seq=1, name_zh="截污纳管", due=dt.date(2025, 3, 31)
    )
    schedule.check_schedules(pw.cycle, as_of=APRIL, acting_user=pw.office)
    warnings = Warning.objects.filter(subject=f"milestone:{milestone.pk}").order_by("unit__code")
    assert [w.unit for w in warnings] == [pw.d1, pw.d2]  # each unit's own part is overdue
    assert {w.rule.code for w in warnings} == {schedule.TASK_MILESTONE_OVERDUE}
    assert all("碧水攻坚" in w.message_zh for w in warnings)
    MilestoneReport.objects.create(
        milestone=milestone,
        unit=pw.d2,
        completed_on=dt.date(2025, 4, 1),
        note="完成",
        state=MilestoneReport.State.CONFIRMED,
        reported_by=pw.users["d2_reporter"],
    )
    result = schedule.check_schedules(pw.cycle, as_of=APRIL, acting_user=pw.office)
    assert result.cleared == 1  # the lead's part is done; the cooperating unit's is still due
    d2, d1 = (warnings.get(unit=unit) for unit in (pw.d2, pw.d1))
    assert d2.resolution == Warning.Resolution.CLEARED
    assert d1.state != Warning.State.CLOSED


def test_the_job_runs_the_check(pw: ProjectWorld, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        job = start_check(pw.cycle, acting_user=pw.office, as_of=APRIL)
    assert run_queued_jobs() == 1
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED
    assert job.progress == 100
    assert Warning.objects.filter(rule__kind="schedule").count() == 4


def test_monitoring_pages_show_schedule_warnings_and_keep_their_rules(
    pw: ProjectWorld, client: Client
) -> None:
    schedule.check_schedules(pw.cycle, as_of=APRIL, acting_user=pw.office)
    warning = _active(pw.east.pk)[schedule.INVESTMENT_PACE]
    client.force_login(pw.office)
    assert client.get(reverse("monitoring:board")).status_code == 200
    page = client.get(reverse("monitoring:warning", args=[warning.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert "planned_to_date" in page.content.decode()
    assert f'id="warning-subject" href="/projects/{pw.east.pk}/"' in page.content.decode()
    assert client.get(reverse("monitoring:rules")).status_code == 200
    with pytest.raises(ValidationError):
        monitoring.save_rule(
            acting_user=pw.office,
            code=schedule.INVESTMENT_PACE,
            name_zh="改写",
            spec={"kind": "threshold", "indicator": "gdp", "min": 0, "severity": "info"},
        )
    answer = client.post(
        reverse("monitoring:rules"),
        {
            "code": schedule.INVESTMENT_PACE,
            "name_zh": "改写",
            "spec": "kind: threshold\nindicator: gdp\nmin: 0\nseverity: info",
        },
    )
    assert answer.status_code == 200  # the form shows the refusal
    assert MonitoringRule.objects.get(code=schedule.INVESTMENT_PACE).kind == "schedule"
    # the other district's reporter does not see East District's warning
    client.force_login(pw.users["d2_reporter"])
    assert client.get(reverse("monitoring:warning", args=[warning.pk])).status_code == 404


def test_checking_another_cycle_leaves_this_ones_warnings(pw: ProjectWorld) -> None:
    schedule.check_schedules(pw.cycle, as_of=APRIL, acting_user=pw.office)
    task = Offensive.objects.create(
        cycle=pw.cycle, code="blue_sky", name_zh="蓝天攻坚", created_by=pw.office
    )
    OffensiveUnit.objects.create(offensive=task, unit=pw.d1, role=Role.LEAD)
    OffensiveMilestone.objects.create(
        offensive=task, seq=1, name_zh="淘汰燃煤锅炉", due=dt.date(2025, 3, 1)
    )
    schedule.check_schedules(pw.cycle, as_of=APRIL, acting_user=pw.office)
    active = Warning.objects.exclude(state=Warning.State.CLOSED).count()
    assert active == 5
    later = scheme_services.create_cycle(acting_user=pw.admin, year=2026)
    result = schedule.check_schedules(later, as_of=dt.date(2026, 5, 1), acting_user=pw.office)
    assert (result.raised, result.cleared) == (0, 0)
    assert Warning.objects.exclude(state=Warning.State.CLOSED).count() == active
