"""A real `kaohe worker` killed with SIGKILL inside a scoring run's final write: nothing of the
run is left behind, and a new worker queues the job again and completes it (or fails it with
"worker lost" when its attempts are used up). Both processes share a SQLite file or, on
PostgreSQL, the test database."""

from __future__ import annotations

import datetime as dt
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

SETUP = """
import sys
import django; django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from kaohe.core import jobs
from kaohe.observations.models import Source
from kaohe.observations.services import ValueRow, record_observations
from kaohe.schemes import services as schemes
from kaohe.testing.jobs import held_scoring_run
from kaohe.testing.world import build_world
from django.utils import timezone
world = build_world()
rows = [
    ValueRow(unit, code, "2025Y", value, reason="年报")
    for unit, values in (("D01", (5000, 7.0, 120)), ("D02", (3000, 5.0, 80)))
    for code, value in zip(("gdp", "gdp_growth", "fiscal_revenue"), values, strict=True)
]
record_observations(rows, acting_user=world.admin, source=Source.IMPORT)
version = schemes.publish_scheme_version(world.version, acting_user=world.admin)
job = jobs.start_job(
    held_scoring_run,
    acting_user=world.users["office"],
    kind="test.held_run",
    params={
        "version": version.pk,
        "snapshot_at": timezone.now().isoformat(),
        "hold_attempts": [1],
        "at": sys.argv[1],
    },
    max_attempts=int(sys.argv[2]),
)
print(job.pk)
"""


class Shared:
    """The database both processes use, read and written with plain SQL from the test."""

    def __init__(self, tmp_path: Path) -> None:
        from django.db import connection

        self.sqlite: Path | None = None
        if connection.vendor == "sqlite":
            self.sqlite = tmp_path / "jobs.sqlite3"
            self.url = f"sqlite:///{self.sqlite}"
        else:
            s = connection.settings_dict
            password = f":{s['PASSWORD']}" if s["PASSWORD"] else ""
            self.url = f"postgres://{s['USER']}{password}@{s['HOST']}:{s['PORT']}/{s['NAME']}"

    def run(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        if self.sqlite is not None:
            with sqlite3.connect(self.sqlite) as db:
                return db.execute(sql.replace("%s", "?"), params).fetchall()
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall() if cursor.description else []

    def one(self, sql: str, params: tuple[Any, ...] = ()) -> tuple[Any, ...]:
        return self.run(sql, params)[0]

    def an_hour_ago(self) -> Any:
        moment = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
        if self.sqlite is not None:  # how Django stores an aware datetime in SQLite
            return moment.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
        return moment


@pytest.mark.parametrize(("max_attempts", "outcome"), [(3, "succeeded"), (1, "failed")])
def test_a_worker_killed_mid_write_leaves_nothing_and_the_job_is_recovered(  # type: ignore[no-untyped-def]
    tmp_path: Path, transactional_db, client, max_attempts: int, outcome: str
) -> None:
    shared = Shared(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KAOHE_", "DJANGO_"))}
    env.update(
        {
            "KAOHE_DEBUG": "1",
            "KAOHE_DATABASE_URL": shared.url,
            "DJANGO_SETTINGS_MODULE": "kaohe.settings",
        }
    )
    held = tmp_path / "held"
    setup = subprocess.run(
        [sys.executable, "-c", SETUP, str(held), str(max_attempts)],
        env=env,
        check=True,
        timeout=120,
        capture_output=True,
        text=True,
    )
    job_id = int(setup.stdout.split()[-1])
    worker = [sys.executable, "-m", "kaohe.cli", "worker", "--interval", "0.05"]
    first = subprocess.Popen([*worker, "--worker-id", "first"], env=env, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 90
        while not held.exists() and first.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert held.exists(), "the worker must reach the final write"
        # its progress is seen while it runs; its rows are written but not committed
        job_row = "select status, progress, message, attempts from core_job where id = %s"
        assert shared.one(job_row, (job_id,)) == ("running", 80, "Storing the results", 1)
        assert shared.one("select count(*) from results_unitresult") == (0,)
        if shared.sqlite is None:  # the web process's page, on the same database
            from django.contrib.auth import get_user_model

            client.force_login(get_user_model().objects.get(username="office"))
            page = client.get(f"/jobs/{job_id}/progress/", HTTP_ACCEPT_LANGUAGE="en")
            assert "80%" in page.content.decode()
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    for table in ("results_scoringrun", "results_unitresult", "results_runinput"):
        assert shared.one(f"select count(*) from {table}") == (0,), table
    assert shared.one(job_row, (job_id,))[0] == "running"  # nobody knows yet
    # as if the dead worker had been silent for an hour (PostgreSQL: this waits for its lock)
    shared.run(
        "update core_job set heartbeat_at = %s where id = %s", (shared.an_hour_ago(), job_id)
    )
    second = subprocess.run(
        [*worker, "--batch", "--worker-id", "second"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    requeued = 1 if outcome == "succeeded" else 0
    assert f"recovered {requeued} job(s), failed {1 - requeued} lost job(s)" in second.stdout
    status, attempts, error = shared.one(
        "select status, attempts, error from core_job where id = %s", (job_id,)
    )
    events = [
        row[0]
        for row in shared.run(
            "select event_type from core_auditevent where event_type >= 900 and object_id = %s"
            " order by id",
            (str(job_id),),
        )
    ]
    runs = shared.one("select count(*) from results_scoringrun")[0]
    results = shared.one("select count(*) from results_unitresult")[0]
    tasks = sorted(
        r[0] for r in shared.run("select status from django_tasks_database_dbtaskresult")
    )
    if outcome == "succeeded":
        assert (status, attempts, error, runs, results) == ("succeeded", 2, "", 1, 2)
        assert events == [901, 904, 902]  # started, queued again, done
        assert tasks == ["FAILED", "SUCCESSFUL"]  # the killed worker's task is closed
    else:
        assert (status, attempts, error, runs, results) == ("failed", 1, "worker lost", 0, 0)
        assert events == [901, 903]  # started, failed
        assert tasks == ["FAILED"]
