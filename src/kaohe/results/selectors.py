"""Reads of scoring runs: who may see which run, and the shapes the pages need."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from kaohe.core import access
from kaohe.core.roles import Action
from kaohe.results.models import ScoringRun, UnitResult


def can_see_drafts(user: Any) -> bool:
    """Draft runs are for the office, the committee and auditors until published."""
    return (
        access.has_citywide(user, Action.ADMINISTER)
        or access.has_citywide(user, Action.APPROVE)
        or access.has_citywide(user, Action.AUDIT)
    )


def visible_runs(user: Any) -> QuerySet[ScoringRun]:
    """Published (and superseded) runs for everyone signed in; drafts for the office."""
    runs = ScoringRun.objects.select_related("cycle", "category", "scheme_version__scheme")
    if can_see_drafts(user):
        return runs
    return runs.exclude(status=ScoringRun.Status.DRAFT)


def ranking(run: ScoringRun) -> list[dict[str, Any]]:
    """The run's results grouped by category, in rank order (not scored last)."""
    results = run.results.select_related("unit", "unit__category").order_by(
        "category_code", "rank", "unit__code"
    )
    groups: dict[str, dict[str, Any]] = {}
    for result in results:
        group = groups.setdefault(
            result.category_code,
            {"category": result.unit.category, "results": []},
        )
        group["results"].append(result)
    for group in groups.values():
        group["results"].sort(key=lambda r: (r.rank is None, r.rank or 0, r.unit.code))
    return list(groups.values())


def unit_history(user: Any, result: UnitResult) -> list[UnitResult]:
    """The unit's results in the published runs of every cycle, oldest first."""
    return list(
        UnitResult.objects.restrict(user)
        .filter(unit=result.unit, run__status=ScoringRun.Status.PUBLISHED)
        .select_related("run__cycle")
        .order_by("run__cycle__year")
    )
