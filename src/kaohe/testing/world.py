"""A small city built through the real services, for tests: two districts, one department with
a division, a catalogue, a cycle with values, a scheme, and one user per role."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model

from kaohe.core.roles import Role
from kaohe.indicators import services as indicator_services
from kaohe.indicators.models import Indicator
from kaohe.observations.models import Observation, Source
from kaohe.observations.services import ValueRow, record_observations
from kaohe.schemes import services as scheme_services
from kaohe.schemes.models import Cycle, SchemeVersion
from kaohe.units import services as unit_services
from kaohe.units.models import Category, Person, Post, Unit

PASSWORD = "Test-pass-2026!"

SCHEME_YAML = """\
kaohe_scheme: 1
id: test-district
name: {zh: 测试方案, en: Test scheme}
points: 100
root:
  aggregate: sum
  children:
    - id: development
      name: {zh: 高质量发展, en: Development}
      points: 80
      aggregate: sum
      children:
        - id: gdp_growth_score
          points: 50
          input: gdp_growth
          method: {type: target, target: 6}
        - id: gdp_size
          points: 30
          input: gdp
          method: {type: rank}
    - id: party
      name: {zh: 党的建设, en: Party building}
      points: 20
      input: fiscal_revenue
      method: {type: rank}
grades:
  - {code: excellent, name: {zh: 优秀, en: Excellent}, min: 90, quota: 0.3}
  - {code: qualified, name: {zh: 合格, en: Qualified}, min: 60}
  - {code: unqualified, name: {zh: 不合格, en: Unqualified}}
veto_grade: unqualified
"""


@dataclass
class World:
    """Everything a test may need, by name."""

    admin: Any
    users: dict[str, Any]
    district_category: Category
    department_category: Category
    city: Unit
    d1: Unit
    d2: Unit
    dept: Unit
    division: Unit
    post_d1: Post
    post_d2: Post
    person_d1: Person
    person_d2: Person
    indicators: dict[str, Indicator]
    cycle: Cycle
    version: SchemeVersion
    obs_d1: Observation
    obs_d2: Observation


def make_user(username: str, **extra: Any) -> Any:
    User = get_user_model()
    user = User(username=username, **extra)
    user.set_password(PASSWORD)
    user.save()
    return user


def build_world() -> World:
    admin = make_user("root", is_superuser=True, is_staff=True)
    district_cat = unit_services.create_category(
        acting_user=admin, code="district", name_zh="区市", name_en="Districts", kind="district"
    )
    dept_cat = unit_services.create_category(
        acting_user=admin, code="dept", name_zh="市直单位", name_en="Departments", kind="department"
    )
    city = unit_services.create_unit(
        acting_user=admin, code="CITY", name_zh="测试市", name_en="Test City", kind="city"
    )
    d1 = unit_services.create_unit(
        acting_user=admin,
        code="D01",
        name_zh="东区",
        name_en="East District",
        kind="district",
        parent=city,
        category=district_cat,
        is_assessed=True,
    )
    d2 = unit_services.create_unit(
        acting_user=admin,
        code="D02",
        name_zh="西区",
        name_en="West District",
        kind="district",
        parent=city,
        category=district_cat,
        is_assessed=True,
    )
    dept = unit_services.create_unit(
        acting_user=admin,
        code="DEPT_TJJ",
        name_zh="统计局",
        name_en="Statistics Bureau",
        kind="department",
        parent=city,
        category=dept_cat,
        is_assessed=True,
    )
    division = unit_services.create_unit(
        acting_user=admin,
        code="DEPT_TJJ-01",
        name_zh="综合处",
        name_en="General Division",
        kind="division",
        parent=dept,
    )
    posts = {}
    people = {}
    for unit in (d1, d2):
        posts[unit.code] = unit_services.create_post(
            acting_user=admin,
            unit=unit,
            code=f"{unit.code}-HEAD",
            title_zh="区长",
            title_en="Mayor",
            rank="head",
        )
        people[unit.code] = unit_services.create_person(
            acting_user=admin,
            unit=unit,
            code=f"P-{unit.code}",
            name=f"{unit.name_zh}负责人",
            gender="M",
            post=posts[unit.code],
        )
    indicators = {}
    for order, (code, name, unit_zh, decimals, chart) in enumerate(
        (
            ("gdp", "地区生产总值", "亿元", 2, "ranking"),
            ("gdp_growth", "GDP增速", "%", 1, "trend"),
            ("fiscal_revenue", "一般公共预算收入", "亿元", 2, "compare"),
            ("tax_revenue", "税收收入", "亿元", 2, "compare"),
        ),
        start=1,
    ):
        indicators[code] = indicator_services.create_indicator(
            acting_user=admin,
            code=code,
            name_zh=name,
            name_en=code.upper(),
            unit_zh=unit_zh,
            decimals=decimals,
            responsible_department=dept,
            reported_by="unit",  # statistics the districts send and the bureau checks
            min_value=-100,
            dashboard_order=order,
            dashboard_chart=chart,
        )
    indicators["tax_share"] = indicator_services.create_indicator(
        acting_user=admin,
        code="tax_share",
        name_zh="税收占比",
        unit_zh="%",
        formula="tax_revenue / fiscal_revenue * 100",
        responsible_department=dept,
        dashboard_order=5,
    )
    cycle = scheme_services.create_cycle(acting_user=admin, year=2025)
    version = scheme_services.create_scheme(
        acting_user=admin,
        cycle=cycle,
        category=district_cat,
        code="district-2025",
        name_zh="区市考核方案",
        name_en="District scheme",
        yaml_text=SCHEME_YAML,
    )
    rows = [
        ValueRow(u, code, f"2025{node}", value)
        for u, values in (("D01", (1200.5, 7.1, 95.2, 80.1)), ("D02", (860.25, 5.4, 70.0, 52.3)))
        for node in ("Q1", "H1")
        for code, value in zip(
            ("gdp", "gdp_growth", "fiscal_revenue", "tax_revenue"), values, strict=True
        )
    ]
    record_observations(rows, acting_user=admin, source=Source.IMPORT)
    users = {}
    grants = {
        "office": (Role.OFFICE_ADMIN, None),
        "committee": (Role.COMMITTEE, None),
        "auditor": (Role.AUDITOR, None),
        "d1_reporter": (Role.REPORTER, d1),
        "d2_reporter": (Role.REPORTER, d2),
        "d1_head": (Role.UNIT_HEAD, d1),
        "stats_reporter": (Role.REPORTER, dept),
        "nobody": (None, None),
    }
    for username, (role, scope_unit) in grants.items():
        users[username] = make_user(username)
        if role is not None:
            unit_services.add_grant(
                acting_user=admin, user=users[username], role=role, unit=scope_unit
            )
    obs = {
        o.unit.code: o
        for o in Observation.objects.filter(
            indicator__code="gdp", time_node__period="2025Q1"
        ).select_related("unit")
    }
    return World(
        admin=admin,
        users=users,
        district_category=district_cat,
        department_category=dept_cat,
        city=city,
        d1=d1,
        d2=d2,
        dept=dept,
        division=division,
        post_d1=posts["D01"],
        post_d2=posts["D02"],
        person_d1=people["D01"],
        person_d2=people["D02"],
        indicators=indicators,
        cycle=cycle,
        version=version,
        obs_d1=obs["D01"],
        obs_d2=obs["D02"],
    )
