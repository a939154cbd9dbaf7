"""Every write of the major tasks (攻坚战): the office sets an offensive up (its lead unit,
cooperating units and milestones) and changes it while no milestone has a report; each
participating unit reports its own part of a milestone done with its evidence; the office
confirms or returns each unit's report.

Each service takes a keyword-only `acting_user`, runs in one transaction, checks everything
before it stores anything (bad input is a `ValidationError` naming the field) and writes its
audit event inside the transaction. A report's decision is written once: the report is
append-only, so the decision is a filtered `.update()` of a report still awaiting it, and a
second decision changes no row and is refused. No one decides a report of their own unit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kaohe.core import access, audit
from kaohe.core.events import EventType
from kaohe.core.roles import Action
from kaohe.observations.evidence import EvidenceFile, check_evidence, save_files
from kaohe.projects.models import (
    OFFENSIVE_CODE,
    MilestoneEvidence,
    MilestoneReport,
    Offensive,
    OffensiveMilestone,
    OffensiveUnit,
    Role,
)
from kaohe.schemes.models import Cycle
from kaohe.schemes.services import ensure_open
from kaohe.units.models import Unit

MAX_WEIGHT = Decimal("9999.99")
# what the audit trail keeps of a stored file (the file field is its content-addressed name)
EVIDENCE_FIELDS = ("report", "name", "size", "sha256", "uploaded_by")


@dataclass(frozen=True)
class MilestoneSpec:
    """One milestone as the office sets it: `seq` None numbers it by its place (1, 2, …)."""

    name_zh: str
    due: dt.date
    weight: Decimal | float | int | str = 1
    name_en: str = ""
    evidence_required: str = ""
    seq: int | None = None


def _text(value: str | None) -> str:
    return (value or "").strip()


def _check_names(name_zh: str, name_en: str, errors: dict[str, list[str]]) -> None:
    if not name_zh:
        errors.setdefault("name_zh", []).append(_("Give the major task a Chinese name."))
    elif len(name_zh) > 200:
        errors.setdefault("name_zh", []).append(_("A name has at most 200 characters."))
    if len(name_en) > 200:
        errors.setdefault("name_en", []).append(_("A name has at most 200 characters."))


def _check_participants(
    lead: Unit | None, cooperating: Sequence[Unit], errors: dict[str, list[str]]
) -> list[Unit]:
    if lead is None:
        errors.setdefault("lead", []).append(_("Choose the lead unit."))
    seen: set[int] = set()
    out = []
    for unit in cooperating:
        if lead is not None and unit.pk == lead.pk:
            errors.setdefault("cooperating", []).append(
                _("%(unit)s is the lead unit and cannot also cooperate.") % {"unit": unit}
            )
        elif unit.pk not in seen:
            seen.add(unit.pk)
            out.append(unit)
    return out


def _weight(value: Any) -> Decimal | None:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    if not number.is_finite() or number <= 0 or number > MAX_WEIGHT:
        return None
    return number.quantize(Decimal("0.01"))


def _check_milestones(
    cycle: Cycle, milestones: Sequence[MilestoneSpec], errors: dict[str, list[str]]
) -> list[OffensiveMilestone]:
    """The milestones as unsaved rows; every problem named by the milestone's row (1, 2, …)."""
    problems: list[str] = []
    if not milestones:
        problems.append(_("Give the major task at least one milestone."))
    rows = []
    seqs: set[int] = set()
    for row, spec in enumerate(milestones, start=1):
        seq = spec.seq if spec.seq is not None else row
        name_zh, name_en = _text(spec.name_zh), _text(spec.name_en)
        where = {"row": row}
        if isinstance(seq, bool) or not isinstance(seq, int) or not 1 <= seq <= 32767:
            problems.append(_("Milestone %(row)d: its number is a whole number ≥ 1.") % where)
        elif seq in seqs:
            problems.append(
                _("Milestone %(row)d: number %(seq)d is used twice.") % {**where, "seq": seq}
            )
        seqs.add(seq)
        if not name_zh:
            problems.append(_("Milestone %(row)d: give it a Chinese name.") % where)
        elif len(name_zh) > 200 or len(name_en) > 200:
            problems.append(_("Milestone %(row)d: a name has at most 200 characters.") % where)
        if not isinstance(spec.due, dt.date):
            problems.append(_("Milestone %(row)d: give its due date.") % where)
        elif spec.due.year != cycle.year:
            problems.append(
                _("Milestone %(row)d: the due date %(due)s is not in the cycle's year %(year)d.")
                % {**where, "due": spec.due.isoformat(), "year": cycle.year}
            )
        weight = _weight(spec.weight)
        if weight is None:
            problems.append(
                _("Milestone %(row)d: its weight is a number above 0 (at most %(max)s).")
                % {**where, "max": MAX_WEIGHT}
            )
        rows.append(
            OffensiveMilestone(
                seq=seq,
                name_zh=name_zh,
                name_en=name_en,
                due=spec.due,
                weight=weight or Decimal(1),
                evidence_required=_text(spec.evidence_required),
            )
        )
    if problems:
        errors["milestones"] = problems
    return rows


def _create_parts(
    offensive: Offensive,
    lead: Unit | None,
    cooperating: Sequence[Unit],
    rows: Sequence[OffensiveMilestone] | None,
) -> list[Any]:
    """Store the participants (unless `lead` is None) and the milestones (unless `rows` is
    None); returns what was stored, read back (bulk_create leaves pks unset on some
    databases), for the audit trail."""
    stored: list[Any] = []
    if lead is not None:
        OffensiveUnit.objects.bulk_create(
            [
                OffensiveUnit(offensive=offensive, unit=lead, role=Role.LEAD),
                *(
                    OffensiveUnit(offensive=offensive, unit=u, role=Role.COOPERATING)
                    for u in cooperating
                ),
            ]
        )
        stored += OffensiveUnit.objects.filter(offensive=offensive).order_by("pk")
    if rows is not None:
        for row in rows:
            row.offensive = offensive
        OffensiveMilestone.objects.bulk_create(rows)
        stored += OffensiveMilestone.objects.filter(offensive=offensive).order_by("seq")
    return stored


@transaction.atomic
def create_offensive(
    cycle: Cycle,
    *,
    code: str,
    name_zh: str,
    name_en: str = "",
    description: str = "",
    lead: Unit | None,
    cooperating: Sequence[Unit] = (),
    milestones: Sequence[MilestoneSpec],
    acting_user: Any,
) -> Offensive:
    """Set a major task of the cycle up (the office): `code` is the scheme input its milestones
    feed (unique in the cycle), the lead unit, the cooperating units (not the lead) and the
    milestones (due within the cycle's year, weights above 0). All or nothing."""
    access.check_citywide(acting_user, Action.ADMINISTER)
    ensure_open(cycle)
    errors: dict[str, list[str]] = {}
    code, name_zh, name_en = _text(code), _text(name_zh), _text(name_en)
    if not code:
        errors["code"] = [_("Give the major task a code (the scheme input it feeds).")]
    elif len(code) > 40:
        errors["code"] = [_("A code has at most 40 characters.")]
    else:
        try:
            OFFENSIVE_CODE(code)
        except ValidationError as exc:
            errors["code"] = list(exc.messages)
        else:
            if Offensive.objects.filter(cycle=cycle, code=code).exists():
                errors["code"] = [
                    _("%(cycle)s already has a major task with the code %(code)s.")
                    % {"cycle": cycle, "code": code}
                ]
    _check_names(name_zh, name_en, errors)
    others = _check_participants(lead, cooperating, errors)
    rows = _check_milestones(cycle, milestones, errors)
    if errors:
        raise ValidationError(errors)
    assert lead is not None
    offensive = Offensive.objects.create(
        cycle=cycle,
        code=code,
        name_zh=name_zh,
        name_en=name_en,
        description=_text(description),
        created_by=acting_user,
    )
    parts = _create_parts(offensive, lead, others, rows)
    audit.record(
        EventType.OFFENSIVE_CREATED,
        acting_user=acting_user,
        obj=offensive,
        extra={
            "cycle": cycle.year,
            "code": code,
            "lead": lead.code,
            "cooperating": [u.code for u in others],
            "milestones": len(rows),
        },
        changes=[audit.created(offensive), *(audit.created(p) for p in parts)],
    )
    return offensive


_UNCHANGED: Any = object()


@transaction.atomic
def update_offensive(
    offensive: Offensive,
    *,
    acting_user: Any,
    name_zh: str | None = None,
    name_en: str | None = None,
    description: str | None = None,
    lead: Unit | None = _UNCHANGED,
    cooperating: Sequence[Unit] | None = None,
    milestones: Sequence[MilestoneSpec] | None = None,
) -> Offensive:
    """Change a major task's names, description, participants or milestones (the office;
    None leaves a part as it is). Only while no milestone has a report: once a unit has
    reported, what it reported against stays as it was. Participants and milestones given are
    replaced whole."""
    access.check_citywide(acting_user, Action.ADMINISTER)
    offensive = Offensive.objects.select_for_update().select_related("cycle").get(pk=offensive.pk)
    ensure_open(offensive.cycle)
    if MilestoneReport.objects.filter(milestone__offensive=offensive).exists():
        raise ValidationError(
            _(
                "A milestone of “%(task)s” has already been reported: the task no longer "
                "changes (its units reported against it as it stands)."
            )
            % {"task": offensive}
        )
    errors: dict[str, list[str]] = {}
    before = audit.snapshot(offensive)
    new_zh = offensive.name_zh if name_zh is None else _text(name_zh)
    new_en = offensive.name_en if name_en is None else _text(name_en)
    _check_names(new_zh, new_en, errors)
    current = list(offensive.participants.select_related("unit").order_by("pk"))
    old_lead = next((p.unit for p in current if p.role == Role.LEAD), None)
    new_lead = old_lead if lead is _UNCHANGED else lead
    replace_units = lead is not _UNCHANGED or cooperating is not None
    new_coop = (
        list(cooperating)
        if cooperating is not None
        else [p.unit for p in current if p.role == Role.COOPERATING]
    )
    others = _check_participants(new_lead, new_coop, errors) if replace_units else []
    rows = _check_milestones(offensive.cycle, milestones, errors) if milestones is not None else []
    if errors:
        raise ValidationError(errors)
    offensive.name_zh, offensive.name_en = new_zh, new_en
    if description is not None:
        offensive.description = _text(description)
    offensive.save()
    changes = [audit.updated(offensive, before)]
    if replace_units:
        changes += [audit.Change(p, audit.snapshot(p), None) for p in current]
        offensive.participants.all().delete()
    if milestones is not None:
        old_rows = list(offensive.milestones.order_by("seq"))
        changes += [audit.Change(m, audit.snapshot(m), None) for m in old_rows]
        offensive.milestones.all().delete()
    stored = _create_parts(
        offensive,
        new_lead if replace_units else None,
        others,
        rows if milestones is not None else None,
    )
    changes += [audit.created(obj) for obj in stored]
    audit.record(
        EventType.OFFENSIVE_CHANGED,
        acting_user=acting_user,
        obj=offensive,
        extra={
            "code": offensive.code,
            "participants_replaced": replace_units,
            "milestones_replaced": milestones is not None,
        },
        changes=changes,
    )
    return offensive


def lead_of(offensive: Offensive | int) -> OffensiveUnit | None:
    """The offensive's lead participant (with its unit)."""
    pk = offensive if isinstance(offensive, int) else offensive.pk
    return (
        OffensiveUnit.objects.filter(offensive_id=pk, role=Role.LEAD).select_related("unit").first()
    )


def may_report(user: Any, unit_id: int) -> bool:
    """May `user` report a participating unit's part of a task? Its people with the right to
    report do, by a grant on the unit (or a unit above it); a citywide grant (the office) does
    not: the office decides the reports, the units send them."""
    return unit_id in access.unit_scope(user, Action.REPORT).unit_ids


def reportable_parts(user: Any, offensive: Offensive | int) -> list[OffensiveUnit]:
    """The participants of the task whose part `user` may report (with their units), the lead
    first."""
    pk = offensive if isinstance(offensive, int) else offensive.pk
    ids = access.unit_scope(user, Action.REPORT).unit_ids
    parts = OffensiveUnit.objects.filter(offensive_id=pk, unit_id__in=sorted(ids))
    return sorted(parts.select_related("unit"), key=lambda p: (p.role != Role.LEAD, p.unit.code))


def _reporting_part(user: Any, offensive: Offensive, unit: Unit | None) -> OffensiveUnit:
    """The participant `user` reports for: `unit` when given (a participant in the user's
    REPORT scope), else the one participant in that scope."""
    mine = reportable_parts(user, offensive)
    if unit is not None:
        part = next((p for p in mine if p.unit_id == unit.pk), None)
        if part is None:
            raise PermissionDenied(
                _("You may not report the part of %(unit)s in this task.") % {"unit": unit}
            )
        return part
    if not mine:
        raise PermissionDenied(_("Only the task's participating units report their parts."))
    if len(mine) > 1:
        raise ValidationError(
            {
                "unit": _(
                    "You may report for several units of this task (%(units)s): choose the "
                    "unit whose part it is."
                )
                % {"units": "、".join(str(p.unit) for p in mine)}
            }
        )
    return mine[0]


def store_milestone_evidence(
    report: MilestoneReport, files: Sequence[EvidenceFile], *, acting_user: Any
) -> list[MilestoneEvidence]:
    """Store checked files for the report (inside the caller's transaction), content-addressed
    as the observations' evidence: names are the content's hash."""
    return save_files(
        files, lambda **fields: MilestoneEvidence(report=report, **fields), acting_user=acting_user
    )


@transaction.atomic
def report_milestone(
    milestone: OffensiveMilestone,
    *,
    unit: Unit | None = None,
    completed_on: dt.date | None,
    note: str,
    files: Sequence[EvidenceFile],
    acting_user: Any,
) -> MilestoneReport:
    """A participating unit reports its own part of a milestone done, with its evidence (at
    least one file, checked before anything is stored). `unit` is the participant reported
    for; None: the one participant in the user's REPORT scope (refused when there are none or
    several). At most one report of a unit's part is awaiting confirmation or confirmed;
    after a return, a new report."""
    milestone = (
        OffensiveMilestone.objects.select_for_update()
        .select_related("offensive__cycle")
        .get(pk=milestone.pk)
    )
    offensive = milestone.offensive
    part = _reporting_part(acting_user, offensive, unit)
    ensure_open(offensive.cycle)
    errors: dict[str, list[str]] = {}
    today = timezone.localdate()
    if not isinstance(completed_on, dt.date):
        errors["completed_on"] = [_("Give the date the milestone was completed.")]
    elif completed_on > today:
        errors["completed_on"] = [
            _("%(date)s is in the future: report a milestone once it is done.")
            % {"date": completed_on.isoformat()}
        ]
    elif completed_on.year != offensive.cycle.year:
        errors["completed_on"] = [
            _("%(date)s is not in the cycle's year %(year)d.")
            % {"date": completed_on.isoformat(), "year": offensive.cycle.year}
        ]
    note = _text(note)
    if not note:
        errors["note"] = [_("Say what was done.")]
    elif len(note) > 4000:
        errors["note"] = [_("A note has at most 4000 characters.")]
    if not files:
        errors["files"] = [_("Attach the milestone's evidence: at least one file.")]
    else:
        problems = check_evidence(files)
        if problems:
            errors["files"] = [f"{p.value}: {p.rule}" if p.value else p.rule for p in problems]
    live = MilestoneReport.objects.filter(
        milestone=milestone,
        unit_id=part.unit_id,
        state__in=[MilestoneReport.State.SUBMITTED, MilestoneReport.State.CONFIRMED],
    ).first()
    if live is not None:
        errors.setdefault("milestone", []).append(
            _("The part of %(unit)s in this milestone already has a report that is %(state)s.")
            % {"unit": part.unit, "state": live.get_state_display()}
        )
    if errors:
        raise ValidationError(errors)
    assert completed_on is not None
    report = MilestoneReport.objects.create(
        milestone=milestone,
        unit_id=part.unit_id,
        completed_on=completed_on,
        note=note,
        reported_by=acting_user,
    )
    evidence = store_milestone_evidence(report, files, acting_user=acting_user)
    audit.record(
        EventType.MILESTONE_REPORTED,
        acting_user=acting_user,
        obj=report,
        unit=part.unit,
        extra={
            "offensive": offensive.code,
            "milestone": milestone.seq,
            "unit": part.unit.code,
            "role": part.role,
            "completed_on": completed_on.isoformat(),
            "files": [[e.name, e.sha256, e.size] for e in evidence],
        },
        changes=[
            audit.created(report),
            *(audit.Change(e, None, audit.snapshot(e, EVIDENCE_FIELDS)) for e in evidence),
        ],
    )
    return report


def _check_decider(acting_user: Any, report: MilestoneReport) -> None:
    """The office decides; never for a report of its own unit (or of a unit above its own),
    nor a report it sent itself."""
    access.check_citywide(acting_user, Action.ADMINISTER)
    own = access.own_unit_ids(acting_user)
    unit = report.unit
    if own:
        paths = Unit.objects.filter(pk__in=sorted(own)).values_list("path", flat=True)
        if any(path.startswith(unit.path) for path in paths):
            raise PermissionDenied(
                _(
                    "You belong to %(unit)s and may not decide its report: no one judges "
                    "their own unit."
                )
                % {"unit": unit}
            )
    if report.reported_by_id == getattr(acting_user, "pk", None):
        raise PermissionDenied(_("You sent this report and may not decide it yourself."))


def _decide(
    report: MilestoneReport, *, acting_user: Any, state: str, note: str, event: EventType
) -> MilestoneReport:
    report = MilestoneReport.objects.select_related("unit", "milestone__offensive__cycle").get(
        pk=report.pk
    )
    _check_decider(acting_user, report)
    ensure_open(report.milestone.offensive.cycle)
    before = audit.snapshot(report)
    changed = MilestoneReport.objects.filter(
        pk=report.pk, state=MilestoneReport.State.SUBMITTED
    ).update(state=state, decided_by=acting_user, decided_at=timezone.now(), decision=note)
    if not changed:
        raise ValidationError(
            _("This report was already decided (%(state)s): a decision is written once.")
            % {"state": report.get_state_display()}
        )
    report.refresh_from_db()
    audit.record(
        event,
        acting_user=acting_user,
        obj=report,
        unit=report.unit,
        reason=note,
        extra={
            "offensive": report.milestone.offensive.code,
            "milestone": report.milestone.seq,
            "completed_on": report.completed_on.isoformat(),
        },
        changes=[audit.updated(report, before)],
    )
    return report


@transaction.atomic
def confirm_milestone(
    report: MilestoneReport, *, acting_user: Any, note: str = ""
) -> MilestoneReport:
    """The office confirms a report awaiting it: its completion date is what the scheme scores
    from the moment of the decision on."""
    return _decide(
        report,
        acting_user=acting_user,
        state=MilestoneReport.State.CONFIRMED,
        note=_text(note)[:4000],
        event=EventType.MILESTONE_CONFIRMED,
    )


@transaction.atomic
def return_milestone(report: MilestoneReport, *, acting_user: Any, reason: str) -> MilestoneReport:
    """The office returns a report awaiting confirmation, saying why; the unit may report its
    part again."""
    reason = _text(reason)
    if not reason:
        raise ValidationError({"reason": _("Say why the report is returned.")})
    return _decide(
        report,
        acting_user=acting_user,
        state=MilestoneReport.State.RETURNED,
        note=reason[:4000],
        event=EventType.MILESTONE_RETURNED,
    )
