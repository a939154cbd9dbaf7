"""manage.py send_goal_reminders: remind each review level of goal portfolios due or overdue
(run daily, e.g. from cron; the office can also press the button on /goals/portfolios/rules/)."""

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from kaohe.goals.services import send_review_reminders
from kaohe.schemes.models import Cycle


class Command(BaseCommand):
    help = "Leave in-app reminders for goal portfolios due within N days or overdue."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--cycle", type=int, help="cycle year (default: the latest)")
        parser.add_argument("--days", type=int, default=3, help="due within this many days")
        parser.add_argument(
            "--as", dest="username", required=True, help="the office user sending them"
        )

    def handle(
        self, *args: Any, cycle: int | None, days: int, username: str, **options: Any
    ) -> None:
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"no active user {username!r}")
        cycles = Cycle.objects.order_by("-year")
        chosen = cycles.filter(year=cycle).first() if cycle else cycles.first()
        if chosen is None:
            raise CommandError("no such cycle")
        sent = send_review_reminders(chosen, acting_user=user, within_days=days)
        self.stdout.write(f"{sent} reminder(s) sent for {chosen.year}.")
