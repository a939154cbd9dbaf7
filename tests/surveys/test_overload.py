"""Under overload a submission is stored or refused with 503 and Retry-After — never lost, never
a 500, never half-written: the database really locked by another connection (SQLite's shared
cache of the test database; on PostgreSQL an exclusive table lock met by the submission's lock
timeout), then the same code goes through once the lock is gone."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from django.db import OperationalError, connection
from django.test import Client

from kaohe.surveys import services
from kaohe.surveys.models import AccessCode, Response
from kaohe.testing.surveys import make_survey

pytestmark = pytest.mark.django_db(transaction=True)


@contextmanager
def locked_by_another_connection() -> Iterator[None]:
    """Another connection to the same database holds a write lock on the responses."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        other = sqlite3.connect(settings["NAME"], uri=True, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        other.execute("UPDATE surveys_response SET flag = flag")
        try:
            yield
        finally:
            other.execute("ROLLBACK")
            other.close()
        return
    other_pg = psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
    )
    # EXCLUSIVE: others may still read (the quota count), not insert
    other_pg.execute("LOCK TABLE surveys_response IN EXCLUSIVE MODE")
    try:
        yield
    finally:
        other_pg.rollback()
        other_pg.close()


def form(world) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {f"rating.{world.d1.pk}": "4", f"rating.{world.d2.pk}": "5", "channel": "1"}


def test_a_locked_database_answers_503_and_the_code_stays_unburned(world, settings):
    settings.KAOHE_SURVEY_LOCK_TIMEOUT_MS = 300
    ts = make_survey(world)
    code = ts.codes[0]
    c = Client()
    with locked_by_another_connection():
        sent = c.post(f"/s/c/{code.code}/", form(world))
        assert sent.status_code == 503, sent.content[:400]
        assert sent["Retry-After"] == str(services.BUSY_RETRY_SECONDS)
        assert 'data-reason="busy"' in sent.content.decode()
    assert not AccessCode.objects.get(pk=code.pk).burned
    assert Response.objects.count() == 0
    assert c.post(f"/s/c/{code.code}/", form(world)).status_code == 302
    assert Response.objects.count() == 1 and AccessCode.objects.get(pk=code.pk).burned


def test_only_overload_is_taken_for_busy():
    assert services.is_overload(OperationalError("database is locked"))
    assert not services.is_overload(OperationalError("no such table: surveys_response"))
