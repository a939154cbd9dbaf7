"""Benchmark of the main pages and API lists as production serves them.

    KAOHE_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/bench_pages.py        # PostgreSQL (the goal's); SQLite unset

A database of the bench's own (a temporary PostgreSQL database next to the one
KAOHE_BENCH_DATABASE_URL names, or a temporary SQLite file) gets the demo city through its
services; gunicorn then serves it as in production (`kaohe.wsgi`, 2 sync workers, DEBUG off,
no access log) and 32 clients (threads with keep-alive connections, signed in as the office)
ask for one URL at a time for a fixed time. For each URL: requests per second, the median and
95th-percentile latency, and the rate as a share of the trivial endpoint's (the API root, the
same app and middleware with almost no work) measured in the same run, first and last, so a
noisy machine shows as a spread between the two. The clients run on the same 2 cores as the
server, so absolute rates are lower than a separate load generator would see; the ratios are
the figure to compare, with "CPU ms": the workers' CPU time (user + system, from /proc) per
answer. The goal (issue 14): p95 ≤ 150 ms at 32 clients on every page, ≤ 8 ms CPU each.

Pages and lists are cached on the version of the data (`kaohe.core.fragments`), so a steady
run measures answers from the cache; `--uncached` (KAOHE_FRAGMENT_SECONDS=0) measures every
answer built afresh, as the first answer after each write is.
"""

from __future__ import annotations

import argparse
import http.client
import http.cookiejar
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

from bench_pipeline import temporary_database
from kaohe.testing.pages import MAIN_PAGES

ROOT = Path(__file__).resolve().parents[1]
TRIVIAL = "/api/v1/"
URLS = MAIN_PAGES
PASSWORD = "Kaohe-demo-2026"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def environment(url: str, data_dir: str) -> dict[str, str]:
    return {
        **os.environ,
        "KAOHE_DATABASE_URL": url,
        "KAOHE_DATA_DIR": data_dir,  # collected static files (DEBUG off serves the manifest)
        "KAOHE_DEBUG": "0",
        "KAOHE_SECRET_KEY": secrets.token_urlsafe(50),
        "KAOHE_ALLOWED_HOSTS": "127.0.0.1",
        "KAOHE_SSL_REDIRECT": "0",
        "KAOHE_SECURE_COOKIES": "0",
        "KAOHE_LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "kaohe.settings",
        "PYTHONPATH": str(ROOT / "src"),
    }


def load_demo(env: dict[str, str]) -> None:
    script = (
        "import django; django.setup();"
        "from django.core.management import call_command;"
        "call_command('migrate', interactive=False, verbosity=0);"
        "call_command('collectstatic', interactive=False, verbosity=0);"
        "from kaohe.demo.load import load_demo; load_demo()"
    )
    subprocess.run([sys.executable, "-c", script], env=env, check=True)


def sign_in(base: str) -> str:
    """The office's session cookie."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(f"{base}/login/").read()
    token = next(c.value for c in jar if c.name == "csrftoken")
    form = {"username": "office", "password": PASSWORD, "csrfmiddlewaretoken": token}
    opener.open(f"{base}/login/", urllib.parse.urlencode(form).encode()).read()
    session = next((c.value for c in jar if c.name == "sessionid"), None)
    if session is None:
        raise SystemExit("could not sign in as the office")
    return f"sessionid={session}; csrftoken={token}"


def worker_cpu(master: int) -> float:
    """CPU seconds (user + system) the master's worker processes have used so far."""
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in children:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def hammer(
    port: int, cookie: str, path: str, clients: int, seconds: float, master: int = 0
) -> dict[str, float]:
    """`clients` threads asking for `path` until the time is up; rate and latencies."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    start = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def client(k: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Cookie": cookie, "Accept-Language": "zh-hans"}
        start.wait()
        while time.perf_counter() < stop_at[0]:
            t0 = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    errors[k] += 1
            except (OSError, http.client.HTTPException):
                errors[k] += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            latencies[k].append(time.perf_counter() - t0)
        conn.close()

    threads = [threading.Thread(target=client, args=(k,), daemon=True) for k in range(clients)]
    for t in threads:
        t.start()
    cpu_before = worker_cpu(master) if master else 0.0
    began = time.perf_counter()
    stop_at[0] = began + seconds
    start.wait()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    cpu = worker_cpu(master) - cpu_before if master else 0.0
    done = sorted(x for per in latencies for x in per)
    if not done:
        raise SystemExit(f"{path}: no answer")
    return {
        "cpu_ms": cpu * 1000 / len(done),
        "rate": len(done) / elapsed,
        "p50": statistics.median(done) * 1000,
        "p95": done[int(0.95 * (len(done) - 1))] * 1000,
        "errors": float(sum(errors)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database",
        choices=["postgresql", "sqlite"],
        default="postgresql" if os.environ.get("KAOHE_BENCH_DATABASE_URL") else "sqlite",
    )
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--uncached", action="store_true", help="build every answer afresh")
    args = parser.parse_args()
    with temporary_database(args.database) as url, tempfile.TemporaryDirectory() as data_dir:
        env = environment(url, data_dir)
        if args.uncached:
            env["KAOHE_FRAGMENT_SECONDS"] = "0"
        print(f"loading the demo city into {args.database} …", flush=True)
        load_demo(env)
        port = free_port()
        gunicorn = shutil.which("gunicorn") or str(Path(sys.executable).with_name("gunicorn"))
        server = subprocess.Popen(
            [gunicorn, "kaohe.wsgi:application", "--bind", f"127.0.0.1:{port}",
             "--workers", str(args.workers), "--worker-class", "sync"],
            env=env, cwd=ROOT,
        )  # fmt: skip
        try:
            base = f"http://127.0.0.1:{port}"
            for _ in range(100):
                try:
                    urllib.request.urlopen(f"{base}/login/").read()
                    break
                except OSError:
                    time.sleep(0.2)
            cookie = sign_in(base)
            for path in [TRIVIAL, *URLS]:  # warm every worker's caches
                hammer(port, cookie, path, args.workers * 2, 0.5)
            print(
                f"{args.clients} clients, {args.seconds:g} s per URL, gunicorn "
                f"{args.workers} sync workers, {args.database}, DEBUG off, "
                f"{'uncached' if args.uncached else 'cached on the data version'}"
            )
            print(
                f"{'URL':<28} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'× trivial':>10} "
                f"{'CPU ms':>7} errors"
            )
            pid = server.pid
            first = hammer(port, cookie, TRIVIAL, args.clients, args.seconds, pid)
            rows = [
                (path, hammer(port, cookie, path, args.clients, args.seconds, pid)) for path in URLS
            ]
            last = hammer(port, cookie, TRIVIAL, args.clients, args.seconds, pid)
            trivial = (first["rate"] + last["rate"]) / 2
            for path, m in [(f"{TRIVIAL} (first)", first), *rows, (f"{TRIVIAL} (last)", last)]:
                print(
                    f"{path:<28} {m['rate']:>8.1f} {m['p50']:>8.1f} {m['p95']:>8.1f} "
                    f"{m['rate'] / trivial:>10.3f} {m['cpu_ms']:>7.2f} {int(m['errors'])}"
                )
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
