"""`kaohe worker`: run queued jobs (django-tasks-db's worker loop) and recover lost ones.

At start, and then every `--recover-every` seconds from a thread, a running job whose worker fell
silent for KAOHE_JOB_STALE_SECONDS is queued again (or failed with "worker lost"). SIGTERM or
Ctrl+C lets the current job finish first; a second one stops at once (the job is recovered)."""

from __future__ import annotations

import argparse
import os
import socket
import threading


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--batch", action="store_true", help="run what is queued, then stop")
    parser.add_argument("--max-tasks", type=int, default=None, help="stop after this many jobs")
    parser.add_argument(
        "--interval", type=float, default=1.0, help="seconds between looks at an empty queue"
    )
    parser.add_argument(
        "--worker-id",
        default=f"{socket.gethostname()}-{os.getpid()}"[:64],
        help="unique name of this worker (default host-pid)",
    )
    parser.add_argument(
        "--recover-every",
        type=float,
        default=None,
        help="seconds between recoveries of lost jobs (default: a quarter of the stale timeout)",
    )


def _recover_periodically(every: float, stopping: threading.Event) -> None:
    # Called only after `run` set Django up: the console script starts without it.
    from django.db import DatabaseError, connections

    from kaohe.core.jobs import recover_stale_jobs

    try:
        while not stopping.wait(every):
            try:
                recover_stale_jobs()
            except DatabaseError as exc:  # a busy SQLite: try again next round
                print(f"kaohe worker: recovery postponed ({exc})", flush=True)
    finally:
        connections.close_all()


def run(args: argparse.Namespace) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kaohe.settings")
    import django

    django.setup()
    # Models can be imported only now: `kaohe score` and `kaohe --help` run without Django.
    from django.conf import settings
    from django_tasks_db.management.commands.db_worker import Worker

    from kaohe.core.jobs import recover_stale_jobs

    recovered = recover_stale_jobs()
    print(
        f"kaohe worker: {args.worker_id} started; recovered {len(recovered.requeued)} job(s), "
        f"failed {len(recovered.failed)} lost job(s)",
        flush=True,
    )
    stopping = threading.Event()
    if not args.batch:
        every = args.recover_every or max(1.0, settings.KAOHE_JOB_STALE_SECONDS / 4)
        threading.Thread(target=_recover_periodically, args=(every, stopping), daemon=True).start()
    worker = Worker(
        queue_names=["*"],
        interval=args.interval,
        batch=args.batch,
        backend_name="default",
        startup_delay=not args.batch,
        max_tasks=args.max_tasks,
        worker_id=args.worker_id,
        excluded_queue_names=[],
    )
    worker.configure_signals()
    try:
        worker.run()
    finally:
        stopping.set()
    return 0
