"""Load the generated demo city into the database, through the same audited services a person
would use. Idempotent: a database that already holds the demo city is left as it is."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction
from django.utils import timezone

from kaohe.core import audit
from kaohe.core.events import EventType
from kaohe.core.roles import Role
from kaohe.demo.evaluation import evaluation_values
from kaohe.demo.generate import generate_demo_city
from kaohe.demo.geography import district_map_bytes
from kaohe.demo.goals import load_goals_demo
from kaohe.demo.indicators import DASHBOARD
from kaohe.demo.logins import DEMO_PASSWORD, DemoLogin, create_user
from kaohe.demo.model import DemoCity, DemoPost, DemoUnit
from kaohe.demo.panels import load_panels_demo
from kaohe.demo.people import load_people_demo
from kaohe.demo.project_data import offensive_names
from kaohe.demo.projects import load_projects_demo, with_major_tasks
from kaohe.demo.survey_load import load_surveys_demo
from kaohe.flows import cycles as cycle_flow
from kaohe.flows.ingest import ingest
from kaohe.indicators import services as indicator_services
from kaohe.indicators.models import Indicator, ReportedBy
from kaohe.monitoring.services import save_rule
from kaohe.observations.models import Source
from kaohe.observations.services import ValueRow
from kaohe.rectification import services as rectification_services
from kaohe.results.models import ScoringRun
from kaohe.results.services import publish_scoring_run, run_scoring
from kaohe.schemes import services as scheme_services
from kaohe.schemes.models import Cycle, SchemeVersion
from kaohe.units import services as unit_services
from kaohe.units.models import Category, Unit

# The loader's interface (the CLI, the load_demo command and the browser tests use it).
__all__ = ["DEMO_PASSWORD", "DemoLogin", "demo_loaded", "load_demo"]

DEMO_YEARS = (2022, 2023, 2024, 2025, 2026)
CURRENT_YEAR = 2026
# Periods not yet reported on the demo's "today" (late November 2026).
UNREPORTED = {"2026Y"}
# Years whose evaluation inputs (targets, ratings, surveys, events) exist and are scored.
EVALUATED_YEARS = (2024, 2025)
SCHEME_DIR = Path(__file__).resolve().parent / "schemes"


def _posts(unit: Unit, posts: tuple[DemoPost, ...], admin: Any, assessed: Unit) -> None:
    for post in posts:
        created = unit_services.create_post(
            acting_user=admin,
            unit=unit,
            code=post.code,
            title_zh=post.title_zh,
            title_en=post.title_en,
            rank=post.rank,
        )
        if post.person is not None:
            unit_services.create_person(
                acting_user=admin,
                unit=assessed,
                code=post.person.code,
                name=post.person.name,
                gender=post.person.gender,
                post=created,
            )


def _unit_tree(city: DemoCity, admin: Any) -> dict[str, Unit]:
    categories: dict[str, Category] = {}
    for order, cat in enumerate(city.categories):
        categories[cat.code] = unit_services.create_category(
            acting_user=admin,
            code=cat.code,
            name_zh=cat.name_zh,
            name_en=cat.name_en,
            kind=Category.Kind.DISTRICT if cat.code == "district" else Category.Kind.DEPARTMENT,
            parent=categories.get(cat.parent_code) if cat.parent_code else None,
            order=order,
        )
    root = unit_services.create_unit(
        acting_user=admin, code="CITY", name_zh=city.name_zh, name_en=city.name_en, kind="city"
    )
    unit_services.create_unit(
        acting_user=admin,
        code="OFFICE",
        name_zh=city.office_name_zh,
        name_en=city.office_name_en,
        kind="office",
        parent=root,
    )
    units: dict[str, Unit] = {}
    demo_unit: DemoUnit
    for demo_unit in (*city.districts, *city.departments):
        unit = unit_services.create_unit(
            acting_user=admin,
            code=demo_unit.code,
            name_zh=demo_unit.name_zh,
            name_en=demo_unit.name_en,
            kind=demo_unit.kind,
            parent=root,
            category=categories[demo_unit.category_code] if demo_unit.category_code else None,
            is_assessed=True,
        )
        units[demo_unit.code] = unit
        _posts(unit, demo_unit.leader_posts, admin, unit)
        for division in demo_unit.divisions:
            div = unit_services.create_unit(
                acting_user=admin,
                code=division.code,
                name_zh=division.name_zh,
                name_en=division.name_en,
                kind="division",
                parent=unit,
            )
            _posts(div, division.posts, admin, unit)
    return units


def _city_map(city: DemoCity, admin: Any, seed: int) -> None:
    """The districts' map, generated (``demo.geography``) and uploaded as the office would:
    the urban districts in the middle, the county-level cities around them."""
    central = [u.code for u in city.districts if u.kind == Unit.Kind.DISTRICT]
    outer = [u.code for u in city.districts if u.kind != Unit.Kind.DISTRICT]
    unit_services.upload_city_map(
        acting_user=admin,
        content=district_map_bytes(central, outer, seed),
        note="演示数据：虚构的区县边界",
    )


def _indicators(city: DemoCity, admin: Any, units: dict[str, Unit]) -> None:
    # Basic indicators first, so that every formula names indicators that exist.
    ordered = sorted(city.indicators, key=lambda i: i.formula is not None)
    for ind in ordered:
        indicator_services.create_indicator(
            acting_user=admin,
            code=ind.code,
            name_zh=ind.name_zh,
            name_en=ind.name_en,
            unit_zh=ind.unit_zh,
            unit_en=ind.unit_en,
            direction=ind.direction,
            frequency=ind.frequency,
            value_type=ind.value_type,
            decimals=ind.decimals,
            min_value=ind.min_value,
            max_value=ind.max_value,
            responsible_department=units.get(ind.responsible_department or ""),
            # the units send their statistics, the department checks them
            reported_by=ReportedBy.UNIT,
            formula=ind.formula or "",
            description_zh=ind.description_zh,
            description_en=ind.description_en,
            dashboard_order=DASHBOARD.get(ind.code, (None, ""))[0],
            dashboard_chart=DASHBOARD.get(ind.code, (None, ""))[1],
        )
    by_code = {i.code: i for i in Indicator.objects.all()}
    keys: dict[str, dict[str, tuple[Indicator, float]]] = {}
    for ind in city.indicators:
        if ind.aspect_of and ind.aspect:
            weight = 0.4 if ind.aspect == "quality" else 0.3
            keys.setdefault(ind.aspect_of, {})[ind.aspect] = (by_code[ind.code], weight)
    for key, components in sorted(keys.items()):
        indicator_services.set_components(by_code[key], acting_user=admin, components=components)


def _grades(document: dict[str, Any]) -> dict[str, list[str]]:
    """The grades each graded input of a scheme takes: the keys of its `graded` or
    `graded_points` maps, best first."""
    found: dict[str, list[str]] = {}
    stack: list[Any] = [document.get("root") or {}, *(document.get("adjustments") or [])]
    while stack:
        node = stack.pop()
        method = node.get("method") or {}
        if method.get("type") in {"graded", "graded_points"} and node.get("input"):
            ranked = sorted(method["map"].items(), key=lambda kv: -float(kv[1]))
            found[node["input"]] = [str(label) for label, _ in ranked]
        stack += node.get("children") or []
    return found


# The ranges of the scheme inputs the office records (a percentage, a place in a ranking).
_INPUT_LIMITS = {"%": (0, 100)}


def _scheme_inputs(admin: Any, text: str, office: Unit) -> None:
    """Catalogue the evaluation inputs a demo scheme reads (ratings, surveys, events): the
    office records them (a unit does not rate itself), graded ones take their scheme's
    grades, percentages lie within 0–100."""
    document = yaml.safe_load(text)
    grades = _grades(document)
    existing = set(Indicator.objects.values_list("code", flat=True))
    parsed = scheme_services.parse_scheme_text(text)
    codes = {c.split("@", 1)[0] for c in parsed.scheme.input_codes} - parsed.scheme.milestone_codes
    for code in sorted(codes - existing):
        spec = (document.get("inputs") or {}).get(code) or {}
        name = spec.get("name") or {}
        kind = spec.get("type", "number")
        indicator_services.create_indicator(
            acting_user=admin,
            code=code,
            name_zh=name.get("zh", code),
            name_en=name.get("en", code),
            unit_zh=spec.get("unit", ""),
            unit_en=spec.get("unit", ""),
            direction=spec.get("direction", "higher"),
            frequency="annual",
            value_type={"grade": "grade", "count": "count"}.get(kind, "index"),
            decimals=0 if kind in {"grade", "count"} else 2,
            grade_labels=grades.get(code, []) if kind == "grade" else [],
            min_value=_INPUT_LIMITS.get(spec.get("unit", ""), (None, None))[0],
            max_value=_INPUT_LIMITS.get(spec.get("unit", ""), (None, None))[1],
            responsible_department=office,
            reported_by=ReportedBy.DEPARTMENT,
        )


# Past years are loaded as history: their stages are set before their data and runs exist, so
# each stage change is an override, recorded with this reason in the audit trail.
HISTORY_REASON = "演示数据：往年历史导入"


def _cycles_and_schemes(admin: Any, units: dict[str, Unit]) -> None:
    office = Unit.objects.get(code="OFFICE")
    categories = {c.code: c for c in Category.objects.all()}
    for year in DEMO_YEARS:
        cycle = scheme_services.create_cycle(acting_user=admin, year=year)
        # a past year reaches its published results here and closes once its values are in
        # and scored (`_close_past_years`): a closed cycle takes no more values
        target = Cycle.State.IN_PROGRESS if year == CURRENT_YEAR else Cycle.State.PUBLISHED
        while cycle.state != target:
            cycle = cycle_flow.advance_cycle(
                cycle, acting_user=admin, reason=HISTORY_REASON, override=True
            )
        if year < CURRENT_YEAR - 2:
            continue
        for path in sorted(SCHEME_DIR.glob("*.yaml")):
            text = path.read_text(encoding="utf-8")
            note = "demo"
            if year == CURRENT_YEAR and path.stem == "district":
                # this year the office scores 攻坚克难 by the major tasks' milestones
                text = with_major_tasks(text, offensive_names(year))
                note = "演示数据：攻坚克难改按攻坚任务节点计分"
            document = yaml.safe_load(text)
            _scheme_inputs(admin, text, office)
            category = categories[document.get("category", path.stem)]
            name = document.get("name") or {}
            version = scheme_services.create_scheme(
                acting_user=admin,
                cycle=cycle,
                category=category,
                code=f"{path.stem}-{year}",
                name_zh=f"{year}年度{name.get('zh', path.stem)}",
                name_en=f"{year} {name.get('en', path.stem)}",
                yaml_text=text,
                change_note=note,
            )
            scheme_services.publish_scheme_version(version, acting_user=admin)


MONITORING_RULES: list[dict[str, Any]] = [
    {
        "code": "tax_within_fiscal",
        "name_zh": "税收收入不应超过一般公共预算收入",
        "name_en": "Tax revenue within fiscal revenue",
        "spec": {
            "kind": "cross_check",
            "expression": "tax_revenue <= fiscal_revenue",
            "severity": "serious",
        },
    },
    {
        "code": "fiscal_growth_vs_gdp",
        "name_zh": "财政收入增速与GDP增速偏离过大",
        "name_en": "Fiscal revenue growth far from GDP growth",
        "spec": {
            "kind": "cross_check",
            "expression": "abs(fiscal_revenue_growth - gdp_growth) <= 15",
            "severity": "warning",
        },
    },
    {
        "code": "gdp_hb",
        "name_zh": "GDP同比变动异常（HB检验）",
        "name_en": "GDP change implausible (HB)",
        "spec": {
            "kind": "hb",
            "indicator": "gdp",
            "against": "last_year",
            "C": 4,
            "severity": "warning",
        },
    },
    {
        "code": "gdp_growth_outlier",
        "name_zh": "GDP增速偏离同类",
        "name_en": "GDP growth outlier",
        "spec": {
            "kind": "peer_outlier",
            "indicator": "gdp_growth",
            "k": 3.5,
            "severity": "warning",
        },
    },
    {
        "code": "retail_drop",
        "name_zh": "社会消费品零售总额同比下降超过10%",
        "name_en": "Retail sales down more than 10% on last year",
        "spec": {
            "kind": "drop",
            "indicator": "retail_sales",
            "against": "last_year",
            "percent": 10,
            "severity": "warning",
        },
    },
    {
        "code": "gdp_growth_negative",
        "name_zh": "GDP负增长",
        "name_en": "GDP growth below zero",
        "spec": {"kind": "threshold", "indicator": "gdp_growth", "min": 0, "severity": "info"},
    },
    {
        "code": "fiscal_pace",
        "name_zh": "财政收入进度滞后于目标",
        "name_en": "Fiscal revenue behind pace",
        "spec": {
            "kind": "pace",
            "indicator": "fiscal_revenue",
            "share": {"Q1": 0.25, "H1": 0.5, "Q3": 0.75, "Y": 1},
            "tolerance": 10,
            "severity": "warning",
        },
    },
]
# The demo's planted inflated figure: a district reports more tax than fiscal revenue in Q1–Q3.
INFLATED = ("D04", "tax_revenue", "2026Q3", 1.18)


def _monitoring_rules(admin: Any) -> None:
    for rule in MONITORING_RULES:
        save_rule(acting_user=admin, **rule)


def _observations(city: DemoCity, admin: Any) -> int:
    rows: list[ValueRow] = []
    for u, unit_code in enumerate(city.value_units):
        for i, code in enumerate(city.value_indicators):
            for p, period in enumerate(city.periods):
                value = float(city.values[u, i, p])
                if math.isnan(value) or period in UNREPORTED:
                    continue
                rows.append(ValueRow(unit_code, code, period, Decimal(repr(value))))
    for evaluated in EVALUATED_YEARS:
        rows += [ValueRow(*row) for row in evaluation_values(city, evaluated)]
    # The current year's targets are set at its start (the pace rule reads them).
    rows += [
        ValueRow(*row)
        for row in evaluation_values(city, CURRENT_YEAR)
        if str(row[1]).endswith("_target")
    ]
    unit, code, period, factor = INFLATED
    fiscal = city.value(unit, "fiscal_revenue", period)
    rows = [
        ValueRow(r.unit, r.indicator, r.period, Decimal(repr(round(fiscal * factor, 2))))
        if (r.unit, r.indicator, r.period) == (unit, code, period)
        else r
        for r in rows
    ]
    for year in sorted({r.period[:4] for r in rows}):
        ingest(
            [r for r in rows if r.period.startswith(year)],
            acting_user=admin,
            source=Source.IMPORT,
            client_key=f"demo-{year}",
        )
    return len(rows)


def _scoring_runs(admin: Any) -> None:
    """Score and publish the finished years, oldest first (so rank changes have a base)."""
    for year in EVALUATED_YEARS:
        for version in SchemeVersion.objects.published().filter(scheme__cycle__year=year):
            run = run_scoring(version, acting_user=admin)
            publish_scoring_run(run, acting_user=admin, reason="年度考核结果")


def _grant(admin: Any, user: Any, role: str, unit: Unit | None, descendants: bool = True) -> None:
    unit_services.add_grant(
        acting_user=admin, user=user, role=role, unit=unit, include_descendants=descendants
    )


def _demo_users(admin: Any, units: dict[str, Unit], city: DemoCity) -> list[DemoLogin]:
    d1, d2 = city.districts[0], city.districts[1]
    logins: list[DemoLogin] = [DemoLogin("admin", "superuser", "system administrator")]
    office = create_user("office", "考核办管理员")
    _grant(admin, office, Role.OFFICE_ADMIN, None)
    logins.append(DemoLogin("office", Role.OFFICE_ADMIN, "assessment office, whole city"))
    committee = create_user("committee", "考核委委员")
    _grant(admin, committee, Role.COMMITTEE, None)
    logins.append(DemoLogin("committee", Role.COMMITTEE, "assessment committee, whole city"))
    reviewer = create_user("reviewer", "发改委审核员")
    _grant(admin, reviewer, Role.REVIEWER, units["DEPT_FGW"])
    logins.append(
        DemoLogin("reviewer", Role.REVIEWER, "Development & Reform: its indicators in every unit")
    )
    leader = create_user("leader", "分管副市长")
    economic = [d for d in city.departments if d.category_code == "dept_economic"]
    for dept in economic:
        _grant(admin, leader, Role.LEADER, units[dept.code])
    logins.append(DemoLogin("leader", Role.LEADER, f"{len(economic)} economic departments"))
    for demo_unit, prefix in ((d1, "d01"), (d2, "d02")):
        reporter = create_user(f"{prefix}_reporter", f"{demo_unit.name_zh}填报员")
        _grant(admin, reporter, Role.REPORTER, units[demo_unit.code])
        logins.append(DemoLogin(f"{prefix}_reporter", Role.REPORTER, demo_unit.name_en))
    head = create_user("d01_head", f"{d1.name_zh}负责人")
    _grant(admin, head, Role.UNIT_HEAD, units[d1.code])
    logins.append(DemoLogin("d01_head", Role.UNIT_HEAD, d1.name_en))
    statistics = create_user("tjj_reporter", "统计局填报员")
    _grant(admin, statistics, Role.REPORTER, units["DEPT_TJJ"])
    logins.append(
        DemoLogin("tjj_reporter", Role.REPORTER, "Statistics Bureau: GDP etc. for every district")
    )
    expert = create_user("expert", "评审专家")
    _grant(admin, expert, Role.EXPERT, None)
    logins.append(DemoLogin("expert", Role.EXPERT, "rates excellence goals"))
    auditor = create_user("auditor", "纪检审计")
    _grant(admin, auditor, Role.AUDITOR, None)
    logins.append(DemoLogin("auditor", Role.AUDITOR, "reads the audit trail"))
    # The first filled post of the first department (some posts of the generated city are vacant).
    staff_post = next(
        post
        for division in city.departments[0].divisions
        for post in division.posts
        if post.person is not None
    )
    assert staff_post.person is not None
    staff = create_user("staff", staff_post.person.name)
    person = units[city.departments[0].code].people.get(post__code=staff_post.code)
    person.user = staff
    person.save(update_fields=["user", "updated_at"])
    audit.record(
        EventType.PERSON_ASSIGNED,
        acting_user=admin,
        obj=person,
        unit=person.unit,
        extra={"user": staff.username},
    )
    _grant(admin, staff, Role.CIVIL_SERVANT, units[city.departments[0].code], descendants=False)
    logins.append(DemoLogin("staff", Role.CIVIL_SERVANT, "a civil servant's own record"))
    return logins


def demo_loaded() -> bool:
    return Unit.objects.filter(code="CITY").exists()


def _close_past_years(admin: Any) -> None:
    """Close the years before the last one scored; the last stays at "results published"
    while its interview units rectify."""
    for cycle in Cycle.objects.filter(year__lt=EVALUATED_YEARS[-1]).order_by("year"):
        cycle_flow.advance_cycle(cycle, acting_user=admin, reason=HISTORY_REASON, override=True)


def _rectification(admin: Any) -> int:
    """The last scored year's interview lists become rectification items, due in a month;
    its award units are commended."""
    due = timezone.localdate() + dt.timedelta(days=30)
    made = 0
    for run in ScoringRun.objects.filter(
        cycle__year=EVALUATED_YEARS[-1], status=ScoringRun.Status.PUBLISHED
    ).order_by("category__order", "pk"):
        made += len(
            rectification_services.open_interview_items(run, acting_user=admin, due_date=due)
        )
        rectification_services.issue_commendations(run, acting_user=admin)
    return made


def load_demo(seed: int = 2025) -> list[DemoLogin]:
    """Create the demo city, its catalogue, five years of values, schemes, two years of staff
    grades and rewards and one login per role. Returns the logins (all share DEMO_PASSWORD)."""
    city = generate_demo_city(seed=seed, years=DEMO_YEARS)
    with transaction.atomic():
        admin = create_user("admin", "系统管理员", superuser=True)
        units = _unit_tree(city, admin)
        _city_map(city, admin, seed)
        _indicators(city, admin, units)
        _cycles_and_schemes(admin, units)
        _monitoring_rules(admin)
        _observations(city, admin)
        # the 2025 survey feeds the districts' satisfaction before that year is scored
        survey_logins = load_surveys_demo(admin, seed=seed)
        _scoring_runs(admin)
        logins = _demo_users(admin, units, city) + survey_logins
        logins += load_goals_demo(admin)
        logins += load_panels_demo(admin, seed=seed)
        _rectification(admin)
        # a staff run needs its cycle open: before the past years close
        logins += load_people_demo(admin, seed=seed)
        logins += load_projects_demo(admin, seed=seed, year=CURRENT_YEAR)
        _close_past_years(admin)
        return logins
