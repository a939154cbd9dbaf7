"""A confirmed milestone part reaches the live standings at once: the provisional ranking of a
scheme reading the task is recomputed in the confirmation's transaction, through the page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from kaohe.results.models import ProvisionalStanding
from kaohe.results.provisional import refresh_provisional
from kaohe.schemes import services as schemes
from kaohe.testing.offensives import MILESTONE_YAML, build_task_world, report
from kaohe.testing.results import record_full_year
from kaohe.testing.world import World

pytestmark = pytest.mark.django_db


def test_confirming_a_part_refreshes_the_provisional_standing(world: World) -> None:
    tw = build_task_world(world)
    record_full_year(world)
    version = schemes.update_scheme_draft(
        world.version, acting_user=world.admin, yaml_text=MILESTONE_YAML
    )
    schemes.publish_scheme_version(version, acting_user=world.admin)
    type(tw.cycle).objects.filter(pk=tw.cycle.pk).update(state="in_progress")  # a live year
    first = tw.milestones[0]
    late = report(first, first.due + dt.timedelta(days=30), tw.lead_reporter)  # 30 days late
    refresh_provisional(list(tw.cycle.time_nodes.values_list("pk", flat=True)))
    before = ProvisionalStanding.objects.get(unit=tw.d1).score
    client = Client()
    client.force_login(tw.office)
    answer = client.post(
        f"/projects/tasks/reports/{late.pk}/decide/", {"decision": "confirm", "note": ""}
    )
    assert answer.status_code == 302
    after = ProvisionalStanding.objects.get(unit=tw.d1).score
    # as of the year's end every part is due: the lead's first part (weight 1 of 4) now counts
    # late, share 0.5, instead of missed, 0 — 10 points × 1 (lead) × 0.5 × 1/4 = 1.25 more
    assert before is not None and after is not None
    assert after - before == pytest.approx(1.25)
