"""The demo city's key projects and major tasks, generated deterministically from a seed.

Pure data (no database): `demo_projects` places a few projects in every district, each at a
point inside the district's outline on the demo map, with a monthly investment plan for the
year, milestones and what the owner reported month by month — most on plan, some behind
(slow investment, a milestone overdue), one suspended. `demo_offensives` gives the city's three
major tasks of the year: led by a department, every district cooperating, each district's own
part of every milestone done on time, late, not yet confirmed, returned or missed.
`demo.projects` stores them through the services."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

# (zh, en) name patterns; {d} is the district's name
_KINDS: tuple[tuple[str, str, str, str, tuple[float, float]], ...] = (
    ("industry", "{d}智能制造产业园二期", "{d} smart manufacturing park, phase II", "", (8, 30)),
    ("infrastructure", "{d}综合交通枢纽", "{d} transport hub", "DEPT_JTJ", (15, 60)),
    ("social", "{d}人民医院新院区", "{d} People's Hospital, new campus", "DEPT_WJW", (6, 20)),
    ("ecology", "{d}污水处理厂提标改造", "{d} wastewater plant upgrade", "DEPT_STHJJ", (2, 8)),
    ("innovation", "{d}科创中心", "{d} innovation centre", "DEPT_KJJ", (5, 18)),
    ("urban", "{d}老旧小区改造", "{d} old neighbourhoods renewal", "DEPT_ZJJ", (2, 9)),
    ("social", "{d}九年一贯制学校", "{d} nine-year school", "DEPT_JYJ", (2, 6)),
)

_MILESTONES = (
    ("开工建设", "Construction starts"),
    ("主体工程过半", "Main works half done"),
    ("主体结顶", "Main structure topped out"),
    ("竣工验收", "Completion accepted"),
)


@dataclass(frozen=True)
class DemoReport:
    month: dt.date
    invested: float  # 万元 in the month
    status: str
    reached: Mapping[int, dt.date]  # milestone seq → date reached (this report's news)
    note: str
    photo: bool
    corrected: float | None = None  # a second version of the month with this investment


@dataclass(frozen=True)
class DemoProject:
    code: str
    name_zh: str
    name_en: str
    owner: str
    district: str
    category: str
    longitude: float
    latitude: float
    planned_start: dt.date
    planned_end: dt.date
    total_investment: float
    plan: Mapping[dt.date, float]
    milestones: tuple[tuple[int, str, str, dt.date], ...]
    reports: tuple[DemoReport, ...]


def _inside(point: np.ndarray, ring: np.ndarray) -> bool:
    """Ray casting: is the point inside the closed ring (lon, lat rows)?"""
    x, y = point
    xs, ys = ring[:, 0], ring[:, 1]
    xj, yj = np.roll(xs, 1), np.roll(ys, 1)
    crosses = ((ys > y) != (yj > y)) & (x < (xj - xs) * (y - ys) / (yj - ys + 1e-300) + xs)
    return bool(np.count_nonzero(crosses) % 2)


def _point_in(ring: np.ndarray, rng: np.random.Generator) -> tuple[float, float]:
    lo, hi = ring.min(axis=0), ring.max(axis=0)
    centre = ring.mean(axis=0)
    for _ in range(500):
        p = lo + (hi - lo) * rng.random(2)
        # away from the border: the point and its pull towards the centre are both inside
        if _inside(p, ring) and _inside(p + 0.25 * (centre - p), ring):
            return round(float(p[0]), 6), round(float(p[1]), 6)
    return round(float(centre[0]), 6), round(float(centre[1]), 6)  # pragma: no cover


def _months(year: int) -> list[dt.date]:
    return [dt.date(year, m, 1) for m in range(1, 13)]


def _month_end(month: dt.date) -> dt.date:
    following = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def demo_projects(
    geojson: Mapping[str, Any],
    districts: Sequence[tuple[str, str, str]],
    *,
    year: int,
    today: dt.date,
    seed: int,
) -> list[DemoProject]:
    """About four projects per district (code, zh, en), reported on up to the month before
    `today`. Every third district has one project behind on investment and one whose
    milestone is overdue; one project is suspended."""
    rng = np.random.default_rng(seed + 12)
    rings = {
        f["properties"]["code"]: np.array(f["geometry"]["coordinates"][0], dtype=float)
        for f in geojson["features"]
    }
    last_reported = dt.date(today.year, today.month, 1) - dt.timedelta(days=1)
    projects: list[DemoProject] = []
    for d_index, (code, zh, en) in enumerate(districts):
        kinds = rng.choice(len(_KINDS), size=4, replace=False)
        for p_index, k in enumerate(sorted(int(x) for x in kinds)):
            category, name_zh, name_en, owner, (low, high) = _KINDS[k]
            number = len(projects) + 1
            total = round(float(rng.uniform(low, high)) * 10000, 2)  # 亿元 → 万元
            start_month = int(rng.integers(1, 5)) if p_index % 2 else 1
            started_before = p_index % 2 == 0
            planned_start = (
                dt.date(year - 1, int(rng.integers(3, 12)), 1)
                if started_before
                else dt.date(year, start_month, 1)
            )
            planned_end = dt.date(year + int(rng.integers(0, 3)), int(rng.integers(9, 13)), 1)
            planned_end = _month_end(planned_end)
            active = [m for m in _months(year) if planned_start <= m <= planned_end]
            # the year's plan: a share of the total, heavier in the middle months
            year_share = float(rng.uniform(0.25, 0.5)) if planned_end.year > year else 0.6
            weights = np.array([1.0 + 0.6 * np.sin(np.pi * (m.month - 0.5) / 12) for m in active])
            plan_total = total * year_share
            plan = {
                m: round(float(w / weights.sum() * plan_total), 2)
                for m, w in zip(active, weights, strict=True)
            }
            # milestones spread between the start (or January) and the end of the year
            first = max(planned_start, dt.date(year, 1, 1))
            span = (min(planned_end, dt.date(year, 12, 31)) - first).days
            # the last milestone, completion, is due at the planned end when that is this year
            milestones = tuple(
                (
                    seq,
                    m_zh,
                    m_en,
                    first + dt.timedelta(days=int(span * (seq - 0.6) / len(_MILESTONES))),
                )
                for seq, (m_zh, m_en) in enumerate(_MILESTONES, start=1)
                if not (started_before and seq == 1)
                and (seq < len(_MILESTONES) or planned_end.year == year)
            )
            behind_pace = d_index % 3 == 0 and p_index == 1
            overdue = d_index % 3 == 1 and p_index == 2
            suspended = d_index == 5 and p_index == 3
            pace = float(rng.uniform(0.45, 0.6)) if behind_pace else float(rng.uniform(0.92, 1.15))
            reports: list[DemoReport] = []
            reached_so_far: set[int] = set()
            for m in active:
                if m > last_reported:
                    break
                stopped = suspended and m.month >= 7
                invested = 0.0 if stopped else round(plan[m] * pace * rng.uniform(0.85, 1.15), 2)
                news: dict[int, dt.date] = {}
                for seq, _zh, _en, due in milestones:
                    if seq in reached_so_far or due > _month_end(m):
                        continue
                    if overdue and seq == max(s for s, *_ in milestones if s <= 3):
                        continue  # this one is not reached: overdue
                    if stopped:
                        continue
                    late = int(rng.integers(0, 20)) if rng.random() < 0.3 else 0
                    reached = min(due + dt.timedelta(days=late), _month_end(m))
                    news[seq] = reached
                    reached_so_far.add(seq)
                status = (
                    "suspended" if stopped else "under_way" if m >= planned_start else "planned"
                )
                if planned_end <= _month_end(m) and not stopped:
                    status = "completed"
                note = (
                    "因资金未到位暂停施工" if stopped else
                    "按计划推进" if not behind_pace else "征地拆迁进度滞后，投资不及计划"
                )  # fmt: skip
                reports.append(
                    DemoReport(
                        month=m,
                        invested=invested,
                        status=status,
                        reached=news,
                        note=note,
                        photo=m == last_reported.replace(day=1) or bool(news),
                        corrected=(
                            round(invested * 1.05, 2) if number % 9 == 0 and m.month == 3 else None
                        ),
                    )
                )
            point = _point_in(rings[code], rng)
            projects.append(
                DemoProject(
                    code=f"P{year}-{number:03d}",
                    name_zh=name_zh.format(d=zh),
                    name_en=name_en.format(d=en),
                    owner=owner if owner and p_index % 2 else code,
                    district=code,
                    category=category,
                    longitude=point[0],
                    latitude=point[1],
                    planned_start=planned_start,
                    planned_end=planned_end,
                    total_investment=total,
                    plan=plan,
                    milestones=milestones,
                    reports=tuple(reports),
                )
            )
    return projects


@dataclass(frozen=True)
class DemoMilestone:
    seq: int
    name_zh: str
    name_en: str
    due: dt.date
    weight: float
    evidence: str


@dataclass(frozen=True)
class DemoPart:
    """One unit's part of one milestone: when it was done (None: not done), and what the office
    did with its report: 'confirmed', 'submitted' (awaiting), 'returned'."""

    unit: str
    seq: int
    done: dt.date | None
    decision: str


@dataclass(frozen=True)
class DemoOffensive:
    code: str
    name_zh: str
    name_en: str
    description: str
    lead: str
    cooperating: tuple[str, ...]
    milestones: tuple[DemoMilestone, ...]
    parts: tuple[DemoPart, ...]


_OFFENSIVES = (
    (
        "off_pollution",
        "污染防治攻坚战",
        "Pollution control offensive",
        "DEPT_STHJJ",
        (
            (
                "完成重点行业挥发性有机物治理",
                "VOC controls in key industries",
                "治理清单及验收报告",
            ),
            ("城镇污水处理率达到目标", "Urban wastewater treatment on target", "监测报告"),
            ("完成入河排污口整治", "River outfalls rectified", "整治台账及照片"),
            ("年度空气质量达标", "Air quality on target for the year", "监测年报"),
        ),
    ),
    (
        "off_business",
        "营商环境优化攻坚",
        "Business environment offensive",
        "DEPT_FGW",
        (
            ("企业开办一日办结", "A company set up in one day", "系统办件数据"),
            ("工程建设项目审批提速", "Construction permits faster", "审批时限统计"),
            ("惠企政策直达快享", "Support policies paid without application", "兑付清单"),
        ),
    ),
    (
        "off_renewal",
        "城市更新攻坚",
        "Urban renewal offensive",
        "DEPT_ZJJ",
        (
            ("老旧小区改造开工", "Old neighbourhood works start", "开工报告及照片"),
            ("城中村改造签约", "Urban village agreements signed", "签约台账"),
            ("改造项目完工过半", "Half the renewal works finished", "完工验收资料"),
        ),
    ),
)


def offensive_names(year: int) -> list[tuple[str, str, str]]:
    """(code, zh, en) of the year's major tasks, as `demo_offensives` names them."""
    return [(code, f"{year}年{zh}", f"{en} {year}") for code, zh, en, _lead, _steps in _OFFENSIVES]


def demo_offensives(
    districts: Sequence[str], *, year: int, today: dt.date, seed: int
) -> list[DemoOffensive]:
    """The year's three major tasks, each district's part of every milestone due by `today`
    reported: mostly on time, some late, a few not done, awaiting the office or returned."""
    rng = np.random.default_rng(seed + 21)
    offensives = []
    for code, name_zh, _name_en, lead, steps in _OFFENSIVES:
        n = len(steps)
        milestones = tuple(
            DemoMilestone(
                seq=i,
                name_zh=s_zh,
                name_en=s_en,
                due=_month_end(dt.date(year, min(12, round(12 * i / n)), 1)),
                weight=2.0 if i == n else 1.0,
                evidence=evidence,
            )
            for i, (s_zh, s_en, evidence) in enumerate(steps, start=1)
        )
        parts = []
        for unit in (lead, *districts):
            for m in milestones:
                roll = float(rng.random())
                if m.due >= today:
                    # not yet due: some are done early, awaiting confirmation
                    if roll < 0.25:
                        done = today - dt.timedelta(days=int(rng.integers(3, 20)))
                        parts.append(DemoPart(unit, m.seq, done, "submitted"))
                    continue
                if roll < 0.08:
                    continue  # missed: nothing reported
                late = 0 if roll < 0.7 else int(rng.integers(3, 40))
                early = int(rng.integers(0, 10)) if late == 0 else 0
                done = min(m.due + dt.timedelta(days=late - early), today - dt.timedelta(days=1))
                decision = "returned" if 0.70 <= roll < 0.73 else "confirmed"
                parts.append(DemoPart(unit, m.seq, done, decision))
        _code, full_zh, full_en = next(n for n in offensive_names(year) if n[0] == code)
        offensives.append(
            DemoOffensive(
                code=code,
                name_zh=full_zh,
                name_en=full_en,
                description=f"{name_zh}：牵头单位统筹，各区县（市）按节点落实，市考核办确认。",
                lead=lead,
                cooperating=tuple(districts),
                milestones=milestones,
                parts=tuple(parts),
            )
        )
    return offensives
