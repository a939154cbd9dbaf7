"""`kaohe consume`: read values from the Redis stream into the ingestion pipeline."""

from __future__ import annotations

import argparse
import os
import signal
import socket


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--name",
        default=f"{socket.gethostname()}-{os.getpid()}",
        help="consumer name within the group (default host-pid)",
    )
    parser.add_argument(
        "--claim-idle-ms",
        type=int,
        default=30_000,
        help="claim messages another consumer left pending this long",
    )
    parser.add_argument("--max-messages", type=int, default=None, help="stop after this many")
    parser.add_argument("--block-ms", type=int, default=2000)
    parser.add_argument(
        "--exit-when-idle",
        action="store_true",
        help="stop when a round finds nothing to claim and nothing new",
    )


def run(args: argparse.Namespace) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kaohe.settings")
    import django

    django.setup()
    # Models can be imported only now: `kaohe score` and `kaohe --help` run without Django.
    import redis
    from django.conf import settings

    from kaohe.flows.stream import GROUP, consume

    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    client = redis.Redis.from_url(settings.KAOHE_REDIS_URL)
    stream = settings.KAOHE_STREAM
    print(f"kaohe consume: {args.name} reading {stream} as group {GROUP}", flush=True)
    stats = consume(
        client,
        args.name,
        stream=stream,
        block_ms=args.block_ms,
        claim_idle_ms=args.claim_idle_ms,
        max_messages=args.max_messages,
        should_stop=lambda: stopping,
        exit_when_idle=args.exit_when_idle,
    )
    print(
        f"kaohe consume: processed {stats.processed}, duplicates {stats.duplicates}, "
        f"rejected {stats.rejected}, claimed {stats.claimed}",
        flush=True,
    )
    return 0
