"""`kaohe demo`: migrate an embedded SQLite database, load the demo city, print the logins and
serve the site with gunicorn on 127.0.0.1 (port from KAOHE_PORT, default 8000), with one
`kaohe worker` beside it for the jobs (scoring runs, target suggestions); both stop together."""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from types import FrameType


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--reset", action="store_true", help="delete the demo database first")
    parser.add_argument("--no-serve", action="store_true", help="prepare the data, do not serve")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")


def _prepare_environment() -> Path:
    os.environ.setdefault("KAOHE_DEBUG", "1")
    data_dir = Path(os.environ.setdefault("KAOHE_DATA_DIR", str(Path.cwd() / "var"))).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("KAOHE_DATABASE_URL", f"sqlite:///{data_dir / 'demo.sqlite3'}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kaohe.settings")
    return data_dir


def run(args: argparse.Namespace) -> int:
    data_dir = _prepare_environment()
    port = os.environ.get("KAOHE_PORT", "8000")
    if not port.isdigit() or not 0 < int(port) < 65536:
        print(f"KAOHE_PORT={port!r}: expected a port number", file=sys.stderr)
        return 2
    if args.reset:
        for suffix in ("", "-wal", "-shm"):
            (data_dir / f"demo.sqlite3{suffix}").unlink(missing_ok=True)
    import django

    django.setup()
    # Models can be imported only now: `kaohe score` and `kaohe --help` run without Django.
    from django.core.management import call_command

    from kaohe.demo.load import DEMO_PASSWORD, demo_loaded, load_demo

    call_command("migrate", interactive=False, verbosity=0)
    url = f"http://127.0.0.1:{port}/"
    if demo_loaded():
        print(f"Demo city already loaded in {data_dir / 'demo.sqlite3'} (use --reset to rebuild).")
        logins = None
    else:
        print("Loading the demo city (fictional 澜城市 / Lancheng) …", flush=True)
        logins = load_demo()
    print()
    print(f"  Kaohe demo: {url}")
    print(f"  Every demo login has the password: {DEMO_PASSWORD}")
    if logins:
        for login in logins:
            print(f"    {login.username:<14} {login.role:<14} {login.description}")
    else:
        print("    admin, office, committee, reviewer, leader, d01_reporter, d02_reporter,")
        print("    d01_head, tjj_reporter, expert, auditor, staff (and the goal-review logins)")
    print(flush=True)
    if args.no_serve:
        return 0
    gunicorn = shutil.which("gunicorn") or str(Path(sys.executable).with_name("gunicorn"))
    command = [
        gunicorn,
        "kaohe.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(args.workers),
        "--access-logfile",
        "-",
        # the answer pages' codes and link tokens are written as "…" (docs/architecture.md)
        "--logger-class",
        "kaohe.commands.accesslog.AccessLog",
    ]
    return _serve_with_worker(command)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()  # SIGTERM: the worker finishes its current job first
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()  # its job is queued again by the next worker
            process.wait()


def _serve_with_worker(command: list[str]) -> int:
    """Run gunicorn and one job worker; when either ends (or on Ctrl+C / SIGTERM), stop both."""
    # its own session: Ctrl+C reaches the server only, and the worker gets one clean SIGTERM
    worker = subprocess.Popen([sys.executable, "-m", "kaohe.cli", "worker"], start_new_session=True)
    print(f"  Job worker started (pid {worker.pid}).", flush=True)
    server = subprocess.Popen(command)

    def forward(signum: int, frame: FrameType | None) -> None:
        if server.poll() is None:
            server.send_signal(signum)

    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)
    try:
        while server.poll() is None and worker.poll() is None:
            try:
                server.wait(timeout=1)
            except subprocess.TimeoutExpired:
                continue
        if worker.poll() is not None:
            print("kaohe demo: the job worker stopped; stopping the server", file=sys.stderr)
    finally:
        _stop(server)
        _stop(worker)
    return server.returncode or 0
