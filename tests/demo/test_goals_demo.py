"""The goals demo loads on top of the demo city and tells its story's first steps."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model

from kaohe.demo.goals import load_goals_demo
from kaohe.demo.load import load_demo
from kaohe.goals import services
from kaohe.goals.models import GoalSet, ReviewDeadline, TargetSuggestion

pytestmark = pytest.mark.django_db


def load_everything() -> None:
    """The demo city with its goals (whether or not load_demo already calls load_goals_demo)."""
    load_demo()
    if not GoalSet.objects.exists():
        load_goals_demo(get_user_model().objects.get(username="admin"))


def test_the_goals_demo_loads_portfolios_deadlines_and_suggestions():  # type: ignore[no-untyped-def]
    load_everything()
    for username in ("swj_head", "swj_reporter", "fgw_head", "fgw_leader"):
        assert get_user_model().objects.get(username=username).kaohe_grants.count() == 1
    sets = {gs.unit.code: gs for gs in GoalSet.objects.filter(state="draft").select_related("unit")}
    assert sorted(sets) == ["DEPT_FGW", "DEPT_SWJ"]  # the others are the panel demo's, approved
    for gs in sets.values():
        assert gs.state == "draft"
        assert gs.goals.filter(kind="key").count() == 7
        assert gs.goals.filter(kind="excellence").count() == 2
        assert services.portfolio_problems(gs) == []
    deadlines = list(ReviewDeadline.objects.order_by("due_date").values_list("level", "due_date"))
    assert [level for level, _ in deadlines] == ["office", "comprehensive", "leader", "committee"]
    first = deadlines[0][1]
    assert [due for _, due in deadlines] == [first + dt.timedelta(weeks=n) for n in range(4)]
    suggestions = TargetSuggestion.objects.filter(cycle__year=2026)
    assert suggestions.values("unit").distinct().count() == 10
    assert suggestions.count() > 150
    assert not suggestions.filter(reason_zh="").exists()
    assert suggestions.exclude(backtest_mase=None).count() > 100
