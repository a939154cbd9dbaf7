"""The projects' investment into the data: each district's cumulative actual investment at each
ended time node through the ingestion pipeline (sending the same again writes nothing), and a
monitoring cross-check that flags a district reporting less fixed-asset investment than its
projects add up to."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from kaohe.core.events import EventType
from kaohe.core.models import AuditEvent
from kaohe.flows.ingest import ingest
from kaohe.flows.projects import district_investment, feed_investment
from kaohe.indicators import services as indicator_services
from kaohe.monitoring import services as monitoring
from kaohe.monitoring.models import Warning
from kaohe.observations.models import IngestionBatch, Observation, Source
from kaohe.observations.services import ValueRow
from kaohe.projects import services
from kaohe.testing.projects import ProjectWorld


@pytest.fixture
def fed(pw: ProjectWorld, monkeypatch: pytest.MonkeyPatch) -> ProjectWorld:
    monkeypatch.setattr(timezone, "localdate", lambda: dt.date(2025, 7, 20))
    office = pw.office
    for code, name in (
        ("fixed_asset_investment", "固定资产投资"),
        ("key_project_investment", "重点项目完成投资"),
    ):
        pw.indicators[code] = indicator_services.create_indicator(
            acting_user=office, code=code, name_zh=name, unit_zh="万元", decimals=2
        )
    services.set_investment_feed(
        pw.cycle, pw.indicators["key_project_investment"], acting_user=office
    )
    reporter = pw.users["d1_reporter"]
    for month, amount in (("2025-01", 100), ("2025-02", 120), ("2025-04", 200), ("2025-06", 50)):
        services.report_progress(
            pw.east, month=month, invested=amount, status="under_way", acting_user=reporter
        )
    services.report_progress(  # a second version of February counts instead
        pw.east, month="2025-02", invested=150, status="under_way", acting_user=reporter
    )
    services.report_progress(
        pw.west,
        month="2025-03",
        invested=40,
        status="under_way",
        acting_user=pw.users["d2_reporter"],
    )
    return pw


def test_the_sums_by_district_and_ended_node(fed: ProjectWorld) -> None:
    figures = district_investment(fed.cycle, as_of=dt.date(2025, 7, 20))
    assert [(d, p, float(v)) for d, p, v in figures] == [
        ("D01", "2025Q1", 250.0),
        ("D01", "2025H1", 500.0),
        ("D02", "2025Q1", 40.0),
        ("D02", "2025H1", 40.0),
    ]


def test_the_feed_goes_through_the_pipeline_once(fed: ProjectWorld) -> None:
    result = feed_investment(fed.cycle, acting_user=fed.office)
    assert result is not None and not result.duplicate
    assert result.batch.source == Source.PROJECTS
    values = {
        (o.unit.code, o.time_node.period): float(o.value)
        for o in Observation.objects.filter(
            indicator__code="key_project_investment"
        ).select_related("unit", "time_node")
    }
    assert values == {
        ("D01", "2025Q1"): 250.0,
        ("D01", "2025H1"): 500.0,
        ("D02", "2025Q1"): 40.0,
        ("D02", "2025H1"): 40.0,
    }
    batches = IngestionBatch.objects.count()
    again = feed_investment(fed.cycle, acting_user=fed.office)
    assert again is not None and again.duplicate
    assert IngestionBatch.objects.count() == batches
    assert AuditEvent.objects.filter(event_type=EventType.PROJECT_INVESTMENT_FED).count() == 1


def test_only_the_office_feeds_and_only_when_configured(pw: ProjectWorld) -> None:
    with pytest.raises(ValidationError):
        feed_investment(pw.cycle, acting_user=pw.office)
    with pytest.raises(PermissionDenied):
        feed_investment(pw.cycle, acting_user=pw.users["d1_reporter"])


def test_a_cross_check_flags_a_district_below_its_projects(fed: ProjectWorld) -> None:
    monitoring.save_rule(
        acting_user=fed.office,
        code="fai_covers_projects",
        name_zh="固定资产投资不低于重点项目投资",
        spec={
            "kind": "cross_check",
            "expression": "fixed_asset_investment >= key_project_investment",
            "severity": "serious",
        },
    )
    ingest(
        [
            ValueRow("D01", "fixed_asset_investment", "2025H1", 300),  # below its 500
            ValueRow("D02", "fixed_asset_investment", "2025H1", 900),
        ],
        acting_user=fed.office,
        source=Source.API,
    )
    feed_investment(fed.cycle, acting_user=fed.office)
    flagged = Warning.objects.filter(rule__code="fai_covers_projects").exclude(
        state=Warning.State.CLOSED
    )
    assert [(w.unit.code, w.time_node.period) for w in flagged] == [("D01", "2025H1")]
