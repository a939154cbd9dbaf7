"""The diagnosis of a unit in a run: figures against the category peers computed from the stored
explanation, the goals' targets against the values the run used, open warnings, the narrative
and suggestions (English here, Chinese on the page by default), and the same scope as the
unit's result page."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from kaohe.flows.ingest import ingest
from kaohe.goals import services as goals
from kaohe.observations.models import Source
from kaohe.observations.services import ValueRow
from kaohe.results.diagnosis import diagnose
from kaohe.results.models import UnitResult
from kaohe.testing.goals import fill_portfolio
from kaohe.testing.monitoring import save_test_rules, send_inflated_tax
from kaohe.testing.results import published_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(world):  # type: ignore[no-untyped-def]
    return published_run(world)


GRADES = {"excellent": "Excellent", "qualified": "Qualified", "unqualified": "Unqualified"}


def result_of(run, code):  # type: ignore[no-untyped-def]
    return UnitResult.objects.select_related("unit").get(run=run, unit__code=code)


def send(world, rows):  # type: ignore[no-untyped-def]
    return ingest(rows, acting_user=world.users["stats_reporter"], source=Source.API)


def leaves(tree):  # type: ignore[no-untyped-def]
    if tree.get("kind") == "leaf":
        return [tree]
    return [leaf for child in tree["children"] for leaf in leaves(child)]


def test_weakest_indicators_are_measured_against_the_peers(world, run):  # type: ignore[no-untyped-def]
    west, east = result_of(run, "D02"), result_of(run, "D01")
    found = diagnose(world.users["office"], run, west)
    own = {leaf["id"]: leaf for leaf in leaves(west.explanation["tree"])}
    other = {leaf["id"]: leaf["fraction"] for leaf in leaves(east.explanation["tree"])}
    # two peers: the median is their mean; the test scheme sums at every level
    expected = {
        lid: leaf["full_points"] * ((leaf["fraction"] + other[lid]) / 2 - leaf["fraction"])
        for lid, leaf in own.items()
        if other[lid] > leaf["fraction"]
    }
    assert expected  # West is behind East on every input
    assert [s.id for s in found.weakest] == sorted(expected, key=lambda k: -expected[k])
    for s in found.weakest:
        assert s.gain == pytest.approx(expected[s.id])
        assert (s.place, s.peers) == (2, 2)
    assert found.strongest == []
    assert found.summary[0] == (
        f"West District scored {west.total_rounded:,.2f} points in {run.cycle.name} and ranks 2 "
        f"of 2 in its category, grade {GRADES[west.grade]}."
    )
    # the scheme's name, else its indicator's (the test catalogue's English names are codes)
    names = {
        "gdp_growth_score": "GDP_GROWTH",
        "gdp_size": "GDP",
        "party": "Party building",
    }
    first = found.weakest[0]
    assert found.suggestions[0].startswith(f"Raise {names[first.id]}: its share of full points is ")
    assert f"Reaching the median is worth about {first.gain:,.2f} points." in found.suggestions[0]
    # the leader of the category has nothing below the median
    best = diagnose(world.users["office"], run, east)
    assert best.weakest == []
    assert [s.id for s in best.strongest] == [s.id for s in found.weakest][: len(best.strongest)]
    assert best.suggestions == [
        "No indicator is below the category median: keep the measures that work."
    ]


def approved_goals(world):  # type: ignore[no-untyped-def]
    """West's portfolio with a key goal on GDP growth (target 6), through the joint review."""
    admin = world.admin
    goal_set = goals.create_goal_set(world.d2, world.cycle, acting_user=admin)
    fill_portfolio(goal_set, admin, key=4)
    goals.add_goal(
        goal_set,
        acting_user=admin,
        kind="key",
        title_zh="GDP增速",
        title_en="GDP growth",
        indicator=world.indicators["gdp_growth"],
        unit_of_measure="%",
        target_value=Decimal("6"),
    )
    goals.submit_goal_set(goal_set, acting_user=admin)
    goal_set.refresh_from_db()
    while goal_set.state != "approved":
        goals.approve_goal_set(goal_set, acting_user=admin)
        goal_set.refresh_from_db()
    return goal_set


def test_targets_benchmarks_and_warnings_enter_the_suggestions(world):  # type: ignore[no-untyped-def]
    approved_goals(world)
    save_test_rules(world.admin)
    run = published_run(world)  # West's growth 5.0 is below the goal's 6
    send_inflated_tax(world, "D02")
    found = diagnose(world.users["office"], run, result_of(run, "D02"))
    growth = next(g for g in found.goals if g.indicator == "gdp_growth")
    assert (growth.target, growth.actual, growth.met) == (6.0, 5.0, False)
    assert (
        "The goal “GDP growth” was missed: target 6.00, the run used 5.00. Explain the gap and "
        "set catch-up measures with deadlines."
    ) in found.suggestions
    excellence = next(g for g in found.goals if g.kind == "excellence")
    assert (excellence.benchmark_name, excellence.met) == ("杭州市", None)  # no indicator
    assert [w.rule.code for w in found.warnings] == ["tax_within_fiscal"]
    assert (
        "Answer the 1 open warning of the cycle (1 serious) on the warnings page."
        in found.suggestions
    )
    # corrected data clears the warning: it is no longer in the diagnosis
    send(world, [ValueRow("D02", "tax_revenue", "2025Q3", 90, reason="更正")])
    again = diagnose(world.users["office"], run, result_of(run, "D02"))
    assert again.warnings == []


def test_the_page_and_api_follow_the_result_pages_scope(world, run):  # type: ignore[no-untyped-def]
    reporter = Client()
    reporter.force_login(world.users["d1_reporter"])
    own = reporter.get(f"/results/runs/{run.pk}/units/D01/diagnosis/")
    assert own.status_code == 200
    assert "绩效诊断" in own.content.decode()  # Chinese by default
    assert reporter.get(f"/results/runs/{run.pk}/units/D02/diagnosis/").status_code == 404
    api = reporter.get(f"/api/v1/scoring-runs/{run.pk}/units/D02/diagnosis/")
    assert api.status_code == 404
    office = Client()
    office.force_login(world.users["office"])
    body = office.get(
        f"/api/v1/scoring-runs/{run.pk}/units/D02/diagnosis/", HTTP_ACCEPT_LANGUAGE="en"
    ).json()
    assert (body["unit"], body["rank"], body["peers"]) == ("D02", 2, 2)
    assert body["summary"][0].startswith("West District scored")
    assert [w["place"] for w in body["weakest"]] == [2] * len(body["weakest"])
    page = office.get(f"/results/runs/{run.pk}/units/D02/diagnosis/").content.decode()
    assert "西区" in page and "提高" in page  # the suggestions in Chinese
