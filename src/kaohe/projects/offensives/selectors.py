"""Reads of the major tasks: the board (every part in scope — a milestone × a participating
unit — with its status and the counts by status), a unit's own tasks (its role, its parts, what
it must report next) and one task's detail (the milestones × participants matrix). No writes
here; a handful of queries whatever the number of milestones and units.

Each participating unit reports its own part of every milestone. A part's status, from the
unit's latest report of it (a part has at most one report awaiting confirmation or confirmed;
a returned one is followed by a new report): confirmed on time (completed on or before the due
date), confirmed late, awaiting confirmation, returned, and without a report overdue (past its
due date) or upcoming. The board's "on time" has no grace days: those are the scheme's to set
when it scores."""

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

from kaohe.core import access
from kaohe.core.roles import Action
from kaohe.projects.models import (
    MilestoneEvidence,
    MilestoneReport,
    Offensive,
    OffensiveMilestone,
    OffensiveUnit,
    Role,
)
from kaohe.units.models import Unit

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
    """The parts of these milestones: one row per milestone × participating unit, annotated
    with the unit (`part_unit_id`, `part_role`), the unit's latest report of it (`report_id`,
    `report_state`, `report_done`) and the part's board `status` (so that a FilterSet can
    filter on them)."""
    today = today or timezone.localdate()
    latest = MilestoneReport.objects.filter(
        milestone=OuterRef("pk"), unit=OuterRef("part_unit_id")
    ).order_by("-reported_at", "-pk")
    return (
        milestones.annotate(
            part_unit_id=F("offensive__participants__unit"),
            part_role=F("offensive__participants__role"),
        )
        .annotate(
            report_id=Subquery(latest.values("pk")[:1]),
            report_state=Subquery(latest.values("state")[:1]),
            report_done=Subquery(latest.values("completed_on")[:1]),
        )
        .annotate(
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
    )


def visible_milestones(user: Any) -> QuerySet[OffensiveMilestone]:
    """The parts of the tasks the user may see, with their status, in board order (task,
    milestone, the lead first, then the cooperating units)."""
    return in_board_order(
        with_status(
            OffensiveMilestone.objects.restrict(user, Action.VIEW).select_related(
                "offensive__cycle"
            )
        )
    )


def in_board_order(parts: QuerySet[OffensiveMilestone]) -> QuerySet[OffensiveMilestone]:
    """Parts (from `with_status`) by cycle, task and milestone, the lead unit's part first,
    then the cooperating units'."""
    return parts.order_by(
        "offensive__cycle__year",
        "offensive__code",
        "seq",
        Case(When(part_role=Role.LEAD, then=Value(0)), default=Value(1)),
        "part_unit_id",
    )


@dataclass(frozen=True)
class BoardRow:
    """One part on the board: a milestone and the participating unit whose part it is."""

    milestone: OffensiveMilestone
    status: str
    days_late: int | None  # confirmed late: completed − due; overdue: today − due
    unit: Any  # the participating unit whose part it is
    role: str
    report_id: int | None = None
    completed_on: dt.date | None = None

    @property
    def label(self) -> Any:
        return STATUS_LABELS[self.status]

    @property
    def colour(self) -> str:
        return STATUS_COLOURS[self.status]

    @property
    def is_lead(self) -> bool:
        return self.role == Role.LEAD

    @property
    def role_label(self) -> Any:
        return Role(self.role).label if self.role else ""


def _days_late(milestone: Any, today: dt.date) -> int | None:
    if milestone.status == LATE:
        return int((milestone.report_done - milestone.due).days)
    if milestone.status == OVERDUE:
        return int((today - milestone.due).days)
    return None


def _row(milestone: Any, today: dt.date, units: dict[int, Unit]) -> BoardRow:
    """A part annotated by `with_status` as a board row."""
    return BoardRow(
        milestone,
        milestone.status,
        _days_late(milestone, today),
        units.get(milestone.part_unit_id),
        milestone.part_role,
        milestone.report_id,
        milestone.report_done,
    )


def _units(ids: set[int]) -> dict[int, Unit]:
    return {u.pk: u for u in Unit.objects.filter(pk__in=sorted(ids))}


@dataclass(frozen=True)
class Board:
    rows: tuple[BoardRow, ...]
    counts: tuple[tuple[str, Any, int], ...]  # (status, label, count), every status

    @property
    def total(self) -> int:
        return len(self.rows)


def board(parts: QuerySet[OffensiveMilestone], today: dt.date | None = None) -> Board:
    """The board of these parts (from `visible_milestones`, filtered): each with its status,
    days late and unit, and the counts by status. Two queries."""
    today = today or timezone.localdate()
    found: list[Any] = list(parts)
    units = _units({m.part_unit_id for m in found})
    rows = tuple(_row(m, today, units) for m in found)
    counts = tuple(
        (code, label, sum(1 for r in rows if r.status == code)) for code, label in STATUSES
    )
    return Board(rows, counts)


def parts_by_milestone(
    parts: QuerySet[OffensiveMilestone], today: dt.date | None = None
) -> dict[int, list[BoardRow]]:
    """These parts (from `with_status`, filtered) as board rows by milestone id. Two
    queries."""
    out: dict[int, list[BoardRow]] = {}
    for row in board(parts, today).rows:
        out.setdefault(row.milestone.pk, []).append(row)
    return out


@dataclass
class Task:
    """One of a unit's tasks: its role, its own parts and what it must report next."""

    participation: OffensiveUnit
    rows: list[BoardRow] = field(default_factory=list)  # the unit's own parts
    next_due: BoardRow | None = None
    to_report: list[BoardRow] = field(default_factory=list)  # its parts with no report standing
    can_report: bool = False

    @property
    def offensive(self) -> Offensive:
        return self.participation.offensive

    @property
    def is_lead(self) -> bool:
        return self.participation.role == Role.LEAD


OPEN = (UPCOMING, OVERDUE, RETURNED)  # no report standing: the unit has to report its part


def my_tasks(user: Any, *, cycle: Any = None, today: dt.date | None = None) -> list[Task]:
    """The tasks of the units the user belongs to (for the office: every unit's), each with
    the unit's role, its own parts, the next one due and those it has to report. Three
    queries."""
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
    wanted = {(p.offensive_id, p.unit_id) for p in participations}
    units = {p.unit_id: p.unit for p in participations}
    annotated: Any = with_status(
        OffensiveMilestone.objects.filter(offensive_id__in=sorted(ids)).order_by("seq"), today
    )
    milestones = annotated.filter(part_unit_id__in=sorted(units))
    by_part: dict[tuple[int, int], list[BoardRow]] = {}
    for m in milestones:
        key = (m.offensive_id, m.part_unit_id)
        if key in wanted:
            by_part.setdefault(key, []).append(_row(m, today, units))
    reporting = access.unit_scope(user, Action.REPORT).unit_ids
    tasks = []
    for p in participations:
        rows = by_part.get((p.offensive_id, p.unit_id), [])
        task = Task(p, rows)
        pending = [r for r in rows if r.status in (*OPEN, AWAITING)]
        task.next_due = min(pending, key=lambda r: r.milestone.due, default=None)
        task.can_report = p.unit_id in reporting
        task.to_report = [r for r in rows if r.status in OPEN]
        tasks.append(task)
    return tasks


@dataclass(frozen=True)
class Cell:
    """One part in the detail's matrix: its board row and the unit's reports of it."""

    row: BoardRow
    reports: tuple[MilestoneReport, ...]  # oldest first, each with its evidence
    can_report: bool = False  # the viewer may report this part now

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

    @property
    def latest(self) -> MilestoneReport | None:
        return self.reports[-1] if self.reports else None


@dataclass(frozen=True)
class MilestoneDetail:
    milestone: OffensiveMilestone
    cells: tuple[Cell, ...]  # one per participant, in the order of `OffensiveDetail.units`


@dataclass(frozen=True)
class OffensiveDetail:
    offensive: Offensive
    lead: OffensiveUnit | None
    cooperating: tuple[OffensiveUnit, ...]
    milestones: tuple[MilestoneDetail, ...]
    total_weight: float

    @property
    def units(self) -> tuple[OffensiveUnit, ...]:
        """The participants, the lead first: the matrix's columns."""
        return ((self.lead,) if self.lead else ()) + self.cooperating


def offensive_detail(
    offensive: Offensive, user: Any = None, today: dt.date | None = None
) -> OffensiveDetail:
    """One task: its lead and cooperating units and the milestones × participants matrix,
    each cell with its status, days late and the unit's reports with their evidence (and
    whether `user` may report it now). Five queries at most, whatever the number of
    milestones, units and reports."""
    today = today or timezone.localdate()
    parts = list(offensive.participants.select_related("unit").order_by("role", "unit__code"))
    lead = next((p for p in parts if p.role == Role.LEAD), None)
    cooperating = tuple(p for p in parts if p.role == Role.COOPERATING)
    columns = ((lead,) if lead else ()) + cooperating
    units = {p.unit_id: p.unit for p in parts}
    reports = (
        MilestoneReport.objects.filter(milestone__offensive=offensive)
        .select_related("reported_by", "decided_by", "unit")
        .prefetch_related(Prefetch("evidence", queryset=MilestoneEvidence.objects.order_by("pk")))
        .order_by("reported_at", "pk")
    )
    by_part: dict[tuple[int, int], list[MilestoneReport]] = {}
    for report in reports:
        by_part.setdefault((report.milestone_id, report.unit_id), []).append(report)
    reporting = access.unit_scope(user, Action.REPORT).unit_ids if user is not None else frozenset()
    rows: dict[int, dict[int, BoardRow]] = {}
    milestones: dict[int, OffensiveMilestone] = {}
    annotated: Any = with_status(offensive.milestones.order_by("seq"), today)
    for m in annotated:
        milestones.setdefault(m.pk, m)
        rows.setdefault(m.pk, {})[m.part_unit_id] = _row(m, today, units)
    details = []
    for pk, milestone in milestones.items():
        cells = []
        for p in columns:
            row = rows[pk][p.unit_id]
            cells.append(
                Cell(
                    row,
                    tuple(by_part.get((pk, p.unit_id), [])),
                    p.unit_id in reporting and row.status in OPEN,
                )
            )
        details.append(MilestoneDetail(milestone, tuple(cells)))
    return OffensiveDetail(
        offensive,
        lead,
        cooperating,
        tuple(details),
        float(sum(d.milestone.weight for d in details)),
    )


def visible_evidence(user: Any, pk: int) -> MilestoneEvidence | None:
    """An evidence file of a task the user may see, or None."""
    return MilestoneEvidence.objects.restrict(user, Action.VIEW).filter(pk=pk).first()
