"""The demo's key projects register and major tasks, stored through the services.

The current year's district scheme scores 攻坚克难 by the three major tasks' milestones (the
scheme language's `milestones` method) instead of a completion rate typed in as data: the
office's new version of the scheme for the year (`with_major_tasks`)."""

from __future__ import annotations

import datetime as dt
import struct
import zlib
from decimal import Decimal
from typing import Any

import numpy as np
import yaml
from django.utils import timezone

from kaohe.core.roles import Role
from kaohe.demo.logins import DemoLogin, create_user
from kaohe.demo.project_data import DemoOffensive, DemoProject, demo_offensives, demo_projects
from kaohe.flows.projects import feed_investment
from kaohe.indicators import services as indicator_services
from kaohe.indicators.models import ReportedBy
from kaohe.monitoring.services import save_rule
from kaohe.observations.evidence import EvidenceFile
from kaohe.projects import schedule
from kaohe.projects import services as project_services
from kaohe.projects.models import KeyProject, OffensiveMilestone
from kaohe.projects.offensives import services as task_services
from kaohe.schemes.models import Cycle
from kaohe.units import services as unit_services
from kaohe.units.models import CityMap, Unit

TASKS_NODE = "hard_tasks"
# how the tasks are scored: on time full; late from 0.6, a point of share less per 100 days late
# beyond five days' grace, never below 0.3; missed none; nothing due yet on schedule
TASK_METHOD: dict[str, Any] = {
    "type": "milestones",
    "roles": {"lead": 1, "cooperating": 1},
    "late": 0.6,
    "per_day": 0.01,
    "floor": 0.3,
    "grace_days": 5,
    "missed": 0,
}


def with_major_tasks(text: str, offensives: list[tuple[str, str, str]]) -> str:
    """The scheme YAML with its 攻坚克难 leaf made a group of one milestones leaf per major
    task, sharing the leaf's points equally."""
    document = yaml.safe_load(text)
    inputs = document.setdefault("inputs", {})
    for code, zh, en in offensives:
        inputs[code] = {"name": {"zh": zh, "en": en}, "type": "milestones"}
    children = document["root"]["children"]
    at = next(i for i, node in enumerate(children) if node["id"] == TASKS_NODE)
    old = children[at]
    points = old["points"]
    share = round(points / len(offensives), 6)
    leaves = [
        {
            "id": code,
            "name": {"zh": zh, "en": en},
            "points": share if k < len(offensives) - 1 else round(points - share * k, 6),
            "input": code,
            "method": dict(TASK_METHOD),
        }
        for k, (code, zh, en) in enumerate(offensives)
    ]
    children[at] = {"id": old["id"], "name": old["name"], "points": points, "children": leaves}
    inputs.pop(old.get("input", ""), None)
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False)


def reporters(admin: Any, codes: list[str], logins: list[DemoLogin]) -> dict[str, Any]:
    """A reporter for each unit that reports on projects or tasks and has none in the demo's
    logins (``<code>_reporter``, lower case): they send the demo's reports; each one made is
    added to `logins`."""
    found: dict[str, Any] = {}
    for code in codes:
        username = f"{code.lower()}_reporter"
        user = type(admin).objects.filter(username=username).first()
        if user is None:
            unit = Unit.objects.get(code=code)
            user = create_user(username, f"{unit.name_zh}填报员")
            logins.append(
                DemoLogin(username, Role.REPORTER, f"{unit.name_en}: its key projects and tasks")
            )
            unit_services.add_grant(
                acting_user=admin,
                user=user,
                role=Role.REPORTER,
                unit=unit,
                include_descendants=True,
            )
        found[code] = user
    return found


def evidence_text(title: str, unit: Unit, done: dt.date) -> EvidenceFile:
    """A short statement as the evidence of a part done (a text file: the demo's evidence)."""
    body = f"{title}\n{unit.name_zh}\n完成日期：{done.isoformat()}\n（演示数据）\n"
    return EvidenceFile(f"{unit.code}-{done:%Y%m%d}.txt", body.encode("utf-8"))


def load_offensives(
    admin: Any, office: Any, cycle: Cycle, offensives: list[DemoOffensive], logins: list[DemoLogin]
) -> int:
    """The major tasks set up by the office, each unit's parts reported by its reporter and
    decided by the office as the generated decision says. Returns the reports."""
    units = {u.code: u for u in Unit.objects.all()}
    units_reporting = {p.unit for o in offensives for p in o.parts} | {o.lead for o in offensives}
    people = reporters(admin, sorted(units_reporting), logins)
    count = 0
    for demo in offensives:
        offensive = task_services.create_offensive(
            cycle,
            code=demo.code,
            name_zh=demo.name_zh,
            name_en=demo.name_en,
            description=demo.description,
            lead=units[demo.lead],
            cooperating=[units[c] for c in demo.cooperating],
            milestones=[
                task_services.MilestoneSpec(
                    name_zh=m.name_zh,
                    name_en=m.name_en,
                    due=m.due,
                    weight=m.weight,
                    evidence_required=m.evidence,
                    seq=m.seq,
                )
                for m in demo.milestones
            ],
            acting_user=office,
        )
        milestones = {m.seq: m for m in OffensiveMilestone.objects.filter(offensive=offensive)}
        for part in demo.parts:
            if part.done is None:
                continue
            milestone, unit = milestones[part.seq], units[part.unit]
            report = task_services.report_milestone(
                milestone,
                unit=unit,
                completed_on=part.done,
                note=f"{milestone.name_zh}：已按要求完成。",
                files=[evidence_text(milestone.name_zh, unit, part.done)],
                acting_user=people[part.unit],
            )
            count += 1
            if part.decision == "confirmed":
                task_services.confirm_milestone(report, acting_user=office)
            elif part.decision == "returned":
                task_services.return_milestone(
                    report, acting_user=office, reason="佐证材料不全，请补充验收文件后重报。"
                )
    return count


# the district's key projects' investment, recorded by the feed, held against its reported
# fixed-asset investment (亿元 → 万元: the projects count in 万元)
FEED_INDICATOR = "key_project_investment"
CROSS_CHECK: dict[str, Any] = {
    "code": "fai_covers_key_projects",
    "name_zh": "固定资产投资应不少于重点项目完成投资",
    "name_en": "Fixed-asset investment covers the key projects' investment",
    "spec": {
        "kind": "cross_check",
        "expression": f"fai * 10000 >= {FEED_INDICATOR}",
        "severity": "serious",
    },
}


def site_photo(seed: int, width: int = 96, height: int = 72) -> bytes:
    """A small PNG "site photo" (sky, a crane's tower and ground in tones of the seed)."""
    y, x = np.mgrid[0:height, 0:width]
    sky = np.array([150 + seed % 60, 190, 230], dtype=float)
    ground = np.array([120, 100 + seed % 40, 70], dtype=float)
    horizon = height * (0.55 + (seed % 7) / 40)
    t = (y / height)[..., None]
    image = np.where((y > horizon)[..., None], ground * (1.2 - 0.4 * t), sky * (1.1 - 0.3 * t))
    mast = abs(x - (20 + seed % 50)) < 2
    image[mast & (y > 8)] = (230, 180, 40)
    image[(abs(y - 10) < 2) & (x > 10) & (x < 80)] = (230, 180, 40)
    rows = np.clip(image, 0, 255).astype(np.uint8)
    raw = b"".join(b"\x00" + rows[r].tobytes() for r in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def _register_rows(projects: list[DemoProject]) -> list[project_services.ProjectInput]:
    return [
        project_services.ProjectInput(
            code=p.code,
            name_zh=p.name_zh,
            name_en=p.name_en,
            owner=p.owner,
            district=p.district,
            category=p.category,
            longitude=Decimal(str(p.longitude)),
            latitude=Decimal(str(p.latitude)),
            planned_start=p.planned_start,
            planned_end=p.planned_end,
            total_investment=Decimal(str(p.total_investment)),
            status=KeyProject.Status.UNDER_WAY
            if p.planned_start <= timezone.localdate()
            else KeyProject.Status.PLANNED,
            plan=[
                project_services.PlanInput(month, Decimal(str(planned)))
                for month, planned in p.plan.items()
            ],
            milestones=[
                project_services.MilestoneInput(seq, name_zh, due, name_en)
                for seq, name_zh, name_en, due in p.milestones
            ],
            row=k + 1,
        )
        for k, p in enumerate(projects)
    ]


def load_register(
    admin: Any, office: Any, cycle: Cycle, projects: list[DemoProject], logins: list[DemoLogin]
) -> int:
    """The office's register imported at once, then each owner's monthly reports (a photo with
    some), one month reported twice (a correction). Returns the reports."""
    project_services.import_projects(cycle, _register_rows(projects), acting_user=office)
    stored = {p.code: p for p in KeyProject.objects.filter(cycle=cycle)}
    people = reporters(admin, sorted({p.owner for p in projects}), logins)
    count = 0
    for p in projects:
        for k, r in enumerate(p.reports):
            invested = r.invested
            project_services.report_progress(
                stored[p.code],
                month=r.month,
                invested=Decimal(str(invested)),
                status=r.status,
                milestones_done=dict(r.reached),
                note=r.note,
                files=[EvidenceFile(f"现场照片-{r.month:%Y%m}.png", site_photo(count + k))]
                if r.photo
                else [],
                acting_user=people[p.owner],
            )
            count += 1
            if r.corrected is not None:
                project_services.report_progress(
                    stored[p.code],
                    month=r.month,
                    invested=Decimal(str(r.corrected)),
                    status=r.status,
                    note="更正：补录漏报的设备款",
                    acting_user=people[p.owner],
                )
                count += 1
    return count


def load_investment_feed(admin: Any, office: Any, cycle: Cycle) -> None:
    """The feed indicator, the cross-check on it, and the districts' investment sent in."""
    fgw = Unit.objects.get(code="DEPT_FGW")
    indicator = indicator_services.create_indicator(
        acting_user=admin,
        code=FEED_INDICATOR,
        name_zh="重点项目完成投资",
        name_en="Key projects' investment",
        unit_zh="万元",
        unit_en="10,000 yuan",
        direction="higher",
        frequency="quarterly",
        value_type="amount",
        decimals=2,
        min_value=0,
        responsible_department=fgw,
        reported_by=ReportedBy.DEPARTMENT,
        description_zh="区县（市）域内重点项目自年初累计完成投资，由重点项目库汇总。",
        description_en="The key projects' investment in the district from January, summed by "
        "the key projects register.",
    )
    project_services.set_investment_feed(cycle, indicator, Decimal("0.8"), acting_user=office)
    save_rule(acting_user=admin, **CROSS_CHECK)
    feed_investment(cycle, acting_user=office)


def load_projects_demo(admin: Any, *, seed: int, year: int) -> list[DemoLogin]:
    """The year's key projects register with its progress, the three major tasks, the
    investment feed and its cross-check, and the schedule check of today. Returns the logins of
    the reporters it made."""
    logins: list[DemoLogin] = []
    office = type(admin).objects.get(username="office")
    cycle = Cycle.objects.get(year=year)
    city_map = CityMap.objects.order_by("-version").first()
    assert city_map is not None, "the demo's map is uploaded first"
    districts = [
        (u.code, u.name_zh, u.name_en)
        for u in Unit.objects.filter(
            kind__in=[Unit.Kind.DISTRICT, Unit.Kind.COUNTY_CITY], is_assessed=True
        ).order_by("code")
    ]
    today = timezone.localdate()
    projects = demo_projects(city_map.geojson, districts, year=year, today=today, seed=seed)
    reports = load_register(admin, office, cycle, projects, logins)
    codes = [code for code, _zh, _en in districts]
    offensives = demo_offensives(codes, year=year, today=today, seed=seed)
    parts = load_offensives(admin, office, cycle, offensives, logins)
    # last: its batch refreshes the year's provisional standings, the tasks' records with them
    load_investment_feed(admin, office, cycle)
    schedule.check_schedules(cycle, as_of=today, acting_user=office)
    assert projects and reports and parts and offensives
    return logins
