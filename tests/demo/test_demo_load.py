"""The demo city, loaded through the audited services: counts, logins per role, schemes, data."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from kaohe.core.models import AuditEvent, Grant
from kaohe.core.roles import Role
from kaohe.demo.load import SCHEME_DIR, load_demo
from kaohe.indicators.models import Indicator
from kaohe.monitoring.models import Warning
from kaohe.observations.models import Observation, ObservationVersion
from kaohe.rectification.models import Commendation, RectificationItem
from kaohe.results.models import ScoringRun, UnitResult
from kaohe.schemes.models import Cycle, SchemeVersion
from kaohe.units.models import CityMap, Person, Unit
from kaohe.web.dashboard import first_look

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_demo_city_loads_with_a_login_per_role():  # type: ignore[no-untyped-def]
    logins = load_demo()
    assert Unit.objects.filter(kind__in=["district", "county_city"]).count() == 10
    assert Unit.objects.filter(kind="department").count() == 40
    assert Unit.objects.filter(kind="division").count() > 100
    assert Person.objects.count() == 300
    assert Indicator.objects.active().count() >= 16
    assert Indicator.objects.exclude(formula="").count() == 4
    roles = {grant.role for grant in Grant.objects.all()}
    assert roles == {r.value for r in Role}
    assert {login.username for login in logins} == set(
        get_user_model().objects.values_list("username", flat=True)
    )
    assert list(Cycle.objects.order_by("year").values_list("year", "state")) == [
        (2022, "closed"),
        (2023, "closed"),
        (2024, "closed"),
        (2025, "published"),  # its interview units rectify: it stays open
        (2026, "in_progress"),
    ]
    items = RectificationItem.objects.filter(run__cycle__year=2025)
    assert items.filter(unit__code__startswith="D0").count() == 3  # the bottom three districts
    assert set(items.values_list("state", flat=True)) == {"open"}
    commended = Commendation.objects.filter(run__cycle__year=2025, run__category__code="district")
    assert commended.filter(reason="top").count() == 3  # the scheme flags the top three
    assert SchemeVersion.objects.published().count() == 6  # district + department, 2024–2026
    runs = ScoringRun.objects.filter(status="published")
    assert sorted(runs.values_list("cycle__year", "category__code")) == [
        (2024, "department"),
        (2024, "district"),
        (2025, "department"),
        (2025, "district"),
    ]
    assert not runs.filter(units_not_scored__gt=0).exists()
    d07 = UnitResult.objects.get(run__cycle__year=2025, unit__code="D07")
    assert (d07.grade, "veto:statistical_fraud" in d07.flags) == ("unqualified", True)
    districts = UnitResult.objects.filter(run__cycle__year=2025, run__category__code="district")
    interviews = [r.unit.code for r in districts.order_by("rank") if "interview" in r.flags]
    assert len(interviews) >= 3  # the bottom three at least
    periods = set(Observation.objects.values_list("time_node__period", flat=True))
    assert "2026Q3" in periods and "2022Q1" in periods
    # 2026 is in progress: its full year holds only the targets set at its start
    year_end = Observation.objects.filter(time_node__period="2026Y")
    assert set(year_end.values_list("indicator__code", flat=True)) == {
        "fiscal_revenue_target",
        "fdi_target",
    }
    # the planted inflated figure was caught by the cross-check on arrival
    caught = Warning.objects.get(rule__code="tax_within_fiscal")
    assert (caught.unit.code, caught.time_node.period, caught.state) == ("D04", "2026Q3", "open")
    assert ObservationVersion.objects.count() == Observation.objects.count()
    assert Observation.objects.filter(indicator__code="tax_share").count() == 190  # derived
    gdp = Observation.objects.filter(indicator__code="gdp", time_node__period="2025Y")
    assert gdp.count() == 10
    # the districts' map, generated and uploaded through the map service
    city_map = CityMap.objects.get()
    assert (city_map.version, city_map.codes) == (1, [f"D{n:02d}" for n in range(1, 11)])
    # every row came through a service: one audit event per unit, at least
    assert AuditEvent.objects.count() > Unit.objects.count() + Person.objects.count()
    # the overview's first look: the departments' top three per sub-group, not three overall
    office = get_user_model().objects.get(username="office")
    glance = next(g for g in first_look(office).runs if g.run.category.code == "department")
    subgroups = set(
        UnitResult.objects.filter(run=glance.run).values_list("category_code", flat=True)
    )
    assert len(glance.groups) == len(subgroups) > 1
    for _name, top in glance.groups:
        assert [r.rank for r in top] == [1, 2, 3]
        assert len({r.category_code for r in top}) == 1


def test_demo_schemes_are_the_published_examples():  # type: ignore[no-untyped-def]
    for name in ("district", "department"):
        shipped = (SCHEME_DIR / f"{name}.yaml").read_text(encoding="utf-8")
        example = (ROOT / "examples" / f"{name}-2025.yaml").read_text(encoding="utf-8")
        assert shipped == example, f"src/kaohe/demo/schemes/{name}.yaml differs from examples/"


def test_kaohe_demo_command_prepares_the_database(tmp_path):  # type: ignore[no-untyped-def]
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAOHE_")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env["KAOHE_DATA_DIR"] = str(tmp_path)
    command = [sys.executable, "-m", "kaohe.cli", "demo", "--no-serve"]
    first = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert first.returncode == 0, first.stderr
    assert "http://127.0.0.1:8000/" in first.stdout
    assert "d01_reporter" in first.stdout and "Kaohe-demo-2026" in first.stdout
    again = subprocess.run(
        command, env={**env, "KAOHE_PORT": "8765"}, capture_output=True, text=True, check=False
    )
    assert again.returncode == 0, again.stderr
    assert "already loaded" in again.stdout and "http://127.0.0.1:8765/" in again.stdout
    bad = subprocess.run(
        command, env={**env, "KAOHE_PORT": "eighty"}, capture_output=True, text=True, check=False
    )
    assert bad.returncode == 2 and "KAOHE_PORT='eighty'" in bad.stderr
