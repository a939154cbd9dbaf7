"""The test world plus the people of the joint review and a helper to fill a portfolio."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from kaohe.core.roles import Role
from kaohe.goals import services
from kaohe.goals.models import GoalSet
from kaohe.testing.world import World, make_user
from kaohe.units import services as unit_services


@dataclass
class GoalsWorld:
    """The small world, the review users and the statistics bureau's draft portfolio."""

    world: World
    users: dict[str, Any]
    goal_set: GoalSet

    def __getattr__(self, name: str) -> Any:
        return getattr(self.world, name)


def fill_portfolio(goal_set: GoalSet, user: Any, *, key: int = 5, excellence: int = 1) -> None:
    """Add `key` key goals (with quarterly targets) and `excellence` benchmarked ones."""
    for n in range(1, key + 1):
        services.add_goal(
            goal_set,
            acting_user=user,
            kind="key",
            title_zh=f"重点目标{n}",
            title_en=f"Key goal {n}",
            unit_of_measure="%",
            target_value=Decimal("90") + n,
            targets={"Q1": 20 + n, "H1": 45 + n, "Q3": 70 + n, "Y": 90 + n},
        )
    for n in range(1, excellence + 1):
        services.add_goal(
            goal_set,
            acting_user=user,
            kind="excellence",
            title_zh=f"创优目标{n}",
            title_en=f"Excellence goal {n}",
            unit_of_measure="天",
            direction="lower",
            target_value=Decimal("3"),
            benchmark_name="杭州市",
            benchmark_value=Decimal("3.5"),
            benchmark_year=2024,
            benchmark_source="杭州市营商环境报告2024",
            milestones=[("上线一网通办", "2025-06-30")],
        )


@pytest.fixture
def gw(world: World) -> GoalsWorld:
    admin = world.admin
    users = dict(world.users)
    for username, role, unit in (
        ("tjj_head", Role.UNIT_HEAD, world.dept),
        ("d2_head", Role.UNIT_HEAD, world.d2),
        ("reviewer", Role.REVIEWER, world.dept),
        ("leader", Role.LEADER, world.dept),
        ("district_leader", Role.LEADER, world.d1),
    ):
        users[username] = make_user(username)
        unit_services.add_grant(acting_user=admin, user=users[username], role=role, unit=unit)
    goal_set = services.create_goal_set(world.dept, world.cycle, acting_user=users["tjj_head"])
    return GoalsWorld(world=world, users=users, goal_set=goal_set)
