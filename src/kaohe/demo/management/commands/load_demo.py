"""manage.py load_demo: load the demo city into an empty database."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kaohe.demo.load import DEMO_PASSWORD, demo_loaded, load_demo


class Command(BaseCommand):
    help = "Load the deterministic demo city (fictional) into an empty database."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--seed", type=int, default=2025)

    def handle(self, *args: Any, seed: int, **options: Any) -> None:
        if demo_loaded():
            raise CommandError("The demo city is already loaded.")
        logins = load_demo(seed=seed)
        self.stdout.write(f"Loaded. Password for every login: {DEMO_PASSWORD}")
        for login in logins:
            self.stdout.write(f"  {login.username:<14} {login.role:<14} {login.description}")
