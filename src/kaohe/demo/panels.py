"""The expert-panel part of the demo city (四维评价), loaded through the services: approved 2026
portfolios of six departments (five key goals, two benchmarked excellence goals each), a panel of
seven experts — the `expert` login among them — that rates the twelve excellence goals, with
realistic spreads, one outlying rater, recusals for an expert's own unit and declared conflicts
(one declared after assignment, which withdraws it). `expert` still has goals to rate, so the
panel is open and its scores are not fed yet.

Called from `kaohe.demo.load.load_demo` after the goals demo (inside its transaction); the
panels app knows nothing of it. The ratings are drawn from a seeded generator (pure numpy)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import numpy as np

from kaohe.core import audit
from kaohe.core.events import EventType
from kaohe.core.roles import Role
from kaohe.demo.logins import DemoLogin, create_user
from kaohe.engine.evaluation import DIMENSIONS
from kaohe.goals import services as goal_services
from kaohe.goals.models import Goal, GoalSet, ReviewLevel
from kaohe.indicators.models import Indicator
from kaohe.panels import services
from kaohe.panels.models import Assignment, Panel
from kaohe.schemes.models import Cycle
from kaohe.units import services as unit_services
from kaohe.units.models import Person, Unit

PANEL_YEAR = 2026
FEEDS = "excellence_score"

# Per department: five key goals (zh, en, unit, target) and two excellence goals (zh, en,
# direction, unit, target, benchmark, its value, year, source) with their "true" quality on the
# four dimensions (what the experts' ratings scatter around).
PORTFOLIOS: dict[str, dict[str, list[tuple[Any, ...]]]] = {
    "DEPT_KJJ": {
        "key": [
            ("全社会研发投入强度达到3.2%", "R&D intensity 3.2%", "%", "3.2"),
            ("新增国家高新技术企业400家", "400 new high-tech enterprises", "家", "400"),
            ("技术合同成交额突破500亿元", "Technology contracts 50 bn yuan", "亿元", "500"),
            ("建成省级以上新型研发机构10家", "10 new R&D institutes", "家", "10"),
            ("每万人高价值发明专利18件", "18 high-value patents per 10 000", "件", "18"),
        ],
        "excellence": [
            (
                "国家创新型城市评价进入前15位",
                "National innovative-city ranking: top 15",
                "lower",
                "名",
                "15",
                "合肥市",
                "16",
                2025,
                "科技部国家创新型城市创新能力评价报告（2025）",
                (90, 84, 88, 86),
            ),
            (
                "科技成果本地转化率达到65%",
                "65% of research results applied locally",
                "higher",
                "%",
                "65",
                "苏州市",
                "62",
                2025,
                "江苏省科技成果转化年度报告（2025）",
                (82, 80, 85, 84),
            ),
        ],
    },
    "DEPT_GXJ": {
        "key": [
            ("规模以上工业增加值增长7%", "Industrial value added +7%", "%", "7"),
            ("新增“专精特新”中小企业120家", "120 new specialised SMEs", "家", "120"),
            ("工业投资增长10%", "Industrial investment +10%", "%", "10"),
            ("完成数字化改造项目300个", "300 digital retrofits", "个", "300"),
            ("单位工业增加值能耗下降4%", "Industrial energy intensity -4%", "%", "4"),
        ],
        "excellence": [
            (
                "工业互联网平台连接设备突破80万台",
                "800 000 devices on industrial internet platforms",
                "higher",
                "万台",
                "80",
                "青岛市",
                "75",
                2025,
                "工业和信息化部工业互联网发展监测（2025）",
                (86, 83, 89, 85),
            ),
            (
                "新能源汽车产业链产值达到1200亿元",
                "New-energy vehicle chain output 120 bn yuan",
                "higher",
                "亿元",
                "1200",
                "常州市",
                "1100",
                2025,
                "中国汽车工业协会城市产业报告（2025）",
                (84, 88, 78, 90),
            ),
        ],
    },
    "DEPT_JTJ": {
        "key": [
            ("完成交通固定资产投资420亿元", "Transport investment 42 bn yuan", "亿元", "420"),
            ("新增城市轨道交通运营里程28公里", "28 km of new metro lines", "公里", "28"),
            ("公交准点率达到92%", "Bus punctuality 92%", "%", "92"),
            ("新建改建农村公路300公里", "300 km of rural roads", "公里", "300"),
            ("港口集装箱吞吐量增长6%", "Container throughput +6%", "%", "6"),
        ],
        "excellence": [
            (
                "高峰时段平均通勤时间压缩至36分钟",
                "Average peak commute within 36 minutes",
                "lower",
                "分钟",
                "36",
                "成都市",
                "38",
                2025,
                "中国主要城市通勤监测报告（2025）",
                (80, 86, 76, 91),
            ),
            (
                "多式联运集装箱量达到45万标箱",
                "450 000 TEU of multimodal transport",
                "higher",
                "万标箱",
                "45",
                "重庆市",
                "42",
                2025,
                "交通运输部多式联运发展年报（2025）",
                (78, 82, 74, 80),
            ),
        ],
    },
    "DEPT_STHJJ": {
        "key": [
            ("PM2.5平均浓度降至28微克/立方米", "PM2.5 down to 28 µg/m³", "微克/立方米", "28"),
            ("空气质量优良天数比率达到88%", "88% good-air days", "%", "88"),
            ("国控断面水质优良比例达到95%", "95% good water sections", "%", "95"),
            ("完成重点行业清洁生产审核80家", "80 clean-production audits", "家", "80"),
            ("建成“无废城市”细胞200个", "200 zero-waste cells", "个", "200"),
        ],
        "excellence": [
            (
                "地表水环境质量排名进入全国前20",
                "Surface water quality: national top 20",
                "lower",
                "名",
                "20",
                "杭州市",
                "22",
                2025,
                "生态环境部全国地表水环境质量状况通报（2025）",
                (88, 90, 80, 92),
            ),
            (
                "生态环境导向开发项目落地15个",
                "15 eco-environment-oriented development projects",
                "higher",
                "个",
                "15",
                "深圳市",
                "12",
                2025,
                "生态环境部EOD试点评估（2025）",
                (76, 78, 87, 79),
            ),
        ],
    },
    "DEPT_WJW": {
        "key": [
            ("人均预期寿命达到81.5岁", "Life expectancy 81.5 years", "岁", "81.5"),
            ("每千人口执业医师数达到3.6人", "3.6 doctors per 1 000", "人", "3.6"),
            ("二级以上医院检查检验结果互认率90%", "90% mutual test recognition", "%", "90"),
            ("新增托位3000个", "3 000 new childcare places", "个", "3000"),
            ("家庭医生签约服务覆盖率达到45%", "Family-doctor coverage 45%", "%", "45"),
        ],
        "excellence": [
            (
                "急救平均反应时间压缩至10分钟",
                "Average emergency response within 10 minutes",
                "lower",
                "分钟",
                "10",
                "上海市",
                "11",
                2025,
                "国家卫生健康委院前急救质控报告（2025）",
                (85, 87, 79, 93),
            ),
            (
                "区域医疗中心建设评估进入全国第一方阵",
                "Regional medical centre in the national first tier",
                "lower",
                "名",
                "10",
                "郑州市",
                "12",
                2025,
                "国家区域医疗中心建设评估（2025）",
                (83, 85, 77, 88),
            ),
        ],
    },
    "DEPT_DSJ": {
        "key": [
            ("政务服务事项“一网通办”率达到98%", "98% of services online", "%", "98"),
            ("公共数据开放数据集1500个", "1 500 open data sets", "个", "1500"),
            ("建成城市大脑应用场景60个", "60 city-brain scenarios", "个", "60"),
            ("数据要素交易额突破30亿元", "Data trading 3 bn yuan", "亿元", "30"),
            ("电子证照应用率达到90%", "90% e-licence use", "%", "90"),
        ],
        "excellence": [
            (
                "数字政府建设指数进入全国前10",
                "Digital-government index: national top 10",
                "lower",
                "名",
                "10",
                "广州市",
                "11",
                2025,
                "中国数字政府发展指数报告（2025）",
                (89, 82, 91, 87),
            ),
            (
                "高频事项“秒批秒办”覆盖200项",
                "Instant approval for 200 frequent matters",
                "higher",
                "项",
                "200",
                "深圳市",
                "180",
                2025,
                "广东省政务服务效能评估（2025）",
                (81, 76, 88, 90),
            ),
        ],
    },
}

# Login, name, how they rate (leniency in points, noise SD), and who they are.
EXPERTS = (
    ("expert", "评审专家", 0.0, 4.0, "rates excellence goals (some still to rate)"),
    ("zj_li", "李明华", 1.5, 3.5, "university professor, public management"),
    ("zj_wang", "王建国", -2.0, 3.0, "retired deputy director, provincial DRC"),
    ("zj_zhao", "赵雪梅", 2.0, 4.0, "think-tank researcher; conflict with Science and Tech"),
    ("zj_chen", "陈志远", -1.0, 3.5, "accountant; conflict declared after assignment"),
    ("zj_liu", "刘海波", 14.0, 5.0, "the lenient rater the panel flags"),
    ("zj_zhou", "", 0.5, 3.0, "civil servant of the Health Commission (recused there)"),
)
CIVIL_SERVANT = ("zj_zhou", "DEPT_WJW")  # named as that person is
# (expert, unit, reason, after assignment?)
CONFLICTS = (
    ("zj_zhao", "DEPT_KJJ", "本人承担该局委托的科技规划课题，存在利益关系", False),
    ("zj_chen", "DEPT_GXJ", "配偶任职于该局下属企业", True),
)
UNRATED_BY_EXPERT = 3  # `expert` leaves the last three goals to rate on their page


def _portfolio(
    unit: Unit, cycle: Cycle, admin: Any, goals: dict[str, list[tuple[Any, ...]]]
) -> GoalSet:
    goal_set = goal_services.create_goal_set(unit, cycle, acting_user=admin)
    for title_zh, title_en, uom, target in goals["key"]:
        goal_services.add_goal(
            goal_set,
            acting_user=admin,
            kind="key",
            title_zh=title_zh,
            title_en=title_en,
            unit_of_measure=uom,
            target_value=Decimal(target),
            targets={"Y": target},
        )
    for title_zh, title_en, direction, uom, target, name, value, year, source, _q in goals[
        "excellence"
    ]:
        goal_services.add_goal(
            goal_set,
            acting_user=admin,
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
    goal_services.submit_goal_set(goal_set, acting_user=admin, note="年度目标")
    for _level in ReviewLevel:
        goal_services.approve_goal_set(goal_set, acting_user=admin, comment="同意")
    return goal_set


def _civil_servant(admin: Any, user: Any, person: Person) -> None:
    """The expert's login is this civil servant's (as the demo's `staff` login is a person's)."""
    person.user = user
    person.save(update_fields=["user", "updated_at"])
    audit.record(
        EventType.PERSON_ASSIGNED,
        acting_user=admin,
        obj=person,
        unit=person.unit,
        extra={"user": user.username},
    )


def draw_ratings(
    seed: int, quality: np.ndarray, leniency: np.ndarray, noise: np.ndarray
) -> np.ndarray:
    """(goals × experts × 4) whole-number ratings on 0–100: each goal's quality per dimension,
    plus the expert's leniency and their noise."""
    rng = np.random.default_rng([seed, PANEL_YEAR, 42])
    draws = rng.normal(0.0, 1.0, size=(quality.shape[0], leniency.shape[0], quality.shape[1]))
    x = quality[:, None, :] + leniency[None, :, None] + noise[None, :, None] * draws
    return np.clip(np.rint(x), 0, 100).astype(int)


def load_panels_demo(admin: Any, *, seed: int = 2025) -> list[DemoLogin]:
    """Load the panel demo; returns the experts' logins (`expert` exists already)."""
    cycle = Cycle.objects.get(year=PANEL_YEAR)
    units = {u.code: u for u in Unit.objects.filter(code__in=list(PORTFOLIOS))}
    goals: list[Goal] = []
    quality = []
    for code, portfolio in PORTFOLIOS.items():
        goal_set = _portfolio(units[code], cycle, admin, portfolio)
        excellence = list(goal_set.goals.filter(kind=Goal.Kind.EXCELLENCE).order_by("order", "pk"))
        goals += excellence
        quality += [row[-1] for row in portfolio["excellence"]]
    User = admin.__class__
    experts = []
    logins = []
    # the Health Commission's civil servant: the first person there without a login
    person = Person.objects.filter(unit__code=CIVIL_SERVANT[1], user=None).order_by("code").first()
    assert person is not None
    for username, name, _lenient, _noise, description in EXPERTS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = create_user(username, person.name if username == CIVIL_SERVANT[0] else name)
            unit_services.add_grant(acting_user=admin, user=user, role=Role.EXPERT, unit=None)
            logins.append(DemoLogin(username, Role.EXPERT, description))
        experts.append(user)
    by_name = {u.username: u for u in experts}
    _civil_servant(admin, by_name[CIVIL_SERVANT[0]], person)
    for username, code, reason, after in CONFLICTS:
        if not after:
            services.declare_conflict(
                acting_user=by_name[username],
                expert=by_name[username],
                unit=units[code],
                reason=reason,
            )
    panel = services.create_panel(
        acting_user=admin,
        cycle=cycle,
        name_zh=f"{PANEL_YEAR}年度市直单位创优目标专家评审组",
        name_en=f"{PANEL_YEAR} departments' excellence goals panel",
        indicator=Indicator.objects.get(code=FEEDS),
    )
    for user in experts:
        services.add_member(panel, user, acting_user=admin)
    for goal in goals:
        unit = goal.goal_set.unit
        services.assign_goal(
            panel,
            goal,
            acting_user=admin,
            experts=[u for u in experts if services.recusal(u, unit) is None],
        )
    for username, code, reason, after in CONFLICTS:
        if after:
            services.declare_conflict(
                acting_user=by_name[username],
                expert=by_name[username],
                unit=units[code],
                reason=reason,
            )
    ratings = draw_ratings(
        seed,
        np.asarray(quality, dtype=float),
        np.asarray([e[2] for e in EXPERTS]),
        np.asarray([e[3] for e in EXPERTS]),
    )
    _rate(panel, goals, experts, ratings)
    return logins


def _rate(panel: Panel, goals: list[Goal], experts: list[Any], ratings: np.ndarray) -> None:
    comments = ("对标先进，目标设置积极", "攻坚难度较大，建议细化节点", "创新举措有亮点", "")
    open_ones = (
        Assignment.objects.filter(item__panel=panel, state=Assignment.State.OPEN)
        .select_related("item__goal", "member__expert")
        .order_by("pk")
    )
    goal_index = {goal.pk: i for i, goal in enumerate(goals)}
    expert_index = {user.pk: r for r, user in enumerate(experts)}
    for assignment in open_ones:
        i = goal_index[assignment.item.goal_id]
        r = expert_index[assignment.member.expert_id]
        if experts[r].username == "expert" and i >= len(goals) - UNRATED_BY_EXPERT:
            continue
        values = dict(zip(DIMENSIONS, ratings[i, r], strict=True))
        services.submit_rating(
            assignment,
            acting_user=experts[r],
            scores={k: int(v) for k, v in values.items()},
            comment=comments[(i + r) % len(comments)],
        )
