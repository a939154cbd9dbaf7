"""Expert panels for tests: approved portfolios with an excellence goal, built and approved
through the goal services, and a panel whose expert rates them, through the panel services."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kaohe.goals import services as goal_services
from kaohe.goals.models import Goal, GoalSet, ReviewLevel
from kaohe.panels import services as panel_services
from kaohe.panels.models import Assignment, ConflictDeclaration, Panel, PanelGoal, Rating
from kaohe.schemes.models import Cycle
from kaohe.testing.goals import fill_portfolio
from kaohe.units.models import Unit

SCORES = {"excellence": 88, "difficulty": 80, "innovation": 75, "benefit": 90}


def approved_goal_set(unit: Unit, cycle: Cycle, head: Any, approver: Any, **kwargs: Any) -> GoalSet:
    """A unit's full portfolio, submitted by its head and approved at the four levels by
    `approver` (a superuser may decide at every level but their own unit's)."""
    goal_set = goal_services.create_goal_set(unit, cycle, acting_user=head)
    fill_portfolio(goal_set, head, **kwargs)
    goal_services.submit_goal_set(goal_set, acting_user=head, note="提交")
    for _level in ReviewLevel:
        goal_services.approve_goal_set(goal_set, acting_user=approver, comment="同意")
    goal_set.refresh_from_db()
    assert goal_set.state == GoalSet.State.APPROVED
    return goal_set


def excellence_goal(goal_set: GoalSet) -> Goal:
    return goal_set.goals.filter(kind=Goal.Kind.EXCELLENCE).earliest("pk")


@dataclass(frozen=True)
class PanelObjects:
    """A panel with one rated goal per unit, and one declared conflict."""

    panel: Panel
    items: dict[str, PanelGoal]
    assignments: dict[str, Assignment]
    ratings: dict[str, Rating]
    conflict: ConflictDeclaration


def build_panel_objects(
    *,
    admin: Any,
    cycle: Cycle,
    units: dict[str, tuple[Unit, Any]],
    expert: Any,
    conflict_unit: Unit,
) -> PanelObjects:
    """`units`: key → (unit, its head). Each unit's approved excellence goal is rated by
    `expert`, who also declares a conflict with `conflict_unit`."""
    panel = panel_services.create_panel(
        acting_user=admin, cycle=cycle, name_zh=f"{cycle.year}年度创优目标专家评审"
    )
    panel_services.add_member(panel, expert, acting_user=admin)
    items, assignments, ratings = {}, {}, {}
    for key, (unit, head) in units.items():
        goal = excellence_goal(approved_goal_set(unit, cycle, head, admin))
        (assignment,) = panel_services.assign_goal(panel, goal, acting_user=admin, experts=[expert])
        ratings[key] = panel_services.submit_rating(
            assignment, acting_user=expert, scores=SCORES, comment="对标先进"
        )
        assignment.refresh_from_db()
        assignments[key] = assignment
        items[key] = assignment.item
    conflict, _withdrawn = panel_services.declare_conflict(
        acting_user=expert, expert=expert, unit=conflict_unit, reason="曾在该单位任职"
    )
    return PanelObjects(panel, items, assignments, ratings, conflict)
