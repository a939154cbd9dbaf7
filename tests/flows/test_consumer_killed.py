"""`kaohe consume` as a real process, killed with SIGKILL mid-stream and followed by another
consumer: every message ends up stored exactly once (real Redis, a real SQLite file)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis

pytestmark = pytest.mark.redis

SETUP = """
import django; django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from kaohe.testing.world import build_world
build_world()
"""


def test_consumer_killed_mid_stream_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    database = tmp_path / "stream.sqlite3"
    stream = f"kaohe:test:kill:{uuid.uuid4().hex}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KAOHE_", "DJANGO_"))}
    env.update(
        {
            "KAOHE_DEBUG": "1",
            "KAOHE_DATABASE_URL": f"sqlite:///{database}",
            "DJANGO_SETTINGS_MODULE": "kaohe.settings",
            "KAOHE_REDIS_URL": os.environ.get("KAOHE_REDIS_URL", "redis://127.0.0.1:6379/0"),
        }
    )
    subprocess.run([sys.executable, "-c", SETUP], env=env, check=True, timeout=120)
    client = redis.Redis.from_url(env["KAOHE_REDIS_URL"])
    total = 120
    try:
        for i in range(total):
            row = {
                "unit": ("D01", "D02")[i % 2],
                "indicator": "gdp",
                "period": f"2025{('Q3', 'Y')[i // 60]}",
                "value": 100 + i,
                "reason": f"revision {i}",
            }
            client.xadd(
                stream, {"sender": "stats_reporter", "rows": json.dumps([row]), "key": f"k{i}"}
            )
        consume = [sys.executable, "-m", "kaohe.cli", "consume", "--block-ms", "200"]
        env_stream = {**env, "KAOHE_STREAM": stream}
        first = subprocess.Popen(
            [*consume, "--name", "a"], env=env_stream, stdout=subprocess.DEVNULL
        )

        def batches() -> int:
            with sqlite3.connect(database) as db:
                return db.execute("select count(*) from observations_ingestionbatch").fetchone()[0]

        deadline = time.monotonic() + 60
        while batches() < 15 and time.monotonic() < deadline:
            time.sleep(0.05)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        done_before = batches()
        assert 15 <= done_before < total, "the first consumer must die mid-stream"
        second = subprocess.run(
            [*consume, "--name", "b", "--claim-idle-ms", "0", "--exit-when-idle"],
            env=env_stream,
            capture_output=True,
            text=True,
            timeout=180,
            check=True,
        )
        assert "kaohe consume: processed" in second.stdout
        with sqlite3.connect(database) as db:
            keys = [r[0] for r in db.execute("select client_key from observations_ingestionbatch")]
            versions = db.execute(
                "select count(*) from observations_observationversion v join "
                "observations_observation o on o.id = v.observation_id join schemes_timenode t "
                "on t.id = o.time_node_id where t.period in ('2025Q3', '2025Y')"
            ).fetchone()[0]
        assert sorted(keys) == sorted(f"k{i}" for i in range(total))
        assert versions == total  # every message one version, none twice
        assert client.xpending(stream, "kaohe-ingest")["pending"] == 0
    finally:
        client.delete(stream)
