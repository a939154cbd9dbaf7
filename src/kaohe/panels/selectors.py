"""Reads of the expert panels: a panel's ratings as the engine's (goals × experts × dimensions)
array and its aggregated results (`kaohe.engine.evaluation.aggregate_panel`: 去掉最高最低 then
the mean, per dimension and overall; agreement; outlying raters), an expert's work list and the
rubric beside a rating form. No writes here.

Only ratings of assignments that stand count: a withdrawn assignment's rating stays on record
but is left out (NaN), as is every goal an expert was not assigned or recused from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db.models import Count, Q, QuerySet
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kaohe.engine.evaluation import DIMENSIONS, PanelResult, aggregate_panel
from kaohe.engine.evaluation.texts import Lang
from kaohe.panels.models import (
    Assignment,
    Dimension,
    Panel,
    PanelDimension,
    PanelGoal,
    PanelMember,
    Rating,
    expert_name,
)
from kaohe.panels.rubric import SCALE_MAX, SCALE_MIN, band_of

assert tuple(Dimension.values) == DIMENSIONS  # the engine's order is the models'


def lang() -> Lang:
    return "en" if (get_language() or "").startswith("en") else "zh"


def _number(value: float) -> float | None:
    return None if value != value else float(value)


@dataclass(frozen=True)
class DimensionScore:
    """One dimension of one goal: how many rated it, the score, and (for the office) the
    dropped highest and lowest ratings."""

    code: str
    label: str
    count: int
    trimmed: bool
    score: float | None
    dropped_high: float | None
    dropped_low: float | None


@dataclass(frozen=True)
class GoalResult:
    """A goal's aggregated result: per dimension and overall, with its notes."""

    item: PanelGoal
    ratings: int  # experts whose rating counts
    dimensions: tuple[DimensionScore, ...]
    score: float | None
    notes: tuple[str, ...]


@dataclass(frozen=True)
class RaterCheck:
    """How one expert's ratings compare with the rest of the panel (for the office)."""

    member: PanelMember
    name: str
    cells: int
    mad: float | None
    bias: float | None
    correlation: float | None
    outlying: bool
    notes: tuple[str, ...]


@dataclass(frozen=True)
class PanelResults:
    """The aggregated results of a panel: per goal, the agreement in words, the raters."""

    panel: Panel
    goals: tuple[GoalResult, ...]
    agreement: tuple[tuple[str, tuple[str, ...]], ...]  # (label, plain-language lines)
    raters: tuple[RaterCheck, ...]
    engine: PanelResult | None

    def for_item(self, item: PanelGoal) -> GoalResult:
        return next(g for g in self.goals if g.item.pk == item.pk)


def weights_of(panel: Panel) -> list[float]:
    by_code = {d.code: float(d.weight) for d in panel.dimensions.all()}
    return [by_code.get(code, 0.0) for code in DIMENSIONS]


def ratings_array(panel: Panel) -> tuple[list[PanelGoal], list[PanelMember], np.ndarray]:
    """The goals before the panel, its experts, and the counted ratings as (goals × experts ×
    dimensions), NaN where an expert gave no counted rating."""
    items = list(
        PanelGoal.objects.filter(panel=panel)
        .select_related("goal__goal_set__unit")
        .order_by("goal__goal_set__unit__path", "goal__order", "goal__pk")
    )
    members = list(PanelMember.objects.filter(panel=panel).select_related("expert").order_by("pk"))
    x = np.full((len(items), len(members), len(DIMENSIONS)), np.nan)
    row = {item.pk: i for i, item in enumerate(items)}
    col = {member.pk: r for r, member in enumerate(members)}
    ratings = Rating.objects.filter(
        assignment__item__panel=panel, assignment__state=Assignment.State.RATED
    ).values_list("assignment__item_id", "assignment__member_id", *DIMENSIONS)
    for item_id, member_id, *scores in ratings:
        x[row[item_id], col[member_id], :] = scores
    return items, members, x


def panel_results(panel: Panel, language: Lang | None = None) -> PanelResults:
    """The panel's results through the engine (nothing is recomputed here)."""
    language = language or lang()
    items, members, x = ratings_array(panel)
    labels = dict(Dimension.choices)
    if not items or not members:
        return PanelResults(panel, (), (), (), None)
    result = aggregate_panel(
        x,
        items=[str(item.pk) for item in items],
        raters=[expert_name(m.expert) for m in members],
        weights=weights_of(panel),
        score_range=(SCALE_MIN, SCALE_MAX),
    )
    goals = []
    for i, item in enumerate(items):
        rated = int(np.sum(~np.isnan(x[i]).all(axis=1)))
        goals.append(
            GoalResult(
                item=item,
                ratings=rated,
                dimensions=tuple(
                    DimensionScore(
                        code=code,
                        label=str(labels[code]),
                        count=int(result.count[i, j]),
                        trimmed=bool(result.trimmed[i, j]),
                        score=_number(result.dimension_score[i, j]),
                        dropped_high=_number(result.dropped_high[i, j]),
                        dropped_low=_number(result.dropped_low[i, j]),
                    )
                    for j, code in enumerate(DIMENSIONS)
                ),
                score=_number(result.score[i]),
                notes=result.notes(i, language),
            )
        )
    agreement = tuple(
        (str(labels.get(a.label, _("weighted total"))), a.describe(language))
        for a in result.agreement
    )
    raters = tuple(
        RaterCheck(
            member=member,
            name=result.raters[r],
            cells=int(result.rater_cells[r]),
            mad=_number(result.rater_mad[r]),
            bias=_number(result.rater_bias[r]),
            correlation=_number(result.rater_correlation[r]),
            outlying=bool(result.outlying[r]),
            notes=result.rater_notes(r, language),
        )
        for r, member in enumerate(members)
    )
    return PanelResults(panel, tuple(goals), agreement, raters, result)


def goal_result(item: PanelGoal, language: Lang | None = None) -> GoalResult:
    """One goal's result, aggregated with the rest of its panel (the outlier tests and the
    agreement need the whole panel; the goal's own scores depend only on its ratings)."""
    return panel_results(item.panel, language).for_item(item)


@dataclass(frozen=True)
class RubricRow:
    """A dimension of the rating form: its label, weight and anchored bands."""

    code: str
    label: str
    weight: float
    bands: tuple[dict[str, Any], ...]


def rubric_rows(panel: Panel, language: Lang | None = None) -> list[RubricRow]:
    """The panel's rubric in the reader's language, dimension by dimension."""
    language = language or lang()
    labels = dict(Dimension.choices)
    rows = []
    for dimension in PanelDimension.objects.filter(panel=panel).order_by("order"):
        bands = tuple(
            {
                "low": band["low"],
                "high": band["high"],
                "text": band["en"] if language == "en" and band.get("en") else band["zh"],
            }
            for band in dimension.rubric
        )
        rows.append(
            RubricRow(dimension.code, str(labels[dimension.code]), float(dimension.weight), bands)
        )
    return rows


def band_text(panel: Panel, code: str, score: int) -> str:
    """The anchored description a score falls in."""
    dimension = PanelDimension.objects.get(panel=panel, code=code)
    band = band_of(dimension.rubric, score)
    if band is None:
        return ""
    return str(band["en"] if lang() == "en" and band.get("en") else band["zh"])


def my_assignments(user: Any) -> QuerySet[Assignment]:
    """The expert's own assignments, open ones first."""
    return (
        Assignment.objects.restrict(user, "rate")
        .select_related("item__panel__cycle", "item__goal__goal_set__unit")
        .order_by("state", "item__panel", "item__goal__goal_set__unit__path", "pk")
    )


def panel_progress(panels: QuerySet[Panel]) -> QuerySet[Panel]:
    """Panels with their counts of experts, goals and assignments by state."""
    return panels.annotate(
        member_count=Count("members", distinct=True),
        goal_count=Count("goals", distinct=True),
        open_count=Count(
            "goals__assignments",
            filter=Q(goals__assignments__state=Assignment.State.OPEN),
            distinct=True,
        ),
        rated_count=Count(
            "goals__assignments",
            filter=Q(goals__assignments__state=Assignment.State.RATED),
            distinct=True,
        ),
    )
