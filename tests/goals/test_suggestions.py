"""District target suggestions: one engine call over every district × basic indicator, then the
office accepts or adjusts each suggestion with the reason kept."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kaohe.core.events import EventType
from kaohe.core.models import AuditEvent
from kaohe.goals import services
from kaohe.goals.models import TargetSuggestion
from kaohe.observations.models import Source
from kaohe.observations.services import ValueRow, record_observations
from kaohe.schemes import services as scheme_services

pytestmark = pytest.mark.django_db

HISTORY = {
    "D01": {
        "gdp": (1000, 1070, 1150, 1225),
        "gdp_growth": (6.5, 7.0, 6.8, 6.9),
        "fiscal_revenue": (80, 84, 90, 95),
        "tax_revenue": (60, 63, 68, 71),
    },
    "D02": {
        "gdp": (700, 730, 772, 801),
        "gdp_growth": (5.0, 4.6, 5.2, 5.1),
        "fiscal_revenue": (55, 57, 60, 62),
        "tax_revenue": (40, 41, 43, 45),
    },
}


@pytest.fixture
def history(gw):  # type: ignore[no-untyped-def]
    for year in (2021, 2022, 2023, 2024):
        scheme_services.create_cycle(acting_user=gw.admin, year=year)
    rows = [
        ValueRow(unit, code, f"{2021 + i}Y", value)
        for unit, series in HISTORY.items()
        for code, values in series.items()
        for i, value in enumerate(values)
    ]
    record_observations(rows, acting_user=gw.admin, source=Source.IMPORT)
    return gw


def test_suggestions_for_every_district_and_basic_indicator(history):  # type: ignore[no-untyped-def]
    gw = history
    created = services.suggest_district_targets(gw.cycle, acting_user=gw.users["office"])
    assert len(created) == 8  # 2 districts × 4 basic indicators (tax_share is derived)
    gdp = TargetSuggestion.objects.get(unit=gw.d1, indicator__code="gdp")
    assert gdp.period == "2025Y"
    assert gdp.history == {"2021": 1000.0, "2022": 1070.0, "2023": 1150.0, "2024": 1225.0}
    assert gdp.low <= gdp.target <= gdp.high
    assert 1225 < gdp.target < 1400
    assert gdp.reason_en and gdp.reason_zh and gdp.method
    assert gdp.state == TargetSuggestion.State.SUGGESTED
    event = AuditEvent.objects.get(event_type=EventType.TARGET_SUGGESTIONS_COMPUTED)
    assert event.extra_data == {
        "suggestions": 8,
        "kept": 0,
        "units": 2,
        "indicators": 4,
        "years": [2020, 2021, 2022, 2023, 2024],
    }
    with pytest.raises(PermissionDenied):
        services.suggest_district_targets(gw.cycle, acting_user=gw.users["d1_head"])


def test_accept_and_adjust_are_recorded_and_survive_a_new_run(history):  # type: ignore[no-untyped-def]
    gw = history
    office = gw.users["office"]
    services.suggest_district_targets(gw.cycle, acting_user=office)
    gdp = TargetSuggestion.objects.get(unit=gw.d1, indicator__code="gdp")
    fiscal = TargetSuggestion.objects.get(unit=gw.d2, indicator__code="fiscal_revenue")
    accepted = services.accept_suggestion(gdp, acting_user=office)
    assert (accepted.state, accepted.accepted_value) == ("accepted", gdp.target)
    with pytest.raises(ValidationError) as exc:
        services.adjust_suggestion(fiscal, acting_user=office, value="66", reason="  ")
    assert exc.value.messages == ["Say why the suggested target is adjusted."]
    with pytest.raises(PermissionDenied):
        services.adjust_suggestion(
            fiscal, acting_user=gw.users["d2_head"], value="60", reason="太高"
        )
    fiscal.refresh_from_db()
    assert (fiscal.state, fiscal.accepted_value) == ("suggested", None)
    adjusted = services.adjust_suggestion(
        fiscal, acting_user=office, value="66", reason="新项目投产"
    )
    assert (adjusted.state, adjusted.accepted_value, adjusted.adjustment_reason) == (
        "adjusted",
        66.0,
        "新项目投产",
    )
    event = AuditEvent.objects.get(event_type=EventType.TARGET_SUGGESTION_ADJUSTED)
    assert (event.reason, event.unit, event.extra_data["set"]) == ("新项目投产", gw.d2, 66.0)
    assert AuditEvent.objects.filter(event_type=EventType.TARGET_SUGGESTION_ACCEPTED).count() == 1

    again = services.suggest_district_targets(gw.cycle, acting_user=office)
    assert len(again) == 6
    assert TargetSuggestion.objects.count() == 8
    assert TargetSuggestion.objects.get(pk=fiscal.pk).accepted_value == 66.0
