"""Provisional standings: every accepted batch re-ranks the units of a cycle under way, in the
same transaction; the page polls them and each user sees their scope."""

from __future__ import annotations

import pytest
from django.test import Client

from kaohe.core.errors import BatchRejected
from kaohe.flows.ingest import ingest
from kaohe.observations.models import Source
from kaohe.observations.services import ValueRow
from kaohe.results.models import ProvisionalStanding
from kaohe.results.provisional import refresh_provisional
from kaohe.schemes import services as schemes

pytestmark = pytest.mark.django_db


@pytest.fixture
def live(world):  # type: ignore[no-untyped-def]
    schemes.publish_scheme_version(world.version, acting_user=world.admin)
    schemes.advance_cycle(world.cycle, acting_user=world.admin)  # goal setting
    schemes.advance_cycle(world.cycle, acting_user=world.admin)  # in progress
    return world


def standings() -> dict[str, tuple[float | None, int | None, str]]:
    return {
        s.unit.code: (s.score, s.rank, s.node_code)
        for s in ProvisionalStanding.objects.select_related("unit")
    }


def test_an_accepted_batch_reranks_at_once(live):  # type: ignore[no-untyped-def]
    # H1 is the latest period with values: D01 grows 7.1 ≥ 6 (50) and leads GDP and revenue
    # (30 + 20); D02 misses the growth target (0) and is second on both ranks (28.5 + 19).
    ingest(
        [ValueRow("D01", "gdp", "2025H1", "1250", reason="revised")],
        acting_user=live.admin,
        source=Source.API,
    )
    assert standings() == {"D01": (100.0, 1, "H1"), "D02": (47.5, 2, "H1")}
    result = ingest(
        [ValueRow("D02", "gdp_growth", "2025H1", "6.5", reason="revised by the bureau")],
        acting_user=live.admin,
        source=Source.API,
    )
    assert standings() == {"D01": (100.0, 1, "H1"), "D02": (97.5, 2, "H1")}
    assert set(ProvisionalStanding.objects.values_list("batch", flat=True)) == {result.batch.pk}


def test_a_rejected_batch_leaves_the_standings(live):  # type: ignore[no-untyped-def]
    ingest(
        [ValueRow("D01", "gdp", "2025H1", "1300", reason="revised")],
        acting_user=live.admin,
        source="api",
    )
    before = list(ProvisionalStanding.objects.values_list("unit__code", "score", "computed_at"))
    with pytest.raises(BatchRejected):
        ingest(
            [
                ValueRow("D02", "gdp_growth", "2025H1", "9", reason="x"),
                ValueRow("D99", "gdp", "2025H1", "1"),
            ],
            acting_user=live.admin,
            source="api",
        )
    after = list(ProvisionalStanding.objects.values_list("unit__code", "score", "computed_at"))
    assert after == before


def test_a_cycle_not_under_way_has_no_standings(world):  # type: ignore[no-untyped-def]
    schemes.publish_scheme_version(world.version, acting_user=world.admin)
    ingest(
        [ValueRow("D01", "gdp", "2025H1", "1300", reason="revised")],
        acting_user=world.admin,
        source="api",
    )
    assert not ProvisionalStanding.objects.exists()  # the cycle is still being planned


def test_a_batch_the_scheme_does_not_read_changes_nothing(live):  # type: ignore[no-untyped-def]
    ids = list(live.cycle.time_nodes.values_list("pk", flat=True))
    assert refresh_provisional(ids) == 2
    computed = set(ProvisionalStanding.objects.values_list("computed_at", flat=True))
    assert refresh_provisional(ids, changed_codes={"tax_revenue"}) == 0
    assert set(ProvisionalStanding.objects.values_list("computed_at", flat=True)) == computed


def test_late_values_score_zero_and_are_named(live):  # type: ignore[no-untyped-def]
    ingest(
        [
            ValueRow("D01", "gdp", "2025Q3", "1900"),
            ValueRow("D01", "gdp_growth", "2025Q3", "7"),
            ValueRow("D01", "fiscal_revenue", "2025Q3", "140"),
            ValueRow("D02", "gdp", "2025Q3", "1300"),
            ValueRow("D02", "fiscal_revenue", "2025Q3", "100"),
        ],
        acting_user=live.admin,
        source="api",
    )
    rows = {s.unit.code: s for s in ProvisionalStanding.objects.select_related("unit")}
    assert rows["D02"].node_code == "Q3"
    assert rows["D02"].missing == ["gdp_growth_score"]
    assert rows["D02"].score == 47.5 and rows["D01"].score == 100.0
    assert rows["D01"].missing == [] and rows["D01"].coverage == 1.0


def test_page_api_and_scope(live):  # type: ignore[no-untyped-def]
    ingest(
        [ValueRow("D01", "gdp", "2025H1", "1300", reason="revised")],
        acting_user=live.admin,
        source="api",
    )
    office, reporter = Client(), Client()
    office.force_login(live.users["office"])
    reporter.force_login(live.users["d2_reporter"])
    page = office.get("/results/provisional/")
    assert page.status_code == 200
    assert page.content.decode().count("data-unit=") == 2
    own = reporter.get("/results/provisional/").content.decode()
    assert 'data-unit="D02"' in own and 'data-unit="D01"' not in own
    api = reporter.get("/api/v1/provisional-standings/").json()
    assert [(r["unit"], r["rank"], r["score"]) for r in api] == [("D02", 2, 47.5)]
    assert office.get("/api/v1/provisional-standings/?unit=D01").json()[0]["rank"] == 1
    rows = office.get("/results/provisional/rows/")
    assert (
        office.get("/results/provisional/rows/", HTTP_IF_NONE_MATCH=rows["ETag"]).status_code == 304
    )
    ingest(
        [ValueRow("D02", "gdp", "2025H1", "1400", reason="census revision")],
        acting_user=live.admin,
        source="api",
    )
    again = office.get("/results/provisional/rows/", HTTP_IF_NONE_MATCH=rows["ETag"])
    assert again.status_code == 200
    # D02 now leads GDP (30) but still misses its growth target: 0 + 30 + 19
    assert "49.00" in again.content.decode()


def test_another_districts_standing_is_404(live):  # type: ignore[no-untyped-def]
    ingest(
        [ValueRow("D01", "gdp", "2025H1", "1300", reason="revised")],
        acting_user=live.admin,
        source="api",
    )
    reporter = Client()
    reporter.force_login(live.users["d1_reporter"])
    own = ProvisionalStanding.objects.get(unit=live.d1)
    other = ProvisionalStanding.objects.get(unit=live.d2)
    assert reporter.get(f"/api/v1/provisional-standings/{own.pk}/").status_code == 200
    assert reporter.get(f"/api/v1/provisional-standings/{other.pk}/").status_code == 404
    assert reporter.post("/api/v1/provisional-standings/", {}).status_code == 405
