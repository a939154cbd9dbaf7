"""Reading the key projects register: each project's plan against its actual investment month by
month, the milestones reached, the status the map shows (behind schedule when a schedule
warning is open for it) and the map's points in one query.

"Actual" is always the latest version of each month's report: an earlier version is kept for
the record but no longer counts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import (
    CharField,
    DecimalField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Concat
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext as _

from kaohe.monitoring.models import Warning
from kaohe.projects.models import (
    InvestmentFeed,
    KeyProject,
    PlanMonth,
    ProgressReport,
    ProjectMilestone,
)
from kaohe.schemes.models import Cycle

BEHIND = "behind"
DEFAULT_MIN_PACE = Decimal("0.8")
SCHEDULE_KIND = "schedule"

# map colours by shown status
STATUS_COLOURS = {
    KeyProject.Status.PLANNED: "#8a94a6",
    KeyProject.Status.UNDER_WAY: "#1f6fd1",
    KeyProject.Status.COMPLETED: "#2e9d5b",
    KeyProject.Status.SUSPENDED: "#e0a100",
    BEHIND: "#d93025",
}


def status_labels() -> dict[str, str]:
    """Each shown status and its name in the reader's language."""
    labels = {value: str(label) for value, label in KeyProject.Status.choices}
    labels[BEHIND] = _("behind schedule")
    return labels


def project_subject(project_id: int, seq: int | None = None) -> str:
    """The subject of a schedule warning about a project (or one of its milestones)."""
    return f"project:{project_id}" if seq is None else f"project:{project_id}:m{seq}"


def subject_project(subject: str) -> int | None:
    """The project id a schedule warning's subject names, or None."""
    parts = subject.split(":")
    if len(parts) >= 2 and parts[0] == "project" and parts[1].isdigit():
        return int(parts[1])
    return None


def open_schedule_warnings() -> QuerySet[Warning]:
    return Warning.objects.filter(rule__kind=SCHEDULE_KIND).exclude(state=Warning.State.CLOSED)


def behind_exists(ref: Any = None) -> Exists:
    """An EXISTS of an open schedule warning about the outer project."""
    pk = Cast(OuterRef("pk") if ref is None else ref, output_field=CharField())
    exact = Concat(Value("project:"), pk, output_field=CharField())
    prefix = Concat(Value("project:"), pk, Value(":"), output_field=CharField())
    return Exists(open_schedule_warnings().filter(Q(subject=exact) | Q(subject__startswith=prefix)))


def latest_reports() -> QuerySet[ProgressReport]:
    """The reports that count: the latest version of each project's month."""
    newer = ProgressReport.objects.filter(
        project=OuterRef("project"), month=OuterRef("month"), version__gt=OuterRef("version")
    )
    return ProgressReport.objects.filter(~Exists(newer))


def min_pace(cycle: Cycle) -> Decimal:
    feed = InvestmentFeed.objects.filter(cycle=cycle).first()
    return feed.min_pace if feed else DEFAULT_MIN_PACE


def last_complete_month(as_of: dt.date) -> dt.date:
    """The first day of the month before `as_of`'s."""
    return (as_of.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def pace_window(cycle: Cycle, as_of: dt.date) -> tuple[dt.date, dt.date]:
    """The months the pace is measured over: from January of the cycle's year to the last
    complete month before `as_of` (at most December)."""
    end = min(last_complete_month(as_of), dt.date(cycle.year, 12, 1))
    return dt.date(cycle.year, 1, 1), end


def with_figures(
    queryset: QuerySet[KeyProject], as_of: dt.date | None = None
) -> QuerySet[KeyProject]:
    """Annotate `planned_to_date` and `actual_to_date` (the cycle year's months up to the last
    complete one, latest report versions) and `behind`, in the one query of the projects."""
    as_of = as_of or dt.date.today()
    cutoff = last_complete_month(as_of)
    money: DecimalField[Decimal, Decimal] = DecimalField(max_digits=16, decimal_places=2)
    planned = (
        PlanMonth.objects.filter(
            project=OuterRef("pk"),
            month__year=OuterRef("cycle__year"),
            month__lte=cutoff,
        )
        .order_by()
        .values("project")
        .annotate(s=Sum("planned"))
        .values("s")
    )
    actual = (
        latest_reports()
        .filter(project=OuterRef("pk"), month__lte=cutoff)
        .order_by()
        .values("project")
        .annotate(s=Sum("invested"))
        .values("s")
    )
    return queryset.annotate(
        planned_to_date=Coalesce(
            Subquery(planned, output_field=money), Value(Decimal(0)), output_field=money
        ),
        actual_to_date=Coalesce(
            Subquery(actual, output_field=money), Value(Decimal(0)), output_field=money
        ),
        behind=behind_exists(),
    )


def pace_of(planned: Decimal | None, actual: Decimal | None) -> float | None:
    """Actual against planned (1.0 = on plan), None while nothing is planned."""
    if not planned:
        return None
    return float((actual or 0) / planned)


def shown_status(project: KeyProject) -> str:
    """The status the map and lists show: behind when an open schedule warning names it."""
    behind = getattr(project, "behind", None)
    if behind is None:
        behind = KeyProject.objects.filter(pk=project.pk).filter(behind_exists(F("pk"))).exists()
    return BEHIND if behind else project.status


@dataclass
class MonthRow:
    month: dt.date
    planned: Decimal
    actual: Decimal | None
    cumulative_planned: Decimal
    cumulative_actual: Decimal
    report: ProgressReport | None = None

    @property
    def pace(self) -> float | None:
        return pace_of(self.cumulative_planned, self.cumulative_actual)


@dataclass
class MilestoneRow:
    milestone: ProjectMilestone
    reached: dt.date | None

    @property
    def overdue(self) -> bool:
        return self.reached is None and self.milestone.due < dt.date.today()


@dataclass
class Progress:
    project: KeyProject
    months: list[MonthRow] = field(default_factory=list)
    milestones: list[MilestoneRow] = field(default_factory=list)

    @property
    def planned_total(self) -> Decimal:
        return self.months[-1].cumulative_planned if self.months else Decimal(0)

    @property
    def actual_total(self) -> Decimal:
        return self.months[-1].cumulative_actual if self.months else Decimal(0)


def reached_milestones(reports: Iterable[ProgressReport]) -> dict[int, dt.date]:
    """seq → date reached, from the counting reports in month order (a later month's report
    overrides an earlier one's date)."""
    out: dict[int, dt.date] = {}
    for report in sorted(reports, key=lambda r: (r.month, r.version)):
        for seq, day in (report.milestones_done or {}).items():
            out[int(seq)] = dt.date.fromisoformat(day)
    return out


def project_progress(project: KeyProject) -> Progress:
    """Plan against actual by month (every month planned or reported, in order), cumulative
    both, and the milestones with the date each was reached."""
    plan = {p.month: p.planned for p in project.plan.all()}
    reports = list(latest_reports().filter(project=project))
    by_month = {r.month: r for r in reports}
    progress = Progress(project=project)
    cum_planned, cum_actual = Decimal(0), Decimal(0)
    for month in sorted(set(plan) | set(by_month)):
        planned = plan.get(month, Decimal(0))
        report = by_month.get(month)
        cum_planned += planned
        if report is not None:
            cum_actual += report.invested
        progress.months.append(
            MonthRow(
                month=month,
                planned=planned,
                actual=report.invested if report else None,
                cumulative_planned=cum_planned,
                cumulative_actual=cum_actual,
                report=report,
            )
        )
    reached = reached_milestones(reports)
    progress.milestones = [
        MilestoneRow(m, reached.get(m.seq)) for m in project.milestones.all().order_by("seq")
    ]
    return progress


def progress_chart(progress: Progress) -> dict[str, Any]:
    """ECharts option: monthly planned and actual bars, cumulative lines on a second axis."""
    months = [f"{m.month:%Y-%m}" for m in progress.months]

    def num(value: Decimal | None) -> float | None:
        return None if value is None else float(value)

    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 8, "right": 8, "top": 40, "bottom": 8, "containLabel": True},
        "xAxis": {"type": "category", "data": months},
        "yAxis": [
            {"type": "value", "name": _("10,000 yuan"), "nameTextStyle": {"align": "left"}},
            {
                "type": "value",
                "name": _("cumulative"),
                "nameTextStyle": {"align": "right"},
                "splitLine": {"show": False},
            },
        ],
        "series": [
            {
                "name": _("planned"),
                "type": "bar",
                "data": [num(m.planned) for m in progress.months],
                "itemStyle": {"color": "#9db7dc"},
            },
            {
                "name": _("actual"),
                "type": "bar",
                "data": [num(m.actual) for m in progress.months],
                "itemStyle": {"color": "#1f6fd1"},
            },
            {
                "name": _("cumulative planned"),
                "type": "line",
                "yAxisIndex": 1,
                "data": [num(m.cumulative_planned) for m in progress.months],
                "lineStyle": {"type": "dashed"},
                "itemStyle": {"color": "#7a8699"},
            },
            {
                "name": _("cumulative actual"),
                "type": "line",
                "yAxisIndex": 1,
                "data": [num(m.cumulative_actual) for m in progress.months],
                "itemStyle": {"color": "#d93025"},
            },
        ],
    }


@dataclass(frozen=True)
class MapPoint:
    pk: int
    code: str
    name: str
    owner: str
    district: str
    category: str
    longitude: float
    latitude: float
    status: str  # as shown: "behind" when a schedule warning is open
    project_status: str
    pace: float | None
    url: str


def map_points(queryset: QuerySet[KeyProject], as_of: dt.date | None = None) -> list[MapPoint]:
    """The points of the (restricted, filtered) projects: one query."""
    rows = with_figures(queryset.select_related("owner", "district"), as_of).order_by("code")
    return [
        MapPoint(
            pk=p.pk,
            code=p.code,
            name=p.name,
            owner=p.owner.name,
            district=p.district.name,
            category=p.category,
            longitude=float(p.longitude),
            latitude=float(p.latitude),
            status=BEHIND if getattr(p, "behind", False) else p.status,
            project_status=p.status,
            pace=pace_of(getattr(p, "planned_to_date", None), getattr(p, "actual_to_date", None)),
            url=reverse("projects:detail", args=[p.pk]),
        )
        for p in rows
    ]


def map_option(
    map_name: str, points: Sequence[MapPoint], regions: Sequence[tuple[str, str]]
) -> dict[str, Any]:
    """The city map (a geo component drawn from the GeoJSON registered as `map_name`, the
    regions named) with one scatter series per shown status; each point carries its project's
    id, code, status and page."""
    labels = status_labels()
    series = []
    for status, colour in STATUS_COLOURS.items():
        data = []
        for p in points:
            if p.status != status:
                continue
            pace = "—" if p.pace is None else f"{p.pace:.0%}"
            tip = (
                f"<strong>{escape(p.name)}</strong><br/>{escape(_('Owner'))}: {escape(p.owner)}"
                f"<br/>{escape(_('Investment pace'))}: {pace}<br/>{escape(labels[status])}"
            )
            data.append(
                {
                    "name": p.name,
                    "value": [p.longitude, p.latitude],
                    "id": p.pk,
                    "code": p.code,
                    "status": p.status,
                    "project_status": p.project_status,
                    "url": p.url,
                    "tooltip": {"formatter": tip},
                }
            )
        series.append(
            {
                "name": labels[status],
                "type": "scatter",
                "coordinateSystem": "geo",
                "symbolSize": 14,
                "itemStyle": {"color": colour, "borderColor": "#fff", "borderWidth": 1},
                "data": data,
            }
        )
    return {
        "tooltip": {"trigger": "item"},
        "legend": {"bottom": 0, "data": [labels[s] for s in STATUS_COLOURS]},
        "geo": {
            "map": map_name,
            "nameProperty": "code",
            "nameMap": dict(regions),
            "roam": True,
            "label": {"show": True, "color": "#1d2733", "fontSize": 12},
            "itemStyle": {"areaColor": "#e8f0fb", "borderColor": "#1f4e8c", "borderWidth": 1.2},
            "emphasis": {"itemStyle": {"areaColor": "#ffd54f"}},
        },
        "series": series,
        "animationDuration": 400,
    }
