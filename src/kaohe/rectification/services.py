"""Rectification items through their life, each step audited and notified:

open (the office, from a published run's interview list, or from a survey comment on the unit)
→ the unit submits its plan with
measures and deadlines → the office returns it (back to the unit) or accepts it → the unit
reports progress → the office closes the item. No one decides on their own unit's item, and
nothing of a closed cycle changes."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kaohe.core import access, audit
from kaohe.core.events import EventType
from kaohe.core.models import Notification
from kaohe.core.roles import Action
from kaohe.goals.models import ReviewLevel
from kaohe.goals.selectors import level_users, unit_users
from kaohe.rectification.models import Commendation, RectificationEntry, RectificationItem
from kaohe.results.models import ScoringRun
from kaohe.schemes.services import ensure_open
from kaohe.surveys.models import Survey, SurveyComment
from kaohe.units.models import Unit

S = RectificationItem.State
MAX_MEASURES = 30


@dataclass(frozen=True)
class Measure:
    measure: str
    deadline: str  # ISO date, as typed


def _link(item: RectificationItem) -> str:
    return reverse("rectification:detail", args=[item.pk])


def _office() -> list[Any]:
    return level_users(ReviewLevel.OFFICE, None)


@transaction.atomic
def open_interview_items(
    run: ScoringRun, *, acting_user: Any, due_date: dt.date
) -> list[RectificationItem]:
    """An item for each unit on the interview list of a published run (bottom places, or a
    fall of the scheme's size); units that have one already are skipped. The units hear of it."""
    access.check_citywide(acting_user, Action.ADMINISTER)
    ensure_open(run.cycle)
    if run.status != ScoringRun.Status.PUBLISHED:
        raise ValidationError(_("Interview items come from a published run."))
    if due_date < timezone.localdate():
        raise ValidationError({"due_date": _("The plan's due date cannot be in the past.")})
    existing = set(RectificationItem.objects.filter(run=run).values_list("unit_id", flat=True))
    made = []
    for result in run.results.select_related("unit").order_by("rank", "unit__code"):
        if "interview" not in result.flags or result.unit_id in existing:
            continue
        causes = []
        for language in ("zh-hans", "en"):
            with translation.override(language):
                causes.append(
                    _("On the interview list of %(run)s: rank %(rank)s, change %(change)s.")
                    % {
                        "run": f"{run.cycle} · {run.category}",
                        "rank": result.rank if result.rank is not None else "—",
                        "change": result.rank_change if result.rank_change is not None else "—",
                    }
                )
        made.append(_open(run, result.unit, acting_user, causes[0], causes[1], due_date))
    return made


@transaction.atomic
def open_item(
    run: ScoringRun, unit: Any, *, acting_user: Any, cause: str, due_date: dt.date
) -> RectificationItem:
    """The office opens an item for one unit of a published run by hand (e.g. from what the
    diagnosis or the citizens found), with its cause."""
    access.check_citywide(acting_user, Action.ADMINISTER)
    ensure_open(run.cycle)
    if run.status != ScoringRun.Status.PUBLISHED:
        raise ValidationError(_("Interview items come from a published run."))
    if not cause.strip():
        raise ValidationError({"cause": _("Say why the unit is to rectify.")})
    if RectificationItem.objects.filter(run=run, unit=unit).exists():
        raise ValidationError(_("%(unit)s has an item of this run already.") % {"unit": unit})
    return _open(run, unit, acting_user, cause.strip(), "", due_date)


def _open(
    run: ScoringRun, unit: Any, acting_user: Any, cause_zh: str, cause_en: str, due_date: dt.date
) -> RectificationItem:
    item = RectificationItem.objects.create(
        run=run,
        cycle=run.cycle,
        unit=unit,
        cause_zh=cause_zh,
        cause_en=cause_en,
        due_date=due_date,
        opened_by=acting_user,
    )
    audit.record(
        EventType.RECTIFICATION_OPENED,
        acting_user=acting_user,
        obj=item,
        unit=item.unit,
        extra={"run": run.pk, "due_date": due_date.isoformat()},
        changes=[audit.created(item)],
    )
    Notification.objects.notify(
        unit_users(item.unit),
        _("%(unit)s is on the interview list: submit the rectification plan by %(date)s.")
        % {"unit": item.unit, "date": due_date.isoformat()},
        _link(item),
    )
    return item


CAUSE_MAX = 300


def _comment_causes(comment: SurveyComment) -> tuple[str, str]:
    """The item's cause in both languages: the survey, the group and the comment's words."""
    causes = []
    for language in ("zh-hans", "en"):
        with translation.override(language):
            head = _("Survey comment (%(survey)s, %(group)s): ") % {
                "survey": comment.survey.name,
                "group": comment.group.name,
            }
            room = max(CAUSE_MAX - len(head) - 1, 20)
            text = " ".join(comment.text.split())
            causes.append(head + (text if len(text) <= room else text[: room - 1] + "…"))
    return causes[0], causes[1]


@transaction.atomic
def open_from_comment(
    comment: SurveyComment,
    *,
    acting_user: Any,
    due_date: dt.date,
    unit: Unit | None = None,
) -> RectificationItem:
    """The office turns a comment of a closed survey into a rectification item for the unit it
    is about (for a comment on the whole questionnaire, the office names the unit: one of the
    survey's). The item joins the others of its cycle and lives their life; the unit hears of
    it. One item per comment."""
    access.check_citywide(acting_user, Action.ADMINISTER)
    comment = (
        SurveyComment.objects.select_for_update(of=("self",))
        .select_related("survey__cycle", "group", "unit")
        .get(pk=comment.pk)
    )
    survey = comment.survey
    ensure_open(survey.cycle)
    if survey.state != Survey.State.CLOSED:
        raise ValidationError(_("A survey's comments are acted on once it is closed."))
    if comment.unit is not None:
        if unit is not None and unit.pk != comment.unit_id:
            raise ValidationError(
                {"unit": _("This comment is about %(unit)s.") % {"unit": comment.unit}}
            )
        unit = comment.unit
    elif unit is None:
        raise ValidationError(
            {"unit": _("This comment is on the whole questionnaire: name the unit it concerns.")}
        )
    elif not survey.units.filter(pk=unit.pk).exists():
        raise ValidationError({"unit": _("%(unit)s is not rated in this survey.") % {"unit": unit}})
    if access.judges_own_unit(acting_user, unit):
        raise PermissionDenied(
            _("No one judges their own unit: you belong to %(unit)s.") % {"unit": unit}
        )
    if due_date < timezone.localdate():
        raise ValidationError({"due_date": _("The plan's due date cannot be in the past.")})
    if RectificationItem.objects.filter(comment=comment).exists():
        raise ValidationError(_("This comment has been made a rectification item already."))
    cause_zh, cause_en = _comment_causes(comment)
    item = RectificationItem.objects.create(
        origin=RectificationItem.Origin.SURVEY,
        cycle=survey.cycle,
        comment=comment,
        unit=unit,
        cause_zh=cause_zh,
        cause_en=cause_en,
        due_date=due_date,
        opened_by=acting_user,
    )
    audit.record(
        EventType.SURVEY_COMMENT_TO_RECTIFICATION,
        acting_user=acting_user,
        obj=item,
        unit=unit,
        extra={"survey": survey.pk, "comment": comment.pk, "due_date": due_date.isoformat()},
        changes=[audit.created(item)],
    )
    message = _(
        "A survey comment on %(unit)s is to be put right: submit the rectification plan by "
        "%(date)s."
    )
    Notification.objects.notify(
        unit_users(unit), message % {"unit": unit, "date": due_date.isoformat()}, _link(item)
    )
    return item


def _lock(item: RectificationItem) -> RectificationItem:
    locked = (
        RectificationItem.objects.select_for_update(of=("self",))
        .select_related("unit", "cycle")
        .get(pk=item.pk)
    )
    ensure_open(locked.cycle)
    return locked


def _step(
    item: RectificationItem,
    *,
    acting_user: Any,
    allowed_from: Sequence[str],
    to: str,
    kind: str,
    text: str,
    event: EventType,
    measures: list[dict[str, str]] | None = None,
) -> RectificationItem:
    if item.state not in allowed_from:
        raise ValidationError(
            _("The item is “%(state)s”; this step is not possible now.")
            % {"state": item.get_state_display()}
        )
    before = audit.snapshot(item, ["state"])
    item.state = to
    if to == S.CLOSED:
        item.closed_at = timezone.now()
    item.save()
    entry = RectificationEntry.objects.create(
        item=item, kind=kind, text=text, measures=measures or [], actor=acting_user
    )
    audit.record(
        event,
        acting_user=acting_user,
        obj=item,
        unit=item.unit,
        reason=text,
        extra={"entry": entry.pk} | ({"measures": measures} if measures else {}),
        changes=[audit.updated(item, before)],
    )
    return item


def _check_measures(measures: Sequence[Measure], opened: dt.date) -> list[dict[str, str]]:
    if not measures:
        raise ValidationError({"measures": _("List at least one measure with its deadline.")})
    if len(measures) > MAX_MEASURES:
        raise ValidationError({"measures": _("At most %(n)s measures.") % {"n": MAX_MEASURES}})
    errors, rows = [], []
    for number, m in enumerate(measures, start=1):
        text = m.measure.strip()
        if not text:
            errors.append(_("Measure %(n)s: describe the measure.") % {"n": number})
        elif len(text) > 500:
            errors.append(_("Measure %(n)s: at most 500 characters.") % {"n": number})
        try:
            deadline = dt.date.fromisoformat(m.deadline.strip())
        except ValueError:
            errors.append(
                _("Measure %(n)s: the deadline %(value)r is not a date (YYYY-MM-DD).")
                % {"n": number, "value": m.deadline}
            )
            continue
        if deadline < opened:
            errors.append(
                _("Measure %(n)s: the deadline %(date)s is before the item was opened.")
                % {"n": number, "date": deadline.isoformat()}
            )
        rows.append({"measure": text, "deadline": deadline.isoformat()})
    if errors:
        raise ValidationError({"measures": errors})
    return rows


@transaction.atomic
def submit_plan(
    item: RectificationItem, *, acting_user: Any, text: str, measures: Sequence[Measure]
) -> RectificationItem:
    """The unit's rectification plan (again, after a return)."""
    item = _lock(item)
    access.check_unit(acting_user, Action.SUBMIT, item.unit)
    if not text.strip():
        raise ValidationError({"text": _("Write the plan: the causes found and what is done.")})
    rows = _check_measures(measures, timezone.localdate(item.created_at))
    item = _step(
        item,
        acting_user=acting_user,
        allowed_from=[S.OPEN, S.RETURNED],
        to=S.SUBMITTED,
        kind=RectificationEntry.Kind.PLAN,
        text=text.strip(),
        event=EventType.RECTIFICATION_PLAN_SUBMITTED,
        measures=rows,
    )
    Notification.objects.notify(
        _office(),
        _("%(unit)s submitted its rectification plan.") % {"unit": item.unit},
        _link(item),
    )
    return item


def _check_office(acting_user: Any, item: RectificationItem) -> None:
    access.check_citywide(acting_user, Action.ADMINISTER)
    if access.judges_own_unit(acting_user, item.unit):
        raise PermissionDenied(
            _("No one judges their own unit: you belong to %(unit)s.") % {"unit": item.unit}
        )


@transaction.atomic
def review_plan(
    item: RectificationItem, *, acting_user: Any, accept: bool, comment: str
) -> RectificationItem:
    """The office accepts the plan (the unit then reports progress) or returns it."""
    item = _lock(item)
    _check_office(acting_user, item)
    if not comment.strip():
        raise ValidationError({"comment": _("Give the reasons for the decision.")})
    item = _step(
        item,
        acting_user=acting_user,
        allowed_from=[S.SUBMITTED],
        to=S.ACCEPTED if accept else S.RETURNED,
        kind=RectificationEntry.Kind.ACCEPTED if accept else RectificationEntry.Kind.RETURNED,
        text=comment.strip(),
        event=EventType.RECTIFICATION_PLAN_ACCEPTED
        if accept
        else EventType.RECTIFICATION_PLAN_RETURNED,
    )
    message = (
        _("The rectification plan of %(unit)s is accepted: report its progress.")
        if accept
        else _("The rectification plan of %(unit)s is returned: revise and submit it again.")
    )
    Notification.objects.notify(unit_users(item.unit), message % {"unit": item.unit}, _link(item))
    return item


@transaction.atomic
def report_progress(item: RectificationItem, *, acting_user: Any, text: str) -> RectificationItem:
    item = _lock(item)
    access.check_unit(acting_user, Action.REPORT, item.unit)
    if not text.strip():
        raise ValidationError({"text": _("Write what has been done.")})
    return _step(
        item,
        acting_user=acting_user,
        allowed_from=[S.ACCEPTED],
        to=S.ACCEPTED,
        kind=RectificationEntry.Kind.PROGRESS,
        text=text.strip(),
        event=EventType.RECTIFICATION_PROGRESS_REPORTED,
    )


@transaction.atomic
def close_item(item: RectificationItem, *, acting_user: Any, comment: str) -> RectificationItem:
    """The office closes an item whose plan is carried out."""
    item = _lock(item)
    _check_office(acting_user, item)
    if not comment.strip():
        raise ValidationError({"comment": _("Say why the rectification is complete.")})
    if not item.entries.filter(kind=RectificationEntry.Kind.PROGRESS).exists():
        raise ValidationError(_("The unit has reported no progress yet."))
    item = _step(
        item,
        acting_user=acting_user,
        allowed_from=[S.ACCEPTED],
        to=S.CLOSED,
        kind=RectificationEntry.Kind.CLOSED,
        text=comment.strip(),
        event=EventType.RECTIFICATION_CLOSED,
    )
    Notification.objects.notify(
        unit_users(item.unit),
        _("The rectification of %(unit)s is closed.") % {"unit": item.unit},
        _link(item),
    )
    return item


@transaction.atomic
def remind_overdue(*, acting_user: Any, today: dt.date | None = None) -> int:
    """Remind the units whose plan is overdue (open or returned past its due date)."""
    access.check_citywide(acting_user, Action.ADMINISTER)
    today = today or timezone.localdate()
    overdue = list(
        RectificationItem.objects.filter(state__in=[S.OPEN, S.RETURNED], due_date__lt=today)
        .select_related("unit")
        .order_by("pk")
    )
    for item in overdue:
        Notification.objects.notify(
            unit_users(item.unit),
            _("The rectification plan of %(unit)s was due on %(date)s.")
            % {"unit": item.unit, "date": item.due_date.isoformat()},
            _link(item),
        )
    audit.record(
        EventType.RECTIFICATION_REMINDERS_SENT,
        acting_user=acting_user,
        extra={"items": [i.pk for i in overdue], "date": today.isoformat()},
    )
    return len(overdue)


_TOP_FLAG = re.compile(r"^top(\d+)$")


def _citations(run: ScoringRun, result: Any, reason: str) -> tuple[str, str]:
    texts = []
    for language in ("zh-hans", "en"):
        with translation.override(language):
            where = f"{run.cycle} · {run.category}"
            if reason == Commendation.Reason.TOP:
                text = _("%(unit)s ranks %(rank)s in %(run)s and is commended.") % {
                    "unit": result.unit, "rank": result.rank, "run": where,
                }  # fmt: skip
            else:
                text = _(
                    "%(unit)s rose %(n)s places in %(run)s and receives the progress award."
                ) % {"unit": result.unit, "n": result.rank_change, "run": where}
            texts.append(text)
    return texts[0], texts[1]


@transaction.atomic
def issue_commendations(run: ScoringRun, *, acting_user: Any) -> list[Commendation]:
    """The office commends the award units of a published run: each unit its flags put in a
    top place (`topN`) and each with the progress award, once per unit and reason; the units
    hear of it. Returns the commendations made now (none twice)."""
    access.check_citywide(acting_user, Action.ADMINISTER)
    run = ScoringRun.objects.select_for_update().select_related("cycle", "category").get(pk=run.pk)
    ensure_open(run.cycle)
    if run.status != ScoringRun.Status.PUBLISHED:
        raise ValidationError(_("Commendations come from a published run."))
    existing = set(Commendation.objects.filter(run=run).values_list("unit_id", "reason"))
    made = []
    for result in run.results.select_related("unit").order_by("rank", "unit__code"):
        reasons = []
        if any(_TOP_FLAG.match(flag) for flag in result.flags):
            reasons.append(Commendation.Reason.TOP)
        if "progress_award" in result.flags:
            reasons.append(Commendation.Reason.PROGRESS)
        for reason in reasons:
            if (result.unit_id, reason) in existing:
                continue
            zh, en = _citations(run, result, reason)
            made.append(
                Commendation.objects.create(
                    run=run,
                    unit=result.unit,
                    reason=reason,
                    citation_zh=zh,
                    citation_en=en,
                    issued_by=acting_user,
                )
            )
    audit.record_many(
        [
            audit.Entry(
                EventType.COMMENDATIONS_ISSUED,
                obj=c,
                unit=c.unit,
                extra={"run": run.pk, "reason": c.reason},
                changes=[audit.created(c)],
            )
            for c in made
        ],
        acting_user=acting_user,
    )
    for c in made:
        Notification.objects.notify(
            unit_users(c.unit), c.citation, reverse("rectification:commendations")
        )
    return made
