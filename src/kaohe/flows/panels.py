"""A closed expert panel's results into the scheme: each unit's excellence score through the one
ingestion pipeline.

A unit's excellence score is the mean of the overall scores (去掉最高最低, then weighted over the
four dimensions: `kaohe.panels.selectors.panel_results`) of its goals before the panel. It is
recorded on the indicator the panel names, for the cycle's full year, with source "panel" and a
reason naming the panel and the number of ratings behind it. All or nothing: a goal without an
overall score (a dimension nobody rated) refuses the whole feed, naming the goal. Sending the
same panel again is recognised by its client key and writes nothing."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kaohe.core import access, audit
from kaohe.core.events import EventType
from kaohe.core.roles import Action
from kaohe.flows.ingest import IngestResult, ingest
from kaohe.observations.models import Source
from kaohe.observations.services import ValueRow
from kaohe.panels.models import Panel
from kaohe.panels.selectors import panel_results


@dataclass(frozen=True)
class UnitScore:
    """What the feed sends for one unit."""

    unit_code: str
    score: float
    goals: int
    ratings: int


def unit_scores(panel: Panel) -> list[UnitScore]:
    """Each unit's excellence score from the panel's goal results, by unit path."""
    results = panel_results(panel)
    problems = [
        _("“%(goal)s” (%(unit)s) has no overall score: %(why)s")
        % {
            "goal": g.item.goal,
            "unit": g.item.unit,
            "why": " ".join(g.notes) or _("no ratings"),
        }
        for g in results.goals
        if g.score is None
    ]
    if problems:
        raise ValidationError(problems)
    by_unit: dict[str, list[Any]] = defaultdict(list)
    order: dict[str, str] = {}
    for g in results.goals:
        unit = g.item.unit
        by_unit[unit.code].append(g)
        order[unit.code] = unit.path
    return [
        UnitScore(
            unit_code=code,
            score=sum(g.score for g in goals) / len(goals),
            goals=len(goals),
            ratings=sum(g.ratings for g in goals),
        )
        for code, goals in sorted(by_unit.items(), key=lambda kv: order[kv[0]])
    ]


def _reason(panel: Panel, score: UnitScore) -> str:
    return _(
        "expert panel “%(panel)s” (#%(id)d): %(goals)d excellence goal(s), %(ratings)d "
        "rating(s), extremes dropped"
    ) % {"panel": panel.name_zh, "id": panel.pk, "goals": score.goals, "ratings": score.ratings}


@transaction.atomic
def feed_panel_scores(panel: Panel, *, acting_user: Any) -> IngestResult:
    """Send a closed panel's unit scores into its indicator (the office)."""
    access.check_citywide(acting_user, Action.ADMINISTER)
    panel = (
        Panel.objects.select_for_update(of=("self",))
        .select_related("cycle", "indicator")
        .get(pk=panel.pk)
    )
    if panel.state != Panel.State.CLOSED:
        raise ValidationError(
            _("Close the panel first: its scores are sent once its ratings are final.")
        )
    if panel.indicator is None:
        raise ValidationError(
            _("The panel names no indicator to feed; its scores have nowhere to go.")
        )
    scores = unit_scores(panel)
    if not scores:
        raise ValidationError(_("The panel has no rated goals to send."))
    places = min(max(panel.indicator.decimals, 0), 6)
    rows = [
        ValueRow(
            s.unit_code,
            panel.indicator.code,
            f"{panel.cycle.year}Y",
            round(s.score, places),
            reason=_reason(panel, s),
        )
        for s in scores
    ]
    result = ingest(
        rows,
        acting_user=acting_user,
        source=Source.PANEL,
        client_key=f"panel-{panel.pk}",
    )
    if not result.duplicate:
        audit.record(
            EventType.PANEL_SCORES_FED,
            acting_user=acting_user,
            obj=panel,
            extra={
                "batch": result.batch.pk,
                "indicator": panel.indicator.code,
                "scores": {s.unit_code: round(s.score, places) for s in scores},
            },
        )
    return result
