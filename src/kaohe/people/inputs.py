"""What a staff run reads, as of its moment: the people, their units' results and grades, their
goals and their evaluations — turned into the engine's input table.

- **The unit's result**: the unit's rounded total and grade in the newest scoring run of the
  cycle published at or before the moment. The grade's `staff_excellent_share` (from that run's
  scheme) sets the unit's quota of excellent; a unit without a published result has no result,
  and its people are not scored (the reason says so).
- **Own goals completed**: for each approved goal of the unit, completion within [0, 1]: with
  an indicator and a target, actual ÷ target (target ÷ actual for a lower-is-better goal), the
  actual being the goal's indicator at the cycle's full-year node as of the moment; without an
  indicator, the share of its milestones done (milestones are not versioned: their state now).
  A goal with neither is not measured. A person's completion is the mean of the completions of
  the goals shared with their post, weighted by the shares; a person whose post holds no
  measured share answers for the unit's measured goals as a whole (their plain mean); where the
  unit has no measured goal at all, the unit's result stands in (the provenance says so: the
  person then answers twice for the unit's result, which is what the office gets without
  goals). × 100.
- **Evaluations**: per source (leaders, peers, upward), the mean over the dimensions of the
  newest rating entered at or before the moment for each dimension."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np

from kaohe.engine import InputTable, load_scheme
from kaohe.goals.models import Goal, GoalMilestone, GoalSet, GoalShare
from kaohe.observations.models import ObservationVersion
from kaohe.people.models import StaffRating
from kaohe.people.rules import RATING_INPUTS
from kaohe.results.models import ScoringRun, UnitResult
from kaohe.schemes.models import Cycle, TimeNode
from kaohe.units.models import Person


@dataclass(frozen=True)
class UnitStanding:
    """A unit's published result, as a staff run reads it."""

    total: float | None
    grade: str
    grade_names: dict[str, str]  # the grade's name by language, {} when the scheme has none
    share: float | None  # the grade's staff_excellent_share (None: the grade sets none)
    run_id: int


@dataclass
class StaffInputs:
    """The people of a staff run (in unit path, then code order) and everything they read."""

    people: list[Person]
    columns: dict[str, np.ndarray]
    standings: dict[int, UnitStanding]  # by unit id
    goals_used: dict[int, dict[str, Any]] = field(default_factory=dict)  # by person id

    def table(self) -> InputTable:
        return InputTable.build(
            [p.code for p in self.people],
            self.columns,
            categories=[p.unit.code for p in self.people],
            names=[p.name for p in self.people],
        )

    def fingerprint(self) -> str:
        """A hash of every input value, so that two runs on the same inputs can be told."""
        digest = hashlib.sha256()
        for person in self.people:
            digest.update(person.code.encode())
        for name in sorted(self.columns):
            digest.update(name.encode())
            digest.update(np.ascontiguousarray(self.columns[name]).tobytes())
        return digest.hexdigest()


def unit_standings(cycle: Cycle, moment: dt.datetime) -> dict[int, UnitStanding]:
    """Each unit's result in the newest run of the cycle published by `moment`."""
    runs = (
        ScoringRun.objects.filter(
            cycle=cycle, status=ScoringRun.Status.PUBLISHED, published_at__lte=moment
        )
        .select_related("scheme_version")
        .order_by("published_at", "pk")
    )
    out: dict[int, UnitStanding] = {}
    for run in runs:  # oldest first: a later run's result replaces an earlier one
        grades = {g.code: g for g in load_scheme(run.scheme_version.document).grades}
        for result in UnitResult.objects.filter(run=run).only("unit_id", "total_rounded", "grade"):
            grade = grades.get(result.grade)
            out[result.unit_id] = UnitStanding(
                total=result.total_rounded,
                grade=result.grade,
                grade_names={} if grade is None or grade.name is None else grade.name.to_dict(),
                share=None if grade is None else grade.staff_excellent_share,
                run_id=run.pk,
            )
    return out


def _completion(actual: Decimal | None, goal: Goal) -> float | None:
    if actual is None or goal.target_value is None:
        return None
    target, value = float(goal.target_value), float(actual)
    if goal.direction == Goal.Direction.LOWER:
        ratio = target / value if value > 0 else 1.0
    else:
        ratio = value / target if target > 0 else 1.0
    return min(max(ratio, 0.0), 1.0)


def _goal_completions(
    cycle: Cycle, unit_ids: set[int], moment: dt.datetime
) -> dict[int, list[tuple[Goal, float | None]]]:
    """(goal, completion or None when not measured) of every approved goal, by unit id."""
    goals = list(
        Goal.objects.filter(
            goal_set__cycle=cycle,
            goal_set__unit__in=unit_ids,
            goal_set__state=GoalSet.State.APPROVED,
        )
        .select_related("goal_set")
        .order_by("goal_set__unit_id", "order", "pk")
    )
    year_end = TimeNode.objects.filter(cycle=cycle, kind=TimeNode.Kind.YEAR).first()
    actual: dict[tuple[int, int], Decimal | None] = {}
    measured = [g for g in goals if g.indicator_id is not None]
    if year_end is not None and measured:
        versions = (
            ObservationVersion.objects.filter(
                observation__time_node=year_end,
                observation__unit__in=unit_ids,
                observation__indicator__in={g.indicator_id for g in measured},
                recorded_at__lte=moment,
            )
            .order_by("observation_id", "number")
            .values_list("observation__unit_id", "observation__indicator_id", "value")
        )
        for unit_id, indicator_id, value in versions:  # the newest version last
            actual[(unit_id, indicator_id)] = value
    milestones: dict[int, list[bool]] = defaultdict(list)
    for goal_id, done in GoalMilestone.objects.filter(goal__in=goals).values_list(
        "goal_id", "done"
    ):
        milestones[goal_id].append(done)
    out: dict[int, list[tuple[Goal, float | None]]] = defaultdict(list)
    for goal in goals:
        unit_id = goal.goal_set.unit_id
        if goal.indicator_id is not None:
            completion = _completion(actual.get((unit_id, goal.indicator_id)), goal)
        elif milestones.get(goal.pk):
            completion = sum(milestones[goal.pk]) / len(milestones[goal.pk])
        else:
            completion = None
        out[unit_id].append((goal, completion))
    return out


def _ratings(cycle: Cycle, moment: dt.datetime) -> dict[tuple[int, str], float]:
    """The mean over dimensions of the newest rating per dimension, by (person id, source)."""
    newest: dict[tuple[int, str, str], float] = {}
    rows = (
        StaffRating.objects.filter(cycle=cycle, created_at__lte=moment)
        .order_by("created_at", "pk")
        .values_list("person_id", "source", "dimension", "score")
    )
    for person_id, source, dimension, value in rows:
        newest[(person_id, source, dimension)] = float(value)
    sums: dict[tuple[int, str], list[float]] = defaultdict(list)
    for (person_id, source, _dimension), mean_part in newest.items():
        sums[(person_id, source)].append(mean_part)
    return {key: sum(values) / len(values) for key, values in sums.items()}


def staff_inputs(cycle: Cycle, moment: dt.datetime) -> StaffInputs:
    """Every person of the active assessed units, with every input of the staff score."""
    people = list(
        Person.objects.filter(unit__is_assessed=True, unit__active=True, created_at__lte=moment)
        .select_related("unit", "post")
        .order_by("unit__path", "code")
    )
    standings = unit_standings(cycle, moment)
    unit_ids = {p.unit_id for p in people}
    completions = _goal_completions(cycle, unit_ids, moment)
    shares: dict[int, list[tuple[int, float]]] = defaultdict(list)  # post id → (goal id, share)
    for post_id, goal_id, share in GoalShare.objects.filter(
        goal__goal_set__cycle=cycle, post__isnull=False
    ).values_list("post_id", "goal_id", "share"):
        shares[post_id].append((goal_id, float(share)))
    ratings = _ratings(cycle, moment)
    n = len(people)
    columns = {name: np.full(n, np.nan) for name in ("unit_result", "goal_completion")}
    for name in RATING_INPUTS.values():
        columns[name] = np.full(n, np.nan)
    goals_used: dict[int, dict[str, Any]] = {}
    for i, person in enumerate(people):
        standing = standings.get(person.unit_id)
        if standing is not None and standing.total is not None:
            columns["unit_result"][i] = standing.total
        done = {g.pk: (g, c) for g, c in completions.get(person.unit_id, []) if c is not None}
        used = [(*done[g], s) for g, s in shares.get(person.post_id or 0, []) if g in done]
        basis = "own"
        if not used:  # no measured share of their own: the unit's measured goals as a whole
            used = [(goal, c, 1.0) for goal, c in done.values()]
            basis = "unit_goals"
        if used:
            weight = sum(s for _, _, s in used)
            columns["goal_completion"][i] = 100.0 * sum(c * s for _, c, s in used) / weight
        elif not np.isnan(columns["unit_result"][i]):  # no measured goal: the unit's result
            columns["goal_completion"][i] = columns["unit_result"][i]
            basis = "unit_result"
        goals_used[person.pk] = {
            "basis": basis,
            "goals": [
                {"goal": goal.pk, "title": goal.title_zh, "completion": c, "share": s}
                for goal, c, s in used
            ],
        }
        for source, name in RATING_INPUTS.items():
            value = ratings.get((person.pk, source))
            if value is not None:
                columns[name][i] = value
    return StaffInputs(people, columns, standings, goals_used)


def provenance(inputs: StaffInputs, index: int) -> dict[str, Any]:
    """The inputs of one person as stored beside their result (JSON)."""
    person = inputs.people[index]
    values = {
        name: (None if np.isnan(column[index]) else float(column[index]))
        for name, column in inputs.columns.items()
    }
    standing = inputs.standings.get(person.unit_id)
    return json.loads(
        json.dumps(
            {
                "values": values,
                "unit_run": None if standing is None else standing.run_id,
                "unit_grade": "" if standing is None else standing.grade,
                "goals": inputs.goals_used.get(person.pk, {"basis": "none", "goals": []}),
            }
        )
    )
