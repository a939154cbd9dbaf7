"""The goals demo loads on top of the demo city and tells its story's first steps."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model

from kaohe.demo.load import load_demo
from kaohe.goals.demo import load_goals_demo
from kaohe.goals.models import GoalSet, ReviewDeadline, TargetSuggestion

pytestmark = pytest.mark.django_db


def test_the_goals_demo_loads_portfolios_deadlines_and_suggestions():  # type: ignore[no-untyped-def]
    load_demo()
    admin = get_user_model().objects.get(username="admin")
    logins = load_goals_demo(admin, today=dt.date(2026, 1, 5))
    assert [login.username for login in logins] == [
        "swj_head",
        "swj_reporter",
        "fgw_head",
        "fgw_leader",
    ]
    sets = {gs.unit.code: gs for gs in GoalSet.objects.select_related("unit")}
    assert sorted(sets) == ["DEPT_FGW", "DEPT_SWJ"]
    for gs in sets.values():
        assert gs.state == "draft"
        assert gs.goals.filter(kind="key").count() == 7
        assert gs.goals.filter(kind="excellence").count() == 2
    assert list(ReviewDeadline.objects.order_by("due_date").values_list("level", "due_date")) == [
        ("office", dt.date(2026, 1, 12)),
        ("comprehensive", dt.date(2026, 1, 19)),
        ("leader", dt.date(2026, 1, 26)),
        ("committee", dt.date(2026, 2, 2)),
    ]
    suggestions = TargetSuggestion.objects.filter(cycle__year=2026)
    assert suggestions.values("unit").distinct().count() == 10
    assert suggestions.count() > 150
    assert not suggestions.filter(reason_zh="").exists()
    assert suggestions.exclude(backtest_mase=None).count() > 100
