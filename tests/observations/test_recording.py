"""Recording values: versions never overwritten, corrections need reasons, a bad batch is refused
whole with an error naming the row, the field and the rule."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kaohe.core.errors import BatchRejected, RowError
from kaohe.core.events import EventType
from kaohe.core.models import AuditEvent
from kaohe.indicators import values
from kaohe.observations.models import Observation, ObservationVersion, Source
from kaohe.observations.services import ValueRow, record_observations
from kaohe.schemes import services as schemes

pytestmark = pytest.mark.django_db


def record(world, rows, user=None):  # type: ignore[no-untyped-def]
    return record_observations(rows, acting_user=user or world.admin, source=Source.FORM)


def test_new_values_become_version_one(world):  # type: ignore[no-untyped-def]
    result = record(world, [ValueRow("D01", "gdp", "2025Q3", "1850.75")])
    assert (result.created, result.corrected, result.unchanged) == (1, 0, 0)
    obs = Observation.objects.get(unit=world.d1, indicator__code="gdp", time_node__period="2025Q3")
    assert (obs.value, obs.version_count) == (Decimal("1850.750000"), 1)
    version = obs.versions.get()
    assert (version.number, version.source, version.sent_by) == (1, "form", world.admin)
    assert version.event_id == result.event_id


def test_correction_is_a_new_version_with_its_reason(world):  # type: ignore[no-untyped-def]
    obs = world.obs_d1
    result = record(world, [ValueRow("D01", "gdp", "2025Q1", 1210, reason="统计局反馈修正")])
    obs.refresh_from_db()
    assert (result.created, result.corrected) == (0, 1)
    assert list(obs.versions.values_list("number", "value", "reason")) == [
        (1, Decimal("1200.500000"), ""),
        (2, Decimal("1210.000000"), "统计局反馈修正"),
    ]
    assert obs.value == Decimal("1210.000000") and obs.version_count == 2
    corrected = AuditEvent.objects.get(event_type=EventType.OBSERVATION_CORRECTED)
    assert corrected.extra_data["corrections"] == [
        {
            "unit": "D01",
            "indicator": "gdp",
            "period": "2025Q1",
            "before": "1200.500000",
            "after": "1210.000000",
            "reason": "统计局反馈修正",
        },
    ]


def test_sending_the_same_value_again_changes_nothing(world):  # type: ignore[no-untyped-def]
    before = ObservationVersion.objects.count()
    result = record(world, [ValueRow("D01", "gdp", "2025Q1", "1200.50")])
    assert (result.created, result.corrected, result.unchanged) == (0, 0, 1)
    assert ObservationVersion.objects.count() == before


def test_a_correction_without_reason_is_refused(world):  # type: ignore[no-untyped-def]
    with pytest.raises(BatchRejected) as caught:
        record(world, [ValueRow("D01", "gdp", "2025Q1", 999)])
    assert caught.value.errors == [
        RowError(1, "reason", "changing a recorded value needs a reason", "999")
    ]
    world.obs_d1.refresh_from_db()
    assert world.obs_d1.version_count == 1


def test_a_bad_batch_is_refused_whole_with_every_error_named(world):  # type: ignore[no-untyped-def]
    versions = ObservationVersion.objects.count()
    events = AuditEvent.objects.count()
    rows = [
        ValueRow("D01", "gdp", "2025Q3", 100),  # fine on its own
        ValueRow("D99", "gdp", "2025Q3", 1),
        ValueRow("D01", "nonsense", "2025Q3", 1),
        ValueRow("D01", "gdp_growth", "2031Q1", 1),
        ValueRow("D01", "gdp_growth", "2025Q3", "abc"),
        ValueRow("D01", "gdp", "2025Q3", 101),
        ValueRow("D01", "tax_share", "2025Q3", 50),
        ValueRow("D01", "fiscal_revenue", "2025Q3", "-150"),
        ValueRow("CITY", "gdp", "2025Q3", 1),
    ]
    with pytest.raises(BatchRejected) as caught:
        record(world, rows)
    assert caught.value.errors == [
        RowError(2, "unit", "unknown unit code", "D99"),
        RowError(3, "indicator", "unknown indicator code", "nonsense"),
        RowError(4, "period", "no such time node in any cycle", "2031Q1"),
        RowError(5, "value", values.NOT_A_NUMBER, "abc"),
        RowError(6, "period", "duplicate of row 1 in this batch", "2025Q3"),
        RowError(7, "indicator", "derived indicators are computed, not sent", "tax_share"),
        RowError(8, "value", "below the lowest plausible value -100", "-150"),
        RowError(9, "unit", "not an assessed unit", "CITY"),
    ]
    assert str(caught.value).startswith("8 error(s): row 2, unit: unknown unit code (got 'D99')")
    assert ObservationVersion.objects.count() == versions
    assert AuditEvent.objects.count() == events
    assert not Observation.objects.filter(time_node__period="2025Q3").exists()


def test_a_locked_period_needs_a_reason(world):  # type: ignore[no-untyped-def]
    node = world.cycle.time_nodes.get(code="Q3")
    schemes.lock_time_node(node, acting_user=world.admin, reason="按期锁定")
    with pytest.raises(BatchRejected) as caught:
        record(world, [ValueRow("D01", "gdp", "2025Q3", 10)])
    assert caught.value.errors[0].rule == "the period is locked: a correction needs a reason"
    result = record(world, [ValueRow("D01", "gdp", "2025Q3", 10, reason="补报，经批准")])
    assert result.created == 1


def test_versions_cannot_be_changed_or_deleted(world):  # type: ignore[no-untyped-def]
    version = world.obs_d1.versions.get()
    version.value = Decimal(1)
    with pytest.raises(ValueError, match="never changed"):
        version.save()
    with pytest.raises(ValueError, match="never deleted"):
        version.delete()


def test_empty_batch_is_refused(world):  # type: ignore[no-untyped-def]
    with pytest.raises(BatchRejected, match="the batch is empty"):
        record(world, [])


def test_api_batch_is_all_or_nothing(world, client):  # type: ignore[no-untyped-def]
    client.force_login(world.users["d1_reporter"])
    bad = client.post(
        "/api/v1/observations/",
        {
            "rows": [
                {"unit": "D01", "indicator": "gdp", "period": "2025Q3", "value": 1900},
                {"unit": "D01", "indicator": "gdp_growth", "period": "2025Q3", "value": "7.x"},
            ]
        },
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert bad.json()["errors"] == [
        {"row": 2, "field": "value", "rule": values.NOT_A_NUMBER, "value": "7.x"}
    ]
    assert not Observation.objects.filter(time_node__period="2025Q3").exists()
    good = client.post(
        "/api/v1/observations/",
        {"rows": [{"unit": "D01", "indicator": "gdp", "period": "2025Q3", "value": 1900}]},
        content_type="application/json",
    )
    assert good.status_code == 201
    assert good.json()["created"] == 1
    obs = Observation.objects.get(time_node__period="2025Q3")
    history = client.get(f"/api/v1/observations/{obs.pk}/versions/").json()
    assert [(v["number"], v["value"], v["source"], v["sent_by"]) for v in history] == [
        (1, "1900.000000", "api", "d1_reporter")
    ]
