"""A major task's milestone part confirmed, into the live standings.

A confirmed part changes what the scheme's `milestones` leaf reads for its unit (the records
are read from the confirmed reports, `projects.offensives.inputs`), so the cycle's provisional
standings are refreshed at once for the schemes that read the task — as a data batch refreshes
them for the indicators it changes. A returned part changes no record: nothing to refresh."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from kaohe.projects.models import MilestoneReport
from kaohe.projects.offensives import services
from kaohe.results.provisional import refresh_provisional
from kaohe.schemes.models import TimeNode


@transaction.atomic
def confirm_part(report: MilestoneReport, *, acting_user: Any, note: str = "") -> MilestoneReport:
    """The office confirms a unit's part (`services.confirm_milestone`), then the standings of
    the schemes reading the task are recomputed in the same transaction."""
    confirmed = services.confirm_milestone(report, acting_user=acting_user, note=note)
    offensive = confirmed.milestone.offensive
    nodes = TimeNode.objects.filter(cycle_id=offensive.cycle_id).values_list("pk", flat=True)
    refresh_provisional(list(nodes), changed_codes={offensive.code})
    return confirmed
