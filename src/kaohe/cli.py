"""The `kaohe` console script.

Each sub-command lives in its own module under `kaohe.commands` and exposes
`add_arguments(parser)` and `run(args) -> int`. Commands that need Django (`demo`, `manage`,
`consume`, `worker`) set it up themselves; the engine commands (`score`, `suggest-targets`)
never import it.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# sub-command name -> (module under kaohe.commands, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "score": ("score", "score a wide CSV with a scheme YAML (no database needed)"),
    "suggest-targets": ("suggest_targets", "suggest next-period targets from a long panel CSV"),
    "demo": ("demo", "migrate, load the demo city and serve it"),
    "manage": ("manage", "run a Django management command"),
    "consume": ("consume", "read values from the Redis stream into the ingestion pipeline"),
    "worker": (
        "worker",
        "run queued jobs (scoring runs, target suggestions) and recover lost ones",
    ),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kaohe", description="Kaohe (考核) command line")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        try:
            module = importlib.import_module(f"kaohe.commands.{module_name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"kaohe.commands.{module_name}":
                raise
            continue
        command_parser = sub.add_parser(name, help=help_text, description=help_text)
        module.add_arguments(command_parser)
        command_parser.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args._run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
