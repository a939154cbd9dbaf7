"""The stream door against a real Redis: a consumer that dies after committing but before
acknowledging leaves its messages pending; another consumer claims them; nothing is lost and
nothing is stored twice."""

from __future__ import annotations

import json
import uuid

import pytest
import redis
from django.conf import settings

from kaohe.flows.stream import REJECTED_STREAM, consume
from kaohe.observations.models import IngestionBatch, ObservationVersion

pytestmark = [pytest.mark.django_db, pytest.mark.redis]


class Crash(Exception):
    """Stands for the process being killed."""


@pytest.fixture
def stream():  # type: ignore[no-untyped-def]
    client = redis.Redis.from_url(settings.KAOHE_REDIS_URL)
    name = f"kaohe:test:{uuid.uuid4().hex}"
    yield client, name
    client.delete(name)


def publish(client, name, rows, key=None, sender="stats_reporter"):  # type: ignore[no-untyped-def]
    fields = {"sender": sender, "rows": json.dumps(rows)}
    if key:
        fields["key"] = key
    return client.xadd(name, fields).decode()


def test_killed_consumer_loses_nothing_and_duplicates_nothing(world, stream):  # type: ignore[no-untyped-def]
    client, name = stream
    slots = [(u, code) for u in ("D01", "D02") for code in ("gdp", "gdp_growth", "fiscal_revenue")]
    ids = [
        publish(
            client,
            name,
            [{"unit": unit, "indicator": code, "period": "2025Q3", "value": 10 + i}],
            key=f"msg-{i}",
        )
        for i, (unit, code) in enumerate(slots)
    ]
    seen: list[str] = []

    def die_after_third(message_id: str) -> None:
        seen.append(message_id)
        if len(seen) == 3:
            raise Crash  # committed, not acknowledged: the worst moment to die

    with pytest.raises(Crash):
        consume(
            client, "worker-a", stream=name, group="g", block_ms=10, after_commit=die_after_third
        )
    # Worker A had read all six: the third (processed, never acknowledged) and the three it
    # never reached stay pending in its name.
    assert client.xpending(name, "g")["pending"] == 4
    stats = consume(
        client, "worker-b", stream=name, group="g", block_ms=10, claim_idle_ms=0, max_messages=4
    )
    assert (stats.claimed, stats.duplicates, stats.processed) == (4, 1, 3)
    assert client.xpending(name, "g")["pending"] == 0
    assert IngestionBatch.objects.filter(source="stream").count() == 6
    versions = ObservationVersion.objects.filter(observation__time_node__period="2025Q3")
    assert set(IngestionBatch.objects.values_list("client_key", flat=True)) == {
        f"msg-{i}" for i in range(6)
    }
    assert versions.count() == 6  # one version per message, the re-processed one included once
    assert sorted(stats.message_ids + seen[:2]) == sorted(ids)


def test_a_bad_message_goes_to_the_rejected_stream(world, stream):  # type: ignore[no-untyped-def]
    client, name = stream
    before = client.xlen(REJECTED_STREAM)
    publish(client, name, [{"unit": "D99", "indicator": "gdp", "period": "2025Q3", "value": 1}])
    publish(client, name, [{"unit": "D01"}])
    publish(client, name, [], sender="nobody-such")
    stats = consume(client, "w", stream=name, group="g", block_ms=10, max_messages=3)
    assert stats.rejected == 3
    assert client.xlen(REJECTED_STREAM) == before + 3
    errors = json.loads(client.xrevrange(REJECTED_STREAM, count=3)[2][1][b"errors"])
    assert errors == [
        {"row": 1, "field": "unit", "rule": "not a unit you may report values for", "value": "D99"}
    ]
    assert not IngestionBatch.objects.exists()
