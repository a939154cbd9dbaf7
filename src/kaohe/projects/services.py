"""Every write of the key projects register (重点项目): registering and changing a project (the
office), importing the office's list all or nothing, the owner unit's monthly progress reports
with their evidence, and the cycle's investment feed settings.

A project is checked as a whole before anything is stored — its facts, its monthly plan and its
milestones — and every problem names its field (and, in a batch, its row), so that a refused
import leaves nothing behind. Every service takes a keyword-only `acting_user`, runs in one
transaction and writes its audit event inside it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from kaohe.core import access, audit
from kaohe.core.errors import BatchRejected, RowError
from kaohe.core.events import EventType
from kaohe.core.roles import Action
from kaohe.indicators.models import Indicator
from kaohe.observations.evidence import EvidenceFile, check_evidence, save_files
from kaohe.projects import schedule
from kaohe.projects.models import (
    InvestmentFeed,
    KeyProject,
    PlanMonth,
    ProgressEvidence,
    ProgressReport,
    ProjectCategory,
    ProjectMilestone,
)
from kaohe.schemes.models import Cycle
from kaohe.schemes.services import ensure_open
from kaohe.units.models import CityMap, Unit

DISTRICT_KINDS = (Unit.Kind.DISTRICT, Unit.Kind.COUNTY_CITY)
MAX_INVESTMENT = Decimal("999999999999.99")


@dataclass
class PlanInput:
    """One planned month: `month` is any day of it (stored as its first day)."""

    month: dt.date
    planned: Decimal
    row: int = 0


@dataclass
class MilestoneInput:
    seq: int
    name_zh: str
    due: dt.date
    name_en: str = ""
    row: int = 0


@dataclass
class ProjectInput:
    """A project as the office sends it (units by code). `row` is its row in a batch."""

    code: str
    name_zh: str
    owner: str
    district: str
    category: str
    longitude: Decimal
    latitude: Decimal
    planned_start: dt.date
    planned_end: dt.date
    total_investment: Decimal
    status: str = KeyProject.Status.PLANNED
    name_en: str = ""
    plan: list[PlanInput] = field(default_factory=list)
    milestones: list[MilestoneInput] = field(default_factory=list)
    row: int = 0


# the sheet each part of a project is read from (named in a batch's errors)
PROJECTS_SHEET, PLAN_SHEET, MILESTONES_SHEET = "projects", "plan", "milestones"


def first_of_month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def parse_month(value: Any) -> dt.date:
    """A month from a date or "YYYY-MM"; ValueError otherwise."""
    if isinstance(value, dt.datetime):
        return value.date().replace(day=1)
    if isinstance(value, dt.date):
        return value.replace(day=1)
    text = str(value or "").strip()
    return dt.datetime.strptime(text[:7], "%Y-%m").date()


def parse_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value or "").strip()[:10])


def parse_decimal(value: Any) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValueError(value) from None
    if not number.is_finite():
        raise ValueError(value)
    return number


def map_bounds(city_map: CityMap | None) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) of the map's features, or None without a map."""
    if city_map is None:
        return None
    xs: list[float] = []
    ys: list[float] = []

    def walk(coords: Any) -> None:
        if coords and isinstance(coords[0], int | float):
            xs.append(float(coords[0]))
            ys.append(float(coords[1]))
            return
        for part in coords or []:
            walk(part)

    for feature in (city_map.geojson or {}).get("features") or []:
        walk((feature.get("geometry") or {}).get("coordinates"))
    if not xs:
        return None
    return min(xs), min(ys), max(xs), max(ys)


@dataclass
class Context:
    """What checking a batch reads once: the units by code and the map's bounds."""

    units: dict[str, Unit]
    bounds: tuple[float, float, float, float] | None

    @classmethod
    def read(cls, codes: Iterable[str]) -> Context:
        units = {u.code: u for u in Unit.objects.filter(code__in=set(codes), active=True)}
        return cls(units=units, bounds=map_bounds(CityMap.current()))


def project_problems(
    cycle: Cycle, item: ProjectInput, context: Context
) -> list[tuple[str, str, int, str]]:
    """Every problem of one project: (sheet, field, row, rule)."""
    out: list[tuple[str, str, int, str]] = []

    def bad(name: str, rule: str, sheet: str = PROJECTS_SHEET, row: int | None = None) -> None:
        out.append((sheet, name, item.row if row is None else row, rule))

    if (
        not item.code
        or len(item.code) > 40
        or not item.code.replace("-", "").replace("_", "").isalnum()
    ):
        bad("code", _("A code of up to 40 letters, digits, hyphens or underscores."))
    if not item.name_zh.strip():
        bad("name_zh", _("The Chinese name is required."))
    if item.owner not in context.units:
        bad("owner", _("No active unit has this code."))
    district = context.units.get(item.district)
    if district is None:
        bad("district", _("No active unit has this code."))
    elif district.kind not in DISTRICT_KINDS:
        bad("district", _("The unit is not a district or county-level city."))
    if item.category not in ProjectCategory.values:
        bad(
            "category",
            _("Not a category; one of: %(choices)s.")
            % {"choices": ", ".join(ProjectCategory.values)},
        )
    if item.status not in KeyProject.Status.values:
        bad(
            "status",
            _("Not a status; one of: %(choices)s.")
            % {"choices": ", ".join(KeyProject.Status.values)},
        )
    lon, lat = float(item.longitude), float(item.latitude)
    if not -180 <= lon <= 180:
        bad("longitude", _("A longitude lies between -180 and 180."))
    if not -90 <= lat <= 90:
        bad("latitude", _("A latitude lies between -90 and 90."))
    if context.bounds is not None and -180 <= lon <= 180 and -90 <= lat <= 90:
        west, south, east, north = context.bounds
        if not (west <= lon <= east and south <= lat <= north):
            bad(
                "longitude",
                _("The point lies outside the city map (%(w).4f–%(e).4f, %(s).4f–%(n).4f).")
                % {"w": west, "e": east, "s": south, "n": north},
            )
    if item.planned_end < item.planned_start:
        bad("planned_end", _("The planned completion is before the planned start."))
    if item.total_investment < 0 or item.total_investment > MAX_INVESTMENT:
        bad("total_investment", _("The investment is a number of 0 or more."))
    seen_months: set[dt.date] = set()
    start, end = first_of_month(item.planned_start), first_of_month(item.planned_end)
    for p in item.plan:
        month = first_of_month(p.month)
        if month in seen_months:
            bad("month", _("The month is planned twice."), PLAN_SHEET, p.row)
        seen_months.add(month)
        if not start <= month <= end:
            bad(
                "month",
                _("The month lies outside the project's planned dates."),
                PLAN_SHEET,
                p.row,
            )
        if p.planned < 0 or p.planned > MAX_INVESTMENT:
            bad("planned", _("The investment is a number of 0 or more."), PLAN_SHEET, p.row)
    seen_seqs: set[int] = set()
    for m in item.milestones:
        if m.seq in seen_seqs:
            bad("seq", _("The milestone number is used twice."), MILESTONES_SHEET, m.row)
        seen_seqs.add(m.seq)
        if m.seq < 1 or m.seq > 999:
            bad("seq", _("A milestone number from 1 to 999."), MILESTONES_SHEET, m.row)
        if not m.name_zh.strip():
            bad("name_zh", _("The Chinese name is required."), MILESTONES_SHEET, m.row)
    if cycle.year < item.planned_start.year - 20 or cycle.year > item.planned_end.year + 20:
        bad("planned_start", _("The project's dates are far from the cycle's year."))
    return out


def batch_errors(cycle: Cycle, items: Sequence[ProjectInput]) -> list[RowError]:
    """Every problem of a batch, each naming its sheet and row, field and rule."""
    context = Context.read(code for i in items for code in (i.owner, i.district))
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for item in items:
        if item.code in seen:
            errors.append(
                RowError(
                    item.row,
                    f"{PROJECTS_SHEET}.code",
                    _("The code is used twice in the list (first in row %(row)d).")
                    % {"row": seen[item.code]},
                    item.code,
                )
            )
        else:
            seen[item.code] = item.row
        for sheet, name, row, rule in project_problems(cycle, item, context):
            errors.append(RowError(row, f"{sheet}.{name}", rule, _value(item, sheet, name, row)))
    return errors


def _value(item: ProjectInput, sheet: str, name: str, row: int) -> str:
    if sheet == PROJECTS_SHEET:
        return str(getattr(item, name, "") or "")
    rows = item.plan if sheet == PLAN_SHEET else item.milestones
    for r in rows:
        if r.row == row:
            return str(getattr(r, name, "") or "")
    return ""


def _single(cycle: Cycle, item: ProjectInput, *, existing: KeyProject | None = None) -> Context:
    """Check one project from a form or the API; ValidationError by field."""
    context = Context.read([item.owner, item.district])
    problems: dict[str, list[str]] = {}
    for sheet, name, row, rule in project_problems(cycle, item, context):
        key = name if sheet == PROJECTS_SHEET else sheet
        text = rule if sheet == PROJECTS_SHEET else f"{_('row')} {row or '?'}, {name}: {rule}"
        problems.setdefault(key, []).append(text)
    taken = KeyProject.objects.filter(cycle=cycle, code=item.code)
    if existing is not None:
        taken = taken.exclude(pk=existing.pk)
    if taken.exists():
        problems.setdefault("code", []).append(_("The cycle already has a project with this code."))
    if problems:
        raise ValidationError(problems)
    return context


def _apply(
    project: KeyProject, item: ProjectInput, context: Context
) -> tuple[list[str], list[str]]:
    """Copy the facts onto `project` and save it; replace its plan and milestones. Returns the
    plan months and milestone numbers now stored (for the audit record)."""
    project.code = item.code
    project.name_zh, project.name_en = item.name_zh.strip(), item.name_en.strip()
    project.owner = context.units[item.owner]
    project.district = context.units[item.district]
    project.category = item.category
    project.longitude = item.longitude.quantize(Decimal("0.000001"))
    project.latitude = item.latitude.quantize(Decimal("0.000001"))
    project.planned_start, project.planned_end = item.planned_start, item.planned_end
    project.total_investment = item.total_investment.quantize(Decimal("0.01"))
    project.status = item.status
    project.full_clean(exclude=["created_by", "cycle"])
    project.save()
    PlanMonth.objects.filter(project=project).delete()
    PlanMonth.objects.bulk_create(
        [
            PlanMonth(
                project=project,
                month=first_of_month(p.month),
                planned=p.planned.quantize(Decimal("0.01")),
            )
            for p in sorted(item.plan, key=lambda p: p.month)
        ]
    )
    wanted = {m.seq: m for m in item.milestones}
    ProjectMilestone.objects.filter(project=project).exclude(seq__in=wanted).delete()
    existing = {m.seq: m for m in ProjectMilestone.objects.filter(project=project)}
    for seq, m in sorted(wanted.items()):
        row = existing.get(seq) or ProjectMilestone(project=project, seq=seq)
        row.name_zh, row.name_en, row.due = m.name_zh.strip(), m.name_en.strip(), m.due
        row.save()
    return (
        [
            f"{first_of_month(p.month):%Y-%m}={p.planned}"
            for p in sorted(item.plan, key=lambda p: p.month)
        ],
        [f"{m.seq}:{m.name_zh}@{m.due.isoformat()}" for _s, m in sorted(wanted.items())],
    )


def _unit_code(value: Any) -> str:
    return value.code if isinstance(value, Unit) else str(value or "").strip()


def project_input(data: Mapping[str, Any], *, base: ProjectInput | None = None) -> ProjectInput:
    """A ProjectInput from a form's or the API's mapping (units as objects or codes, dates as
    dates or ISO text, the plan as {month: planned} or [(month, planned)], milestones as
    mappings of seq, name_zh, name_en, due), over `base` for the fields not given."""
    problems: dict[str, str] = {}

    def get(name: str, parse: Any, default: Any = None) -> Any:
        if name not in data:
            if base is not None:
                return getattr(base, name)
            if default is not None:
                return default
            problems[name] = _("This field is required.")
            return None
        try:
            return parse(data[name])
        except (ValueError, TypeError):
            problems[name] = _("Not a valid value.")
            return None

    text = lambda v: str(v or "").strip()  # noqa: E731
    item = ProjectInput(
        code=get("code", text),
        name_zh=get("name_zh", text),
        name_en=get("name_en", text, ""),
        owner=get("owner", _unit_code),
        district=get("district", _unit_code),
        category=get("category", text),
        longitude=get("longitude", parse_decimal),
        latitude=get("latitude", parse_decimal),
        planned_start=get("planned_start", parse_date),
        planned_end=get("planned_end", parse_date),
        total_investment=get("total_investment", parse_decimal),
        status=get("status", text, KeyProject.Status.PLANNED),
    )
    if "plan" in data:
        raw = data["plan"] or {}
        pairs = list(raw.items()) if isinstance(raw, Mapping) else list(raw)
        try:
            item.plan = [PlanInput(parse_month(m), parse_decimal(v)) for m, v in pairs]
        except (ValueError, TypeError):
            problems["plan"] = _("A month (YYYY-MM) and a planned investment per entry.")
    elif base is not None:
        item.plan = base.plan
    if "milestones" in data:
        try:
            item.milestones = [
                MilestoneInput(
                    int(m["seq"]),
                    str(m.get("name_zh") or ""),
                    parse_date(m["due"]),
                    str(m.get("name_en") or ""),
                )
                for m in data["milestones"] or []
            ]
        except (ValueError, TypeError, KeyError):
            problems["milestones"] = _("A number, a name and a due date per milestone.")
    elif base is not None:
        item.milestones = base.milestones
    if problems:
        raise ValidationError(problems)
    return item


def as_input(project: KeyProject) -> ProjectInput:
    """The stored project as an input (to change part of it)."""
    return ProjectInput(
        code=project.code,
        name_zh=project.name_zh,
        name_en=project.name_en,
        owner=project.owner.code,
        district=project.district.code,
        category=project.category,
        longitude=project.longitude,
        latitude=project.latitude,
        planned_start=project.planned_start,
        planned_end=project.planned_end,
        total_investment=project.total_investment,
        status=project.status,
        plan=[PlanInput(p.month, p.planned) for p in project.plan.all()],
        milestones=[
            MilestoneInput(m.seq, m.name_zh, m.due, m.name_en) for m in project.milestones.all()
        ],
    )


@transaction.atomic
def register_project(
    cycle: Cycle, data: Mapping[str, Any] | ProjectInput, *, acting_user: Any
) -> KeyProject:
    """Put a project on the cycle's register with its plan and milestones (the office)."""
    access.check_citywide(acting_user, Action.ADMINISTER)
    ensure_open(cycle)
    item = data if isinstance(data, ProjectInput) else project_input(data)
    context = _single(cycle, item)
    project = KeyProject(cycle=cycle, created_by=acting_user)
    plan, milestones = _apply(project, item, context)
    audit.record(
        EventType.PROJECT_REGISTERED,
        acting_user=acting_user,
        obj=project,
        unit=project.owner,
        changes=[audit.created(project)],
        extra={"code": project.code, "plan": plan, "milestones": milestones},
    )
    return project


def _plan_text(project: KeyProject) -> tuple[list[str], list[str]]:
    return (
        [f"{p.month:%Y-%m}={p.planned}" for p in project.plan.all()],
        [f"{m.seq}:{m.name_zh}@{m.due.isoformat()}" for m in project.milestones.all()],
    )


@transaction.atomic
def update_project(
    project: KeyProject, *, acting_user: Any, reason: str = "", **changes: Any
) -> KeyProject:
    """Change a project's facts, and its plan months and milestones when given (the office).
    Fields: those of `project_input`, plus `actual_start` and `actual_end`."""
    access.check_citywide(acting_user, Action.ADMINISTER)
    project = (
        KeyProject.objects.select_for_update()
        .select_related("cycle", "owner", "district")
        .get(pk=project.pk)
    )
    ensure_open(project.cycle)
    actual = {k: changes.pop(k) for k in ("actual_start", "actual_end") if k in changes}
    unknown = sorted(set(changes) - set(ProjectInput.__dataclass_fields__) - {"plan", "milestones"})
    if unknown:
        raise ValidationError(_("Unknown field(s): %(names)s.") % {"names": ", ".join(unknown)})
    item = project_input(changes, base=as_input(project))
    context = _single(project.cycle, item, existing=project)
    before = audit.snapshot(project)
    plan_before, milestones_before = _plan_text(project)
    for name, value in actual.items():
        try:
            setattr(project, name, parse_date(value) if value else None)
        except ValueError:
            raise ValidationError({name: _("Not a valid date.")}) from None
    plan, milestones = _apply(project, item, context)
    audit.record(
        EventType.PROJECT_CHANGED,
        acting_user=acting_user,
        obj=project,
        unit=project.owner,
        reason=reason,
        changes=[audit.updated(project, before)],
        extra={
            "plan": {"before": plan_before, "after": plan} if plan != plan_before else None,
            "milestones": {"before": milestones_before, "after": milestones}
            if milestones != milestones_before
            else None,
        },
    )
    return project


@transaction.atomic
def import_projects(
    cycle: Cycle, rows: Sequence[ProjectInput], *, acting_user: Any
) -> list[KeyProject]:
    """Store the office's list all or nothing: a code the cycle has is updated, a new one is
    created. Any problem refuses the whole list (BatchRejected naming sheet, row and field)."""
    access.check_citywide(acting_user, Action.ADMINISTER)
    ensure_open(cycle)
    if not rows:
        raise BatchRejected([RowError(0, PROJECTS_SHEET, _("The list has no projects."))])
    errors = batch_errors(cycle, rows)
    if errors:
        raise BatchRejected(errors)
    context = Context.read(code for i in rows for code in (i.owner, i.district))
    existing = {
        p.code: p
        for p in KeyProject.objects.select_for_update().filter(
            cycle=cycle, code__in=[i.code for i in rows]
        )
    }
    stored: list[KeyProject] = []
    created: list[str] = []
    updated: list[str] = []
    for item in rows:
        project = existing.get(item.code) or KeyProject(cycle=cycle, created_by=acting_user)
        (updated if project.pk else created).append(item.code)
        _apply(project, item, context)
        stored.append(project)
    audit.record(
        EventType.PROJECTS_IMPORTED,
        acting_user=acting_user,
        obj=cycle,
        extra={"cycle": cycle.year, "created": created, "updated": updated},
    )
    return stored


def _milestones_done(
    project: KeyProject, given: Mapping[Any, Any], today: dt.date
) -> dict[str, str]:
    seqs = set(project.milestones.values_list("seq", flat=True))
    out: dict[str, str] = {}
    problems = []
    for raw_seq, raw_day in (given or {}).items():
        try:
            seq = int(raw_seq)
            day = parse_date(raw_day)
        except (ValueError, TypeError):
            problems.append(_("Milestone %(seq)s: a number and a date.") % {"seq": raw_seq})
            continue
        if seq not in seqs:
            problems.append(_("Milestone %(seq)s is not one of the project's.") % {"seq": seq})
        elif day > today:
            problems.append(_("Milestone %(seq)s: the date lies in the future.") % {"seq": seq})
        else:
            out[str(seq)] = day.isoformat()
    if problems:
        raise ValidationError({"milestones_done": problems})
    return dict(sorted(out.items(), key=lambda kv: int(kv[0])))


@transaction.atomic
def report_progress(
    project: KeyProject,
    *,
    month: Any,
    invested: Any,
    status: str,
    milestones_done: Mapping[Any, Any] | None = None,
    note: str = "",
    files: Sequence[EvidenceFile] = (),
    acting_user: Any,
) -> ProgressReport:
    """The owner unit reports a month: the investment made in it, the project's status, the
    milestones reached (seq → date) and photos or documents. A second report for the same month
    is the next version; the first is kept. The project's schedule is checked again after."""
    access.check_unit(acting_user, Action.REPORT, project.owner)
    project = (
        KeyProject.objects.select_for_update().select_related("cycle", "owner").get(pk=project.pk)
    )
    ensure_open(project.cycle)
    today = timezone.localdate()
    problems: dict[str, list[str]] = {}
    try:
        first = parse_month(month)
    except (ValueError, TypeError):
        problems["month"] = [_("A month as YYYY-MM.")]
    else:
        if first.year != project.cycle.year:
            problems["month"] = [
                _("The month lies outside the cycle's year %(year)d.")
                % {"year": project.cycle.year}
            ]
        elif first > first_of_month(today):
            problems["month"] = [_("The month lies in the future.")]
    try:
        amount = parse_decimal(invested)
    except ValueError:
        problems["invested"] = [_("The investment is a number of 0 or more.")]
    else:
        if amount < 0 or amount > MAX_INVESTMENT:
            problems["invested"] = [_("The investment is a number of 0 or more.")]
        elif amount > project.total_investment:
            # a month above the whole project's budget is a slip of the unit (元 for 万元)
            problems["invested"] = [
                _(
                    "%(amount)s (10,000 yuan) in one month is more than the project's whole "
                    "investment of %(total)s: check the unit (10,000 yuan)."
                )
                % {"amount": amount, "total": project.total_investment}
            ]
    if status not in KeyProject.Status.values:
        problems["status"] = [_("Not a status.")]
    try:
        done = _milestones_done(project, milestones_done or {}, today)
    except ValidationError as exc:
        problems.update(exc.message_dict)
    evidence_errors = check_evidence(files)
    if evidence_errors:
        problems["files"] = [f"{e.value}: {e.rule}" if e.value else e.rule for e in evidence_errors]
    if problems:
        raise ValidationError(problems)
    last = ProgressReport.objects.filter(project=project, month=first).aggregate(v=Max("version"))[
        "v"
    ]
    report = ProgressReport(
        project=project,
        month=first,
        version=(last or 0) + 1,
        invested=amount.quantize(Decimal("0.01")),
        status=status,
        milestones_done=done,
        note=note.strip(),
        reported_by=acting_user,
    )
    report.save()
    stored = save_files(
        files, lambda **fields: ProgressEvidence(report=report, **fields), acting_user=acting_user
    )
    changes = [audit.created(report)]
    if project.status != status:
        before = audit.snapshot(project, ["status"])
        project.status = status
        project.save(update_fields=["status", "updated_at"])
        changes.append(audit.updated(project, before))
    audit.record(
        EventType.PROJECT_PROGRESS_REPORTED,
        acting_user=acting_user,
        obj=report,
        unit=project.owner,
        changes=changes,
        extra={
            "project": project.code,
            "month": f"{first:%Y-%m}",
            "version": report.version,
            "files": [[e.name, e.sha256, e.size] for e in stored],
        },
    )
    schedule.check_projects(project.cycle, [project], as_of=today, acting_user=acting_user)
    return report


@transaction.atomic
def set_investment_feed(
    cycle: Cycle, indicator: Indicator, min_pace: Any = Decimal("0.8"), *, acting_user: Any
) -> InvestmentFeed:
    """Name the indicator the cycle's project investment is recorded on, and the least pace of
    investment against plan below which a project is behind (the office)."""
    access.check_citywide(acting_user, Action.ADMINISTER)
    ensure_open(cycle)
    try:
        pace = parse_decimal(min_pace)
    except ValueError:
        raise ValidationError({"min_pace": _("A share from 0 to 1.")}) from None
    if not 0 <= pace <= 1:
        raise ValidationError({"min_pace": _("A share from 0 to 1.")})
    if indicator.status != Indicator.Status.ACTIVE or indicator.formula:
        raise ValidationError(
            {"indicator": _("Choose an active indicator that is not computed by a formula.")}
        )
    feed = InvestmentFeed.objects.filter(cycle=cycle).first()
    before = audit.snapshot(feed) if feed else None
    feed = feed or InvestmentFeed(cycle=cycle)
    feed.indicator, feed.min_pace = indicator, pace.quantize(Decimal("0.01"))
    feed.save()
    audit.record(
        EventType.PROJECT_CHANGED,
        acting_user=acting_user,
        obj=feed,
        changes=[audit.updated(feed, before) if before else audit.created(feed)],
        extra={"investment_feed": indicator.code, "min_pace": str(feed.min_pace)},
    )
    return feed
