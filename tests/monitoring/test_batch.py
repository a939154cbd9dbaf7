"""The monitoring step works batch-wise: one frame for every touched node, warnings, audit
events and notifications written in bulk — and leaves exactly the rows the node-by-node
evaluation (kept below as the reference) left."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kaohe.core import audit
from kaohe.core.events import EventType
from kaohe.core.models import AuditEvent, Grant, Notification
from kaohe.core.roles import Role
from kaohe.engine.monitoring import evaluate_rules
from kaohe.flows.ingest import ingest
from kaohe.indicators import services as indicators
from kaohe.indicators.models import Indicator
from kaohe.monitoring import services
from kaohe.monitoring.models import MonitoringRule, Warning
from kaohe.observations.models import Source
from kaohe.observations.services import ValueRow, record_observations
from kaohe.schemes import selectors
from kaohe.schemes import services as schemes
from kaohe.schemes.models import Cycle, TimeNode
from kaohe.testing.world import make_user
from kaohe.units import services as units

pytestmark = pytest.mark.django_db
S = Warning.State


# --- the node-by-node evaluation this replaces, kept as the reference ---------------------


def _reference_frame(node: Any, codes: set[str]) -> tuple[Any, list[Any]]:
    unit_list = list(
        units.Unit.objects.filter(is_assessed=True, active=True)
        .select_related("category")
        .order_by("code")
    )
    previous = (
        TimeNode.objects.filter(cycle=node.cycle, order__lt=node.order).order_by("-order").first()
    )
    last_year = TimeNode.objects.filter(cycle__year=node.cycle.year - 1, code=node.code).first()
    year_end = TimeNode.objects.filter(cycle=node.cycle, code="Y").first()
    wanted = codes | {f"{c}_target" for c in codes}
    nodes = [n for n in (node, previous, last_year, year_end) if n is not None]
    rows = services.Observation.objects.filter(
        indicator__code__in=wanted, time_node__in=nodes, unit__in=unit_list
    ).values_list("unit_id", "indicator__code", "time_node_id", "value")
    index = {u.pk: i for i, u in enumerate(unit_list)}
    columns: dict[tuple[str, int], np.ndarray] = {}
    for unit_id, code, node_id, value in rows:
        if value is not None:
            array = columns.setdefault((code, node_id), np.full(len(unit_list), np.nan))
            array[index[unit_id]] = float(value)

    def column(code: str, at: Any) -> np.ndarray:
        missing = np.full(len(unit_list), np.nan)
        return missing if at is None else columns.get((code, at.pk), missing)

    frame = services.MonitoringFrame.build(
        units=[u.code for u in unit_list],
        names=[u.name_zh for u in unit_list],
        categories=[u.category.code if u.category else "" for u in unit_list],
        current={c: column(c, node) for c in codes},
        previous={c: column(c, previous) for c in codes},
        last_year={c: column(c, last_year) for c in codes},
        targets={c: column(f"{c}_target", year_end) for c in codes},
        node=node.code,
    )
    return frame, unit_list


def _reference_node(
    node: Any, *, acting_user: Any, changed: set[str], batch: Any
) -> tuple[int, int]:
    stored = list(MonitoringRule.objects.filter(active=True))
    rules = [(m, services.parse_rule_spec(m.code, m.spec)) for m in stored]
    rules = [(m, r) for m, r in rules if services.rule_codes(r) & changed]
    if not rules:
        return 0, 0
    codes = set().union(*(services.rule_codes(r) for _, r in rules))
    frame, unit_list = _reference_frame(node, codes)
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
            unit = unit_list[int(i)]
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
            grants = Grant.objects.filter(
                unit=unit, role__in=[Role.REPORTER, Role.UNIT_HEAD], user__isnull=False
            ).select_related("user")
            Notification.objects.notify(
                [g.user for g in grants],
                warning.message_zh,
                reverse("monitoring:warning", args=[warning.pk]),
            )
        cleared = ~verdict.flagged & ~verdict.insufficient
        for i in np.flatnonzero(cleared):
            current = active.get((model.pk, unit_list[int(i)].pk))
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


def reference_evaluate_after_ingest(
    observations: Any, *, acting_user: Any, batch: Any = None
) -> tuple[int, int]:
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
        r, c = _reference_node(node, acting_user=acting_user, changed=by_node[node.pk], batch=batch)
        raised, resolved = raised + r, resolved + c
    return raised, resolved


# --- a world with a year before, targets and four rules -----------------------------------


def rule(world: Any, code: str, **spec: Any) -> None:
    services.save_rule(acting_user=world.admin, code=code, name_zh=code, spec=spec)


@pytest.fixture
def city(world):  # type: ignore[no-untyped-def]
    schemes.create_cycle(acting_user=world.admin, year=2024)
    indicators.create_indicator(
        acting_user=world.admin,
        code="gdp_target",
        name_zh="地区生产总值目标",
        unit_zh="亿元",
        decimals=2,
        responsible_department=world.dept,
    )
    record_observations(
        [
            ValueRow(u, "gdp", f"2024{node}", value)
            for u, values in (("D01", (1100, 2400, 3600)), ("D02", (700, 1500, 2100)))
            for node, value in zip(("Q1", "H1", "Q3"), values, strict=True)
        ]
        + [
            ValueRow("D01", "gdp_target", "2025Y", 5000),
            ValueRow("D02", "gdp_target", "2025Y", 4000),
        ],
        acting_user=world.admin,
        source=Source.IMPORT,
    )
    rule(
        world,
        "tax_within_fiscal",
        kind="cross_check",
        expression="tax_revenue <= fiscal_revenue",
        severity="serious",
    )
    rule(world, "growth_floor", kind="threshold", indicator="gdp_growth", min=0, severity="info")
    rule(world, "gdp_drop_prev", kind="drop", indicator="gdp", against="previous", percent=10)
    rule(world, "gdp_drop_year", kind="drop", indicator="gdp", against="last_year", percent=5)
    rule(world, "gdp_pace", kind="pace", indicator="gdp", tolerance=5, severity="info")
    # a second responsible user on D01, and a grant without a user (a group's)
    units.add_grant(
        acting_user=world.admin, user=make_user("d1_second"), role=Role.REPORTER, unit=world.d1
    )
    return world


FIRST = [  # raises on Q1 (growth), H1 (tax > fiscal, drops) and Q3 (pace, drops)
    ValueRow("D01", "gdp_growth", "2025Q1", -1.5, reason="修正"),
    ValueRow("D01", "tax_revenue", "2025H1", 99, reason="修正"),
    ValueRow("D02", "gdp", "2025H1", 600, reason="修正"),
    ValueRow("D01", "gdp", "2025Q3", 1100),
    ValueRow("D02", "gdp", "2025Q3", 2500),
    ValueRow("D01", "fiscal_revenue", "2025Q3", 50),
    ValueRow("D01", "tax_revenue", "2025Q3", 60),
]
SECOND = [  # clears some, raises others, across the three nodes and both units
    ValueRow("D01", "gdp_growth", "2025Q1", 2.0, reason="更正"),
    ValueRow("D02", "gdp_growth", "2025Q1", -0.5, reason="更正"),
    ValueRow("D01", "tax_revenue", "2025H1", 80, reason="更正"),
    ValueRow("D02", "tax_revenue", "2025H1", 75, reason="更正"),
    ValueRow("D02", "gdp", "2025H1", 1400, reason="更正"),
    ValueRow("D01", "gdp", "2025Q3", 3700, reason="更正"),
    ValueRow("D02", "gdp", "2025Q3", 900, reason="更正"),
    ValueRow("D01", "tax_revenue", "2025Q3", 40, reason="更正"),
]


def outcome(world: Any, rows: list[ValueRow]) -> dict[str, Any]:
    """What one delivery leaves behind (rolled back afterwards), ids made relative."""

    class Rollback(Exception):
        pass

    marks = {
        model: model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        for model in (AuditEvent, Notification)
    }
    got: dict[str, Any] = {}
    try:
        with transaction.atomic():
            result = ingest(rows, acting_user=world.users["stats_reporter"], source=Source.API)
            warnings = list(
                Warning.objects.select_related("rule", "unit", "time_node").order_by("pk")
            )
            key = {
                w.pk: (w.rule.code, w.unit.code, w.time_node.period, w.created_at) for w in warnings
            }
            got["counts"] = (result.batch.warnings_raised, result.batch.warnings_resolved)
            got["warnings"] = [
                (
                    *key[w.pk][:3],
                    w.state,
                    w.resolution,
                    w.severity,
                    w.details,
                    w.message_zh,
                    w.message_en,
                    w.raised_by_batch_id == result.batch.pk,
                    w.closed_at is not None,
                )
                for w in warnings
            ]
            got["events"] = [
                (
                    e.event_type,
                    e.acting_user_id,
                    e.unit_id,
                    key[int(e.object_id)][:3],
                    e.object_repr,
                    e.extra_data,
                    e.reason,
                )
                for e in AuditEvent.objects.filter(pk__gt=marks[AuditEvent])
                .filter(content_type__model="warning")
                .order_by("pk")
            ]
            links = {reverse("monitoring:warning", args=[pk]): k[:3] for pk, k in key.items()}
            got["notifications"] = [
                (n.user.username, n.text, links[n.link], n.read_at)
                for n in Notification.objects.filter(pk__gt=marks[Notification])
                .select_related("user")
                .order_by("pk")
            ]
            raise Rollback
    except Rollback:
        pass
    return got


def test_the_same_rows_as_node_by_node(city, monkeypatch):  # type: ignore[no-untyped-def]
    ingest(FIRST, acting_user=city.users["stats_reporter"], source=Source.API)
    d1_growth = Warning.objects.get(rule__code="growth_floor", unit=city.d1)
    services.acknowledge_warning(d1_growth, acting_user=city.users["d1_reporter"])
    d1_drop = Warning.objects.get(
        rule__code="gdp_drop_year", unit=city.d1, time_node__period="2025H1"
    )
    services.explain_warning(d1_drop, acting_user=city.users["d1_reporter"], explanation="一次性")
    new = outcome(city, SECOND)
    monkeypatch.setattr(services, "evaluate_after_ingest", reference_evaluate_after_ingest)
    old = outcome(city, SECOND)
    assert new == old
    raised, resolved = new["counts"]
    assert raised >= 3 and resolved >= 3  # the scenario exercises both directions
    assert {e[0] for e in new["events"]} == {EventType.WARNING_RAISED, EventType.WARNING_CLOSED}
    assert len(new["notifications"]) >= 3


def test_the_first_delivery_matches_too(city, monkeypatch):  # type: ignore[no-untyped-def]
    new = outcome(city, FIRST)
    monkeypatch.setattr(services, "evaluate_after_ingest", reference_evaluate_after_ingest)
    assert new == outcome(city, FIRST)
    periods = {w[2] for w in new["warnings"]}
    assert periods == {"2025Q1", "2025H1", "2025Q3"}
    # D01 has two reporters and a head: three messages per warning on D01
    users = [n[0] for n in new["notifications"] if n[1].startswith("东区")]
    assert users[:3] == ["d1_reporter", "d1_head", "d1_second"]


def test_one_frame_query_for_all_nodes(city, django_assert_num_queries):  # type: ignore[no-untyped-def]
    nodes = {n.code: n for n in TimeNode.objects.filter(cycle__year=2025).select_related("cycle")}
    wanted = {nodes["Q1"]: {"gdp"}, nodes["H1"]: {"gdp", "tax_revenue"}, nodes["Y"]: {"gdp"}}
    with django_assert_num_queries(3):  # units, neighbouring nodes, observations
        frames, unit_list = services.frames(wanted)
    assert [u.code for u in unit_list] == ["D01", "D02", "DEPT_TJJ"]
    q1, h1, y = frames[nodes["Q1"].pk], frames[nodes["H1"].pk], frames[nodes["Y"].pk]
    nan = np.nan
    np.testing.assert_array_equal(q1.current["gdp"], [1200.5, 860.25, nan])
    np.testing.assert_array_equal(q1.previous["gdp"], [nan, nan, nan])
    np.testing.assert_array_equal(q1.last_year["gdp"], [1100, 700, nan])
    np.testing.assert_array_equal(q1.targets["gdp"], [5000, 4000, nan])
    assert set(q1.current) == {"gdp"} and (q1.node, q1.months) == ("Q1", 3)
    np.testing.assert_array_equal(h1.current["tax_revenue"], [80.1, 52.3, nan])
    np.testing.assert_array_equal(h1.previous["gdp"], [1200.5, 860.25, nan])
    np.testing.assert_array_equal(h1.last_year["gdp"], [2400, 1500, nan])
    np.testing.assert_array_equal(h1.targets["tax_revenue"], [nan, nan, nan])
    np.testing.assert_array_equal(y.current["gdp"], [nan, nan, nan])
    np.testing.assert_array_equal(y.previous["gdp"], [nan, nan, nan])  # nothing at Q3 yet
    assert q1.names == ("东区", "西区", "统计局")
    assert q1.categories == ("district", "district", "dept")
    for node, codes in wanted.items():  # the same frame as asking for the node alone
        alone, _ = services._frame(node, codes)
        for part in ("current", "previous", "last_year", "targets"):
            for code in codes:
                np.testing.assert_array_equal(
                    getattr(alone, part)[code], getattr(frames[node.pk], part)[code]
                )


def test_neighbour_nodes(city, django_assert_num_queries):  # type: ignore[no-untyped-def]
    ids = {(n.cycle.year, n.code): n.pk for n in TimeNode.objects.select_related("cycle")}
    nodes = list(TimeNode.objects.filter(cycle__year__in=[2024, 2025]).select_related("cycle"))
    with django_assert_num_queries(1):
        near = selectors.neighbour_nodes(nodes)
    assert near[ids[2025, "Q1"]] == selectors.Neighbours(None, ids[2024, "Q1"], ids[2025, "Y"])
    assert near[ids[2025, "Q3"]] == selectors.Neighbours(
        ids[2025, "H1"], ids[2024, "Q3"], ids[2025, "Y"]
    )
    assert near[ids[2024, "H1"]] == selectors.Neighbours(ids[2024, "Q1"], None, ids[2024, "Y"])
    assert near[ids[2025, "Y"]] == selectors.Neighbours(
        ids[2025, "Q3"], ids[2024, "Y"], ids[2025, "Y"]
    )
    assert selectors.neighbour_nodes([]) == {}


def monitoring_queries(world: Any, rows: list[ValueRow]) -> int:
    from kaohe.flows import ingest as pipeline

    counted: list[int] = []
    real = pipeline._monitor

    def counting(*args: Any, **kwargs: Any) -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            out = real(*args, **kwargs)
        counted.append(len(queries))
        return out

    pipeline._monitor = counting  # type: ignore[assignment]
    try:
        ingest(rows, acting_user=world.users["stats_reporter"], source=Source.API)
    finally:
        pipeline._monitor = real  # type: ignore[assignment]
    return counted[0]


def test_queries_do_not_grow_with_nodes_or_warnings(city):  # type: ignore[no-untyped-def]
    one = monitoring_queries(city, [ValueRow("D01", "gdp_growth", "2025Q1", -1.5, reason="x")])
    many = monitoring_queries(city, FIRST[1:])  # 3 nodes, several warnings, notifications
    closing = monitoring_queries(city, SECOND)  # raises and clears
    # rules, indicators, nodes, neighbours, units, observations, active warnings; then the
    # warnings, the closing update, the events, the grants, the notifications
    assert one <= 12 and many <= 12 and closing <= 12
    assert Warning.objects.filter(state=S.CLOSED).exists()


def test_rules_are_parsed_once_per_spec(city, monkeypatch):  # type: ignore[no-untyped-def]
    calls: list[str] = []
    real = services.parse_rule_spec

    def counting(code: str, spec: Any) -> Any:
        calls.append(code)
        return real(code, spec)

    monkeypatch.setattr(services, "parse_rule_spec", counting)
    services._PARSED.clear()
    services._active_rules()
    services._active_rules()
    assert sorted(calls) == sorted(MonitoringRule.objects.values_list("code", flat=True))
    calls.clear()
    rule(city, "growth_floor", kind="threshold", indicator="gdp_growth", min=1)  # changed
    parsed = dict((m.code, r) for m, r in services._active_rules())
    assert calls == ["growth_floor", "growth_floor"]  # save_rule's check, then the new spec
    assert parsed["growth_floor"].min == 1
