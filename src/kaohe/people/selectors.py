"""Reads of assessing people shared by the pages and the API: a unit grading's table, a
person's record across years (the cadre record), and the leader flags across years.

Leader flags (`leader_flags`): the unit grades come from the newest published scoring run of
each cycle; "excellent" is the best grade of that run's scheme and "unqualified" its veto grade
(its last grade when it names none), so no grade code is assumed. A unit's leaders are the
holders of its head and deputy-head posts; three consecutive excellent years mark them for
priority in promotion, an unqualified latest year marks the head for adjustment."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count

from kaohe.core.roles import Action
from kaohe.engine import load_scheme
from kaohe.engine.people import leader_flags as engine_leader_flags
from kaohe.people.models import (
    Dimension,
    PersonGrade,
    RewardShare,
    StaffRating,
    StaffResult,
    UnitGrading,
)
from kaohe.results.models import ScoringRun, UnitResult
from kaohe.units.models import Person, Post, Unit


def yuan(cents: int) -> str:
    """An amount in fen as yuan, to the fen: 1234567 → "12,345.67"."""
    return f"{cents // 100:,}.{cents % 100:02d}"


@dataclass(frozen=True)
class GradingRow:
    """One person of a unit grading: their result and their grade (None before a proposal)."""

    result: StaffResult
    grade: PersonGrade | None


def grading_rows(grading: UnitGrading) -> list[GradingRow]:
    """The people of a grading, best score first (the unscored last), with their grades."""
    results = (
        StaffResult.objects.filter(run=grading.run_id, unit=grading.unit_id)
        .select_related("person__post")
        .order_by("rank_in_unit", "person__code")
    )
    grades = {g.person_id: g for g in PersonGrade.objects.filter(grading=grading)}
    rows = [GradingRow(r, grades.get(r.person_id)) for r in results]
    return sorted(rows, key=lambda row: row.result.score is None)


def grade_counts(gradings: Sequence[UnitGrading]) -> dict[int, dict[str, int]]:
    """How many of each grade each grading holds (final once confirmed, else proposed), by
    grading id (one query)."""
    counts: dict[int, dict[str, int]] = {g.pk: defaultdict(int) for g in gradings}
    rows = (
        PersonGrade.objects.filter(grading__in=list(counts))
        .values("grading_id", "proposed", "final")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in rows:
        counts[row["grading_id"]][row["final"] or row["proposed"]] += row["n"]
    return {pk: dict(c) for pk, c in counts.items()}


@dataclass(frozen=True)
class RecordYear:
    """One year of a person's record."""

    year: int
    result: StaffResult | None
    grade: PersonGrade | None
    reward: RewardShare | None
    ratings: dict[str, dict[str, float]]  # source → dimension → score

    @property
    def by_dimension(self) -> list[float | None]:
        """Per dimension (in `Dimension` order) the mean over the sources that rated it."""
        out: list[float | None] = []
        for dimension in Dimension.values:
            given = [d[dimension] for d in self.ratings.values() if dimension in d]
            out.append(round(sum(given) / len(given), 2) if given else None)
        return out

    @property
    def reward_yuan(self) -> str:
        if self.reward is None:
            return ""
        return yuan(self.reward.amount_cents)


def person_record(person: Person, user: Any) -> list[RecordYear]:
    """A person's years, newest first: the newest staff run of each cycle, the grade, the
    reward and the evaluations (what `user` may see: the caller has checked the person)."""
    results = (
        StaffResult.objects.restrict(user, Action.PERSONNEL)
        .filter(person=person)
        .select_related("run__cycle")
        .order_by("-run__cycle__year", "-run__number")
    )
    newest: dict[int, StaffResult] = {}
    for result in results:
        newest.setdefault(result.run.cycle.year, result)
    grades = {
        g.grading.run_id: g
        for g in PersonGrade.objects.restrict(user, Action.PERSONNEL)
        .filter(person=person)
        .select_related("grading")
    }
    rewards = {
        r.pool.grading.run_id: r
        for r in RewardShare.objects.restrict(user, Action.PERSONNEL)
        .filter(person=person, pool__state="confirmed")
        .select_related("pool__grading")
    }
    ratings: dict[int, dict[str, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    for year, source, dimension, score in (
        StaffRating.objects.restrict(user, Action.PERSONNEL)
        .filter(person=person)
        .order_by("created_at", "pk")
        .values_list("cycle__year", "source", "dimension", "score")
    ):
        ratings[year][source][dimension] = float(score)  # the newest last
    years = sorted(set(newest) | set(ratings), reverse=True)
    return [
        RecordYear(
            year,
            newest.get(year),
            grades.get(newest[year].run_id) if year in newest else None,
            rewards.get(newest[year].run_id) if year in newest else None,
            {source: dict(dims) for source, dims in ratings.get(year, {}).items()},
        )
        for year in years
    ]


@dataclass(frozen=True)
class LeaderFlag:
    """A person marked by their unit's results: `kind` is "promotion" or "adjustment"."""

    person: Person
    unit: Unit
    kind: str
    year: int
    grades: tuple[tuple[int, str], ...]  # (year, unit grade code), oldest first


def _unit_grades() -> tuple[dict[int, dict[int, str]], dict[int, set[str]], dict[int, set[str]]]:
    """Each unit's grade by year (newest published run of each cycle and category), and per
    year the codes that count as excellent and as unqualified."""
    history: dict[int, dict[int, str]] = defaultdict(dict)
    excellent: dict[int, set[str]] = defaultdict(set)
    unqualified: dict[int, set[str]] = defaultdict(set)
    runs = (
        ScoringRun.objects.filter(status=ScoringRun.Status.PUBLISHED)
        .select_related("cycle", "scheme_version")
        .order_by("cycle__year", "published_at", "pk")
    )
    for run in runs:  # a later run of the year replaces an earlier one
        scheme = load_scheme(run.scheme_version.document)
        if scheme.grades:
            year = run.cycle.year
            excellent[year].add(scheme.grades[0].code)
            unqualified[year].add(scheme.veto_grade or scheme.grades[-1].code)
        for unit_id, grade in UnitResult.objects.filter(run=run).values_list("unit_id", "grade"):
            if grade:
                history[unit_id][run.cycle.year] = grade
    return history, excellent, unqualified


def leader_flags(units: Sequence[Unit], year: int | None = None) -> list[LeaderFlag]:
    """The leaders of these units marked for promotion priority or adjustment in `year` (the
    latest graded year when None)."""
    history, excellent, unqualified = _unit_grades()
    if not history:
        return []
    latest = year or max(y for grades in history.values() for y in grades)
    units = [u for u in units if u.pk in history]

    # a grade counts as excellent or unqualified by the scheme of its own year
    def normalised(unit: Unit) -> dict[int, str | None]:
        out: dict[int, str | None] = {}
        for y, code in history[unit.pk].items():
            out[y] = (
                "excellent" if code in excellent[y]
                else "unqualified" if code in unqualified[y] else "other"
            )  # fmt: skip
        return out

    flags = engine_leader_flags(
        [normalised(u) for u in units],
        excellent={"excellent"},
        unqualified={"unqualified"},
        year=latest,
    )
    posts = defaultdict(list)
    for post in (
        Post.objects.filter(rank__in=[Post.Rank.HEAD, Post.Rank.DEPUTY_HEAD], holder__isnull=False)
        .select_related("holder", "unit")
        .order_by("unit__path", "rank", "code")
    ):
        posts[post.unit_id].append(post)
    out: list[LeaderFlag] = []
    for i, unit in enumerate(units):
        grades = tuple(sorted(history[unit.pk].items()))
        kinds: list[tuple[str, tuple[str, ...]]] = []
        if flags.promotion_priority[i]:
            kinds.append(("promotion", (Post.Rank.HEAD, Post.Rank.DEPUTY_HEAD)))
        if flags.adjustment[i]:
            kinds.append(("adjustment", (Post.Rank.HEAD,)))
        for kind, ranks in kinds:
            for post in posts.get(unit.pk, []):
                if post.rank in ranks:
                    out.append(LeaderFlag(post.holder, unit, kind, latest, grades))
    return out


def tree_names(node: dict[str, Any], lang: str) -> dict[str, str]:
    """Each node id of an explanation tree → its name in `lang` (zh when it has no other)."""
    names: dict[str, str] = {}
    name = node.get("name") or {}
    if name:
        names[node["id"]] = name.get(lang) or name.get("zh") or node["id"]
    for child in node.get("children", []):
        names.update(tree_names(child, lang))
    return names
