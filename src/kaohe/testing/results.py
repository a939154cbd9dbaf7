"""A scored year of the test world: its 2025 values, the scheme published, a run published."""

from __future__ import annotations

from typing import Any

from kaohe.observations.models import Source
from kaohe.observations.services import ValueRow, record_observations
from kaohe.results import services as results
from kaohe.results.models import ScoringRun
from kaohe.schemes import services as schemes


def record_full_year(world: Any) -> None:
    """D01 ahead of D02 on every input of the test scheme, for 2025."""
    rows = [
        ValueRow(unit, code, "2025Y", value, reason="年报")
        for unit, values in (("D01", (5000, 7.0, 120)), ("D02", (3000, 5.0, 80)))
        for code, value in zip(("gdp", "gdp_growth", "fiscal_revenue"), values, strict=True)
    ]
    record_observations(rows, acting_user=world.admin, source=Source.IMPORT)


def published_run(world: Any, yaml_text: str | None = None) -> ScoringRun:
    """The full year recorded, the test scheme (or `yaml_text` in its place) published, and a
    scoring run of it published."""
    record_full_year(world)
    version = world.version
    if yaml_text is not None:
        version = schemes.update_scheme_draft(version, acting_user=world.admin, yaml_text=yaml_text)
    version = schemes.publish_scheme_version(version, acting_user=world.admin)
    return results.publish_scoring_run(
        results.run_scoring(version, acting_user=world.admin), acting_user=world.admin
    )
