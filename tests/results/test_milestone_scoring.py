"""A district scheme with a `milestones` leaf scored through the real `run_scoring` service:
the flood-control task led by East District (D01), West District (D02) cooperating, North
District (D03) not involved (``impute: {value: 1}``: full marks, a task it has no part in does
not count against it). Each participating unit reports its own part of every milestone and is
scored on its own confirmed dates.

Milestones (weights 1, 2, 1; due 2025-03-31, 06-30, 09-30), seen from the year's end.

East District (lead, role share 1):
- 1 completed 2025-03-20, confirmed: on time, share 1;
- 2 completed 2025-07-10, confirmed: 10 days late, share ``late`` = 0.5;
- 3 never reported: missed, share 0.
Weighted share (1·1 + 2·0.5 + 1·0) / 4 = 0.5: fraction 1 × 0.5, points 10 × 0.5 = 5.

West District (cooperating, role share 0.6), its own parts:
- 1 completed 2025-04-05, confirmed: 5 days late, share 0.5;
- 2 completed 2025-06-28, confirmed: on time, share 1;
- 3 completed 2025-09-30, confirmed: on time (the due day itself), share 1.
Weighted share (1·0.5 + 2·1 + 1·1) / 4 = 0.875: points 10 × 0.6 × 0.875 = 5.25.

D03: 10 (imputed).

The run before the last confirmations (East District's milestone 2, West District's milestone
3) ignores them: East (1·1 + 0 + 0) / 4 = 0.25 → 2.5; West (1·0.5 + 2·1 + 0) / 4 = 0.625 →
10 × 0.6 × 0.625 = 3.75."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kaohe.commands.score import read_data
from kaohe.engine import load_scheme
from kaohe.engine.errors import DataError
from kaohe.observations.models import Source
from kaohe.observations.services import ValueRow, record_observations
from kaohe.projects.offensives import services as tasks
from kaohe.results import services as results
from kaohe.results.inputs import build_snapshot
from kaohe.results.models import ProvisionalStanding, RunInput, ScoringRun, UnitResult
from kaohe.results.provisional import refresh_provisional
from kaohe.schemes import services as schemes
from kaohe.testing.offensives import (
    MILESTONE_YAML,
    TaskWorld,
    build_task_world,
    report,
    report_and_confirm,
)
from kaohe.testing.results import record_full_year
from kaohe.testing.world import World


def leaf_of(tree: dict, node_id: str) -> dict:
    if tree.get("id") == node_id:
        return tree
    for child in tree.get("children", []):
        found = leaf_of(child, node_id)
        if found:
            return found
    return {}


@pytest.fixture
def scored(world: World) -> tuple[TaskWorld, ScoringRun, object]:
    tw = build_task_world(world)
    record_full_year(world)
    record_observations(
        [
            ValueRow("D03", code, "2025Y", value, reason="年报")
            for code, value in (("gdp", 2000), ("gdp_growth", 6.0), ("fiscal_revenue", 60))
        ],
        acting_user=world.admin,
        source=Source.IMPORT,
    )
    first, second, third = tw.milestones
    report_and_confirm(first, dt.date(2025, 3, 20), tw.lead_reporter, tw.office)
    late = report(second, dt.date(2025, 7, 10), tw.lead_reporter)
    # West District's own parts, on its own dates
    report_and_confirm(first, dt.date(2025, 4, 5), tw.coop_reporter, tw.office)
    report_and_confirm(second, dt.date(2025, 6, 28), tw.coop_reporter, tw.office)
    west_last = report(third, dt.date(2025, 9, 30), tw.coop_reporter)
    before_confirmation = timezone.now()
    tasks.confirm_milestone(late, acting_user=tw.office)
    tasks.confirm_milestone(west_last, acting_user=tw.office)
    version = schemes.update_scheme_draft(
        world.version, acting_user=world.admin, yaml_text=MILESTONE_YAML
    )
    version = schemes.publish_scheme_version(version, acting_user=world.admin)
    run = results.run_scoring(version, acting_user=world.admin)
    return tw, run, before_confirmation


def points(run: ScoringRun) -> dict[str, float | None]:
    return {r.unit.code: r.nodes["flood_offensive"] for r in run.results.select_related("unit")}


def test_each_unit_scored_on_its_own_confirmed_parts(scored) -> None:  # type: ignore[no-untyped-def]
    _tw, run, _moment = scored
    assert points(run) == pytest.approx({"D01": 5.0, "D02": 5.25, "D03": 10.0})
    totals = {r.unit.code: r.status for r in run.results.select_related("unit")}
    assert totals == {"D01": "scored", "D02": "scored", "D03": "scored"}


def test_the_run_stores_each_units_record(scored) -> None:  # type: ignore[no-untyped-def]
    tw, run, _moment = scored
    stored = {i.unit.code: i for i in RunInput.objects.filter(run=run, code="flood_control")}
    assert stored["D03"].record is None
    lead = stored["D01"].record
    assert lead["role"] == "lead" and lead["as_of"] == "2025-12-31"
    assert [m["done"] for m in lead["milestones"]] == ["2025-03-20", "2025-07-10", None]
    assert lead["provenance"]["offensive"] == tw.offensive.pk
    assert sorted(lead["provenance"]["reports"]) == ["1", "2"]
    west = stored["D02"].record
    assert west["role"] == "cooperating"
    assert [m["done"] for m in west["milestones"]] == ["2025-04-05", "2025-06-28", "2025-09-30"]
    # each unit's provenance lists its own reports
    assert sorted(west["provenance"]["reports"]) == ["1", "2", "3"]
    assert not set(west["provenance"]["reports"].values()) & set(
        lead["provenance"]["reports"].values()
    )


def test_the_explanation_lists_the_milestones_used(scored) -> None:  # type: ignore[no-untyped-def]
    _tw, run, _moment = scored
    result = UnitResult.objects.get(run=run, unit__code="D02")
    leaf = leaf_of(result.explanation["tree"], "flood_offensive")
    ms = leaf["milestones"]
    assert ms["role"] == "cooperating" and ms["role_share"] == 0.6 and ms["share"] == 0.875
    assert [(m["status"], m["days_late"], m["share"]) for m in ms["milestones"]] == [
        ("late", 5, 0.5),
        ("on_time", None, 1.0),
        ("on_time", None, 1.0),
    ]
    assert leaf["periods"][0]["inputs"][0]["provenance"].startswith("offensive:")
    uninvolved = UnitResult.objects.get(run=run, unit__code="D03")
    assert leaf_of(uninvolved.explanation["tree"], "flood_offensive")["milestones"] is None


def test_the_result_page_shows_the_milestones(scored, client) -> None:  # type: ignore[no-untyped-def]
    tw, run, _moment = scored
    client.force_login(tw.world.admin)
    page = client.get(f"/results/runs/{run.pk}/units/D01/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-status="late"' in html and 'data-status="missed"' in html
    assert "Build the pumping station" in html and "lead unit" in html
    zh = client.get(f"/results/runs/{run.pk}/units/D01/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "建成泵站" in zh.content.decode()


def test_a_run_at_an_earlier_moment_ignores_a_later_confirmation(scored) -> None:  # type: ignore[no-untyped-def]
    tw, run, before_confirmation = scored
    earlier = results.run_scoring(
        run.scheme_version, acting_user=tw.world.admin, snapshot_at=before_confirmation
    )
    # East's milestone 2 and West's milestone 3 were reported but not yet confirmed then:
    # missed; East (1·1 + 0 + 0) / 4 = 0.25, West (1·0.5 + 2·1 + 0) / 4 = 0.625
    assert points(earlier) == pytest.approx({"D01": 2.5, "D02": 3.75, "D03": 10.0})
    again = results.run_scoring(
        run.scheme_version, acting_user=tw.world.admin, snapshot_at=before_confirmation
    )
    assert again.input_fingerprint == earlier.input_fingerprint != run.input_fingerprint
    assert again.result_fingerprint == earlier.result_fingerprint


def test_a_confirmation_changes_the_fingerprint(scored) -> None:  # type: ignore[no-untyped-def]
    tw, run, _moment = scored
    scheme = load_scheme(run.scheme_version.document)
    units = results.scheme_units(run.category)
    now = timezone.now()
    first = build_snapshot(scheme, tw.cycle, units, moment=now, node_code="Y")
    report_and_confirm(tw.milestones[2], dt.date(2025, 10, 8), tw.lead_reporter, tw.office)
    later = build_snapshot(scheme, tw.cycle, units, moment=timezone.now(), node_code="Y")
    assert later.fingerprint != first.fingerprint
    same = build_snapshot(scheme, tw.cycle, units, moment=now, node_code="Y")
    assert same.fingerprint == first.fingerprint


def test_provisional_standings_read_a_milestones_scheme(scored) -> None:  # type: ignore[no-untyped-def]
    tw, run, _moment = scored
    schemes_cycle = tw.cycle
    type(schemes_cycle).objects.filter(pk=schemes_cycle.pk).update(state="in_progress")
    ranked = refresh_provisional(list(schemes_cycle.time_nodes.values_list("pk", flat=True)))
    assert ranked == 3
    assert ProvisionalStanding.objects.filter(scheme_version=run.scheme_version).count() == 3


def test_the_run_pages_read_a_milestones_scheme(scored, client) -> None:  # type: ignore[no-untyped-def]
    tw, run, _moment = scored
    client.force_login(tw.world.admin)
    for url in (
        f"/results/runs/{run.pk}/",
        f"/results/runs/{run.pk}/units/D02/diagnosis/",
        f"/results/runs/{run.pk}/export.xlsx",
        f"/api/v1/scoring-runs/{run.pk}/",
        f"/api/v1/scoring-runs/{run.pk}/units/D01/",
        f"/api/v1/scoring-runs/{run.pk}/units/D01/diagnosis/",
    ):
        assert client.get(url).status_code == 200, url


def test_scoring_a_file_refuses_milestones_inputs(tmp_path) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "data.csv"
    data.write_text("unit,gdp,gdp_growth,fiscal_revenue,flood_control\nD01,1,2,3,x\n")
    with pytest.raises(DataError) as exc:
        read_data(data, load_scheme(MILESTONE_YAML))
    assert "a CSV file cannot hold milestone records" in str(exc.value)
