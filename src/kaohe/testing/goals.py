"""A full portfolio for tests: enough key goals and a benchmarked excellence goal to submit."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from kaohe.goals import services
from kaohe.goals.models import GoalSet


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
