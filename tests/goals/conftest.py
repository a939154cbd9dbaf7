"""The test world plus the people of the joint review (kaohe.testing.goals fills a portfolio)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from kaohe.core.roles import Role
from kaohe.goals import services
from kaohe.goals.models import GoalSet
from kaohe.testing.world import World, make_user
from kaohe.units import services as unit_services
from kaohe.units.models import Unit


@dataclass
class GoalsWorld:
    """The small world, the review users and the statistics bureau's draft portfolio."""

    world: World
    users: dict[str, Any]
    goal_set: GoalSet

    def __getattr__(self, name: str) -> Any:
        return getattr(self.world, name)


@pytest.fixture
def gw(world: World) -> GoalsWorld:
    admin = world.admin
    users = dict(world.users)
    # the comprehensive department whose reviewer reviews the bureau (not the bureau's own)
    reform = unit_services.create_unit(
        acting_user=admin,
        code="DEPT_ZFGW",  # sorts after the bureau: no stored path moves
        name_zh="发展改革委",
        name_en="Development and Reform Commission",
        kind="department",
        parent=Unit.objects.get(pk=world.city.pk),  # its child count as stored now
        category=world.department_category,
        is_assessed=True,
    )
    for username, role, unit in (
        ("tjj_head", Role.UNIT_HEAD, world.dept),
        ("d2_head", Role.UNIT_HEAD, world.d2),
        ("reviewer", Role.REVIEWER, reform),
        ("tjj_reviewer", Role.REVIEWER, world.dept),
        ("leader", Role.LEADER, world.dept),
        ("district_leader", Role.LEADER, world.d1),
    ):
        users[username] = make_user(username)
        unit_services.add_grant(acting_user=admin, user=users[username], role=role, unit=unit)
    goal_set = services.create_goal_set(world.dept, world.cycle, acting_user=users["tjj_head"])
    return GoalsWorld(world=world, users=users, goal_set=goal_set)
