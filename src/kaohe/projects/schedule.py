"""Behind-schedule detection: warnings of the monitoring app's life cycle (flag → the unit
explains → the office decides) for key projects and major tasks.

Three platform rules (kind "schedule", not the engine's: the monitoring pipeline skips them):

* `project-milestone-overdue` — a project milestone due before the check date that no counting
  report marks reached; on the owner unit, subject `project:<id>:m<seq>`;
* `project-investment-pace` — a project (not completed) whose cumulative actual investment over
  the cycle year's months up to the last complete one is below `InvestmentFeed.min_pace` (0.8
  when the cycle has none) × its cumulative plan; on the owner unit, subject `project:<id>`;
* `task-milestone-overdue` — a participating unit's part of a major task's milestone due before
  the check date without a confirmed report of that unit; on that unit, subject
  `milestone:<id>`.

A warning is raised once per rule and subject while it is active, at the cycle's time node
covering the check date (or the latest one ended before it). When the cause is gone an open or
acknowledged warning is closed as cleared; one the unit has answered waits for the office. A
warning the office closed by decision is not raised again at the same time node.

Checking is split as the job engine wants it: `findings` reads, `store_findings` writes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_noop

from kaohe.core import access, audit
from kaohe.core.events import EventType
from kaohe.core.models import Notification
from kaohe.core.roles import Action
from kaohe.monitoring.models import MonitoringRule, Severity, Warning
from kaohe.monitoring.services import warning_notifications
from kaohe.projects import selectors
from kaohe.projects.models import (
    KeyProject,
    MilestoneReport,
    OffensiveMilestone,
    OffensiveUnit,
    PlanMonth,
    ProjectMilestone,
)
from kaohe.schemes.models import Cycle, TimeNode
from kaohe.schemes.services import ensure_open

MILESTONE_OVERDUE = "project-milestone-overdue"
INVESTMENT_PACE = "project-investment-pace"
TASK_MILESTONE_OVERDUE = "task-milestone-overdue"

RULES: dict[str, tuple[str, str]] = {
    MILESTONE_OVERDUE: ("重点项目节点逾期", "Key project milestone overdue"),
    INVESTMENT_PACE: ("重点项目投资进度滞后", "Key project investment behind plan"),
    TASK_MILESTONE_OVERDUE: ("攻坚任务节点逾期", "Major task milestone overdue"),
}

DECIDED = {
    Warning.Resolution.ACCEPTED,
    Warning.Resolution.RECTIFIED,
    Warning.Resolution.DISMISSED,
}

Progress = Callable[[int, str], None]


@transaction.atomic
def ensure_rules(*, acting_user: Any) -> dict[str, MonitoringRule]:
    """The schedule rules, created on first use with an audit record each."""
    rules = {r.code: r for r in MonitoringRule.objects.filter(code__in=RULES)}
    for code, (zh, en) in RULES.items():
        if code in rules:
            continue
        rule = MonitoringRule.objects.create(
            code=code,
            name_zh=zh,
            name_en=en,
            kind=selectors.SCHEDULE_KIND,
            spec={"kind": selectors.SCHEDULE_KIND, "check": code},
            severity=Severity.WARNING,
        )
        audit.record(
            EventType.MONITORING_RULE_SAVED,
            acting_user=acting_user,
            obj=rule,
            changes=[audit.created(rule)],
        )
        rules[code] = rule
    return rules


def node_for(cycle: Cycle, as_of: dt.date) -> TimeNode | None:
    """The cycle's time node covering `as_of` (the one ending first when several do), else the
    latest one ended before it, else its first."""
    nodes = list(TimeNode.objects.filter(cycle=cycle).order_by("period_end", "order"))
    covering = [n for n in nodes if n.period_start <= as_of <= n.period_end]
    if covering:
        return covering[0]
    ended = [n for n in nodes if n.period_end < as_of]
    if ended:
        return ended[-1]
    return nodes[0] if nodes else None


@dataclass(frozen=True)
class Finding:
    rule: str
    unit_id: int
    subject: str
    message_zh: str
    message_en: str
    details: dict[str, Any]


@dataclass
class Findings:
    """What a check found, and which subjects it looked at (only those are cleared)."""

    cycle: Cycle
    as_of: dt.date
    found: list[Finding] = field(default_factory=list)
    project_ids: set[int] = field(default_factory=set)
    task_milestone_ids: set[int] = field(default_factory=set)
    checked_tasks: bool = False


@dataclass(frozen=True)
class CheckResult:
    raised: int
    cleared: int
    still_open: int


def _money(value: Decimal) -> float:
    return float(round(value, 2))


def project_findings(
    cycle: Cycle, projects: Sequence[KeyProject], as_of: dt.date, findings: Findings
) -> None:
    ids = [p.pk for p in projects]
    findings.project_ids.update(ids)
    reports: dict[int, list[Any]] = {}
    for report in selectors.latest_reports().filter(project_id__in=ids):
        reports.setdefault(report.project_id, []).append(report)
    start, end = selectors.pace_window(cycle, as_of)
    planned: dict[int, Decimal] = {}
    for p in PlanMonth.objects.filter(project_id__in=ids, month__gte=start, month__lte=end):
        planned[p.project_id] = planned.get(p.project_id, Decimal(0)) + p.planned
    milestones: dict[int, list[Any]] = {}
    for m in ProjectMilestone.objects.filter(project_id__in=ids, due__lt=as_of):
        milestones.setdefault(m.project_id, []).append(m)
    pace = selectors.min_pace(cycle)
    for project in projects:
        mine = reports.get(project.pk, [])
        reached = selectors.reached_milestones(mine)
        for m in sorted(milestones.get(project.pk, []), key=lambda m: m.seq):
            if m.seq in reached:
                continue
            findings.found.append(
                Finding(
                    MILESTONE_OVERDUE,
                    project.owner_id,
                    selectors.project_subject(project.pk, m.seq),
                    f"重点项目“{project.name_zh}”的节点“{m.seq}. {m.name_zh}”应于"
                    f"{m.due:%Y-%m-%d}完成，尚未报告完成。",
                    f"Key project “{project.name_en or project.name_zh}”: milestone "
                    f"“{m.seq}. {m.name_en or m.name_zh}” was due on {m.due:%Y-%m-%d} and is "
                    "not reported reached.",
                    {
                        "project": project.code,
                        "milestone": m.seq,
                        "due": m.due.isoformat(),
                        "link": reverse("projects:detail", args=[project.pk]),
                    },
                )
            )
        if project.status == KeyProject.Status.COMPLETED or end < start:
            continue
        plan = planned.get(project.pk, Decimal(0))
        actual = sum((r.invested for r in mine if start <= r.month <= end), Decimal(0))
        if plan > 0 and actual < pace * plan:
            share = actual / plan
            findings.found.append(
                Finding(
                    INVESTMENT_PACE,
                    project.owner_id,
                    selectors.project_subject(project.pk),
                    f"重点项目“{project.name_zh}”截至{end:%Y-%m}累计完成投资{_money(actual)}万元，"
                    f"为计划{_money(plan)}万元的{share:.0%}，低于{pace:.0%}。",
                    f"Key project “{project.name_en or project.name_zh}”: {_money(actual)} of "
                    f"the {_money(plan)} (10,000 yuan) planned to {end:%Y-%m} invested, "
                    f"{share:.0%}, below {pace:.0%}.",
                    {
                        "project": project.code,
                        "through": f"{end:%Y-%m}",
                        "planned_to_date": _money(plan),
                        "actual_to_date": _money(actual),
                        "pace": round(float(share), 4),
                        "min_pace": float(pace),
                        "link": reverse("projects:detail", args=[project.pk]),
                    },
                )
            )


def task_findings(cycle: Cycle, as_of: dt.date, findings: Findings) -> None:
    """Each participating unit's part of a milestone due before `as_of` that has no confirmed
    report of that unit: a warning on the unit (three queries)."""
    findings.checked_tasks = True
    findings.task_milestone_ids.update(
        OffensiveMilestone.objects.filter(offensive__cycle=cycle).values_list("pk", flat=True)
    )
    done = set(
        MilestoneReport.objects.filter(
            milestone__offensive__cycle=cycle, state=MilestoneReport.State.CONFIRMED
        ).values_list("milestone_id", "unit_id")
    )
    participants: dict[int, list[int]] = {}
    for offensive_id, unit_id in (
        OffensiveUnit.objects.filter(offensive__cycle=cycle)
        .order_by("offensive_id", "role", "unit__code")
        .values_list("offensive_id", "unit_id")
    ):
        participants.setdefault(offensive_id, []).append(unit_id)
    for m in (
        OffensiveMilestone.objects.filter(offensive__cycle=cycle, due__lt=as_of)
        .select_related("offensive")
        .order_by("offensive__code", "seq")
    ):
        task = m.offensive
        for unit_id in participants.get(m.offensive_id, []):
            if (m.pk, unit_id) in done:
                continue
            findings.found.append(
                Finding(
                    TASK_MILESTONE_OVERDUE,
                    unit_id,
                    f"milestone:{m.pk}",
                    f"攻坚任务“{task.name_zh}”的节点“{m.seq}. {m.name_zh}”应于"
                    f"{m.due:%Y-%m-%d}完成，本单位的完成报告尚未确认。",
                    f"Major task “{task.name_en or task.name_zh}”: milestone "
                    f"“{m.seq}. {m.name_en or m.name_zh}” was due on {m.due:%Y-%m-%d}; this "
                    "unit's part has no confirmed report.",
                    {
                        "task": task.code,
                        "milestone": m.seq,
                        "due": m.due.isoformat(),
                        "link": reverse("projects:offensive", args=[task.pk]),
                    },
                )
            )


def findings(
    cycle: Cycle,
    *,
    as_of: dt.date,
    projects: Iterable[KeyProject] | None = None,
    tasks: bool = True,
    progress: Progress | None = None,
) -> Findings:
    """Read what is behind schedule (all the cycle's projects, or those given)."""
    found = Findings(cycle=cycle, as_of=as_of)
    chosen = list(KeyProject.objects.filter(cycle=cycle) if projects is None else projects)
    if progress:
        progress(20, gettext_noop("Checking the key projects"))
    project_findings(cycle, chosen, as_of, found)
    if tasks:
        if progress:
            progress(60, gettext_noop("Checking the major tasks"))
        task_findings(cycle, as_of, found)
    return found


def _looked_at(found: Findings, subject: str) -> bool:
    project = selectors.subject_project(subject)
    if project is not None:
        return project in found.project_ids
    kind, _sep, pk = subject.partition(":")
    if kind == "milestone" and pk.isdigit():
        return found.checked_tasks and int(pk) in found.task_milestone_ids
    return False


@transaction.atomic
def store_findings(found: Findings, *, acting_user: Any) -> CheckResult:
    """Raise the warnings found that are not active yet, clear the active ones whose cause is
    gone (open or acknowledged only), with an audit event each and notifications."""
    rules = ensure_rules(acting_user=acting_user)
    node = node_for(found.cycle, found.as_of)
    by_id = {r.pk: code for code, r in rules.items()}
    active = {
        (by_id[w.rule_id], w.unit_id, w.subject): w
        for w in Warning.objects.select_for_update(of=("self",))
        .filter(rule__in=rules.values(), time_node__cycle=found.cycle)
        .exclude(state=Warning.State.CLOSED)
        .select_related("unit")
    }
    decided = set()
    if node is not None:
        decided = {
            (by_id[r], u, s)
            for r, u, s in Warning.objects.filter(
                rule__in=rules.values(),
                time_node=node,
                state=Warning.State.CLOSED,
                resolution__in=DECIDED,
            ).values_list("rule_id", "unit_id", "subject")
        }
    # one warning per rule, unit and subject (each unit's part of a task milestone is its own)
    wanted = {(f.rule, f.unit_id, f.subject): f for f in found.found}
    raised: list[Warning] = []
    if node is not None:
        for key, f in wanted.items():
            if key in active or key in decided:
                continue
            warning = Warning.objects.create(
                rule=rules[f.rule],
                unit_id=f.unit_id,
                time_node=node,
                severity=rules[f.rule].severity,
                subject=f.subject[:40],
                details={**f.details, "as_of": found.as_of.isoformat()},
                message_zh=f.message_zh,
                message_en=f.message_en,
            )
            raised.append(warning)
    now = timezone.now()
    cleared: list[Warning] = []
    for key, warning in active.items():
        if key in wanted or not _looked_at(found, warning.subject):
            continue
        if warning.state not in (Warning.State.OPEN, Warning.State.ACKNOWLEDGED):
            continue
        warning.state, warning.resolution, warning.closed_at = (
            Warning.State.CLOSED,
            Warning.Resolution.CLEARED,
            now,
        )
        warning.save(update_fields=["state", "resolution", "closed_at", "updated_at"])
        cleared.append(warning)
    entries = [
        audit.Entry(
            EventType.WARNING_RAISED,
            obj=w,
            unit=w.unit,
            extra={
                "rule": w.rule.code,
                "period": node.period if node else "",
                "details": w.details,
            },
        )
        for w in raised
    ] + [
        audit.Entry(EventType.WARNING_CLOSED, obj=w, unit=w.unit, extra={"resolution": "cleared"})
        for w in cleared
    ]
    if entries:
        audit.record_many(entries, acting_user=acting_user)
    if raised:
        Notification.objects.bulk_create(warning_notifications(raised))
    still = len([k for k in active if k in wanted])
    return CheckResult(raised=len(raised), cleared=len(cleared), still_open=still)


def check_projects(
    cycle: Cycle, projects: Sequence[KeyProject], *, as_of: dt.date, acting_user: Any
) -> CheckResult:
    """Check these projects only (after a progress report; no access check of its own)."""
    return store_findings(
        findings(cycle, as_of=as_of, projects=projects, tasks=False), acting_user=acting_user
    )


def check_allowed(cycle: Cycle, acting_user: Any) -> None:
    access.check_citywide(acting_user, Action.ADMINISTER)
    ensure_open(cycle)


@transaction.atomic
def check_schedules(
    cycle: Cycle, *, as_of: dt.date, acting_user: Any, found: Findings | None = None
) -> CheckResult:
    """Check every project and major task of the cycle (the office): raise and clear schedule
    warnings, with one PROJECT_SCHEDULE_CHECKED event summing up."""
    check_allowed(cycle, acting_user)
    found = found or findings(cycle, as_of=as_of)
    result = store_findings(found, acting_user=acting_user)
    audit.record(
        EventType.PROJECT_SCHEDULE_CHECKED,
        acting_user=acting_user,
        obj=cycle,
        extra={
            "as_of": as_of.isoformat(),
            "projects": len(found.project_ids),
            "raised": result.raised,
            "cleared": result.cleared,
            "still_open": result.still_open,
        },
    )
    return result
