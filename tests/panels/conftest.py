"""The test world with approved 2025 portfolios of both districts and the bureau, five expert
raters (one of them a civil servant of West District) and an open panel feeding
`excellence_score`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from kaohe.core.roles import Role
from kaohe.goals.models import Goal
from kaohe.indicators import services as indicator_services
from kaohe.panels import services
from kaohe.panels.models import Panel
from kaohe.testing.panels import approved_goal_set, excellence_goal
from kaohe.testing.world import World, make_user
from kaohe.units import services as unit_services

EXPERTS = ("e1", "e2", "e3", "e4", "e5")


@dataclass
class PanelWorld:
    world: World
    users: dict[str, Any]
    experts: dict[str, Any]
    panel: Panel
    goals: dict[str, Goal]  # by unit code

    def __getattr__(self, name: str) -> Any:
        return getattr(self.world, name)


@pytest.fixture
def pw(world: World) -> PanelWorld:
    admin = world.admin
    users = dict(world.users)
    for username, role, unit in (
        ("d2_head", Role.UNIT_HEAD, world.d2),
        ("tjj_head", Role.UNIT_HEAD, world.dept),
    ):
        users[username] = make_user(username)
        unit_services.add_grant(acting_user=admin, user=users[username], role=role, unit=unit)
    experts = {}
    for username in EXPERTS:
        experts[username] = make_user(username, first_name=f"专家{username[1]}")
        unit_services.add_grant(acting_user=admin, user=experts[username], role=Role.EXPERT)
    # e5 works in West District: never rates its goals
    unit_services.create_person(
        acting_user=admin,
        unit=world.d2,
        code="P-E5",
        name="专家5",
        gender="F",
        user=experts["e5"],
    )
    indicator = indicator_services.create_indicator(
        acting_user=admin,
        code="excellence_score",
        name_zh="创优目标四维评价得分",
        unit_zh="分",
        frequency="annual",
        value_type="index",
        decimals=2,
        min_value=0,
        max_value=100,
    )
    goals = {}
    for unit, head in (
        (world.d1, users["d1_head"]),
        (world.d2, users["d2_head"]),
        (world.dept, users["tjj_head"]),
    ):
        goals[unit.code] = excellence_goal(approved_goal_set(unit, world.cycle, head, admin))
    panel = services.create_panel(
        acting_user=users["office"],
        cycle=world.cycle,
        name_zh="2025年度创优目标专家评审",
        name_en="2025 excellence goals panel",
        indicator=indicator,
    )
    for expert in experts.values():
        services.add_member(panel, expert, acting_user=users["office"])
    return PanelWorld(world=world, users=users, experts=experts, panel=panel, goals=goals)
