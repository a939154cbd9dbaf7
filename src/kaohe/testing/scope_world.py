"""The scope world: the test city of `kaohe.testing.world` with one object of every scoped kind
on each side of the scope line, built through the real services.

Every kind of object a page or an API route shows exists twice: once for East District (D01,
the "own" side of its reporter and head) and once for West District (D02, the "other" side).
City-level objects (the catalogue, the cycle, the scheme and its runs, the rules) exist once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from kaohe.core import jobs as core_jobs
from kaohe.core.models import AuditEvent, Job
from kaohe.core.roles import Role
from kaohe.flows.ingest import ingest
from kaohe.goals import services as goal_services
from kaohe.goals.models import Goal, GoalSet, TargetSuggestion
from kaohe.indicators import services as indicator_services
from kaohe.indicators.models import AdmissionRequest
from kaohe.monitoring.models import MonitoringRule, Warning
from kaohe.observations.evidence import EvidenceFile
from kaohe.observations.models import Evidence, Observation, Source
from kaohe.observations.services import ValueRow, record_observations
from kaohe.panels.models import Assignment, PanelGoal, Rating
from kaohe.people.models import (
    RewardShare,
    StaffRating,
    StaffResult,
    UnitGrading,
    UpwardSurvey,
)
from kaohe.people.upward import create_upward_survey
from kaohe.projects import services as project_services
from kaohe.projects.models import (
    KeyProject,
    MilestoneEvidence,
    MilestoneReport,
    Offensive,
    OffensiveMilestone,
    ProgressEvidence,
    ProgressReport,
)
from kaohe.projects.offensives import services as task_services
from kaohe.rectification import services as rectification_services
from kaohe.rectification.models import Commendation, RectificationItem
from kaohe.results import jobs as result_jobs
from kaohe.results import reports
from kaohe.results import services as result_services
from kaohe.results.models import ProvisionalStanding, Report, ScoringRun, UnitResult
from kaohe.schemes import services as scheme_services
from kaohe.schemes.models import Cycle
from kaohe.testing.goals import fill_portfolio
from kaohe.testing.maps import as_file, square_map
from kaohe.testing.monitoring import save_test_rules
from kaohe.testing.offensives import evidence as task_evidence
from kaohe.testing.panels import PanelObjects, build_panel_objects
from kaohe.testing.people import build_staff_objects
from kaohe.testing.projects import project_data, tiny_png
from kaohe.testing.survey_office import SurveyObjects, build_survey_objects
from kaohe.testing.survey_results import SurveyResultObjects, build_survey_result_objects
from kaohe.testing.world import SCHEME_YAML, World, build_world, make_user
from kaohe.units import services as unit_services
from kaohe.units.models import Person, Post, Unit

OWN, OTHER = "own", "other"
SIDES = (OWN, OTHER)

# A one-line text file: an accepted evidence type whose content check is plain UTF-8.
EVIDENCE_TEXT = "统计快报：2025年三季度地区生产总值。\n".encode()


@dataclass(frozen=True)
class Side:
    """The objects of one district."""

    unit: Unit
    post: Post
    person: Person
    observation: Observation
    evidence: Evidence
    admission_request: AdmissionRequest
    warning: Warning
    goal_set: GoalSet
    goal: Goal
    suggestion: TargetSuggestion
    standing: ProvisionalStanding
    result: UnitResult
    published_result: UnitResult
    job: Job
    audit_event: AuditEvent
    rectification: RectificationItem
    report: Report
    commendation: Commendation
    panel_goal: PanelGoal  # its 2024 excellence goal before the panel, rated by `expert`
    assignment: Assignment
    rating: Rating
    staff_result: StaffResult
    grading: UnitGrading
    reward_share: RewardShare
    staff_rating: StaffRating
    upward_survey: UpwardSurvey
    project: KeyProject
    progress_report: ProgressReport
    progress_evidence: ProgressEvidence
    offensive: Offensive
    milestone: OffensiveMilestone
    milestone_report: MilestoneReport
    milestone_evidence: MilestoneEvidence


def _diagnosis_report(admin: Any, run: ScoringRun, unit: Unit) -> Report:
    """A unit's diagnosis PDF, made as its job makes it."""
    pdf, pages = reports.diagnosis_pdf(admin, UnitResult.objects.get(run=run, unit=unit))
    return reports.store_report(
        "diagnosis", run, pdf=pdf, pages=pages, acting_user=admin, unit=unit
    )


@dataclass
class ScopeWorld:
    """The test world, the roles the goals review adds, and both sides' objects."""

    world: World
    users: dict[str, Any]
    sides: dict[str, Side]
    run: ScoringRun  # not published: the office's alone
    published_run: ScoringRun
    rule: MonitoringRule
    office_job: Job
    panels: PanelObjects  # the 2024 expert panel (city-level)
    surveys: SurveyObjects  # an open survey with codes and a flagged response (city-level)
    survey_results: SurveyResultObjects  # a closed survey (results, comments) and a live event

    def __getattr__(self, name: str) -> Any:
        return getattr(self.world, name)

    @property
    def own(self) -> Side:
        return self.sides[OWN]

    @property
    def other(self) -> Side:
        return self.sides[OTHER]


HISTORY = {"gdp": (1000, 1070, 1150, 1225), "fiscal_revenue": (80, 84, 88, 92)}


def _history(world: World) -> None:
    for year in (2021, 2022, 2023, 2024):
        scheme_services.create_cycle(acting_user=world.admin, year=year)
    rows = [
        ValueRow(unit, code, f"{2021 + i}Y", value * (1 if unit == "D01" else 0.7))
        for unit in ("D01", "D02")
        for code, series in HISTORY.items()
        for i, value in enumerate(series)
    ]
    record_observations(rows, acting_user=world.admin, source=Source.IMPORT)


def _users(world: World) -> dict[str, Any]:
    users = dict(world.users)
    for username, role, unit in (
        ("d2_head", Role.UNIT_HEAD, world.d2),
        ("tjj_head", Role.UNIT_HEAD, world.dept),
        ("reviewer", Role.REVIEWER, world.dept),
        ("leader", Role.LEADER, world.dept),
        ("expert", Role.EXPERT, None),
        ("civil_servant", Role.CIVIL_SERVANT, world.d1),
    ):
        users[username] = make_user(username)
        unit_services.add_grant(acting_user=world.admin, user=users[username], role=role, unit=unit)
    return users


def _submitted_goal_set(unit: Unit, cycle: Any, head: Any) -> tuple[GoalSet, Goal]:
    """A full portfolio submitted for review (so it has a version to compare)."""
    goal_set = goal_services.create_goal_set(unit, cycle, acting_user=head)
    fill_portfolio(goal_set, head)
    goal_services.submit_goal_set(goal_set, acting_user=head, note="提交审核")
    return goal_set, goal_set.goals.earliest("pk")


def build_scope_world() -> ScopeWorld:
    world = build_world()
    admin = world.admin
    users = _users(world)
    _history(world)
    rule = save_test_rules(admin)["tax_within_fiscal"]
    # both places flagged top, so each side has a commendation
    draft = scheme_services.update_scheme_draft(
        world.version, acting_user=admin, yaml_text=SCHEME_YAML + "results:\n  top_flags: 2\n"
    )
    published = scheme_services.publish_scheme_version(draft, acting_user=admin)
    scheme_services.advance_cycle(world.cycle, acting_user=admin)  # goal setting
    goal_sets = {}
    for side, unit, head in ((OWN, world.d1, "d1_head"), (OTHER, world.d2, "d2_head")):
        goal_sets[side] = _submitted_goal_set(unit, world.cycle, users[head])
    scheme_services.advance_cycle(world.cycle, acting_user=admin)  # in progress
    evidence = {}
    for side, code, reporter in ((OWN, "D01", "d1_reporter"), (OTHER, "D02", "d2_reporter")):
        result = ingest(
            [
                ValueRow(code, "fiscal_revenue", "2025Q3", 100),
                ValueRow(code, "tax_revenue", "2025Q3", 118),
            ],
            acting_user=users[reporter],
            source=Source.FORM,
            evidence=[EvidenceFile(f"快报-{code}.txt", EVIDENCE_TEXT)],
        )
        evidence[side] = Evidence.objects.get(batch=result.batch)
    record_observations(
        [
            ValueRow(unit, code, "2025Y", value, reason="年报")
            for unit, values in (("D01", (5000, 7.0, 120)), ("D02", (3000, 5.0, 80)))
            for code, value in zip(("gdp", "gdp_growth", "fiscal_revenue"), values, strict=True)
        ],
        acting_user=admin,
        source=Source.IMPORT,
    )
    run = result_services.run_scoring(published, acting_user=admin)
    published_run = result_services.publish_scoring_run(
        result_services.run_scoring(published, acting_user=admin, reason="published"),
        acting_user=admin,
    )
    rectification_services.issue_commendations(published_run, acting_user=admin)
    goal_services.suggest_district_targets(world.cycle, acting_user=users["office"])
    office_job = result_jobs.start_scoring_run(published, acting_user=users["office"])
    panels = build_panel_objects(
        admin=admin,
        cycle=Cycle.objects.get(year=2024),
        units={OWN: (world.d1, users["d1_head"]), OTHER: (world.d2, users["d2_head"])},
        expert=users["expert"],
        conflict_unit=world.dept,
    )
    surveys = build_survey_objects(world)
    users["survey_manager"] = surveys.manager
    survey_results = build_survey_result_objects(world, surveys.manager, surveys.survey.version)
    staff = build_staff_objects(
        world,
        {OWN: (world.d1, users["d1_head"]), OTHER: (world.d2, users["d2_head"])},
        users["office"],
    )
    # the districts' map (city-level: everyone signed in reads it, the office uploads it)
    unit_services.upload_city_map(acting_user=admin, content=as_file(square_map(["D01", "D02"])))
    register: dict[str, tuple[KeyProject, ProgressReport, ProgressEvidence]] = {}
    tasks: dict[str, tuple[Offensive, OffensiveMilestone, MilestoneReport, MilestoneEvidence]] = {}
    for side, (code, reporter, lon) in zip(
        SIDES, (("D01", "d1_reporter", 120.05), ("D02", "d2_reporter", 120.15)), strict=True
    ):
        project = project_services.register_project(
            world.cycle, project_data(f"P-{code}", code, code, lon), acting_user=users["office"]
        )
        progress = project_services.report_progress(
            project,
            month=dt.date(2025, 3, 1),
            invested=100,
            status=KeyProject.Status.UNDER_WAY,
            milestones_done={1: dt.date(2025, 2, 27)},
            note="按计划推进",
            files=[EvidenceFile("现场.png", tiny_png())],
            acting_user=users[reporter],
        )
        register[side] = (project, progress, ProgressEvidence.objects.get(report=progress))
        # a major task the side's district leads alone, its first part reported
        unit = world.d1 if side == OWN else world.d2
        offensive = task_services.create_offensive(
            world.cycle,
            code=f"task_{code.lower()}",
            name_zh=f"{code}攻坚",
            lead=unit,
            milestones=[task_services.MilestoneSpec("开工", dt.date(2025, 3, 31))],
            acting_user=users["office"],
        )
        milestone = offensive.milestones.get()
        part = task_services.report_milestone(
            milestone,
            completed_on=dt.date(2025, 3, 30),
            note="已开工",
            files=[task_evidence()],
            acting_user=users[reporter],
        )
        tasks[side] = (offensive, milestone, part, part.evidence.get())
    sides = {}
    for side, unit in ((OWN, world.d1), (OTHER, world.d2)):
        goal_set, goal = goal_sets[side]
        project, progress, photo = register[side]
        offensive, milestone, part, proof = tasks[side]
        sides[side] = Side(
            unit=unit,
            post=Post.objects.get(unit=unit),
            person=Person.objects.get(unit=unit),
            observation=world.obs_d1 if side == OWN else world.obs_d2,
            evidence=evidence[side],
            admission_request=indicator_services.propose_indicator(
                acting_user=admin,
                unit=unit,
                code=f"innov_{unit.code.lower()}",
                name_zh="创新项目数",
                reason="重点工作",
                unit_zh="个",
            ),
            warning=Warning.objects.get(unit=unit, rule=rule),
            goal_set=goal_set,
            goal=goal,
            suggestion=TargetSuggestion.objects.filter(unit=unit).earliest("pk"),
            standing=ProvisionalStanding.objects.get(unit=unit),
            result=UnitResult.objects.get(run=run, unit=unit),
            published_result=UnitResult.objects.get(run=published_run, unit=unit),
            job=core_jobs.start_job(
                result_jobs.compute_run,
                acting_user=admin,
                kind="unit-report",
                label=unit.code,
                unit=unit,
            ),
            audit_event=AuditEvent.objects.filter(unit=unit).earliest("pk"),
            report=_diagnosis_report(admin, published_run, unit),
            commendation=Commendation.objects.get(unit=unit),
            panel_goal=panels.items[side],
            assignment=panels.assignments[side],
            rating=panels.ratings[side],
            staff_result=staff.results[side],
            grading=staff.gradings[side],
            reward_share=staff.shares[side],
            staff_rating=StaffRating.objects.filter(person__unit=unit).earliest("pk"),
            upward_survey=create_upward_survey(world.cycle, unit, acting_user=users["office"]),
            project=project,
            progress_report=progress,
            progress_evidence=photo,
            offensive=offensive,
            milestone=milestone,
            milestone_report=part,
            milestone_evidence=proof,
            rectification=rectification_services.open_item(
                published_run,
                unit,
                acting_user=admin,
                cause="税收占比异常",
                due_date=timezone.localdate() + dt.timedelta(days=30),
            ),
        )
    return ScopeWorld(
        world=world,
        users=users,
        sides=sides,
        run=run,
        published_run=published_run,
        rule=rule,
        office_job=office_job,
        panels=panels,
        surveys=surveys,
        survey_results=survey_results,
    )
