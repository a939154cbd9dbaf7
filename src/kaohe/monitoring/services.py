"""Evaluating monitoring rules on what arrived, and every step of a warning's life."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kaohe.core import access, audit
from kaohe.core.events import EventType
from kaohe.core.models import Grant, Notification
from kaohe.core.roles import Action, Role
from kaohe.engine.errors import EngineError
from kaohe.engine.monitoring import MonitoringFrame, Rule, evaluate_rules, parse_rule
from kaohe.indicators.models import Indicator
from kaohe.monitoring.models import MonitoringRule, Warning
from kaohe.observations.models import Observation
from kaohe.schemes.models import Cycle, TimeNode
from kaohe.units.models import Unit

TARGET_SUFFIX = "_target"
S = Warning.State


def parse_rule_spec(code: str, spec: dict[str, Any]) -> Rule:
    """The engine's rule for a stored spec (its id is the rule's code)."""
    try:
        return parse_rule({**spec, "id": code})
    except EngineError as exc:
        raise ValidationError({"spec": str(exc)}) from None


def rule_codes(rule: Rule) -> set[str]:
    """Indicator codes a rule reads (suffixes such as @prev stripped)."""
    if rule.kind == "cross_check":
        return {name.split("@", 1)[0] for name in rule.expression.names}
    return {rule.indicator}


@transaction.atomic
def save_rule(
    *, acting_user: Any, code: str, name_zh: str, name_en: str = "", spec: dict[str, Any]
) -> MonitoringRule:
    """Create or replace a rule (the office only); the spec must parse."""
    access.check_citywide(acting_user, Action.ADMINISTER)
    rule = parse_rule_spec(code, spec)
    existing = MonitoringRule.objects.filter(code=code).first()
    before = audit.snapshot(existing) if existing else None
    obj = existing or MonitoringRule(code=code)
    obj.name_zh, obj.name_en, obj.spec = name_zh, name_en, spec
    obj.kind, obj.severity = rule.kind, rule.severity
    obj.full_clean()
    obj.save()
    audit.record(
        EventType.MONITORING_RULE_SAVED,
        acting_user=acting_user,
        obj=obj,
        changes=[audit.updated(obj, before) if before else audit.created(obj)],
    )
    return obj


def _frame(node: TimeNode, codes: set[str]) -> tuple[MonitoringFrame, list[Unit]]:
    """Every assessed unit's values at `node`, the previous node of its cycle, the same node
    last year and the year's targets (`<code>_target` at the full-year node)."""
    units = list(
        Unit.objects.filter(is_assessed=True, active=True)
        .select_related("category")
        .order_by("code")
    )
    previous = (
        TimeNode.objects.filter(cycle=node.cycle, order__lt=node.order).order_by("-order").first()
    )
    last_year = TimeNode.objects.filter(cycle__year=node.cycle.year - 1, code=node.code).first()
    year_end = TimeNode.objects.filter(cycle=node.cycle, code="Y").first()
    wanted = codes | {f"{c}{TARGET_SUFFIX}" for c in codes}
    nodes = [n for n in (node, previous, last_year, year_end) if n is not None]
    rows = Observation.objects.filter(
        indicator__code__in=wanted, time_node__in=nodes, unit__in=units
    ).values_list("unit_id", "indicator__code", "time_node_id", "value")
    index = {u.pk: i for i, u in enumerate(units)}
    columns: dict[tuple[str, int], np.ndarray] = {}
    for unit_id, code, node_id, value in rows:
        if value is not None:
            array = columns.setdefault((code, node_id), np.full(len(units), np.nan))
            array[index[unit_id]] = float(value)

    def column(code: str, at: TimeNode | None) -> np.ndarray:
        missing = np.full(len(units), np.nan)
        return missing if at is None else columns.get((code, at.pk), missing)

    frame = MonitoringFrame.build(
        units=[u.code for u in units],
        names=[u.name_zh for u in units],
        categories=[u.category.code if u.category else "" for u in units],
        current={c: column(c, node) for c in codes},
        previous={c: column(c, previous) for c in codes},
        last_year={c: column(c, last_year) for c in codes},
        targets={c: column(f"{c}{TARGET_SUFFIX}", year_end) for c in codes},
        node=node.code,
    )
    return frame, units


def _responsible_users(unit: Unit) -> list[Any]:
    grants = Grant.objects.filter(
        unit=unit, role__in=[Role.REPORTER, Role.UNIT_HEAD], user__isnull=False
    ).select_related("user")
    return [g.user for g in grants]


def evaluate_node(
    node: TimeNode, *, acting_user: Any, changed_codes: set[str] | None = None, batch: Any = None
) -> tuple[int, int]:
    """Run the active rules (those reading a changed indicator, or all) on one time node:
    raise a warning where a rule fires, clear open ones where it no longer does."""
    stored = list(MonitoringRule.objects.filter(active=True))
    rules = [(m, parse_rule_spec(m.code, m.spec)) for m in stored]
    if changed_codes is not None:
        rules = [(m, r) for m, r in rules if rule_codes(r) & changed_codes]
    if not rules:
        return 0, 0
    codes = set().union(*(rule_codes(r) for _, r in rules))
    frame, units = _frame(node, codes)
    result = evaluate_rules([r for _, r in rules], frame)
    active = {
        (w.rule_id, w.unit_id): w
        for w in Warning.board.active().filter(time_node=node, rule__in=[m for m, _ in rules])
    }
    raised = resolved = 0
    now = timezone.now()
    names = Indicator.objects.filter(code__in=codes).values_list("code", "name_zh", "name_en")
    labels = {
        "zh": {code: zh for code, zh, _en in names},
        "en": {code: en or zh for code, zh, en in names},
    }
    for model, _rule in rules:
        verdict = result[model.code]
        for i in np.flatnonzero(verdict.flagged):
            unit = units[int(i)]
            if (model.pk, unit.pk) in active:
                continue
            warning = Warning.objects.create(
                rule=model,
                unit=unit,
                time_node=node,
                severity=model.severity,
                details=verdict.details(int(i)),
                message_zh=verdict.message(int(i), "zh", labels["zh"]),
                message_en=verdict.message(int(i), "en", labels["en"]),
                raised_by_batch=batch,
            )
            raised += 1
            audit.record(
                EventType.WARNING_RAISED,
                acting_user=acting_user,
                obj=warning,
                unit=unit,
                extra={"rule": model.code, "period": node.period, "details": warning.details},
            )
            Notification.objects.notify(
                _responsible_users(unit),
                warning.message_zh,
                reverse("monitoring:warning", args=[warning.pk]),
            )
        cleared = ~verdict.flagged & ~verdict.insufficient
        for i in np.flatnonzero(cleared):
            current = active.get((model.pk, units[int(i)].pk))
            if current is None or current.state not in (S.OPEN, S.ACKNOWLEDGED):
                continue
            current.state, current.resolution, current.closed_at = (
                S.CLOSED,
                Warning.Resolution.CLEARED,
                now,
            )
            current.save(update_fields=["state", "resolution", "closed_at", "updated_at"])
            resolved += 1
            audit.record(
                EventType.WARNING_CLOSED,
                acting_user=acting_user,
                obj=current,
                unit=current.unit,
                extra={"resolution": "cleared"},
            )
    return raised, resolved


def evaluate_after_ingest(
    observations: Sequence[Observation], *, acting_user: Any, batch: Any = None
) -> tuple[int, int]:
    """The pipeline's monitoring step: every time node touched (of a cycle not yet closed)."""
    codes = dict(
        Indicator.objects.filter(pk__in={o.indicator_id for o in observations}).values_list(
            "pk", "code"
        )
    )
    by_node: dict[int, set[str]] = {}
    for obs in observations:
        by_node.setdefault(obs.time_node_id, set()).add(codes[obs.indicator_id])
    raised = resolved = 0
    nodes = TimeNode.objects.filter(pk__in=by_node).exclude(cycle__state=Cycle.State.CLOSED)
    for node in nodes.select_related("cycle"):
        r, c = evaluate_node(
            node, acting_user=acting_user, changed_codes=by_node[node.pk], batch=batch
        )
        raised, resolved = raised + r, resolved + c
    return raised, resolved


def _transition(
    warning: Warning,
    *,
    acting_user: Any,
    allowed_from: Iterable[str],
    to: str,
    event: EventType,
    reason: str = "",
    **fields: Any,
) -> Warning:
    warning = Warning.objects.select_for_update().get(pk=warning.pk)
    if warning.state not in allowed_from:
        raise ValidationError(
            _("The warning is %(state)s; this step is not possible now.")
            % {"state": warning.get_state_display()}
        )
    before = audit.snapshot(warning, ["state", *fields])
    warning.state = to
    for name, value in fields.items():
        setattr(warning, name, value)
    if to == Warning.State.CLOSED:
        warning.closed_at = timezone.now()
    warning.save()
    audit.record(
        event,
        acting_user=acting_user,
        obj=warning,
        unit=warning.unit,
        reason=reason,
        changes=[audit.updated(warning, before)],
    )
    return warning


@transaction.atomic
def acknowledge_warning(warning: Warning, *, acting_user: Any) -> Warning:
    """The unit (or the office) has seen the warning."""
    access.check_unit(acting_user, Action.REPORT, warning.unit)
    return _transition(
        warning,
        acting_user=acting_user,
        allowed_from=[S.OPEN],
        to=S.ACKNOWLEDGED,
        event=EventType.WARNING_ACKNOWLEDGED,
    )


@transaction.atomic
def explain_warning(warning: Warning, *, acting_user: Any, explanation: str) -> Warning:
    """The unit explains why the figure is right (e.g. a one-off project, a base effect)."""
    access.check_unit(acting_user, Action.REPORT, warning.unit)
    if not explanation.strip():
        raise ValidationError({"explanation": _("Write the explanation.")})
    return _transition(
        warning,
        acting_user=acting_user,
        allowed_from=[S.OPEN, S.ACKNOWLEDGED],
        to=S.EXPLAINED,
        event=EventType.WARNING_EXPLAINED,
        explanation=explanation,
        answered_by=acting_user,
    )


@transaction.atomic
def rectify_warning(warning: Warning, *, acting_user: Any, report: str) -> Warning:
    """The unit reports what it corrected (the corrected figures come in as new versions)."""
    access.check_unit(acting_user, Action.REPORT, warning.unit)
    if not report.strip():
        raise ValidationError({"rectification": _("Write the rectification report.")})
    return _transition(
        warning,
        acting_user=acting_user,
        allowed_from=[S.OPEN, S.ACKNOWLEDGED],
        to=S.RECTIFIED,
        event=EventType.WARNING_RECTIFIED,
        rectification=report,
        answered_by=acting_user,
    )


def _may_decide(user: Any, warning: Warning) -> bool:
    return access.has_citywide(user, Action.ADMINISTER) or warning.unit.pk in access.unit_scope(
        user, Action.REVIEW
    )


@transaction.atomic
def decide_warning(warning: Warning, *, acting_user: Any, accept: bool, decision: str) -> Warning:
    """The office (or a reviewer over the unit) accepts the answer and closes the warning, or
    refuses it and sends it back to the unit, with its reasons."""
    if not _may_decide(acting_user, warning):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied(_("Deciding on a warning is for the office and its reviewers."))
    if not decision.strip():
        raise ValidationError({"decision": _("Give the reasons for the decision.")})
    if accept:
        resolution = (
            Warning.Resolution.RECTIFIED
            if warning.state == S.RECTIFIED
            else Warning.Resolution.ACCEPTED
        )
        return _transition(
            warning,
            acting_user=acting_user,
            allowed_from=[S.EXPLAINED, S.RECTIFIED],
            to=S.CLOSED,
            event=EventType.WARNING_CLOSED,
            reason=decision,
            decision=decision,
            decided_by=acting_user,
            resolution=resolution,
        )
    return _transition(
        warning,
        acting_user=acting_user,
        allowed_from=[S.EXPLAINED, S.RECTIFIED],
        to=S.OPEN,
        event=EventType.WARNING_REOPENED,
        reason=decision,
        decision=decision,
        decided_by=acting_user,
    )
