"""Benchmark of survey submissions through the real answer page, and of overload.

    .venv/bin/python bench/bench_survey.py                        # SQLite
    KAOHE_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/bench_survey.py --database postgresql

A database of the bench's own (as bench_pages.py: a temporary PostgreSQL database or SQLite
file) gets the test world's two districts and an open survey (the tests' questionnaire: a
matrix rating both districts with a comment box each, a single choice, a multiple choice, a
text) with 60,000 one-time codes. gunicorn serves it as in production (`kaohe.wsgi`, 2 sync
workers, DEBUG off, no access log), with `bench_survey_settings` adding one bench-only URL,
the bare endpoint: a POST through the same middleware (CSRF included) that inserts one
response row into the same table and redirects.

1. **Rate.** `--clients` threads with keep-alive connections each GET the questionnaire once
   (the CSRF cookie and the form's token and stamp, as a phone has them) and then POST the real
   form, one fresh code after another, for `--seconds`: submissions per second (each answered
   302 to the thanks page). The bare endpoint runs the same way before and after each of
   `--rounds` answer runs (bare, answer, bare, answer, …, bare: the host's load drifts); each
   round's figure is the answer page's rate over the mean of the bare rates either side of it,
   and the result is their median (goal ≥ 0.5).
2. **Overload.** gunicorn is started again with `KAOHE_SURVEY_MAX_PER_SECOND` set (per worker:
   `--limit-share` × the median rate of step 1 over the workers; the default cache is each
   worker's own; the refusals come from the first middleware, `kaohe.surveys.admission`) and
   an open-loop load of `--factor` × the rate of step 1 is offered for
   `--overload-seconds`: by wrk when it is installed (`apt-get install wrk`; C, `--connections`
   connections, each submission a fresh code, `bench/survey_overload.lua`), else by Python
   threads on a fixed schedule (up to 128 in flight), which on 2 cores cannot offer 5×.
   Every answer is sorted: stored (302), refused with Retry-After (429/503), or anything else
   — a timeout, a refused connection, a 500, a refusal without Retry-After: lost.
3. **Reconciliation.** Over the whole run: the client's count of stored answers = the code
   responses in the database = the codes burned; zero lost.

The clients run on the same 2 cores as the server (as in bench_pages.py): absolute rates are
lower than with a separate load generator; the ratio is the figure to compare.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

from bench_pages import environment, free_port, worker_cpu
from bench_pipeline import temporary_database

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
CODES = 60_000
BARE = "/bench/bare/"

PREPARE = """
import json, sys, django
django.setup()
from decimal import Decimal
from django.core.management import call_command
call_command("migrate", interactive=False, verbosity=0)
call_command("collectstatic", interactive=False, verbosity=0)
from kaohe.testing.world import build_world
from kaohe.testing.surveys import make_survey
from kaohe.surveys import services
world = build_world()
ts = make_survey(world, codes=20000)
for group in (ts.coded, ts.open):
    services.set_unit_quota(group, world.d1, 1_000_000, acting_user=ts.manager)
codes = [c.code for c in ts.codes]
for _ in range(2):
    batch = services.make_codes(ts.coded, 20000, acting_user=ts.manager)
    codes += list(batch.codes.values_list("code", flat=True))
json.dump({"survey": ts.survey.pk, "open_group": ts.open.pk, "codes": codes,
           "units": [world.d1.pk, world.d2.pk]}, open(sys.argv[1], "w"))
"""

COUNT = """
import json, django
django.setup()
from kaohe.surveys.models import AccessCode, Response
print(json.dumps({"code_responses": Response.objects.filter(via="code").count(),
                  "burned": AccessCode.objects.filter(burned=True).count(),
                  "bare_rows": Response.objects.filter(via="link").count()}))
"""


class Codes:
    """Fresh codes handed out one at a time to the client threads."""

    def __init__(self, codes: list[str]) -> None:
        self.codes, self.next, self.lock = codes, 0, threading.Lock()

    def take(self) -> str:
        with self.lock:
            if self.next >= len(self.codes):
                raise SystemExit("the bench ran out of codes: shorten --seconds")
            self.next += 1
            return self.codes[self.next - 1]


def form_body(units: list[int], n: int, token: str, stamp: str) -> str:
    d1, d2 = units
    return urllib.parse.urlencode(
        {
            "csrfmiddlewaretoken": token,
            "shown": stamp,
            f"rating.{d1}": str(1 + n % 5),
            f"rating.{d2}": str(1 + (n * 3) % 5),
            f"rating#{d1}": "窗口办事排队时间长" if n % 4 == 0 else "",
            f"rating#{d2}": "",
            "channel": str(1 + n % 3),
            "topics": str(1 + n % 3),
            "advice": "希望多建停车场" if n % 3 == 0 else "",
        }
    )


class Respondent:
    """One phone: a keep-alive connection, the CSRF cookie and the form's hidden fields."""

    def __init__(self, port: int, first_code: str) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.conn.request("GET", f"/s/c/{first_code}/", headers={"Accept-Language": "zh-hans"})
        page = self.conn.getresponse()
        html = page.read().decode()
        if page.status != 200:
            raise SystemExit(f"the questionnaire answered {page.status}")
        cookie = page.getheader("Set-Cookie", "")
        self.cookie = re.search(r"csrftoken=([^;]+)", cookie).group(1)  # type: ignore[union-attr]
        hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
        self.token, self.stamp = hidden["csrfmiddlewaretoken"], hidden["shown"]

    def post(self, path: str, body: str) -> tuple[int, str | None]:
        headers = {
            "Cookie": f"csrftoken={self.cookie}",
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept-Language": "zh-hans",
        }
        try:
            self.conn.request("POST", path, body=body, headers=headers)
            answer = self.conn.getresponse()
            answer.read()
            return answer.status, answer.getheader("Retry-After")
        except (OSError, http.client.HTTPException) as exc:
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            return 0, type(exc).__name__


def outcome(status: int, retry_after: str | None) -> str:
    if status == 302:
        return "stored"
    if status in (429, 503) and retry_after and retry_after.isdigit():
        return "refused"
    return "lost"


def closed_loop(
    port: int, codes: Codes, units: list[int], path: str | None, clients: int, seconds: float
) -> dict[str, Any]:
    """`clients` respondents sending one form after another (`path` None: the answer page with
    a fresh code each time; else the bare endpoint) for `seconds`."""
    people = [Respondent(port, codes.codes[0]) for _ in range(clients)]
    counts: list[Counter[str]] = [Counter() for _ in range(clients)]
    statuses: Counter[int] = Counter()
    start = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def client(k: int) -> None:
        person, n = people[k], 0
        start.wait()
        while time.perf_counter() < stop_at[0]:
            target = path or f"/s/c/{codes.take()}/"
            status, retry = person.post(target, form_body(units, n, person.token, person.stamp))
            counts[k][outcome(status, retry)] += 1
            statuses[status] += 1
            n += 1

    threads = [threading.Thread(target=client, args=(k,), daemon=True) for k in range(clients)]
    for t in threads:
        t.start()
    began = time.perf_counter()
    stop_at[0] = began + seconds
    start.wait()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    total = sum(counts, Counter())
    return {
        "rate": total["stored"] / elapsed,
        **{k: total[k] for k in ("stored", "refused", "lost")},
        "statuses": dict(statuses),
    }


def open_loop(
    port: int, codes: Codes, units: list[int], rate: float, seconds: float, in_flight: int = 128
) -> dict[str, Any]:
    """Submissions offered at `rate` per second on a fixed schedule, whatever the answers."""
    people = [Respondent(port, codes.codes[0]) for _ in range(in_flight)]
    counts: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    lock = threading.Lock()
    slot = [0]
    began = time.perf_counter() + 0.2
    late = [0.0]

    def client(k: int) -> None:
        person = people[k]
        while True:
            with lock:
                i = slot[0]
                slot[0] += 1
            due = began + i / rate
            if due > began + seconds:
                return
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            else:
                with lock:
                    late[0] = max(late[0], -wait)
            status, retry = person.post(
                f"/s/c/{codes.take()}/", form_body(units, i, person.token, person.stamp)
            )
            with lock:
                counts[outcome(status, retry)] += 1
                statuses[str(status) if status else str(retry)] += 1

    threads = [threading.Thread(target=client, args=(k,), daemon=True) for k in range(in_flight)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    sent = sum(counts.values())
    return {
        "offered": sent / elapsed,
        "sent": sent,
        **{k: counts[k] for k in ("stored", "refused", "lost")},
        "statuses": dict(statuses),
        "late_s": late[0],
    }


def wrk_overload(
    port: int, codes: Codes, units: list[int], count: int, connections: int, folder: str
) -> dict[str, Any]:
    """`count` submissions, each with a fresh code, sent by wrk (C, closed loop over
    `connections` connections) as fast as the answers come back: refusals are quick, so it
    offers far more than the server can store. Every submission is answered before the counts
    are read (`survey_overload.lua`). One wrk thread (it outpaces two sync workers many times
    over): a thread that stops leaves its idle connections open until the process ends, and a
    sync worker that accepts one waits on it until gunicorn kills the worker."""
    person = Respondent(port, codes.codes[0])
    batch = [codes.take() for _ in range(count)]
    path = Path(folder) / "overload-codes.txt"
    path.write_text("\n".join(batch) + "\n")
    d1, d2 = units
    marker = Path(folder) / "overload-done"
    marker.unlink(missing_ok=True)
    wrk = subprocess.Popen(
        ["wrk", "-t1", f"-c{connections}", "-d120s", "--timeout", "10s",
         "-s", str(BENCH / "survey_overload.lua"), f"http://127.0.0.1:{port}", "--",
         str(path), person.cookie, person.token, person.stamp, str(d1), str(d2), "1",
         str(marker)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    began = time.perf_counter()
    while not marker.exists() and wrk.poll() is None:
        time.sleep(0.005)
    elapsed = time.perf_counter() - began
    wrk.send_signal(signal.SIGINT)  # every answer is in: stop it sleeping out its -d
    out, err = wrk.communicate(timeout=30)
    if not out.strip():
        raise SystemExit(f"wrk failed: {err}")
    figures = json.loads(out.strip().splitlines()[-1])
    return {
        "offered": figures["sent"] / elapsed,
        "sent": figures["sent"],
        "stored": figures["stored"],
        "refused": figures["refused"],
        # an unanswered submission (still in flight, a socket error) counts as lost
        "lost": figures["lost"] + figures["sent"] - figures["answered"],
        "statuses": {"socket errors": figures["socket_errors"], "p99 ms": figures["p99_ms"]},
        "late_s": 0.0,
        "generator": "wrk",
    }


def serve(env: dict[str, str], port: int, workers: int) -> subprocess.Popen[bytes]:
    gunicorn = shutil.which("gunicorn") or str(Path(sys.executable).with_name("gunicorn"))
    server = subprocess.Popen(
        [gunicorn, "kaohe.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--worker-class", "sync"],
        env=env, cwd=ROOT,
    )  # fmt: skip
    for _ in range(150):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/s/").read()
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not start")


def stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database",
        choices=["postgresql", "sqlite"],
        default="postgresql" if os.environ.get("KAOHE_BENCH_DATABASE_URL") else "sqlite",
    )
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=4.0, help="each phase of a round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--factor", type=float, default=5.0)
    parser.add_argument("--overload-seconds", type=float, default=8.0)
    parser.add_argument("--limit-share", type=float, default=0.6)
    parser.add_argument(
        "--connections", type=int, default=64, help="wrk's connections in the overload step"
    )
    parser.add_argument(
        "--python-overload",
        action="store_true",
        help="offer the overload with Python threads even when wrk is installed",
    )
    args = parser.parse_args()
    with temporary_database(args.database) as url, tempfile.TemporaryDirectory() as data_dir:
        env = environment(url, data_dir)
        env["DJANGO_SETTINGS_MODULE"] = "bench_survey_settings"
        env["PYTHONPATH"] = f"{ROOT / 'src'}{os.pathsep}{BENCH}"
        print(f"preparing the survey and {CODES:,} codes in {args.database} …", flush=True)
        prepared = Path(data_dir) / "survey.json"
        subprocess.run([sys.executable, "-c", PREPARE, str(prepared)], env=env, check=True)
        setup = json.loads(prepared.read_text())
        env["KAOHE_BENCH_SURVEY"] = str(setup["survey"])
        env["KAOHE_BENCH_GROUP"] = str(setup["open_group"])
        codes, units = Codes(setup["codes"]), setup["units"]
        codes.next = 1  # the first code is only ever shown (each respondent's GET), never sent
        port = free_port()
        server = serve(env, port, args.workers)
        try:
            closed_loop(port, codes, units, BARE, args.workers * 2, 0.5)  # warm the workers
            warm = [closed_loop(port, codes, units, None, args.workers * 2, 0.5)]
            bares, answers, cpu_bare, cpu_answer = [], [], 0.0, 0.0
            for k in range(args.rounds + 1):  # bare, answer, bare, … , answer, bare
                cpu0 = worker_cpu(server.pid)
                bares.append(closed_loop(port, codes, units, BARE, args.clients, args.seconds))
                cpu1 = worker_cpu(server.pid)
                cpu_bare += cpu1 - cpu0
                if k < args.rounds:
                    answer = closed_loop(port, codes, units, None, args.clients, args.seconds)
                    answers.append(answer)
                    cpu_answer += worker_cpu(server.pid) - cpu1
        finally:
            stop(server)
        print(
            f"{args.clients} clients, {args.rounds} rounds of {args.seconds:g} s, gunicorn "
            f"{args.workers} sync workers, {args.database}, DEBUG off"
        )
        print(f"{'round':<6} {'bare before':>11} {'answer':>8} {'bare after':>10} {'× bare':>7}")
        ratios = []
        for k, answer in enumerate(answers):
            around = (bares[k]["rate"] + bares[k + 1]["rate"]) / 2
            ratios.append(answer["rate"] / around)
            print(
                f"{k + 1:<6} {bares[k]['rate']:>11.1f} {answer['rate']:>8.1f} "
                f"{bares[k + 1]['rate']:>10.1f} {ratios[-1]:>7.3f}"
            )
        stored_bare = sum(m["stored"] for m in bares)
        stored_answer = sum(m["stored"] for m in answers)
        print(
            f"CPU ms per stored answer (the workers): bare {cpu_bare * 1000 / stored_bare:.2f}, "
            f"answer page {cpu_answer * 1000 / stored_answer:.2f}; "
            f"statuses {sum((Counter(m['statuses']) for m in answers), Counter())}"
        )
        print(
            f"answer page / bare: median {statistics.median(ratios):.3f} over {len(ratios)} "
            f"rounds, each against the bare runs either side of it (goal ≥ 0.5)"
        )
        real = {"rate": statistics.median([m["rate"] for m in answers])}

        limit = max(1, math.floor(args.limit_share * real["rate"] / args.workers))
        offered = args.factor * real["rate"]
        env["KAOHE_SURVEY_MAX_PER_SECOND"] = str(limit)
        server = serve(env, port, args.workers)
        try:
            warm.append(closed_loop(port, codes, units, None, args.workers * 2, 0.3))
            if shutil.which("wrk") and not args.python_overload:
                count = min(
                    math.ceil(offered * args.overload_seconds), len(codes.codes) - codes.next
                )
                over = wrk_overload(port, codes, units, count, args.connections, data_dir)
            else:
                over = open_loop(port, codes, units, offered, args.overload_seconds)
                over["generator"] = "python threads"
        finally:
            stop(server)
        print(
            f"overload ({over['generator']}): {args.factor:g} × {real['rate']:.0f}/s = "
            f"{offered:.0f}/s wanted for {args.overload_seconds:g} s, limit {limit}/s per worker; "
            f"sent {over['sent']}, achieved {over['offered']:.0f}/s = "
            f"{over['offered'] / real['rate']:.1f} × the sustainable rate"
            + (f", at most {over['late_s']:.2f} s behind schedule" if over["late_s"] else "")
        )
        print(
            f"  stored {over.get('stored', 0)}, refused with Retry-After "
            f"{over.get('refused', 0)}, lost {over.get('lost', 0)}  {over['statuses']}"
        )

        counted = subprocess.run(
            [sys.executable, "-c", COUNT], env=env, check=True, capture_output=True, text=True
        )
        db = json.loads(counted.stdout)
        runs = [*warm, *answers]
        client_stored = sum(m["stored"] for m in runs) + over.get("stored", 0)
        lost = sum(m["lost"] for m in [*runs, *bares]) + over.get("lost", 0)
        sent = sum(m["stored"] + m["refused"] + m["lost"] for m in runs) + over["sent"]
        print(
            f"reconciliation: {sent} code submissions sent; the client saw {client_stored} "
            f"stored, the database holds {db['code_responses']} code responses and "
            f"{db['burned']} burned codes; lost {lost}"
        )
        if not client_stored == db["code_responses"] == db["burned"] or lost:
            raise SystemExit("reconciliation failed")
        print("zero lost: every submission stored or refused with Retry-After")


if __name__ == "__main__":
    main()
