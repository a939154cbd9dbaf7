"""Two batches committed at once on PostgreSQL: the one that commits last leaves standings that
read both batches' values — what a full refresh after both gives — and neither batch fails.
(SQLite lets one writer in at a time, so the race cannot happen there.)"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import connection, transaction

from kaohe.flows.ingest import ingest
from kaohe.observations.models import Source
from kaohe.observations.services import ValueRow
from kaohe.results.models import ProvisionalStanding
from kaohe.results.provisional import refresh_provisional
from kaohe.schemes import services as schemes

pytestmark = pytest.mark.django_db(transaction=True)


def standings() -> dict[str, tuple[Any, ...]]:
    return {
        s.unit.code: (s.category_code, s.node_code, s.score, s.rank, s.coverage, s.missing)
        for s in ProvisionalStanding.objects.select_related("unit")
    }


def test_the_last_of_two_concurrent_batches_ranks_on_both(world):  # type: ignore[no-untyped-def]
    if connection.vendor != "postgresql":
        pytest.skip("SQLite lets one writer in at a time")
    schemes.publish_scheme_version(world.version, acting_user=world.admin)
    schemes.advance_cycle(world.cycle, acting_user=world.admin)  # goal setting
    schemes.advance_cycle(world.cycle, acting_user=world.admin)  # in progress
    first_stored = threading.Event()
    failures: list[BaseException] = []
    batches: dict[str, int] = {}
    moments: dict[str, float] = {}

    def first() -> None:
        try:
            with transaction.atomic():  # held open after its pipeline ran, as a slow commit
                result = ingest(
                    [ValueRow("D01", "gdp", "2025H1", "1250", reason="revised")],
                    acting_user=world.admin,
                    source=Source.API,
                )
                batches["first"] = result.batch.pk
                first_stored.set()
                time.sleep(1.0)  # the second batch runs its pipeline meanwhile
            moments["first committed"] = time.monotonic()
        except BaseException as exc:  # reported by the test below
            failures.append(exc)
            first_stored.set()
        finally:
            connection.close()

    def second() -> None:
        try:
            first_stored.wait(10)
            moments["second started"] = time.monotonic()
            result = ingest(
                [ValueRow("D02", "gdp", "2025H1", "1400", reason="census revision")],
                acting_user=world.admin,
                source=Source.API,
            )
            batches["second"] = result.batch.pk
        except BaseException as exc:  # reported by the test below
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not failures, failures
    assert moments["second started"] < moments["first committed"]  # the two overlapped
    left = standings()
    assert set(ProvisionalStanding.objects.values_list("batch", flat=True)) == {batches["second"]}
    # D02 leads GDP now (30) but misses its growth target (0): 0 + 30 + 19; D01 50 + 28.5 + 20
    assert {code: s[2:4] for code, s in left.items()} == {"D01": (98.5, 1), "D02": (49.0, 2)}
    with transaction.atomic():
        refresh_provisional(world.cycle.time_nodes.values_list("pk", flat=True))
        assert standings() == left
