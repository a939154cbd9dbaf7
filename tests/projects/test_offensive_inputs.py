"""What the `milestones` method reads of the major tasks (`offensives.inputs.involvements`),
and that the board and a unit's tasks are read in a handful of queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kaohe.engine.milestones import Involvement, score_involvements
from kaohe.projects.models import Offensive
from kaohe.projects.offensives import selectors, services
from kaohe.projects.offensives.inputs import involvements
from kaohe.testing.offensives import (
    MILESTONES,
    TaskWorld,
    build_offensive,
    build_task_world,
    report,
    report_and_confirm,
)
from kaohe.testing.world import World

AS_OF = dt.date(2025, 12, 31)


@pytest.fixture
def tw(world: World) -> TaskWorld:
    return build_task_world(world)


def test_each_participant_gets_its_role_and_its_own_confirmed_dates(tw: TaskWorld) -> None:
    first, second, _third = tw.milestones
    confirmed = report_and_confirm(first, dt.date(2025, 3, 20), tw.lead_reporter, tw.office)
    report(second, dt.date(2025, 7, 1), tw.lead_reporter)  # awaiting: not done yet
    coop_first = report_and_confirm(first, dt.date(2025, 4, 3), tw.coop_reporter, tw.office)
    units = [tw.d1.pk, tw.d2.pk, tw.d3.pk]
    found = involvements(tw.cycle, ["flood_control", "nothing"], units, moment=None, as_of=AS_OF)
    assert set(found) == {"flood_control"}  # a code naming no task gives no records
    by_unit = found["flood_control"]
    assert set(by_unit) == {tw.d1.pk, tw.d2.pk}  # D03 takes no part
    lead, provenance = by_unit[tw.d1.pk]
    assert isinstance(lead, Involvement) and lead.role == "lead" and lead.as_of == "2025-12-31"
    assert [(m.id, m.weight, m.due, m.done) for m in lead.milestones] == [
        ("1", 1.0, "2025-03-31", "2025-03-20"),
        ("2", 2.0, "2025-06-30", None),
        ("3", 1.0, "2025-09-30", None),
    ]
    assert lead.milestones[1].name_en == "Build the pumping station"
    assert provenance == {"offensive": tw.offensive.pk, "reports": {"1": confirmed.pk}}
    coop, coop_provenance = by_unit[tw.d2.pk]
    assert coop.role == "cooperating"
    # West District's own part: done later than the lead's, the rest not done
    assert [m.done for m in coop.milestones] == ["2025-04-03", None, None]
    assert coop_provenance == {"offensive": tw.offensive.pk, "reports": {"1": coop_first.pk}}


def test_two_districts_of_a_task_score_apart_when_one_is_late(tw: TaskWorld) -> None:
    roads = build_offensive(tw.world, code="roads", cooperating=[tw.d2, tw.d3])
    first, second, third = roads.milestones.order_by("seq")
    for milestone, done in ((first, (3, 30)), (second, (6, 30)), (third, (9, 30))):
        report_and_confirm(milestone, dt.date(2025, *done), tw.coop_reporter, tw.office)
    # North District: the first on time, the second 10 days late, the third missed
    report_and_confirm(first, dt.date(2025, 3, 31), tw.d3_reporter, tw.office)
    report_and_confirm(second, dt.date(2025, 7, 10), tw.d3_reporter, tw.office)
    found = involvements(tw.cycle, ["roads"], [tw.d2.pk, tw.d3.pk], moment=None, as_of=AS_OF)
    cells = [found["roads"][tw.d2.pk][0], found["roads"][tw.d3.pk][0]]
    fraction, _details, _breakdown = score_involvements(
        cells, roles={"lead": 1, "cooperating": 0.6}, late=0.5
    )
    # D02 all on time: 0.6 × 1; D03 (1·1 + 2·0.5 + 1·0) / 4 = 0.5: 0.6 × 0.5
    assert fraction.tolist() == pytest.approx([0.6, 0.3])


def test_a_confirmation_after_the_moment_is_not_read(tw: TaskWorld) -> None:
    pending = report(tw.milestones[0], dt.date(2025, 3, 20), tw.lead_reporter)
    before = timezone.now()
    services.confirm_milestone(pending, acting_user=tw.office)
    then = involvements(tw.cycle, ["flood_control"], [tw.d1.pk], moment=before, as_of=AS_OF)
    assert then["flood_control"][tw.d1.pk][0].milestones[0].done is None
    now = involvements(tw.cycle, ["flood_control"], [tw.d1.pk], moment=timezone.now(), as_of=AS_OF)
    assert now["flood_control"][tw.d1.pk][0].milestones[0].done == "2025-03-20"


def test_a_returned_report_does_not_count(tw: TaskWorld) -> None:
    sent = report(tw.milestones[0], dt.date(2025, 3, 20), tw.lead_reporter)
    services.return_milestone(sent, acting_user=tw.office, reason="不全")
    found = involvements(tw.cycle, ["flood_control"], [tw.d1.pk], moment=None, as_of=AS_OF)
    assert found["flood_control"][tw.d1.pk][0].milestones[0].done is None


def test_reads_take_a_handful_of_queries(tw: TaskWorld) -> None:
    for n in range(5):
        build_offensive(tw.world, code=f"task_{n}")
    for milestone in tw.milestones:
        report(milestone, dt.date(2025, 3, 1), tw.lead_reporter)
    codes = ["flood_control", *(f"task_{n}" for n in range(5))]
    with CaptureQueriesContext(connection) as reads:
        found = involvements(tw.cycle, codes, [tw.d1.pk, tw.d2.pk], moment=None, as_of=AS_OF)
    assert len(found) == 6 and len(reads) == 4
    with CaptureQueriesContext(connection) as reads:
        board = selectors.board(selectors.visible_milestones(tw.office))
    assert board.total == 36 and len(reads) <= 3  # 6 tasks × 3 milestones × 2 units
    with CaptureQueriesContext(connection) as reads:
        filtered = selectors.board(
            selectors.visible_milestones(tw.office).filter(part_unit_id=tw.d2.pk)
        )
    assert filtered.total == 18 and len(reads) <= 3
    with CaptureQueriesContext(connection) as reads:
        tasks = selectors.my_tasks(tw.lead_reporter)
    assert len(tasks) == 6 and len(reads) <= 6


def test_the_detail_and_the_api_list_take_a_constant_number_of_queries(
    tw: TaskWorld, client: Client
) -> None:
    def reads_of_detail(offensive: Offensive) -> int:
        viewer = type(tw.coop_reporter).objects.get(pk=tw.coop_reporter.pk)  # no cached scope
        with CaptureQueriesContext(connection) as reads:
            detail = selectors.offensive_detail(offensive, viewer)
            assert all(e.name for m in detail.milestones for c in m.cells for r in c.reports
                       for e in r.evidence.all())  # fmt: skip
        return len(reads)

    def reads_of_api() -> int:
        client.force_login(tw.office)
        with CaptureQueriesContext(connection) as reads:
            assert client.get("/api/v1/offensive-milestones/").status_code == 200
        return len(reads)

    small = build_offensive(tw.world, code="small", milestones=[MILESTONES[0]])
    report(small.milestones.get(), dt.date(2025, 3, 1), tw.lead_reporter)
    few_detail, few_api = reads_of_detail(small), reads_of_api()
    big = build_offensive(tw.world, code="big", cooperating=[tw.d2, tw.d3])
    for milestone in big.milestones.all():
        for reporter in (tw.lead_reporter, tw.coop_reporter, tw.d3_reporter):
            report(milestone, dt.date(2025, 3, 1), reporter)
    assert reads_of_detail(big) == few_detail <= 6
    assert reads_of_api() == few_api
