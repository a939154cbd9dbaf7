"""Storing a batch in bulk (executemany on SQLite, COPY on PostgreSQL): the rows, version
numbers and audit events are those the ORM path wrote, and a database error mid-batch leaves
nothing behind. Runs on whichever database the suite runs on."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError

from kaohe.core.errors import BatchRejected
from kaohe.core.events import EventType
from kaohe.core.models import AuditEvent
from kaohe.indicators import services as indicator_services
from kaohe.observations import services
from kaohe.observations.models import IngestionBatch, Observation, ObservationVersion, Source
from kaohe.observations.services import StoredObservation, ValueRow, record_observations

pytestmark = pytest.mark.django_db


@pytest.fixture
def graded(world):  # type: ignore[no-untyped-def]
    return indicator_services.create_indicator(
        acting_user=world.admin,
        code="reform_rating",
        name_zh="改革评价",
        value_type="grade",
        grade_labels=["优秀", "良好", "一般", "较差"],
        responsible_department=world.dept,
    )


def stored(period: str) -> list[tuple[object, ...]]:
    return list(
        Observation.objects.filter(time_node__period=period)
        .order_by("unit__code", "indicator__code")
        .values_list("unit__code", "indicator__code", "value", "text", "version_count")
    )


def versions(period: str) -> list[tuple[object, ...]]:
    return list(
        ObservationVersion.objects.filter(observation__time_node__period=period)
        .order_by("observation__unit__code", "observation__indicator__code", "number")
        .values_list(
            "observation__unit__code",
            "observation__indicator__code",
            "number",
            "value",
            "text",
            "source",
            "source_unit__code",
            "sent_by__username",
            "reason",
            "batch_id",
        )
    )


def test_new_slots_hold_their_value_and_version_one(world, graded):  # type: ignore[no-untyped-def]
    batch = IngestionBatch.objects.create(source=Source.API, rows=3)
    result = services.record_observations(
        [
            ValueRow("D01", "gdp", "2025Q3", "1850.75"),
            ValueRow("D02", "gdp", "2025Q3", 900),
            ValueRow("D01", "reform_rating", "2025Q3", " 优秀 "),
        ],
        acting_user=world.admin,
        source=Source.API,
        source_unit=world.dept,
        batch=batch,
    )
    assert (result.created, result.corrected, result.unchanged) == (3, 0, 0)
    assert stored("2025Q3") == [
        ("D01", "gdp", Decimal("1850.750000"), "", 1),
        ("D01", "reform_rating", None, "优秀", 1),
        ("D02", "gdp", Decimal("900.000000"), "", 1),
    ]
    dept, admin = world.dept.code, world.admin.username
    assert versions("2025Q3") == [
        ("D01", "gdp", 1, Decimal("1850.750000"), "", "api", dept, admin, "", batch.pk),
        ("D01", "reform_rating", 1, None, "优秀", "api", dept, admin, "", batch.pk),
        ("D02", "gdp", 1, Decimal("900.000000"), "", "api", dept, admin, "", batch.pk),
    ]
    # the slot's time is its latest version's, and every version points to the batch's event
    for obs in Observation.objects.filter(time_node__period="2025Q3"):
        version = obs.versions.get()
        assert obs.updated_at == version.recorded_at
        assert version.event_id == result.event_id
    # what derived values and monitoring read: one light record per version, as stored
    db = {
        o.pk: (o.unit_id, o.indicator_id, o.time_node_id, o.value, o.text)
        for o in Observation.objects.filter(time_node__period="2025Q3")
    }
    assert all(isinstance(o, StoredObservation) for o in result.observations)
    assert {o.pk: tuple(o[1:]) for o in result.observations} == db
    event = AuditEvent.objects.get(pk=result.event_id)
    assert event.event_type == EventType.OBSERVATIONS_RECORDED
    assert event.extra_data == {
        "source": "api",
        "rows": 3,
        "created": 3,
        "corrected": 0,
        "unchanged": 0,
        "corrections": [],
    }


def test_a_mixed_batch_corrects_skips_and_creates(world, graded):  # type: ignore[no-untyped-def]
    record_observations(
        [ValueRow("D01", "reform_rating", "2025Q1", "良好")],
        acting_user=world.admin,
        source=Source.FORM,
    )
    before = {o.pk: o.updated_at for o in Observation.objects.filter(time_node__period="2025Q1")}
    result = record_observations(
        [
            ValueRow("D01", "gdp", "2025Q1", 1210, reason="统计局反馈修正"),  # corrected
            ValueRow("D02", "gdp", "2025Q1", "860.25"),  # unchanged
            ValueRow("D01", "reform_rating", "2025Q1", "优秀", reason="复核"),  # corrected text
            ValueRow("D01", "gdp", "2025Q3", 1900),  # new
        ],
        acting_user=world.users["office"],
        source=Source.FORM,
    )
    assert (result.created, result.corrected, result.unchanged) == (1, 2, 1)
    assert [(o.value, o.text) for o in result.observations] == [
        (Decimal("1210.000000"), ""),
        (None, "优秀"),
        (Decimal("1900.000000"), ""),
    ]
    assert stored("2025Q1") == [
        ("D01", "fiscal_revenue", Decimal("95.200000"), "", 1),
        ("D01", "gdp", Decimal("1210.000000"), "", 2),
        ("D01", "gdp_growth", Decimal("7.100000"), "", 1),
        ("D01", "reform_rating", None, "优秀", 2),
        ("D01", "tax_revenue", Decimal("80.100000"), "", 1),
        ("D02", "fiscal_revenue", Decimal("70.000000"), "", 1),
        ("D02", "gdp", Decimal("860.250000"), "", 1),
        ("D02", "gdp_growth", Decimal("5.400000"), "", 1),
        ("D02", "tax_revenue", Decimal("52.300000"), "", 1),
    ]
    admin = world.admin.username
    history = [v for v in versions("2025Q1") if v[0] == "D01" and v[1] in ("gdp", "reform_rating")]
    assert [(*v[:5], v[7], v[8]) for v in history] == [
        ("D01", "gdp", 1, Decimal("1200.500000"), "", admin, ""),
        ("D01", "gdp", 2, Decimal("1210.000000"), "", "office", "统计局反馈修正"),
        ("D01", "reform_rating", 1, None, "良好", admin, ""),
        ("D01", "reform_rating", 2, None, "优秀", "office", "复核"),
    ]
    # only the corrected slots were touched
    after = {o.pk: o.updated_at for o in Observation.objects.filter(time_node__period="2025Q1")}
    touched = {pk for pk in after if after[pk] != before[pk]}
    assert touched == {o.pk for o in result.observations[:2]}
    recorded = AuditEvent.objects.get(pk=result.event_id)
    corrections = [
        {
            "unit": "D01",
            "indicator": "gdp",
            "period": "2025Q1",
            "before": "1200.500000",
            "after": "1210.000000",
            "reason": "统计局反馈修正",
        },
        {
            "unit": "D01",
            "indicator": "reform_rating",
            "period": "2025Q1",
            "before": "良好",
            "after": "优秀",
            "reason": "复核",
        },
    ]
    assert recorded.extra_data == {
        "source": "form",
        "rows": 4,
        "created": 1,
        "corrected": 2,
        "unchanged": 1,
        "corrections": corrections,
    }
    corrected = AuditEvent.objects.filter(event_type=EventType.OBSERVATION_CORRECTED).get()
    assert corrected.extra_data == {"corrections": corrections, "batch_event": recorded.pk}
    assert corrected.reason == "复核; 统计局反馈修正"


def test_a_database_error_mid_batch_leaves_nothing(world, monkeypatch):  # type: ignore[no-untyped-def]
    """A slot another transaction created meanwhile makes the bulk insert fail on the unique
    constraint: Django's IntegrityError, and nothing of the batch stays."""
    counts = (Observation.objects.count(), ObservationVersion.objects.count())
    events = AuditEvent.objects.count()
    monkeypatch.setattr(services, "_current_slots", lambda keys: {})  # blind to D01 gdp 2025Q1
    with pytest.raises(IntegrityError):
        record_observations(
            [
                ValueRow("D01", "gdp", "2025Q3", 1900),
                ValueRow("D01", "gdp", "2025Q1", 1210, reason="修正"),
            ],
            acting_user=world.admin,
            source=Source.FORM,
        )
    assert (Observation.objects.count(), ObservationVersion.objects.count()) == counts
    assert AuditEvent.objects.count() == events


def test_a_correction_without_reason_still_refuses_the_batch_whole(world):  # type: ignore[no-untyped-def]
    with pytest.raises(BatchRejected):
        record_observations(
            [ValueRow("D01", "gdp", "2025Q3", 1900), ValueRow("D01", "gdp", "2025Q1", 1)],
            acting_user=world.admin,
            source=Source.FORM,
        )
    assert not Observation.objects.filter(time_node__period="2025Q3").exists()
