"""The one ingestion pipeline every door calls (form, Excel, CSV, API, stream):

validate the batch → store new versions → recompute derived values → evaluate monitoring
rules → raise or resolve warnings → refresh provisional standings → (after commit) publish an
event for live pages and other systems. It works on the whole batch at once."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import redis
from django.conf import settings
from django.db import IntegrityError, transaction

from kaohe.core import sql
from kaohe.core.errors import BatchRejected, RowError
from kaohe.monitoring.services import evaluate_after_ingest
from kaohe.observations.derived import recompute_derived
from kaohe.observations.evidence import EvidenceFile, check_evidence, store_evidence
from kaohe.observations.models import IngestionBatch, Source
from kaohe.observations.services import Catalogue, ValueRow, check_rows, store_rows
from kaohe.results.provisional import refresh_provisional
from kaohe.units.models import Unit

log = logging.getLogger(__name__)
EVENTS_STREAM = "kaohe:events"
# what the steps after the batch's insert count in it
_COUNTS = ("created", "corrected", "unchanged", "derived", "warnings_raised", "warnings_resolved")


@dataclass(frozen=True)
class IngestResult:
    """The stored batch and whether this call was a repeat of an earlier delivery."""

    batch: IngestionBatch
    duplicate: bool
    errors: tuple[RowError, ...] = ()


def _previous(sender: Any, client_key: str) -> IngestionBatch | None:
    if not client_key:
        return None
    return IngestionBatch.objects.filter(sender=sender, client_key=client_key).first()


def ingest(
    rows: Sequence[ValueRow],
    *,
    acting_user: Any,
    source: str,
    client_key: str = "",
    source_unit: Unit | None = None,
    allow_partial: bool = False,
    file_name: str = "",
    evidence: Sequence[EvidenceFile] = (),
) -> IngestResult:
    """Run a batch through the pipeline. All or nothing unless `allow_partial` (then the bad
    rows are left out and listed in the batch). A repeated client key returns the first result
    and writes nothing. `evidence` files are checked first and kept with the batch."""
    if source not in Source.values:
        raise ValueError(f"unknown source {source!r}")
    evidence_errors = check_evidence(evidence)
    if evidence_errors:
        raise BatchRejected(evidence_errors)
    sender = acting_user if getattr(acting_user, "is_authenticated", False) else None
    earlier = _previous(sender, client_key)
    if earlier is not None:
        return IngestResult(earlier, duplicate=True)
    try:
        with transaction.atomic():
            result = _ingest(
                rows, acting_user, source, client_key, source_unit, allow_partial, file_name
            )
            if evidence:
                store_evidence(result.batch, evidence, acting_user=acting_user)
    except IntegrityError:
        # Two deliveries with one key raced; the other one won and holds the result.
        earlier = _previous(sender, client_key)
        if earlier is None:
            raise
        return IngestResult(earlier, duplicate=True)
    transaction.on_commit(lambda: publish_batch_event(result.batch))
    return result


def _ingest(
    rows: Sequence[ValueRow],
    acting_user: Any,
    source: str,
    client_key: str,
    source_unit: Unit | None,
    allow_partial: bool,
    file_name: str,
) -> IngestResult:
    # the units, indicators and time nodes every step looks up, read once for the batch
    catalogue = Catalogue.load(rows) if rows else None
    checked, errors = check_rows(rows, acting_user=acting_user, catalogue=catalogue)
    if errors and (not allow_partial or not checked):
        raise BatchRejected(errors)
    sender = acting_user if getattr(acting_user, "is_authenticated", False) else None
    batch = IngestionBatch(
        client_key=client_key,
        source=source,
        sender=sender,
        source_unit=source_unit,
        rows=len(rows),
        file_name=file_name[:255],
        rejected=[
            {"row": e.row, "field": e.field, "rule": e.rule, "value": e.value} for e in errors
        ],
    )
    sql.insert([batch])  # the batch's statements are hand-written (`kaohe.core.sql`)
    stored = store_rows(
        checked, acting_user=acting_user, source=source, source_unit=source_unit, batch=batch
    )
    batch.created, batch.corrected, batch.unchanged = (
        stored.created,
        stored.corrected,
        stored.unchanged,
    )
    assert catalogue is not None  # rows were checked
    derived = recompute_derived(
        stored.observations, acting_user=acting_user, batch=batch, catalogue=catalogue
    )
    batch.derived = len(derived)
    changed = [*stored.observations, *derived]
    raised, resolved = _monitor(changed, acting_user=acting_user, batch=batch, catalogue=catalogue)
    batch.warnings_raised, batch.warnings_resolved = raised, resolved
    _refresh_provisional(changed, batch=batch, catalogue=catalogue)
    sql.update(batch, _COUNTS)
    return IngestResult(batch, duplicate=False, errors=tuple(errors))


def _monitor(
    observations: Sequence[Any], *, acting_user: Any, batch: Any, catalogue: Catalogue
) -> tuple[int, int]:
    """Evaluate the monitoring rules on what changed; raise or clear warnings."""
    if not observations:
        return 0, 0
    return evaluate_after_ingest(
        observations,
        acting_user=acting_user,
        batch=batch,
        indicators=catalogue.indicators_by_id,
        nodes=catalogue.nodes_by_id,
        units=catalogue.assessed,
    )


def _refresh_provisional(observations: Sequence[Any], *, batch: Any, catalogue: Catalogue) -> None:
    """Recompute the provisional standings the changed values feed."""
    if not observations:
        return
    by_id = catalogue.indicators_by_id
    codes = {by_id[o.indicator_id].code for o in observations}
    refresh_provisional(
        {o.time_node_id for o in observations},
        changed_codes=codes,
        batch=batch,
        catalogue=catalogue.indicators,
        units=catalogue.assessed,
        nodes=catalogue.nodes_by_id,
    )


def publish_batch_event(batch: IngestionBatch) -> None:
    """Tell live pages and other systems that values changed (Redis stream, best effort)."""
    url = getattr(settings, "KAOHE_REDIS_URL", "")
    if not url:
        return
    try:
        client = redis.Redis.from_url(url, socket_timeout=1)
        client.xadd(
            EVENTS_STREAM,
            {"type": "batch.accepted", "data": json.dumps(batch.summary())},
            maxlen=10_000,
            approximate=True,
        )
    except Exception as exc:
        log.warning("could not publish batch %s to %s: %s", batch.pk, EVENTS_STREAM, exc)
