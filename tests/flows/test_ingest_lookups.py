"""The pipeline reads its batch's units, indicators and time nodes once (`Catalogue`) and hands
them to every step. What it leaves must be what the steps leave when each reads for itself —
versions, audit events, warnings, notifications, provisional standings and the batch's counts —
after a sequence of batches with new values, a derived value, a correction, a warning raised
and cleared and a unit whose values become complete; and its statements must not grow with the
batch."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from kaohe.core.models import AuditEvent, Notification
from kaohe.flows.ingest import ingest
from kaohe.indicators.models import Indicator
from kaohe.monitoring import services as monitoring
from kaohe.monitoring.models import Warning
from kaohe.observations.derived import recompute_derived
from kaohe.observations.models import IngestionBatch, ObservationVersion, Source
from kaohe.observations.services import ValueRow, check_rows, store_rows
from kaohe.results.models import ProvisionalStanding
from kaohe.results.provisional import refresh_provisional
from kaohe.schemes import services as schemes

pytestmark = pytest.mark.django_db

BATCHES = [
    # D01's third quarter arrives first: Q3 is not yet the period to rank on
    [
        ValueRow("D01", "gdp", "2025Q3", "1900"),
        ValueRow("D01", "gdp_growth", "2025Q3", "7"),
    ],
    # its fiscal figures, tax above revenue: a derived share and a cross-check warning
    [
        ValueRow("D01", "fiscal_revenue", "2025Q3", "140"),
        ValueRow("D01", "tax_revenue", "2025Q3", "150"),
    ],
    # a correction with its reason clears the warning and recomputes the share
    [ValueRow("D01", "tax_revenue", "2025Q3", "110", reason="revised by the bureau")],
    # D02's quarter makes it complete at Q3, and Q3 the period to rank on
    [
        ValueRow("D02", "gdp", "2025Q3", "1300"),
        ValueRow("D02", "gdp_growth", "2025Q3", "5.9"),
        ValueRow("D02", "fiscal_revenue", "2025Q3", "100"),
        ValueRow("D02", "tax_revenue", "2025Q3", "70"),
    ],
    # a correction of an earlier period the scheme reads
    [ValueRow("D02", "gdp_growth", "2025H1", "6.5", reason="revised")],
]


SCHEME_READS = {"gdp", "gdp_growth", "fiscal_revenue"}  # the test world's scheme


@pytest.fixture
def live(world):  # type: ignore[no-untyped-def]
    schemes.publish_scheme_version(world.version, acting_user=world.admin)
    schemes.advance_cycle(world.cycle, acting_user=world.admin)  # goal setting
    schemes.advance_cycle(world.cycle, acting_user=world.admin)  # in progress
    monitoring.save_rule(
        acting_user=world.admin,
        code="tax_within_fiscal",
        name_zh="税收不超过财政收入",
        spec={
            "kind": "cross_check",
            "expression": "tax_revenue <= fiscal_revenue",
            "severity": "serious",
        },
    )
    return world


def each_step_reading_for_itself(rows: list[ValueRow], user: Any) -> IngestionBatch:
    """The pipeline's steps in its order, each doing its own look-ups (no catalogue)."""
    with transaction.atomic():
        checked, errors = check_rows(rows, acting_user=user)
        assert not errors
        batch = IngestionBatch.objects.create(source=Source.API, sender=user, rows=len(rows))
        stored = store_rows(checked, acting_user=user, source=Source.API, batch=batch)
        batch.created, batch.corrected, batch.unchanged = (
            stored.created,
            stored.corrected,
            stored.unchanged,
        )
        derived = recompute_derived(stored.observations, acting_user=user, batch=batch)
        batch.derived = len(derived)
        changed = [*stored.observations, *derived]
        batch.warnings_raised, batch.warnings_resolved = monitoring.evaluate_after_ingest(
            changed, acting_user=user, batch=batch
        )
        codes = set(
            Indicator.objects.filter(pk__in={o.indicator_id for o in changed}).values_list(
                "code", flat=True
            )
        )
        refresh_provisional({o.time_node_id for o in changed}, changed_codes=codes, batch=batch)
        batch.save()
    return batch


def record() -> dict[str, Any]:
    """Everything the batches left, without the ids a rolled-back run would not repeat."""
    batches = list(
        IngestionBatch.objects.order_by("pk").values_list(
            "rows", "created", "corrected", "unchanged", "derived", "warnings_raised",
            "warnings_resolved",
        )
    )  # fmt: skip
    batch_index = {
        pk: i
        for i, pk in enumerate(IngestionBatch.objects.order_by("pk").values_list("pk", flat=True))
    }
    versions = [
        (u, i, p, n, str(v), t, s, r, batch_index.get(b))
        for u, i, p, n, v, t, s, r, b in ObservationVersion.objects.order_by("pk").values_list(
            "observation__unit__code", "observation__indicator__code",
            "observation__time_node__period", "number", "value", "text", "source", "reason",
            "batch",
        )
    ]  # fmt: skip
    events = [
        (e.event_type, e.unit_id, e.reason, {k: v for k, v in e.extra_data.items()
                                            if k != "batch_event"})
        for e in AuditEvent.objects.order_by("pk")
    ]  # fmt: skip
    warnings = list(
        Warning.objects.order_by("pk").values_list(
            "rule__code", "unit__code", "time_node__period", "severity", "state", "resolution",
            "details", "message_zh", "message_en",
        )
    )  # fmt: skip
    notifications = list(Notification.objects.order_by("pk").values_list("user__username", "text"))
    standings = sorted(
        (s.scheme_version_id, s.unit.code, s.category_code, s.node_code, s.score, s.rank,
         s.coverage, s.missing, batch_index.get(s.batch_id))
        for s in ProvisionalStanding.objects.select_related("unit")
    )  # fmt: skip
    return {
        "batches": batches,
        "versions": versions,
        "events": events,
        "warnings": warnings,
        "notifications": notifications,
        "standings": standings,
    }


class Rollback(Exception):
    pass


def test_the_pipeline_leaves_what_its_steps_leave_reading_for_themselves(live):  # type: ignore[no-untyped-def]
    user = live.admin
    found: dict[str, dict[str, Any]] = {}
    for way in ("pipeline", "steps"):
        try:
            with transaction.atomic():
                for rows in BATCHES:
                    if way == "pipeline":
                        ingest(rows, acting_user=user, source=Source.API)
                    else:
                        each_step_reading_for_itself(rows, user)
                found[way] = record()
                raise Rollback
        except Rollback:
            pass
    pipeline, steps = found["pipeline"], found["steps"]
    assert pipeline["batches"][-5:] == [
        (2, 2, 0, 0, 0, 0, 0),
        (2, 2, 0, 0, 1, 1, 0),
        (1, 0, 1, 0, 1, 0, 1),
        (4, 4, 0, 0, 1, 0, 0),
        (1, 0, 1, 0, 0, 0, 0),
    ]
    for part in ("batches", "versions", "events", "warnings", "notifications", "standings"):
        assert pipeline[part] == steps[part], part
    # D02 became complete at Q3, which is now the period to rank on
    by_unit = {s[1]: s for s in pipeline["standings"]}
    assert by_unit["D02"][3] == "Q3" and by_unit["D02"][7] == []


def test_the_standings_after_the_batches_equal_a_full_recompute(live):  # type: ignore[no-untyped-def]
    nodes = list(live.cycle.time_nodes.values_list("pk", flat=True))
    for rows in BATCHES:
        result = ingest(rows, acting_user=live.admin, source=Source.API)
        after = {
            s.unit_id: (s.category_code, s.node_code, s.score, s.rank, s.coverage, s.missing)
            for s in ProvisionalStanding.objects.all()
        }
        if {r.indicator for r in rows} & SCHEME_READS:  # refreshed by this batch
            batches = set(ProvisionalStanding.objects.values_list("batch", flat=True))
            assert batches == {result.batch.pk}
        with transaction.atomic():
            refresh_provisional(nodes)  # every scheme, every look-up its own
            full = {
                s.unit_id: (s.category_code, s.node_code, s.score, s.rank, s.coverage, s.missing)
                for s in ProvisionalStanding.objects.all()
            }
            transaction.set_rollback(True)
        assert after == full


def statements(rows: list[ValueRow], user: Any) -> int:
    with CaptureQueriesContext(connection) as queries:
        ingest(rows, acting_user=user, source=Source.API)
    return len(queries)


def test_the_pipeline_s_statements_do_not_grow_with_the_batch(live):  # type: ignore[no-untyped-def]
    # new values the scheme reads (standings refreshed), no derived value, no rule reading them
    statements([ValueRow("D02", "gdp", "2025Y", "2000")], live.admin)  # the scheme loaded
    one = statements([ValueRow("D01", "gdp", "2025Q3", "1900")], live.admin)
    three = statements(
        [
            ValueRow("D01", "gdp_growth", "2025Q3", "7"),
            ValueRow("D02", "gdp", "2025Q3", "1300"),
            ValueRow("D02", "gdp_growth", "2025Q3", "5.9"),
        ],
        live.admin,
    )
    assert one == three
    # one look-up each of units, indicators and time nodes for the whole pipeline (before:
    # each step its own, 30 statements for this batch)
    assert three <= 18
