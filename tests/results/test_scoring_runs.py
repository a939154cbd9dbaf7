"""Scoring runs in the platform: frozen snapshots, bit-for-bit re-runs, immutability once
published, corrections with reasons, scope, the pages, the API and the Excel export."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from openpyxl import load_workbook

from kaohe.core.events import EventType
from kaohe.core.models import AuditEvent
from kaohe.indicators import services as indicators
from kaohe.observations.models import Source
from kaohe.observations.services import ValueRow, record_observations
from kaohe.results import services
from kaohe.results.export import safe_text
from kaohe.results.models import RunInput, ScoringRun, UnitResult
from kaohe.schemes import services as schemes
from kaohe.testing.jobs import run_queued_jobs
from kaohe.testing.world import SCHEME_YAML

pytestmark = pytest.mark.django_db


def full_year(world, d1=(5000, 7.0, 120), d2=(3000, 5.0, 80)):  # type: ignore[no-untyped-def]
    rows = [
        ValueRow(unit, code, "2025Y", value, reason="年报")
        for unit, values in (("D01", d1), ("D02", d2))
        for code, value in zip(("gdp", "gdp_growth", "fiscal_revenue"), values, strict=True)
    ]
    return record_observations(rows, acting_user=world.admin, source=Source.IMPORT)


@pytest.fixture
def published(world):  # type: ignore[no-untyped-def]
    full_year(world)
    return schemes.publish_scheme_version(world.version, acting_user=world.admin)


def test_a_run_scores_ranks_grades_and_remembers_its_inputs(world, published):  # type: ignore[no-untyped-def]
    run = services.run_scoring(published, acting_user=world.admin)
    results = {r.unit.code: r for r in run.results.select_related("unit")}
    # D01: growth 7 ≥ 6 → 50; largest GDP and fiscal revenue → 30 + 20. D02: 0 + 28.5 + 19.
    assert (results["D01"].total_rounded, results["D01"].rank, results["D01"].grade) == (
        100.0,
        1,
        "qualified",
    )
    assert (results["D02"].total_rounded, results["D02"].rank, results["D02"].grade) == (
        47.5,
        2,
        "unqualified",
    )
    assert results["D01"].nodes["gdp_growth_score"] == 50.0
    used = RunInput.objects.get(run=run, unit__code="D02", code="gdp")
    assert used.value == 3000.0 and used.version.observation.time_node.period == "2025Y"
    leaf = results["D02"].explanation["tree"]["children"][0]["children"][1]
    assert leaf["periods"][0]["inputs"][0]["provenance"] == f"v{used.version_id}"
    assert (run.units_scored, run.units_not_scored, run.status) == (2, 0, "draft")
    event = AuditEvent.objects.get(event_type=EventType.SCORING_RUN_CREATED)
    assert event.extra_data["input_fingerprint"] == run.input_fingerprint


def test_the_same_snapshot_gives_identical_results(world, published):  # type: ignore[no-untyped-def]
    moment = timezone.now()
    first = services.run_scoring(published, acting_user=world.admin, snapshot_at=moment)
    # A later correction does not touch a run on the earlier snapshot.
    record_observations(
        [ValueRow("D02", "gdp_growth", "2025Y", 6.5, reason="统计局更正")], acting_user=world.admin
    )
    again = services.run_scoring(published, acting_user=world.admin, snapshot_at=moment)
    later = services.run_scoring(published, acting_user=world.admin)
    assert again.input_fingerprint == first.input_fingerprint
    assert again.result_fingerprint == first.result_fingerprint
    first_totals = list(first.results.order_by("unit__code").values_list("total", flat=True))
    again_totals = list(again.results.order_by("unit__code").values_list("total", flat=True))
    assert first_totals == again_totals == [100.0, 47.5]
    assert later.input_fingerprint != first.input_fingerprint
    later_totals = later.results.order_by("unit__code").values_list("total_rounded", flat=True)
    assert list(later_totals) == [100.0, 97.5]


def test_a_unit_lacking_an_input_is_not_scored_and_says_why(world, published):  # type: ignore[no-untyped-def]
    old = timezone.now() - dt.timedelta(days=1)
    run = services.run_scoring(published, acting_user=world.admin, snapshot_at=old)
    # Yesterday no full-year value existed yet: every unit lacks its first required input.
    reasons = sorted(run.results.values_list("status", "reason"))
    assert reasons == [("not_scored", "missing input gdp_growth (gdp_growth_score)")] * 2
    assert (run.units_scored, run.units_not_scored) == (0, 2)
    assert list(run.results.values_list("rank", flat=True)) == [None, None]


def test_published_runs_are_frozen_and_corrections_need_a_reason(world, published):  # type: ignore[no-untyped-def]
    first = services.publish_scoring_run(
        services.run_scoring(published, acting_user=world.admin), acting_user=world.admin
    )
    first.reason = "changed"
    with pytest.raises(ValueError, match="cannot change"):
        first.save()
    result = first.results.first()
    with pytest.raises(ValueError, match="written once"):
        result.save()
    second = services.run_scoring(published, acting_user=world.admin)
    with pytest.raises(ValidationError, match="needs a reason"):
        services.publish_scoring_run(second, acting_user=world.admin)
    second = services.publish_scoring_run(second, acting_user=world.admin, reason="更正 D02 数据")
    first.refresh_from_db()
    assert (first.status, second.status, second.supersedes_id) == (
        "superseded",
        "published",
        first.pk,
    )
    with pytest.raises(ValidationError, match="Only a draft"):
        services.publish_scoring_run(second, acting_user=world.admin)


def test_rank_change_against_the_previous_cycle(world, published):  # type: ignore[no-untyped-def]
    services.publish_scoring_run(
        services.run_scoring(published, acting_user=world.admin), acting_user=world.admin
    )
    cycle = schemes.create_cycle(acting_user=world.admin, year=2026)
    from kaohe.testing.world import SCHEME_YAML

    version = schemes.create_scheme(
        acting_user=world.admin,
        cycle=cycle,
        category=world.district_category,
        code="district-2026",
        name_zh="2026方案",
        yaml_text=SCHEME_YAML,
    )
    version = schemes.publish_scheme_version(version, acting_user=world.admin)
    record_observations(
        [
            ValueRow(u, code, "2026Y", v)
            for u, vals in (("D01", (5000, 5.0, 80)), ("D02", (6000, 7.0, 120)))
            for code, v in zip(("gdp", "gdp_growth", "fiscal_revenue"), vals, strict=True)
        ],
        acting_user=world.admin,
    )
    run = services.run_scoring(version, acting_user=world.admin)
    rows = {r.unit.code: (r.rank, r.previous_rank, r.rank_change) for r in run.results.all()}
    assert rows == {"D01": (2, 1, -1), "D02": (1, 2, 1)}


def test_only_the_office_runs_and_publishes(world, published):  # type: ignore[no-untyped-def]
    with pytest.raises(PermissionDenied):
        services.run_scoring(published, acting_user=world.users["committee"])
    assert ScoringRun.objects.count() == 0
    run = services.run_scoring(published, acting_user=world.admin)
    with pytest.raises(PermissionDenied):
        services.publish_scoring_run(run, acting_user=world.users["d1_head"])
    run.refresh_from_db()
    assert run.status == "draft"


def test_pages_api_and_scope(world, published, client):  # type: ignore[no-untyped-def]
    run = services.run_scoring(published, acting_user=world.admin)
    client.force_login(world.users["d1_reporter"])
    assert client.get(f"/results/runs/{run.pk}/").status_code == 404  # drafts are not shown
    assert client.get("/api/v1/scoring-runs/").json()["results"] == []
    services.publish_scoring_run(run, acting_user=world.admin)
    page = client.get(f"/results/runs/{run.pk}/")
    assert page.status_code == 200
    assert client.get(f"/results/runs/{run.pk}/units/D01/").status_code == 200
    assert client.get(f"/results/runs/{run.pk}/units/D02/").status_code == 404
    assert client.get(f"/api/v1/scoring-runs/{run.pk}/units/D02/").status_code == 404
    own = client.get(f"/api/v1/scoring-runs/{run.pk}/units/D01/").json()
    assert own["rank"] == 1 and own["explanation"]["total"] == 100.0
    ranking = client.get(f"/api/v1/scoring-runs/{run.pk}/results/").json()
    assert [(r["unit"], r["rank"]) for r in ranking] == [("D01", 1), ("D02", 2)]
    # the ranking line of every unit, as on the page; node scores only where the unit page opens
    nodes = {r["unit"]: r["nodes"] for r in ranking}
    assert nodes["D01"] and nodes["D02"] is None
    client.force_login(world.users["office"])
    everyone = client.get(f"/api/v1/scoring-runs/{run.pk}/results/").json()
    assert all(r["nodes"] for r in everyone)
    client.force_login(world.users["d1_reporter"])
    assert client.get(f"/results/runs/{run.pk}/export.xlsx").status_code == 403
    assert client.post(f"/api/v1/scoring-runs/{run.pk}/publish/").status_code == 403


def test_office_computes_and_publishes_through_the_api(  # type: ignore[no-untyped-def]
    world, published, client, django_capture_on_commit_callbacks
):
    client.force_login(world.users["office"])
    with django_capture_on_commit_callbacks(execute=True):
        created = client.post(
            "/api/v1/scoring-runs/", {"scheme": "district-2025", "version": 1, "node_code": "Y"}
        )
    # a run is computed by a worker: 202 with the job, whose URL is in Location
    assert created.status_code == 202
    job_url = created.json()["url"]
    assert created["Location"] == job_url
    assert (created.json()["status"], created.json()["result"]) == ("queued", None)
    assert ScoringRun.objects.count() == 0
    assert run_queued_jobs() == 1
    job = client.get(job_url).json()
    assert (job["status"], job["progress"], job["result"]["type"]) == (
        "succeeded",
        100,
        "results.scoringrun",
    )
    run_id = int(job["result"]["id"])
    assert job["result_url"] == f"/results/runs/{run_id}/"
    assert client.get(f"/api/v1/scoring-runs/{run_id}/").json()["units_scored"] == 2
    published_run = client.post(f"/api/v1/scoring-runs/{run_id}/publish/", {"reason": "审定"})
    assert published_run.json()["status"] == "published"
    bad = client.post("/api/v1/scoring-runs/", {"scheme": "district-2025", "version": 9})
    assert bad.status_code == 400


def test_excel_export_holds_the_ranking_and_is_formula_safe(world, published, client):  # type: ignore[no-untyped-def]
    run = services.publish_scoring_run(
        services.run_scoring(published, acting_user=world.admin), acting_user=world.admin
    )
    client.force_login(world.users["office"])
    response = client.get(f"/results/runs/{run.pk}/export.xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("单位代码 unit", "单位 name", "类别 category", "总分 total", "排名 rank")
    assert [(r[0], r[3], r[4], r[7]) for r in rows[1:]] == [
        ("D01", 100.0, 1, "合格"),  # the grade's name, not its code
        ("D02", 47.5, 2, "不合格"),
    ]
    assert safe_text('=HYPERLINK("x")') == '\'=HYPERLINK("x")'
    assert safe_text("-1+2") == "'-1+2" and safe_text("东区") == "东区"


def test_every_unit_result_is_scoped(world, published):  # type: ignore[no-untyped-def]
    services.run_scoring(published, acting_user=world.admin)
    visible = UnitResult.objects.restrict(world.users["d2_reporter"])
    assert list(visible.values_list("unit__code", flat=True)) == ["D02"]


def test_a_grade_the_scheme_does_not_map_stops_the_run_with_its_name(world):  # type: ignore[no-untyped-def]
    """The catalogue admits 一般, the scheme maps only 好 and 较好: the run is refused with a
    message naming the value, not an unhandled error."""
    indicators.create_indicator(
        acting_user=world.admin,
        code="party_rating",
        name_zh="党建评价",
        value_type="grade",
        grade_labels=["好", "较好", "一般"],
        frequency="annual",
    )
    text = SCHEME_YAML.replace(
        "      input: fiscal_revenue\n      method: {type: rank}",
        "      input: party_rating\n      method: {type: graded, map: {好: 1, 较好: 0.9}}",
    )
    version = schemes.update_scheme_draft(
        world.version, acting_user=world.admin, yaml_text=text, change_note="党建评等次"
    )
    version = schemes.publish_scheme_version(version, acting_user=world.admin)
    full_year(world)
    record_observations(
        [
            ValueRow("D01", "party_rating", "2025Y", "好"),
            ValueRow("D02", "party_rating", "2025Y", "一般"),
        ],
        acting_user=world.admin,
        source=Source.IMPORT,
    )
    with pytest.raises(ValidationError) as caught:
        services.run_scoring(version, acting_user=world.admin)
    assert "cannot be scored by this scheme" in caught.value.messages[0]
    assert "一般" in caught.value.messages[0]
    assert not ScoringRun.objects.exists()
