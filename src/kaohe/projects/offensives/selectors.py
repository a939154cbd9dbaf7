"""Reads of the major tasks: the board (every milestone in scope with its status and the counts
by status), a unit's own tasks (its role, the milestones, what it must do next) and one task's
detail. No writes here; a handful of queries whatever the number of milestones.

A milestone's status on the board, from its latest report (a milestone has at most one report
awaiting confirmation or confirmed; a returned one is followed by a new report): confirmed on
time (completed on or before the due date), confirmed late, awaiting confirmation, returned,
and without a report overdue (past its due date) or upcoming. The board's "on time" has no
grace days: those are the scheme's to set when it scores."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    Case,
    CharField,
    F,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kaohe.core.roles import Action
from kaohe.projects.models import (
    MilestoneEvidence,
    MilestoneReport,
    Offensive,
    OffensiveMilestone,
    OffensiveUnit,
    Role,
)
from kaohe.projects.offensives.services import may_report

ON_TIME, LATE, AWAITING, RETURNED, OVERDUE, UPCOMING = (
    "on_time",
    "late",
    "awaiting",
    "returned",
    "overdue",
    "upcoming",
)
STATUSES: tuple[tuple[str, Any], ...] = (
    (ON_TIME, _("confirmed on time")),
    (LATE, _("confirmed late")),
    (AWAITING, _("awaiting confirmation")),
    (RETURNED, _("returned")),
    (OVERDUE, _("overdue")),
    (UPCOMING, _("upcoming")),
)
STATUS_LABELS = dict(STATUSES)
STATUS_COLOURS = {
    ON_TIME: "green",
    LATE: "amber",
    AWAITING: "grey",
    RETURNED: "red",
    OVERDUE: "red",
    UPCOMING: "",
}


def with_status(
    milestones: QuerySet[OffensiveMilestone], today: dt.date | None = None
) -> QuerySet[OffensiveMilestone]:
    """The milestones annotated with their latest report (`report_id`, `report_state`,
    `report_done`) and their board `status` (so that a FilterSet can filter on it)."""
    today = today or timezone.localdate()
    latest = MilestoneReport.objects.filter(milestone=OuterRef("pk")).order_by(
        "-reported_at", "-pk"
    )
    return milestones.annotate(
        report_id=Subquery(latest.values("pk")[:1]),
        report_state=Subquery(latest.values("state")[:1]),
        report_done=Subquery(latest.values("completed_on")[:1]),
    ).annotate(
        status=Case(
            When(
                report_state=MilestoneReport.State.CONFIRMED,
                report_done__lte=F("due"),
                then=Value(ON_TIME),
            ),
            When(report_state=MilestoneReport.State.CONFIRMED, then=Value(LATE)),
            When(report_state=MilestoneReport.State.SUBMITTED, then=Value(AWAITING)),
            When(report_state=MilestoneReport.State.RETURNED, then=Value(RETURNED)),
            When(due__lt=today, then=Value(OVERDUE)),
            default=Value(UPCOMING),
            output_field=CharField(),
        )
    )


def visible_milestones(user: Any) -> QuerySet[OffensiveMilestone]:
    """The milestones of the tasks the user may see, with their status, in board order."""
    return with_status(
        OffensiveMilestone.objects.restrict(user, Action.VIEW)
        .select_related("offensive__cycle")
        .order_by("offensive__cycle__year", "offensive__code", "seq")
    )


@dataclass(frozen=True)
class BoardRow:
    """One milestone on the board."""

    milestone: OffensiveMilestone
    status: str
    days_late: int | None  # confirmed late: completed − due; overdue: today − due
    lead: Any  # the lead unit

    @property
    def label(self) -> Any:
        return STATUS_LABELS[self.status]

    @property
    def colour(self) -> str:
        return STATUS_COLOURS[self.status]


def _days_late(milestone: Any, today: dt.date) -> int | None:
    if milestone.status == LATE:
        return int((milestone.report_done - milestone.due).days)
    if milestone.status == OVERDUE:
        return int((today - milestone.due).days)
    return None


def _row(milestone: Any, today: dt.date, lead: Any) -> BoardRow:
    """A milestone annotated by `with_status` as a board row."""
    return BoardRow(milestone, milestone.status, _days_late(milestone, today), lead)


def _leads(offensive_ids: set[int]) -> dict[int, Any]:
    return {
        p.offensive_id: p.unit
        for p in OffensiveUnit.objects.filter(
            offensive_id__in=sorted(offensive_ids), role=Role.LEAD
        ).select_related("unit")
    }


@dataclass(frozen=True)
class Board:
    rows: tuple[BoardRow, ...]
    counts: tuple[tuple[str, Any, int], ...]  # (status, label, count), every status

    @property
    def total(self) -> int:
        return len(self.rows)


def board(milestones: QuerySet[OffensiveMilestone], today: dt.date | None = None) -> Board:
    """The board of these milestones (from `visible_milestones`, filtered): each with its
    status, days late and lead unit, and the counts by status. Two queries."""
    today = today or timezone.localdate()
    found = list(milestones)
    leads = _leads({m.offensive_id for m in found})
    rows = tuple(_row(m, today, leads.get(m.offensive_id)) for m in found)
    counts = tuple(
        (code, label, sum(1 for r in rows if r.status == code)) for code, label in STATUSES
    )
    return Board(rows, counts)


@dataclass
class Task:
    """One of a unit's tasks: its part, the milestones and what it must do next."""

    participation: OffensiveUnit
    rows: list[BoardRow] = field(default_factory=list)
    next_due: BoardRow | None = None
    to_report: list[BoardRow] = field(default_factory=list)  # the lead's milestones to report
    can_report: bool = False

    @property
    def offensive(self) -> Offensive:
        return self.participation.offensive

    @property
    def is_lead(self) -> bool:
        return self.participation.role == Role.LEAD


OPEN = (UPCOMING, OVERDUE, RETURNED)  # no report standing: the lead unit has to report


def my_tasks(user: Any, *, cycle: Any = None, today: dt.date | None = None) -> list[Task]:
    """The tasks of the units the user belongs to (for the office: every unit's), each with
    the unit's role, the milestones, the next one due and, for the lead unit, those it has
    to report. Three queries."""
    today = today or timezone.localdate()
    parts = OffensiveUnit.objects.restrict(user, Action.VIEW).select_related(
        "offensive__cycle", "unit"
    )
    if cycle is not None:
        parts = parts.filter(offensive__cycle=cycle)
    participations = list(
        parts.order_by("-offensive__cycle__year", "offensive__code", "unit__code")
    )
    ids = {p.offensive_id for p in participations}
    milestones = with_status(
        OffensiveMilestone.objects.filter(offensive_id__in=sorted(ids)).order_by("seq"), today
    )
    by_offensive: dict[int, list[BoardRow]] = {}
    leads = _leads(ids)
    for m in milestones:
        by_offensive.setdefault(m.offensive_id, []).append(
            _row(m, today, leads.get(m.offensive_id))
        )
    tasks = []
    for p in participations:
        rows = by_offensive.get(p.offensive_id, [])
        task = Task(p, rows)
        pending = [r for r in rows if r.status in (*OPEN, AWAITING)]
        task.next_due = min(pending, key=lambda r: r.milestone.due, default=None)
        if p.role == Role.LEAD:
            task.can_report = may_report(user, p.unit_id)
            task.to_report = [r for r in rows if r.status in OPEN]
        tasks.append(task)
    return tasks


@dataclass(frozen=True)
class MilestoneDetail:
    row: BoardRow
    reports: tuple[MilestoneReport, ...]  # oldest first, each with its evidence

    @property
    def live(self) -> MilestoneReport | None:
        return next(
            (
                r
                for r in self.reports
                if r.state in (MilestoneReport.State.SUBMITTED, MilestoneReport.State.CONFIRMED)
            ),
            None,
        )


@dataclass(frozen=True)
class OffensiveDetail:
    offensive: Offensive
    lead: OffensiveUnit | None
    cooperating: tuple[OffensiveUnit, ...]
    milestones: tuple[MilestoneDetail, ...]
    total_weight: float


def offensive_detail(offensive: Offensive, today: dt.date | None = None) -> OffensiveDetail:
    """One task: its lead and cooperating units, its milestones with their status, reports
    and evidence. Four queries."""
    today = today or timezone.localdate()
    parts = list(offensive.participants.select_related("unit").order_by("role", "unit__code"))
    lead = next((p for p in parts if p.role == Role.LEAD), None)
    reports = (
        MilestoneReport.objects.filter(milestone__offensive=offensive)
        .select_related("reported_by", "decided_by", "unit")
        .prefetch_related(Prefetch("evidence", queryset=MilestoneEvidence.objects.order_by("pk")))
        .order_by("reported_at", "pk")
    )
    by_milestone: dict[int, list[MilestoneReport]] = {}
    for report in reports:
        by_milestone.setdefault(report.milestone_id, []).append(report)
    milestones = with_status(offensive.milestones.order_by("seq"), today)
    details = tuple(
        MilestoneDetail(
            _row(m, today, lead.unit if lead else None),
            tuple(by_milestone.get(m.pk, [])),
        )
        for m in milestones
    )
    return OffensiveDetail(
        offensive,
        lead,
        tuple(p for p in parts if p.role == Role.COOPERATING),
        details,
        float(sum(d.row.milestone.weight for d in details)),
    )


def visible_evidence(user: Any, pk: int) -> MilestoneEvidence | None:
    """An evidence file of a task the user may see, or None."""
    return MilestoneEvidence.objects.restrict(user, Action.VIEW).filter(pk=pk).first()
