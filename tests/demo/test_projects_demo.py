"""The projects demo: the current year's register over every district (points inside their
district on the map, monthly reports with photos, a correction kept as a second version), the
projects behind schedule warned, the three major tasks with each district's parts on time,
late, missed, awaiting or returned, and the year's district scheme scoring them."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from kaohe.demo.geography import district_map
from kaohe.demo.load import CURRENT_YEAR, load_demo
from kaohe.demo.project_data import _inside, demo_projects
from kaohe.engine import load_scheme
from kaohe.monitoring.models import MonitoringRule, Warning
from kaohe.projects.models import (
    KeyProject,
    MilestoneReport,
    Offensive,
    OffensiveUnit,
    ProgressEvidence,
    ProgressReport,
)
from kaohe.projects.offensives.selectors import LATE, ON_TIME, with_status
from kaohe.results.models import ProvisionalStanding
from kaohe.schemes.models import SchemeVersion
from kaohe.units.models import CityMap, Unit


def test_every_project_lies_inside_its_district() -> None:
    codes = [f"D{k:02d}" for k in range(1, 11)]
    geojson = district_map(codes[:7], codes[7:], 2025)
    rings = {
        f["properties"]["code"]: np.array(f["geometry"]["coordinates"][0])
        for f in geojson["features"]
    }
    projects = demo_projects(
        geojson, [(c, c, c) for c in codes], year=2026, today=dt.date(2026, 12, 8), seed=2025
    )
    assert len(projects) == 40
    for p in projects:
        assert _inside(np.array([p.longitude, p.latitude]), rings[p.district]), p.code


@pytest.mark.django_db
def test_the_projects_demo_registers_reports_warns_and_scores() -> None:
    logins = load_demo()
    assert {"d03_reporter", "dept_sthjj_reporter"} <= {login.username for login in logins}
    projects = KeyProject.objects.filter(cycle__year=CURRENT_YEAR)
    assert projects.count() == 40
    districts = Unit.objects.filter(kind__in=["district", "county_city"], is_assessed=True)
    assert set(projects.values_list("district__code", flat=True)) == set(
        districts.values_list("code", flat=True)
    )
    assert CityMap.objects.exists()
    assert ProgressReport.objects.filter(version=2).exists()  # a correction, the first kept
    assert ProgressEvidence.objects.count() > 40  # site photos
    schedule = MonitoringRule.objects.filter(kind="schedule")
    open_warnings = Warning.objects.filter(rule__in=schedule).exclude(state="closed")
    kinds = set(open_warnings.values_list("rule__code", flat=True))
    assert kinds == {
        "project-investment-pace",
        "project-milestone-overdue",
        "task-milestone-overdue",
    }
    assert MonitoringRule.objects.filter(code="fai_covers_key_projects", active=True).exists()
    # the three major tasks: every district cooperating, each one's parts of every milestone
    tasks = Offensive.objects.filter(cycle__year=CURRENT_YEAR)
    assert tasks.count() == 3
    for task in tasks:
        roles = OffensiveUnit.objects.filter(offensive=task)
        assert roles.filter(role="lead").count() == 1
        assert roles.filter(role="cooperating").count() == districts.count()
    states = set(MilestoneReport.objects.values_list("state", flat=True))
    assert states == {"confirmed", "submitted", "returned"}
    statuses = set(with_status(tasks.first().milestones.all()).values_list("status", flat=True))  # type: ignore[union-attr]
    assert {ON_TIME, LATE} <= statuses
    # the year's district scheme scores 攻坚克难 by the tasks, and its standings are live
    version = SchemeVersion.objects.get(scheme__code=f"district-{CURRENT_YEAR}")
    scheme = load_scheme(version.document)
    assert scheme.milestone_codes == set(tasks.values_list("code", flat=True))
    standings = ProvisionalStanding.objects.filter(scheme_version=version)
    scores = [s.score for s in standings]
    assert len(scores) == districts.count() and all(s is not None for s in scores)
    assert len(set(scores)) == len(scores)  # the districts are told apart
