"""The stream door: a Redis Streams consumer group feeding the ingestion pipeline.

Delivery is at least once: a message is acknowledged only after its batch committed, and a
consumer that died holding messages has them claimed by another (XAUTOCLAIM) once they have
been idle long enough. Processing is idempotent: the batch's client key is the message's `key`
field, or its stream id, so a message processed twice writes its values once."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model

from kaohe.core.errors import BatchRejected
from kaohe.flows.ingest import ingest
from kaohe.observations.models import Source
from kaohe.observations.services import ValueRow
from kaohe.units.models import Unit

log = logging.getLogger(__name__)

STREAM = "kaohe:observations"
GROUP = "kaohe-ingest"
REJECTED_STREAM = "kaohe:observations:rejected"


@dataclass
class ConsumerStats:
    """What a consumer did, for its log line and for tests."""

    processed: int = 0
    duplicates: int = 0
    rejected: int = 0
    claimed: int = 0
    message_ids: list[str] = field(default_factory=list)


def ensure_group(client: Any, stream: str = STREAM, group: str = GROUP) -> None:
    """Create the consumer group (and the stream) if they do not exist yet."""
    import redis

    try:
        client.xgroup_create(stream, group, id="0", mkstream=True)
    except redis.ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def process_message(message_id: str, fields: dict[Any, Any]) -> tuple[str, Any]:
    """Run one message through the pipeline: ("accepted" | "duplicate" | "rejected", detail)."""
    data = {_text(k): _text(v) for k, v in fields.items()}
    username = data.get("sender", "")
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        return "rejected", [
            {"row": 0, "field": "sender", "rule": "unknown sender", "value": username}
        ]
    try:
        payload = json.loads(data.get("rows", "[]"))
        rows = [
            ValueRow(
                unit=str(r["unit"]),
                indicator=str(r["indicator"]),
                period=str(r["period"]),
                value=r.get("value"),
                reason=str(r.get("reason", "")),
            )
            for r in payload
        ]
    except (ValueError, KeyError, TypeError) as exc:
        return "rejected", [{"row": 0, "field": "rows", "rule": f"not a list of rows: {exc}"}]
    source_unit = Unit.objects.filter(code=data.get("source_unit", "")).first()
    try:
        result = ingest(
            rows,
            acting_user=user,
            source=Source.STREAM,
            client_key=data.get("key") or f"stream:{message_id}",
            source_unit=source_unit,
            allow_partial=data.get("allow_partial") == "1",
        )
    except BatchRejected as exc:
        return "rejected", [
            {"row": e.row, "field": e.field, "rule": e.rule, "value": e.value} for e in exc.errors
        ]
    return ("duplicate" if result.duplicate else "accepted"), result.batch.summary()


def consume(
    client: Any,
    consumer: str,
    *,
    stream: str = STREAM,
    group: str = GROUP,
    block_ms: int = 2000,
    count: int = 50,
    claim_idle_ms: int = 30_000,
    max_messages: int | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    after_commit: Callable[[str], None] = lambda message_id: None,
    exit_when_idle: bool = False,
) -> ConsumerStats:
    """Read the stream as `consumer` of `group` until stopped (or `max_messages` are done).

    Each round first claims messages other consumers left pending for `claim_idle_ms`, then
    reads new ones. `after_commit` runs between the commit and the acknowledgement (tests use
    it to crash a consumer at the worst moment)."""
    ensure_group(client, stream, group)
    stats = ConsumerStats()

    def handle(message_id: str, fields: dict[Any, Any]) -> None:
        outcome, detail = process_message(message_id, fields)
        if outcome == "rejected":
            stats.rejected += 1
            client.xadd(
                REJECTED_STREAM,
                {"message": message_id, "errors": json.dumps(detail, ensure_ascii=False)},
                maxlen=10_000,
                approximate=True,
            )
            log.warning("stream message %s rejected: %s", message_id, detail)
        elif outcome == "duplicate":
            stats.duplicates += 1
        else:
            stats.processed += 1
        stats.message_ids.append(message_id)
        after_commit(message_id)
        client.xack(stream, group, message_id)

    def done() -> bool:
        handled = stats.processed + stats.duplicates + stats.rejected
        return should_stop() or (max_messages is not None and handled >= max_messages)

    while not done():
        claimed = client.xautoclaim(
            stream, group, consumer, min_idle_time=claim_idle_ms, count=count
        )
        for message_id, fields in claimed[1]:
            if fields is None:  # deleted meanwhile
                continue
            stats.claimed += 1
            handle(_text(message_id), fields)
            if done():
                return stats
        batches = client.xreadgroup(group, consumer, {stream: ">"}, count=count, block=block_ms)
        if exit_when_idle and not claimed[1] and not batches:
            return stats
        for _stream, messages in batches or []:
            for message_id, fields in messages:
                handle(_text(message_id), fields)
                if done():
                    return stats
    return stats
