"""The ingestion pipeline: idempotent client keys, partial acceptance on request, derived values
on arrival, all-or-nothing on a failure mid-batch, and the event published after commit."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
import redis
from django.conf import settings

from kaohe.core.errors import BatchRejected
from kaohe.flows import ingest as pipeline
from kaohe.indicators import values
from kaohe.observations.models import IngestionBatch, Observation, ObservationVersion, Source
from kaohe.observations.services import ValueRow

pytestmark = pytest.mark.django_db


def send(world, rows, **kwargs):  # type: ignore[no-untyped-def]
    kwargs.setdefault("acting_user", world.users["stats_reporter"])
    kwargs.setdefault("source", Source.API)
    return pipeline.ingest(rows, **kwargs)


def test_derived_share_is_computed_on_arrival_and_recomputed_on_correction(world):  # type: ignore[no-untyped-def]
    result = send(
        world,
        [
            ValueRow("D01", "fiscal_revenue", "2025Q3", 150),
            ValueRow("D01", "tax_revenue", "2025Q3", 120),
        ],
    )
    assert (result.batch.created, result.batch.derived) == (2, 1)
    share = Observation.objects.get(
        unit=world.d1, indicator__code="tax_share", time_node__period="2025Q3"
    )
    assert share.value == Decimal("80.000000")
    send(world, [ValueRow("D01", "tax_revenue", "2025Q3", 135, reason="补录漏报税款")])
    share.refresh_from_db()
    assert share.value == Decimal("90.000000")
    assert list(share.versions.values_list("number", "source", "reason")) == [
        (1, "derived", "recomputed from fiscal_revenue, tax_revenue"),
        (2, "derived", "recomputed from fiscal_revenue, tax_revenue"),
    ]


def test_a_repeated_client_key_writes_nothing_again(world):  # type: ignore[no-untyped-def]
    rows = [ValueRow("D01", "gdp", "2025Q3", 1900)]
    first = send(world, rows, client_key="tjj-2025Q3-001")
    versions = ObservationVersion.objects.count()
    again = send(world, [ValueRow("D01", "gdp", "2025Q3", 2000)], client_key="tjj-2025Q3-001")
    assert (first.duplicate, again.duplicate, again.batch.pk) == (False, True, first.batch.pk)
    assert ObservationVersion.objects.count() == versions
    assert IngestionBatch.objects.count() == 1


def test_partial_acceptance_only_when_asked(world):  # type: ignore[no-untyped-def]
    rows = [ValueRow("D01", "gdp", "2025Q3", 1900), ValueRow("D01", "gdp_growth", "2025Q3", "x")]
    with pytest.raises(BatchRejected):
        send(world, rows)
    assert not IngestionBatch.objects.exists()
    result = send(world, rows, allow_partial=True)
    assert result.batch.created == 1
    assert result.batch.rejected == [
        {"row": 2, "field": "value", "rule": values.NOT_A_NUMBER, "value": "x"}
    ]


def test_a_failure_mid_batch_leaves_nothing(world, monkeypatch):  # type: ignore[no-untyped-def]
    versions = ObservationVersion.objects.count()

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("disk full while deriving")

    monkeypatch.setattr(pipeline, "recompute_derived", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        send(world, [ValueRow("D01", "gdp", "2025Q3", 1900)])
    assert ObservationVersion.objects.count() == versions
    assert not IngestionBatch.objects.exists()
    assert not Observation.objects.filter(time_node__period="2025Q3").exists()


@pytest.mark.redis
def test_an_accepted_batch_is_published_after_commit(world, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    client = redis.Redis.from_url(settings.KAOHE_REDIS_URL)
    last = client.xrevrange(pipeline.EVENTS_STREAM, count=1)
    with django_capture_on_commit_callbacks(execute=True):
        result = send(world, [ValueRow("D02", "gdp", "2025Q3", 900)])
    newest = client.xrevrange(pipeline.EVENTS_STREAM, count=1)
    assert newest and newest != last
    data = json.loads(newest[0][1][b"data"])
    assert (data["batch"], data["created"]) == (result.batch.pk, 1)


def test_the_api_is_idempotent_by_key(world, client):  # type: ignore[no-untyped-def]
    client.force_login(world.users["d1_reporter"])
    body = {"rows": [{"unit": "D01", "indicator": "gdp", "period": "2025Q3", "value": 1900}]}
    first = client.post(
        "/api/v1/observations/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    again = client.post(
        "/api/v1/observations/", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["duplicate"] is True and again.json()["batch"] == first.json()["batch"]
    assert ObservationVersion.objects.filter(observation__time_node__period="2025Q3").count() == 1


def test_a_stated_unit_of_measure_must_be_the_catalogues(world):  # type: ignore[no-untyped-def]
    from django.test import Client

    client = Client()
    client.force_login(world.users["d1_reporter"])
    row = {"unit": "D01", "indicator": "gdp", "period": "2025Q3", "value": 13000000}
    wrong = client.post(
        "/api/v1/observations/",
        {"rows": [{**row, "unit_of_measure": "万元"}]},
        content_type="application/json",
    )
    assert wrong.status_code == 400
    assert wrong.json()["errors"] == [
        {
            "row": 1,
            "field": "unit_of_measure",
            "rule": "the indicator is measured in 亿元",
            "value": "万元",
        }
    ]
    assert not Observation.objects.filter(time_node__period="2025Q3").exists()
    right = client.post(
        "/api/v1/observations/",
        {"rows": [{**row, "value": 1300, "unit_of_measure": "亿元"}]},
        content_type="application/json",
    )
    assert right.status_code == 201


def test_a_formula_reading_a_derived_indicator_sees_its_new_value(world):  # type: ignore[no-untyped-def]
    from kaohe.core.events import EventType
    from kaohe.core.models import AuditEvent
    from kaohe.indicators import services as indicators

    indicators.create_indicator(
        acting_user=world.admin,
        code="non_tax_share",
        name_zh="非税收入占比",
        unit_zh="%",
        formula="100 - tax_share",
        responsible_department=world.dept,
    )
    events = AuditEvent.objects.filter(event_type=EventType.OBSERVATIONS_RECORDED)
    before = events.count()
    result = pipeline.ingest(
        [
            ValueRow("D01", "fiscal_revenue", "2025Q3", "200"),
            ValueRow("D01", "tax_revenue", "2025Q3", "150"),
        ],
        acting_user=world.admin,
        source=Source.API,
    )
    assert result.batch.derived == 2
    values = dict(
        Observation.objects.filter(
            time_node__period="2025Q3", indicator__formula__gt=""
        ).values_list("indicator__code", "value")
    )
    assert values == {"tax_share": Decimal("75"), "non_tax_share": Decimal("25")}
    # the batch's values and its derived values: one audit event each
    assert events.count() == before + 2
