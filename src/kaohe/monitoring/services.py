"""Evaluating monitoring rules on what arrived, and every step of a warning's life."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kaohe.core import access, audit, sql
from kaohe.core.events import EventType
from kaohe.core.models import Grant, Notification
from kaohe.core.roles import Action, Role
from kaohe.engine.errors import EngineError
from kaohe.engine.monitoring import MonitoringFrame, Rule, evaluate_rules, parse_rule
from kaohe.indicators.models import Indicator
from kaohe.indicators.selectors import IndicatorRow
from kaohe.monitoring.models import PLATFORM_RULE_KINDS, MonitoringRule, Warning
from kaohe.observations.models import Observation
from kaohe.schemes.models import Cycle
from kaohe.schemes.selectors import Node, neighbour_nodes, node_rows
from kaohe.schemes.services import ensure_open
from kaohe.units.selectors import UnitRow, unit_rows

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
    existing = MonitoringRule.objects.filter(code=code).first()
    if existing is not None and existing.kind in PLATFORM_RULE_KINDS:
        raise ValidationError(
            {
                "code": _(
                    "“%(code)s” is a rule the platform keeps itself (%(kind)s); "
                    "choose another code."
                )
                % {"code": code, "kind": existing.kind_label}
            }
        )
    if str(spec.get("kind", "")) in PLATFORM_RULE_KINDS:
        raise ValidationError(
            {"spec": _("Rules of this kind are kept by the platform, not written here.")}
        )
    rule = parse_rule_spec(code, spec)
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


_PARSED: dict[tuple[str, str], Rule] = {}
_PARSED_LIMIT = 4096


def _parsed(model: MonitoringRule) -> Rule:
    """`parse_rule_spec` of a stored rule, kept in this process by the rule's code and spec (a
    changed spec is a new key, so a cached rule never goes stale; parsed rules are frozen)."""
    key = (model.code, json.dumps(model.spec, sort_keys=True, default=str))
    rule = _PARSED.get(key)
    if rule is None:
        rule = parse_rule_spec(model.code, model.spec)
        if len(_PARSED) >= _PARSED_LIMIT:
            _PARSED.clear()
        _PARSED[key] = rule
    return rule


def _active_rules() -> list[tuple[MonitoringRule, Rule]]:
    """The active rules (one hand-written query: every batch reads them), each with its parsed
    form, in code order."""
    kind = sql.column(MonitoringRule, "kind")
    platform, params = sql.among(kind, sorted(PLATFORM_RULE_KINDS))
    rules = sql.instances(
        MonitoringRule,
        f"{sql.column(MonitoringRule, 'active')} = %s AND NOT {platform}",
        [True, *params],
        order=sql.column(MonitoringRule, "code"),
    )
    return [(m, _parsed(m)) for m in rules]


def _assessed_units() -> list[UnitRow]:
    return unit_rows(assessed=True)


def _values(
    codes: set[str], node_ids: set[int], indicator_ids: Mapping[str, int] | None
) -> list[tuple[int, str, int, float]]:
    """(unit id, code, node id, value) of every value of the indicators with these codes at
    these nodes, whatever the unit (one query; `indicator_ids`: every indicator's id by code,
    when the caller has them — else the indicators are joined)."""
    o, i = "o", "i"
    nodes, params = sql.among(sql.column(Observation, "time_node", o), node_ids)
    indicator = sql.column(Observation, "indicator", o)
    by_id: dict[Any, str] | None = None  # the code of each indicator id read, when not joined
    if indicator_ids is not None:
        by_id = {indicator_ids[c]: c for c in codes if c in indicator_ids}
        wanted, more = sql.among(indicator, by_id)
        source, code = f"{sql.table(Observation)} {o}", indicator
    else:
        wanted, more = sql.among(sql.column(Indicator, "code", i), codes)
        source = (
            f"{sql.table(Observation)} {o} JOIN {sql.table(Indicator)} {i} "
            f"ON {sql.column(Indicator, 'id', i)} = {indicator}"
        )
        code = sql.column(Indicator, "code", i)
    rows = sql.fetch(
        f"SELECT {sql.column(Observation, 'unit', o)}, {code}, "
        f"{sql.column(Observation, 'time_node', o)}, {sql.column(Observation, 'value', o)} "
        f"FROM {source} WHERE {nodes} AND {wanted}",
        params + more,
    )
    # floats straight from the driver (see `sql.converter`)
    return [
        (u, c if by_id is None else by_id[c], n, float(v)) for u, c, n, v in rows if v is not None
    ]


def frames(
    codes_by_node: Mapping[Node, set[str]],
    *,
    units: Sequence[UnitRow] | None = None,
    among: Sequence[Node] | None = None,
    indicator_ids: Mapping[str, int] | None = None,
) -> tuple[dict[int, MonitoringFrame], list[UnitRow]]:
    """Every assessed unit's values at each node, the previous node of its cycle, the same node
    last year and the year's targets (`<code>_target` at the full-year node), for all the nodes
    at once: the units, the neighbouring nodes and the observations are one query each. The
    nodes' cycles must be loaded (time nodes or `NodeRow`s). Frames are keyed by node id.
    `units`: the active assessed units in code order (their categories with them), when the
    caller has them; `among`: the nodes the neighbours are found among (see
    `neighbour_nodes`), and `indicator_ids` (every indicator's id by code), when the caller
    has them."""
    units = _assessed_units() if units is None else list(units)
    nodes = list(codes_by_node)
    neighbours = neighbour_nodes(nodes, among=among)
    wanted = set().union(*codes_by_node.values())
    wanted |= {f"{c}{TARGET_SUFFIX}" for c in wanted}
    node_ids = {n.pk for n in nodes} | {
        pk
        for near in neighbours.values()
        for pk in (near.previous, near.last_year, near.year_end)
        if pk is not None
    }
    index = {u.pk: i for i, u in enumerate(units)}  # the active assessed units only
    columns: dict[tuple[str, int], np.ndarray] = {}
    for unit_id, code, node_id, value in _values(wanted, node_ids, indicator_ids):
        i = index.get(unit_id)
        if i is not None:
            array = columns.setdefault((code, node_id), np.full(len(units), np.nan))
            array[i] = value
    missing = np.full(len(units), np.nan)

    def column(code: str, at: int | None) -> np.ndarray:
        return missing if at is None else columns.get((code, at), missing)

    unit_codes = [u.code for u in units]
    names = [u.name_zh for u in units]
    categories = [u.category.code if u.category else "" for u in units]
    out = {}
    for node, codes in codes_by_node.items():
        near = neighbours[node.pk]
        out[node.pk] = MonitoringFrame.build(
            units=unit_codes,
            names=names,
            categories=categories,
            current={c: column(c, node.pk) for c in codes},
            previous={c: column(c, near.previous) for c in codes},
            last_year={c: column(c, near.last_year) for c in codes},
            targets={c: column(f"{c}{TARGET_SUFFIX}", near.year_end) for c in codes},
            node=node.code,
        )
    return out, units


def _frame(node: Node, codes: set[str]) -> tuple[MonitoringFrame, list[UnitRow]]:
    """The frame of one node (see `frames`)."""
    built, units = frames({node: codes})
    return built[node.pk], units


def _responsible_users(unit_ids: Iterable[int]) -> dict[int, list[int]]:
    """The ids of the reporters and heads of each unit, in the order of their grants (one
    query), by unit id."""
    g = "g"
    units, params = sql.among(sql.column(Grant, "unit", g), set(unit_ids))
    roles, more = sql.among(sql.column(Grant, "role", g), [Role.REPORTER, Role.UNIT_HEAD])
    user = sql.column(Grant, "user", g)
    rows = sql.fetch(
        f"SELECT {sql.column(Grant, 'unit', g)}, {user} FROM {sql.table(Grant)} {g} "
        f"WHERE {units} AND {roles} AND {user} IS NOT NULL ORDER BY {sql.column(Grant, 'id', g)}",
        params + more,
    )
    out: dict[int, list[int]] = {}
    for unit_id, user_id in rows:
        out.setdefault(unit_id, []).append(user_id)
    return out


def warning_notifications(warnings: Sequence[Warning]) -> list[Notification]:
    """The unsaved notifications of new warnings: one to each reporter and head of the
    warning's unit, linking the warning (one query)."""
    users = _responsible_users({w.unit_id for w in warnings})
    return [
        row
        for w in warnings
        for row in Notification.objects.build_for_ids(
            users.get(w.unit_id, []), w.message_zh, reverse("monitoring:warning", args=[w.pk])
        )
    ]


def _labels(codes: Iterable[str]) -> dict[str, dict[str, str]]:
    names = Indicator.objects.filter(code__in=set(codes)).values_list("code", "name_zh", "name_en")
    return {
        "zh": {code: zh for code, zh, _en in names},
        "en": {code: en or zh for code, zh, en in names},
    }


def _insert_warnings(warnings: list[Warning]) -> None:
    if connection.features.can_return_rows_from_bulk_insert:
        sql.insert(warnings)
    else:  # the links and audit events need the ids
        for warning in warnings:
            warning.save()


def _active_warnings(
    node_ids: Collection[int], rule_ids: Collection[int]
) -> dict[tuple[int, int, int], tuple[int, str]]:
    """(id, state) of the warnings not closed of these rules at these nodes, by (rule id, unit
    id, node id) (one query)."""
    w = "w"
    nodes, params = sql.among(sql.column(Warning, "time_node", w), node_ids)
    rules, more = sql.among(sql.column(Warning, "rule", w), rule_ids)
    state = sql.column(Warning, "state", w)
    rows = sql.fetch(
        f"SELECT {sql.column(Warning, 'rule', w)}, {sql.column(Warning, 'unit', w)}, "
        f"{sql.column(Warning, 'time_node', w)}, {sql.column(Warning, 'id', w)}, {state} "
        f"FROM {sql.table(Warning)} {w} WHERE {nodes} AND {rules} AND {state} <> %s",
        [*params, *more, S.CLOSED],
    )
    return {(r, u, n): (pk, st) for r, u, n, pk, st in rows}


def evaluate_nodes(
    changes: Mapping[Node, set[str] | None],
    *,
    acting_user: Any,
    batch: Any = None,
    rules: Sequence[tuple[MonitoringRule, Rule]] | None = None,
    labels: Mapping[str, Mapping[str, str]] | None = None,
    units: Sequence[UnitRow] | None = None,
    among: Sequence[Node] | None = None,
    indicator_ids: Mapping[str, int] | None = None,
) -> tuple[int, int]:
    """Run the active rules on several time nodes (their cycles loaded) at once — for each node
    those reading one of its changed indicator codes, or all when its codes are None: raise a
    warning where a rule fires, clear open ones where it no longer does. The same warnings,
    audit events and notifications as evaluating the nodes one by one, in the same order, but
    read and written in bulk. `rules` (from `_active_rules`) and `labels` (the indicators'
    names, zh and en, by code), `units`, `among` and `indicator_ids` (see `frames`) may be
    passed when the caller has them."""
    if rules is None:
        rules = _active_rules()
    chosen: dict[Node, list[tuple[MonitoringRule, Rule]]] = {}
    for node, changed in changes.items():
        picked = [(m, r) for m, r in rules if changed is None or rule_codes(r) & changed]
        if picked:
            chosen[node] = picked
    if not chosen:
        return 0, 0
    codes_by_node = {
        node: set().union(*(rule_codes(r) for _, r in picked)) for node, picked in chosen.items()
    }
    built, units = frames(codes_by_node, units=units, among=among, indicator_ids=indicator_ids)
    if labels is None:
        labels = _labels(set().union(*codes_by_node.values()))
    active = _active_warnings(
        {n.pk for n in chosen}, {m.pk for picked in chosen.values() for m, _ in picked}
    )
    raised: list[Warning] = []
    closed: list[Warning] = []
    # in the order of the events: a warning raised, or the id of one cleared (its unit, node
    # and rule beside it)
    entries: list[tuple[Warning | int, UnitRow, Node, MonitoringRule]] = []
    now = timezone.now()
    for node, picked in chosen.items():
        codes = codes_by_node[node]
        zh = {c: n for c, n in labels["zh"].items() if c in codes}
        en = {c: n for c, n in labels["en"].items() if c in codes}
        result = evaluate_rules([r for _, r in picked], built[node.pk])
        for model, _rule in picked:
            verdict = result[model.code]
            for i in np.flatnonzero(verdict.flagged):
                unit = units[int(i)]
                if (model.pk, unit.pk, node.pk) in active:
                    continue
                warning = Warning(
                    rule=model,
                    unit_id=unit.pk,
                    time_node_id=node.pk,
                    severity=model.severity,
                    details=verdict.details(int(i)),
                    message_zh=verdict.message(int(i), "zh", zh),
                    message_en=verdict.message(int(i), "en", en),
                    raised_by_batch=batch,
                )
                raised.append(warning)
                entries.append((warning, unit, node, model))  # its event needs its id
            cleared = ~verdict.flagged & ~verdict.insufficient
            for i in np.flatnonzero(cleared):
                unit = units[int(i)]
                current = active.get((model.pk, unit.pk, node.pk))
                if current is None or current[1] not in (S.OPEN, S.ACKNOWLEDGED):
                    continue
                entries.append((current[0], unit, node, model))
    clearing = [(pk, model) for pk, _unit, _node, model in entries if isinstance(pk, int)]
    if clearing:  # read whole: an audit event names its object
        found = Warning.objects.in_bulk([pk for pk, _model in clearing])
        for pk, model in clearing:
            warning = found[pk]
            warning.rule = model  # already loaded
            warning.state, warning.resolution, warning.closed_at = (
                S.CLOSED,
                Warning.Resolution.CLEARED,
                now,
            )
            closed.append(warning)
    if raised:
        _insert_warnings(raised)
    if closed:
        Warning.objects.filter(pk__in=[w.pk for w in closed]).update(
            state=S.CLOSED, resolution=Warning.Resolution.CLEARED, closed_at=now, updated_at=now
        )
    closed_by_pk = {w.pk: w for w in closed}
    audit.record_many(
        [
            audit.Entry(
                EventType.WARNING_CLOSED,
                obj=closed_by_pk[warning],
                unit=unit,
                extra={"resolution": "cleared"},
            )
            if isinstance(warning, int)
            else audit.Entry(
                EventType.WARNING_RAISED,
                obj=warning,
                unit=unit,
                extra={
                    "rule": warning.rule.code,
                    "period": node.period,
                    "details": warning.details,
                },
            )
            for warning, unit, node, _model in entries
        ],
        acting_user=acting_user,
    )
    if raised:
        sql.insert(warning_notifications(raised))
    return len(raised), len(closed)


def evaluate_node(
    node: Node, *, acting_user: Any, changed_codes: set[str] | None = None, batch: Any = None
) -> tuple[int, int]:
    """Run the active rules (those reading a changed indicator, or all) on one time node:
    raise a warning where a rule fires, clear open ones where it no longer does."""
    return evaluate_nodes({node: changed_codes}, acting_user=acting_user, batch=batch)


def evaluate_after_ingest(
    observations: Sequence[Any],
    *,
    acting_user: Any,
    batch: Any = None,
    indicators: Mapping[int, IndicatorRow] | None = None,
    nodes: Mapping[int, Node] | None = None,
    units: Sequence[UnitRow] | None = None,
) -> tuple[int, int]:
    """The pipeline's monitoring step: every time node touched (of a cycle not yet closed), all
    in one pass (`evaluate_nodes`). The pipeline passes what it has read for the batch: every
    indicator by id, the time nodes by id (their cycles with them: the touched ones and every
    node of their cycles and of the cycles a year before, see
    `observations.services.Catalogue`) and the active assessed units in code order."""
    rules = _active_rules()
    if not rules:
        return 0, 0
    read = set().union(*(rule_codes(r) for _, r in rules))
    indicator_ids = None
    if indicators is not None:
        rows = [(i.pk, i.code, i.name_zh, i.name_en) for i in indicators.values()]
        indicator_ids = {i.code: i.pk for i in indicators.values()}
    else:
        rows = list(
            Indicator.objects.filter(
                Q(pk__in={o.indicator_id for o in observations}) | Q(code__in=read)
            ).values_list("pk", "code", "name_zh", "name_en")
        )
    codes = {pk: code for pk, code, _zh, _en in rows}
    labels = {
        "zh": {code: zh for _pk, code, zh, _en in rows if code in read},
        "en": {code: en or zh for _pk, code, zh, en in rows if code in read},
    }
    by_node: dict[int, set[str]] = {}
    for obs in observations:
        by_node.setdefault(obs.time_node_id, set()).add(codes[obs.indicator_id])
    if nodes is None or not by_node.keys() <= nodes.keys():
        # the touched nodes with every node of their cycles and of the cycles a year before
        nodes = {n.pk: n for n in node_rows(ids=by_node)}
    touched = sorted(
        (nodes[pk] for pk in by_node if nodes[pk].cycle.state != Cycle.State.CLOSED),
        key=lambda n: (n.cycle.year, n.order),  # TimeNode's ordering
    )
    return evaluate_nodes(
        {node: by_node[node.pk] for node in touched},
        acting_user=acting_user,
        batch=batch,
        rules=rules,
        labels=labels,
        units=units,
        among=list(nodes.values()),
        indicator_ids=indicator_ids,
    )


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
    warning = (
        Warning.objects.select_for_update().select_related("time_node__cycle").get(pk=warning.pk)
    )
    ensure_open(warning.time_node.cycle)
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
    if access.judges_own_unit(user, warning.unit):
        return False
    return access.has_citywide(user, Action.ADMINISTER) or warning.unit.pk in access.unit_scope(
        user, Action.REVIEW
    )


@transaction.atomic
def decide_warning(warning: Warning, *, acting_user: Any, accept: bool, decision: str) -> Warning:
    """The office (or a reviewer over the unit) accepts the answer and closes the warning, or
    refuses it and sends it back to the unit, with its reasons."""
    if access.judges_own_unit(acting_user, warning.unit):
        raise PermissionDenied(
            _(
                "No one judges their own unit: you belong to %(unit)s, "
                "so its warnings are decided by others."
            )
            % {"unit": warning.unit}
        )
    if not _may_decide(acting_user, warning):
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
