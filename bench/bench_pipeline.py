"""Benchmark of the ingestion pipeline against a raw bulk insert of the same rows.

    .venv/bin/python bench/bench_pipeline.py                  # SQLite, and PostgreSQL if set
    KAOHE_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/bench_pipeline.py --database postgresql

Each database runs in a process of its own: SQLite in a temporary file (WAL, as the demo's);
PostgreSQL in a temporary database created next to the one KAOHE_BENCH_DATABASE_URL names (and
dropped at the end). The demo city is loaded through its services (50 assessed units, 37 basic
indicators, 4 derived ones, 7 monitoring rules), then two batch sizes are timed:

- city: every assessed unit × every basic indicator × the 4 time nodes of a fresh cycle (an
  annual indicator at the year-end node only, as the catalogue's frequency rule wants);
- department: the Statistics Bureau's quarterly delivery (its basic indicators × every
  assessed unit × one node, Q1), sent by its reporter.

Three sides, interleaved within every trial (their order rotates), each writing the same rows
into fresh slots — a new cycle of its own, created before the clock starts, so that every side
inserts new observations and versions and commits. Every trial runs on the live path: the new
cycle is created *under way* (``in_progress``, one of ``results.provisional.LIVE_STATES``) with
the demo's current schemes copied into it and published, so the pipeline runs every step —
derived values, monitoring rules, provisional standings — as it does for a delivery during the
year. Before the clock starts, the new cycle's provisional standings are refreshed once while it
is still empty (what a running server has done for its first batch of the cycle: the published
schemes loaded and kept in the process), and for the department batch the cycle is first given
the rest of that quarter's values — every other basic indicator of every assessed unit at the
node, through ``record_observations`` — so that the Statistics Bureau's delivery lands among the
other departments' figures, as it does in the year: its derived values, cross-checks and
provisional standings read them. The raw insert reads back only its own rows' ids (its
indicators at its nodes), as a hand-written loader would.

- raw: the bulk insert a hand-written loader would do — observations (value, version 1), their
  ids read back in one query, then the versions pointing to them — with sqlite3 ``executemany``
  (SQLite) or psycopg ``COPY`` (PostgreSQL), parameters prepared before the clock starts;
- validate + store: ``record_observations`` (check_rows + store_rows, audit events included);
- pipeline: ``ingest`` — validate, store, recompute derived values, evaluate the monitoring
  rules, refresh the provisional standings, save the batch.

Every side's time includes its commit. Each figure is the median of the trials (best in
brackets); the ratio is the side's rows/s over the raw insert's rows/s (goal ≥ 1/3). Redis
publishing (after commit, best effort) is switched off. The objects the demo's loading leaves
are frozen out of the garbage collector (`gc.freeze()`) before any trial; the trials' own
objects are collected as usual.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import pstats
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import numpy as np

URL_VARIABLE = "KAOHE_BENCH_DATABASE_URL"
FIRST_YEAR = 2031  # fresh cycles from here on; the demo city ends in 2026
SEED = 20261129
QUARTER_SHARE = {"Q1": 0.23, "H1": 0.48, "Q3": 0.74, "Y": 1.0}


# --- the parent process: one child per database -------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database",
        choices=["all", "sqlite", "postgresql"],
        default="all",
        help=f"all: SQLite, and PostgreSQL when {URL_VARIABLE} is set",
    )
    parser.add_argument("--repeats", type=int, default=5, help="trials of the city batch")
    parser.add_argument(
        "--small-repeats", type=int, default=9, help="trials of the department batch"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="print a cProfile of five timed pipeline calls per batch",
    )
    args = parser.parse_args()
    if args.database == "all":
        databases = ["sqlite"] + (["postgresql"] if os.environ.get(URL_VARIABLE) else [])
        for database in databases:
            command = [sys.executable, __file__, "--database", database]
            command += ["--repeats", str(args.repeats), "--small-repeats", str(args.small_repeats)]
            command += ["--profile"] if args.profile else []
            subprocess.run(command, check=True)
        if "postgresql" not in databases:
            print(f"\n(PostgreSQL skipped: set {URL_VARIABLE} to a server URL)")
        return
    with temporary_database(args.database) as url:
        run(args.database, url, args.repeats, args.small_repeats, args.profile)


class temporary_database:
    """A database URL of the bench's own, removed afterwards."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.cleanup: Callable[[], None] = lambda: None

    def __enter__(self) -> str:
        if self.kind == "sqlite":
            folder = tempfile.TemporaryDirectory(prefix="kaohe-bench-")
            self.cleanup = folder.cleanup
            return f"sqlite:///{Path(folder.name) / 'bench.sqlite3'}"
        server = os.environ.get(URL_VARIABLE)
        if not server:
            raise SystemExit(f"--database postgresql needs {URL_VARIABLE}")
        import psycopg

        name = f"kaohe_bench_{os.getpid()}"
        parts = urlsplit(server)
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")

        def drop() -> None:
            from django.conf import settings
            from django.db import connections

            if settings.configured:  # a bench that set Django up in this process
                connections.close_all()
            with psycopg.connect(server, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {name}")

        self.cleanup = drop
        return urlunsplit(parts._replace(path=f"/{name}"))

    def __exit__(self, *exc: object) -> None:
        self.cleanup()


# --- the child process: one database ------------------------------------------------------


def setup_django(url: str) -> None:
    os.environ["KAOHE_DATABASE_URL"] = url
    os.environ["KAOHE_DEBUG"] = "0"  # no query log
    os.environ["KAOHE_SECRET_KEY"] = secrets.token_urlsafe(50)
    os.environ["KAOHE_ALLOWED_HOSTS"] = "localhost"
    os.environ["KAOHE_REDIS_URL"] = ""
    os.environ["KAOHE_DATA_DIR"] = tempfile.gettempdir()
    os.environ["DJANGO_SETTINGS_MODULE"] = "kaohe.settings"
    import django

    django.setup()


@dataclass
class Catalogue:
    admin: Any
    units: list[Any]
    indicators: list[Any]
    department_reporter: str
    department_indicators: list[Any]


def load_catalogue() -> Catalogue:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from kaohe.demo.load import load_demo
    from kaohe.indicators.models import Indicator
    from kaohe.units.models import Unit

    call_command("migrate", interactive=False, verbosity=0)
    load_demo()
    units = list(Unit.objects.filter(is_assessed=True, active=True).order_by("code"))
    basic = list(
        Indicator.objects.active().filter(formula="").select_related("responsible_department")
    )
    basic.sort(key=lambda i: i.code)
    tjj = Unit.objects.get(code="DEPT_TJJ")
    return Catalogue(
        admin=get_user_model().objects.get(username="admin"),
        units=units,
        indicators=basic,
        department_reporter="tjj_reporter",
        department_indicators=[i for i in basic if i.responsible_department_id == tjj.pk],
    )


def make_values(cat: Catalogue) -> dict[tuple[str, str], float]:
    """A plausible full-year figure per (unit, indicator): log-normal amounts, rates around
    5 %, tax ≈ 80 % of fiscal revenue, targets a little above the figure."""
    rng = np.random.default_rng(SEED)
    out: dict[tuple[str, str], float] = {}
    for u in cat.units:
        for i in cat.indicators:
            kind = i.value_type
            if kind == "amount":
                out[u.code, i.code] = float(rng.lognormal(6.0, 0.8))
            elif kind == "rate":
                out[u.code, i.code] = float(rng.normal(5.5, 1.0))
            elif kind == "count":
                out[u.code, i.code] = float(rng.integers(0, 50))
            else:
                out[u.code, i.code] = float(rng.uniform(70, 98))
        out[u.code, "population"] = float(rng.integers(20, 150))  # 万人
        out[u.code, "tax_revenue"] = out[u.code, "fiscal_revenue"] * 0.8
        out[u.code, "fiscal_revenue_growth"] = out[u.code, "gdp_growth"] + rng.normal(0, 2)
        out[u.code, "fiscal_revenue_target"] = out[u.code, "fiscal_revenue"] * 1.03
    return out


def batch_rows(
    cat: Catalogue,
    base: dict[tuple[str, str], float],
    year: int,
    kind: str,
    nodes: list[str] | None = None,
) -> list[Any]:
    """The rows of one batch for `year`: figures grow ≈ 6 % a year, amounts are cumulative."""
    from kaohe.observations.services import ValueRow

    rng = np.random.default_rng(year)
    growth = 1.06 ** (year - FIRST_YEAR)
    indicators = cat.indicators if kind == "city" else cat.department_indicators
    if nodes is None:
        nodes = list(QUARTER_SHARE) if kind == "city" else ["Q1"]
    rows = []
    for node in nodes:
        for u in cat.units:
            for i in indicators:
                if i.frequency == "annual" and node != "Y":
                    continue  # an annual figure is reported for the year only
                if i.value_type == "grade":
                    rows.append(ValueRow(u.code, i.code, f"{year}{node}", i.grade_labels[0]))
                    continue
                value = base[u.code, i.code]
                if i.value_type == "amount" and not i.code.endswith("_target"):
                    value *= growth * QUARTER_SHARE[node] * float(rng.lognormal(0, 0.01))
                if i.min_value is not None:  # within the catalogue's plausible range
                    value = max(value, i.min_value)
                if i.max_value is not None:
                    value = min(value, i.max_value)
                rows.append(ValueRow(u.code, i.code, f"{year}{node}", round(value, 2)))
    return rows


class Sides:
    """The three ways of writing one batch, each into a fresh cycle."""

    def __init__(self, cat: Catalogue, vendor: str, base: dict[tuple[str, str], float]) -> None:
        self.cat = cat
        self.vendor = vendor
        self.base = base
        self.year = FIRST_YEAR
        self.last_batch: Any = None

    def fresh_cycle(self, kind: str) -> int:
        """A new cycle under way with the demo's current schemes published in it (and, for the
        department batch, the rest of the quarter's values); untimed."""
        from django.db import transaction

        from kaohe.demo.load import CURRENT_YEAR
        from kaohe.observations.models import Source
        from kaohe.observations.services import record_observations
        from kaohe.results.provisional import refresh_provisional
        from kaohe.schemes import services as schemes
        from kaohe.schemes.models import Cycle, SchemeVersion

        year = self.year
        self.year += 1
        admin = self.cat.admin
        with transaction.atomic():
            cycle = schemes.create_cycle(acting_user=admin, year=year)
            for source in SchemeVersion.objects.published().filter(
                scheme__cycle__year=CURRENT_YEAR
            ):
                copy = schemes.copy_scheme(source, acting_user=admin, cycle=cycle)
                schemes.publish_scheme_version(copy, acting_user=admin)
            while cycle.state != Cycle.State.IN_PROGRESS:
                cycle = schemes.advance_cycle(cycle, acting_user=admin)
            # the schemes loaded once, as a running server holds them
            refresh_provisional(cycle.time_nodes.values_list("pk", flat=True))
        if kind == "department":
            mine = {i.code for i in self.cat.department_indicators}
            rest = [r for r in batch_rows(self.cat, self.base, year, "city", nodes=["Q1"])]
            rest = [r for r in rest if r.indicator not in mine]
            record_observations(rest, acting_user=admin, source=Source.API)
        return year

    def user(self, kind: str) -> Any:
        """A fresh user object per run (scopes are cached on it for one request)."""
        from django.contrib.auth import get_user_model

        name = "admin" if kind == "city" else self.cat.department_reporter
        return get_user_model().objects.get(username=name)

    def prepare_raw(self, rows: list[Any]) -> Callable[[], None]:
        """The raw bulk insert of `rows`, parameters prepared now (untimed)."""
        from django.db import connection
        from django.utils import timezone

        from kaohe.indicators.models import Indicator
        from kaohe.schemes.models import TimeNode
        from kaohe.units.models import Unit

        units = dict(Unit.objects.values_list("code", "pk"))
        indicators = {i.code: i for i in Indicator.objects.all()}
        nodes = dict(TimeNode.objects.values_list("period", "pk"))
        now = timezone.now()
        stamp = connection.ops.adapt_datetimefield_value(now)
        sender = self.cat.admin.pk
        obs: list[tuple[Any, ...]] = []
        for r in rows:
            ind = indicators[r.indicator]
            if ind.value_type == "grade":
                value, text = None, str(r.value)
            else:
                value, text = Decimal(str(r.value)).quantize(Decimal("0.000001")), ""
            obs.append((units[r.unit], ind.pk, nodes[r.period], value, text, 1, stamp))
        node_ids = sorted({o[2] for o in obs})
        indicator_ids = sorted({o[1] for o in obs})
        keys = [(o[0], o[1], o[2]) for o in obs]
        tail = ("api", None, sender, stamp, "", None, None)
        raw = connection.connection  # the DB-API connection, under Django's transaction
        columns = "unit_id, indicator_id, time_node_id, value, text, version_count, updated_at"
        version_columns = (
            "observation_id, number, value, text, source, source_unit_id, sent_by_id, "
            "recorded_at, reason, event_id, batch_id"
        )
        select = (
            "SELECT id, unit_id, indicator_id, time_node_id FROM observations_observation "
            f"WHERE time_node_id IN ({', '.join(map(str, node_ids))}) "
            f"AND indicator_id IN ({', '.join(map(str, indicator_ids))})"
        )

        def sqlite() -> None:
            cur = raw.cursor()
            cur.executemany(
                f"INSERT INTO observations_observation ({columns}) VALUES (?, ?, ?, ?, ?, ?, ?)",
                obs,
            )
            ids = {(u, i, n): pk for pk, u, i, n in cur.execute(select)}
            cur.executemany(
                f"INSERT INTO observations_observationversion ({version_columns}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(ids[k], 1, o[3], o[4], *tail) for k, o in zip(keys, obs, strict=True)],
            )

        def postgresql() -> None:
            with raw.cursor() as cur:
                with cur.copy(f"COPY observations_observation ({columns}) FROM STDIN") as copy:
                    for o in obs:
                        copy.write_row(o)
                ids = {(u, i, n): pk for pk, u, i, n in cur.execute(select)}
                with cur.copy(
                    f"COPY observations_observationversion ({version_columns}) FROM STDIN"
                ) as copy:
                    for k, o in zip(keys, obs, strict=True):
                        copy.write_row((ids[k], 1, o[3], o[4], *tail))

        return sqlite if self.vendor == "sqlite" else postgresql

    def run_side(
        self,
        side: str,
        kind: str,
        base: dict[tuple[str, str], float],
        capture: Any = None,
        profiler: Any = None,
    ) -> float:
        """One timed run of `side` on a fresh cycle: seconds, commit included (`capture`: a
        CaptureQueriesContext to start at the clock, to count the statements of the side;
        `profiler`: a cProfile.Profile to run over the timed call alone, not the setup)."""
        from django.db import transaction

        from kaohe.flows.ingest import ingest
        from kaohe.observations.models import Source
        from kaohe.observations.services import record_observations

        year = self.fresh_cycle(kind)
        rows = batch_rows(self.cat, base, year, kind)
        user = self.user(kind)
        if side == "raw":
            insert = self.prepare_raw(rows)
            start = time.perf_counter()
            with transaction.atomic():
                insert()
            return time.perf_counter() - start
        if side == "validate + store":
            start = time.perf_counter()
            record_observations(rows, acting_user=user, source=Source.API)
            return time.perf_counter() - start
        if capture is not None:  # leave out the statements of the untimed setup
            capture.initial_queries = len(capture.connection.queries_log)
        if profiler is not None:
            profiler.enable()
        start = time.perf_counter()
        result = ingest(rows, acting_user=user, source=Source.API)
        elapsed = time.perf_counter() - start
        if profiler is not None:
            profiler.disable()
        self.last_batch = result.batch
        return elapsed


SIDES = ("raw", "validate + store", "pipeline")


def run(vendor: str, url: str, repeats: int, small_repeats: int, profile: bool) -> None:
    setup_django(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kaohe.results.models import ProvisionalStanding

    started = time.perf_counter()
    cat = load_catalogue()
    base = make_values(cat)
    loaded = time.perf_counter() - started
    gc.collect()  # the loading's garbage
    # The objects the loading leaves (a heap a server worker does not hold) are set aside from
    # the collector, as a server freezes what it loaded before serving: else a full collection
    # over them (≈ 0.1 s) falls into whichever side's trial crosses the threshold.
    gc.freeze()
    sides = Sides(cat, vendor, base)
    if vendor == "sqlite":
        version = f"SQLite {connection.Database.sqlite_version} (file, WAL, synchronous=NORMAL)"
    else:
        with connection.cursor() as cur:
            cur.execute("SHOW server_version")
            version = f"PostgreSQL {cur.fetchone()[0]} (local, psycopg {psycopg_version()})"
    print(f"\n## {version}\n")
    print(
        f"demo city loaded in {loaded:.1f} s: {len(cat.units)} assessed units, "
        f"{len(cat.indicators)} basic indicators ({len(cat.department_indicators)} of the "
        "Statistics Bureau)\n"
    )
    print("| batch | rows | side | median (best) | rows/s | ÷ raw rows/s |")
    print("|---|---:|---|---:|---:|---:|")
    for kind, trials in (("city", repeats), ("department", small_repeats)):
        n_rows = len(batch_rows(cat, base, FIRST_YEAR, kind))
        for side in SIDES:  # warm-up: caches, prepared statements, first-touch pages
            sides.run_side(side, kind, base)
        times: dict[str, list[float]] = {side: [] for side in SIDES}
        for trial in range(trials):
            order = SIDES[trial % 3 :] + SIDES[: trial % 3]
            for side in order:
                times[side].append(sides.run_side(side, kind, base))
        raw = statistics.median(times["raw"])
        for side in SIDES:
            med, best = statistics.median(times[side]), min(times[side])
            ratio = "—" if side == "raw" else f"**{raw / med:.2f}**"
            print(
                f"| {kind} | {n_rows:,} | {side} | {med * 1e3:.0f} ms ({best * 1e3:.0f}) "
                f"| {n_rows / med:,.0f} | {ratio} |"
            )
        batch = sides.last_batch
        standings = ProvisionalStanding.objects.filter(batch=batch).count()
        print(
            f"|  |  | (last pipeline batch: {batch.created:,} created, {batch.derived:,} "
            f"derived, {batch.warnings_raised} warnings raised, {standings} provisional "
            "standings) |  |  |  |"
        )
    for kind in ("city", "department"):
        with CaptureQueriesContext(connection) as queries:
            sides.run_side("pipeline", kind, base, capture=queries)
        print(f"\nSQL statements of one pipeline run, {kind} batch: {len(queries)}")
    if profile:
        for kind in ("city", "department"):
            profiler = cProfile.Profile()
            for _trial in range(5):  # the timed calls alone, five of them
                sides.run_side("pipeline", kind, base, profiler=profiler)
            print(f"\n### cProfile of five pipeline runs, {kind} batch (the ingest call)\n")
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)


def psycopg_version() -> str:
    import psycopg

    return psycopg.__version__


if __name__ == "__main__":
    main()
