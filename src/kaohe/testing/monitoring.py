"""The monitoring rules the tests share: a cross-check that catches an inflated tax figure and a
threshold on negative growth."""

from __future__ import annotations

from typing import Any

from kaohe.flows.ingest import ingest
from kaohe.monitoring import services
from kaohe.monitoring.models import MonitoringRule
from kaohe.observations.models import Source
from kaohe.observations.services import ValueRow


def save_test_rules(admin: Any) -> dict[str, MonitoringRule]:
    """`tax_within_fiscal` (serious: tax revenue above fiscal revenue) and `growth_floor`
    (info: GDP growth below zero), saved through the service."""
    return {
        "tax_within_fiscal": services.save_rule(
            acting_user=admin,
            code="tax_within_fiscal",
            name_zh="税收不超过财政收入",
            spec={
                "kind": "cross_check",
                "expression": "tax_revenue <= fiscal_revenue",
                "severity": "serious",
            },
        ),
        "growth_floor": services.save_rule(
            acting_user=admin,
            code="growth_floor",
            name_zh="GDP负增长",
            spec={"kind": "threshold", "indicator": "gdp_growth", "min": 0, "severity": "info"},
        ),
    }


def send_inflated_tax(world: Any, code: str = "D01") -> Any:
    """The statistics bureau reports `code`'s tax revenue above its fiscal revenue for 2025Q3
    through the pipeline: `tax_within_fiscal` (saved first) raises a serious warning."""
    return ingest(
        [
            ValueRow(code, "fiscal_revenue", "2025Q3", 100),
            ValueRow(code, "tax_revenue", "2025Q3", 118),
        ],
        acting_user=world.users["stats_reporter"],
        source=Source.API,
    )
