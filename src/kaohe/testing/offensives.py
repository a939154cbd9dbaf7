"""Major tasks for tests, built through the real services on the test world: a third district
that takes no part (North District, its reporter `d3_reporter`), a flood-control task led by
East District (D01) with West District (D02) cooperating and three milestones due in 2025, and
helpers to report a unit's part of a milestone (the reporter's own unit unless `unit`) and
confirm it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from kaohe.core.roles import Role
from kaohe.observations.evidence import EvidenceFile
from kaohe.projects.models import MilestoneReport, Offensive, OffensiveMilestone
from kaohe.projects.offensives import services
from kaohe.projects.offensives.services import MilestoneSpec
from kaohe.testing.world import SCHEME_YAML, World, make_user
from kaohe.units import services as unit_services
from kaohe.units.models import Unit

PDF = b"%PDF-1.4\n% a milestone's evidence\n"

MILESTONES = (
    MilestoneSpec(name_zh="完成河道清淤", name_en="Dredge the river", due=dt.date(2025, 3, 31)),
    MilestoneSpec(
        name_zh="建成泵站", name_en="Build the pumping station", due=dt.date(2025, 6, 30), weight=2
    ),
    MilestoneSpec(name_zh="汛期演练", name_en="Flood-season drill", due=dt.date(2025, 9, 30)),
)


def evidence(name: str = "proof.pdf", data: bytes = PDF) -> EvidenceFile:
    return EvidenceFile(name, data)


@dataclass
class TaskWorld:
    """The test world with a third district and the flood-control task."""

    world: World
    d3: Unit
    d3_reporter: Any
    offensive: Offensive
    milestones: list[OffensiveMilestone]

    @property
    def office(self) -> Any:
        return self.world.users["office"]

    @property
    def lead_reporter(self) -> Any:
        return self.world.users["d1_reporter"]

    @property
    def coop_reporter(self) -> Any:
        return self.world.users["d2_reporter"]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.world, name)


def add_district(world: World, code: str = "D03", name: str = "北区") -> tuple[Unit, Any]:
    """An assessed district of the test world's category, with a reporter `<code>_reporter`
    (lower case)."""
    unit = unit_services.create_unit(
        acting_user=world.admin,
        code=code,
        name_zh=name,
        name_en="North District",
        kind="district",
        parent=world.city,
        category=world.district_category,
        is_assessed=True,
    )
    reporter = make_user(f"{code.lower()}_reporter")
    unit_services.add_grant(acting_user=world.admin, user=reporter, role=Role.REPORTER, unit=unit)
    return unit, reporter


def build_offensive(
    world: World, *, code: str = "flood_control", lead: Unit | None = None, **extra: Any
) -> Offensive:
    """The flood-control task: led by D01 (unless `lead`), D02 cooperating."""
    return services.create_offensive(
        world.cycle,
        code=code,
        name_zh=extra.pop("name_zh", "防汛攻坚战"),
        name_en=extra.pop("name_en", "Flood control offensive"),
        description=extra.pop("description", "三年行动的年度任务"),
        lead=lead or world.d1,
        cooperating=extra.pop("cooperating", [world.d2]),
        milestones=extra.pop("milestones", list(MILESTONES)),
        acting_user=world.users["office"],
    )


def build_task_world(world: World) -> TaskWorld:
    d3, reporter = add_district(world)
    offensive = build_offensive(world)
    return TaskWorld(world, d3, reporter, offensive, list(offensive.milestones.order_by("seq")))


def report(
    milestone: OffensiveMilestone,
    completed_on: dt.date,
    reporter: Any,
    note: str = "已完成",
    unit: Unit | None = None,
) -> MilestoneReport:
    return services.report_milestone(
        milestone,
        unit=unit,
        completed_on=completed_on,
        note=note,
        files=[evidence()],
        acting_user=reporter,
    )


def report_and_confirm(
    milestone: OffensiveMilestone, completed_on: dt.date, reporter: Any, office: Any
) -> MilestoneReport:
    return services.confirm_milestone(
        report(milestone, completed_on, reporter), acting_user=office, note="属实"
    )


WEIGHTS = {1: Decimal(1), 2: Decimal(2), 3: Decimal(1)}


# the test scheme with a 10-point milestones leaf reading the task "flood_control" (its
# fiscal revenue leaf gives up the 10 points)
LEAF = """\
    - id: flood_offensive
      name: {zh: 防汛攻坚战, en: Flood control offensive}
      points: 10
      input: flood_control
      method:
        type: milestones
        roles: {lead: 1, cooperating: 0.6}
        late: 0.5
      impute: {value: 1}
"""

MILESTONE_YAML = (
    SCHEME_YAML.replace(
        "points: 100\nroot:",
        "points: 100\ninputs:\n  flood_control: {name: {zh: 防汛攻坚战}, type: milestones}\nroot:",
    )
    .replace(
        "      points: 20\n      input: fiscal_revenue",
        "      points: 10\n      input: fiscal_revenue",
    )
    .replace("grades:", LEAF + "grades:")
)
