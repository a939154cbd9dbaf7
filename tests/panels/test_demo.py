"""The panel demo: seven experts with `expert` among them, twelve excellence goals, recusals for
an own unit and declared conflicts (one withdrawing an assignment), one outlying rater, and work
left on `expert`'s page."""

from __future__ import annotations

import pytest

from kaohe.demo.load import load_demo
from kaohe.panels import selectors
from kaohe.panels.models import Assignment, ConflictDeclaration, Panel, PanelGoal, Rating

pytestmark = pytest.mark.django_db


def test_the_demo_panel_tells_its_story() -> None:
    load_demo()
    panel = Panel.objects.get()
    assert (panel.cycle.year, panel.state, panel.indicator.code) == (
        2026,
        "open",
        "excellence_score",
    )
    experts = list(panel.members.values_list("expert__username", flat=True))
    assert len(experts) == 7 and "expert" in experts
    assert PanelGoal.objects.count() == 12
    # recused: the Health Commission's own civil servant, and the declared conflict
    assigned = Assignment.objects.filter(item__panel=panel)
    assert not assigned.filter(
        member__expert__username="zj_zhou", item__goal__goal_set__unit__code="DEPT_WJW"
    ).exists()
    assert not assigned.filter(
        member__expert__username="zj_zhao", item__goal__goal_set__unit__code="DEPT_KJJ"
    ).exists()
    assert ConflictDeclaration.objects.count() == 2
    withdrawn = assigned.filter(state="withdrawn")
    assert set(
        withdrawn.values_list("member__expert__username", "item__goal__goal_set__unit__code")
    ) == {("zj_chen", "DEPT_GXJ")}
    assert withdrawn.count() == 2
    # work left for `expert`
    mine = assigned.filter(member__expert__username="expert")
    assert mine.filter(state="open").count() == 3 and mine.filter(state="rated").count() == 9
    assert Rating.objects.count() == assigned.filter(state="rated").count()  # 0 withdrawn rated
    results = selectors.panel_results(panel, "en")
    flagged = [r.member.expert.username for r in results.raters if r.outlying]
    assert flagged == ["zj_liu"]
    scores = [g.score for g in results.goals]
    assert all(s is not None and 70 < s < 95 for s in scores)
    assert max(scores) - min(scores) > 5  # the goals differ, as the experts see them
    overall = results.agreement[-1][1][-1]
    assert overall.startswith("weighted total: Kendall's W = ")
