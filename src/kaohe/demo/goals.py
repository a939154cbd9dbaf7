"""The goals part of the demo city, loaded through the services: 2026 portfolio rules and review
deadlines, draft portfolios of the Commerce Bureau and the Development and Reform Commission
(seven key goals, two benchmarked excellence goals each), the logins that play the joint
review, and the districts' suggested 2026 targets.

Called at the end of `kaohe.demo.load.load_demo` (inside its transaction); the goals app knows
nothing of it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from kaohe.core.roles import Role
from kaohe.demo.logins import DemoLogin, create_user
from kaohe.goals import services
from kaohe.goals.models import GoalSet, ReviewLevel
from kaohe.indicators.models import Indicator
from kaohe.schemes.models import Cycle
from kaohe.units import services as unit_services
from kaohe.units.models import Unit

GOALS_YEAR = 2026

# (title_zh, title_en, indicator code or None, unit of measure, year target, Q1/H1/Q3 targets
#  or None, milestones)
KEY_GOALS: dict[str, list[tuple[Any, ...]]] = {
    "DEPT_SWJ": [
        (
            "社会消费品零售总额达到6800亿元",
            "Retail sales reach 680 bn yuan",
            "retail_sales",
            "亿元",
            "6800",
            ("1600", "3300", "5000"),
            (),
        ),
        (
            "实际使用外资60亿美元",
            "Actual use of foreign capital 6 bn USD",
            "fdi_actual",
            "亿美元",
            "60",
            ("15", "30", "45"),
            (),
        ),
        ("出口总额增长5%", "Exports grow 5%", None, "%", "5", None, ()),
        (
            "引进世界500强项目12个",
            "Attract 12 Fortune Global 500 projects",
            None,
            "个",
            "12",
            ("3", "6", "9"),
            (),
        ),
        (
            "建成特色商业街区8个",
            "Open 8 themed shopping streets",
            None,
            "个",
            "8",
            None,
            (("2026-06-30", "完成街区规划"), ("2026-12-15", "8个街区开街")),
        ),
        (
            "新增有进出口实绩企业600家",
            "600 new trading enterprises",
            None,
            "家",
            "600",
            ("120", "300", "450"),
            (),
        ),
        (
            "跨境电商交易额450亿元",
            "Cross-border e-commerce 45 bn yuan",
            None,
            "亿元",
            "450",
            ("100", "210", "320"),
            (),
        ),
    ],
    "DEPT_FGW": [
        (
            "固定资产投资增长6%",
            "Fixed-asset investment grows 6%",
            "fai_growth",
            "%",
            "6",
            ("5", "5.5", "5.8"),
            (),
        ),
        (
            "省市重点项目开工200个",
            "Start 200 key projects",
            None,
            "个",
            "200",
            ("40", "110", "170"),
            (),
        ),
        (
            "民间投资占比达到55%",
            "Private investment share 55%",
            "private_investment_share",
            "%",
            "55",
            None,
            (),
        ),
        (
            "单位GDP能耗下降3%",
            "Energy intensity down 3%",
            "energy_intensity_drop",
            "%",
            "3",
            None,
            (),
        ),
        (
            "新型基础设施投资300亿元",
            "New infrastructure investment 30 bn yuan",
            None,
            "亿元",
            "300",
            ("60", "140", "220"),
            (),
        ),
        (
            "重大项目储备1500亿元",
            "Major project pipeline 150 bn yuan",
            None,
            "亿元",
            "1500",
            None,
            (("2026-03-31", "建立项目库"), ("2026-09-30", "完成年度储备")),
        ),
        (
            "社会信用体系建设示范",
            "Social credit system demonstration",
            None,
            "",
            None,
            None,
            (("2026-05-31", "出台实施方案"), ("2026-11-30", "通过省级评估")),
        ),
    ],
}

# (title_zh, title_en, direction, unit, target, benchmark name, value, year, source)
EXCELLENCE_GOALS: dict[str, list[tuple[Any, ...]]] = {
    "DEPT_SWJ": [
        (
            "跨境电商综试区评估进入全国前5",
            "Cross-border e-commerce zone in the national top 5",
            "lower",
            "名",
            "5",
            "宁波市",
            "6",
            2025,
            "商务部跨境电商综试区评估结果（2025）",
        ),
        (
            "货物进口通关时间压缩至30小时",
            "Import clearance within 30 hours",
            "lower",
            "小时",
            "30",
            "深圳市",
            "32.5",
            2025,
            "海关总署全国通关时间通报（2025）",
        ),
    ],
    "DEPT_FGW": [
        (
            "营商环境评价得分达到88分",
            "Business-environment score 88",
            "higher",
            "分",
            "88",
            "厦门市",
            "87.5",
            2025,
            "国家营商环境评价报告（2025）",
        ),
        (
            "一般项目审批时限压缩至40个工作日",
            "Project approval within 40 working days",
            "lower",
            "个工作日",
            "40",
            "杭州市",
            "45",
            2025,
            "浙江省投资项目审批监测（2025）",
        ),
    ],
}

# Login, name, role, unit code.
GOAL_LOGINS = (
    ("swj_head", "商务局负责人", Role.UNIT_HEAD, "DEPT_SWJ", "Commerce Bureau: drafts and submits"),
    ("swj_reporter", "商务局填报员", Role.REPORTER, "DEPT_SWJ", "Commerce Bureau: drafts goals"),
    ("fgw_head", "发改委负责人", Role.UNIT_HEAD, "DEPT_FGW", "Development and Reform: submits"),
    (
        "fgw_leader",
        "分管综合部门副市长",
        Role.LEADER,
        "DEPT_FGW",
        "leader over Development and Reform",
    ),
)


def _login(admin: Any, username: str, name: str, role: str, unit: Unit) -> Any:
    user = create_user(username, name)
    unit_services.add_grant(acting_user=admin, user=user, role=role, unit=unit)
    return user


def _portfolio(unit: Unit, cycle: Cycle, head: Any) -> GoalSet:
    goal_set = services.create_goal_set(unit, cycle, acting_user=head)
    indicators = {i.code: i for i in Indicator.objects.all()}
    for title_zh, title_en, code, uom, year, quarters, milestones in KEY_GOALS[unit.code]:
        targets = dict(zip(("Q1", "H1", "Q3"), quarters or (), strict=False))
        if year is not None:
            targets["Y"] = year
        services.add_goal(
            goal_set,
            acting_user=head,
            kind="key",
            title_zh=title_zh,
            title_en=title_en,
            indicator=indicators.get(code) if code else None,
            unit_of_measure=uom,
            target_value=Decimal(year) if year is not None else None,
            targets=targets,
            milestones=[(title, due) for due, title in milestones],
        )
    for title_zh, title_en, direction, uom, target, name, value, year, source in EXCELLENCE_GOALS[
        unit.code
    ]:
        services.add_goal(
            goal_set,
            acting_user=head,
            kind="excellence",
            title_zh=title_zh,
            title_en=title_en,
            direction=direction,
            unit_of_measure=uom,
            target_value=Decimal(target),
            targets={"Y": target},
            benchmark_name=name,
            benchmark_value=Decimal(value),
            benchmark_year=year,
            benchmark_source=source,
        )
    return goal_set


@transaction.atomic
def load_goals_demo(admin: Any, *, today: dt.date | None = None) -> list[DemoLogin]:
    """Load the goals demo; returns its logins (all with the demo password)."""
    cycle = Cycle.objects.get(year=GOALS_YEAR)
    today = today or timezone.localdate()
    services.set_portfolio_rules(
        cycle, acting_user=admin, min_key=5, max_key=9, min_excellence=1, max_excellence=3
    )
    for weeks, level in enumerate(ReviewLevel, start=1):
        services.set_review_deadline(
            cycle, acting_user=admin, level=level, due_date=today + dt.timedelta(weeks=weeks)
        )
    units = {u.code: u for u in Unit.objects.filter(code__in=["DEPT_SWJ", "DEPT_FGW"])}
    users = {}
    logins = []
    for username, name, role, code, description in GOAL_LOGINS:
        users[username] = _login(admin, username, name, role, units[code])
        logins.append(DemoLogin(username, role, description))
    _portfolio(units["DEPT_SWJ"], cycle, users["swj_head"])
    _portfolio(units["DEPT_FGW"], cycle, users["fgw_head"])
    services.suggest_district_targets(cycle, acting_user=admin)
    return logins
