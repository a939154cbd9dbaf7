"""The public bulletin (通报) of a published run: what a citizen may read without signing in.

Only a published run (not a draft, not one a correction replaced) of a cycle whose results are
published is public. It shows, per category, each unit's rank, score, grade and its public
flags (top places, the progress award, a veto), the progress awards, and the backward list
(后进名单: the units on the interview list and those at the lowest grade). Nothing else: no node
scores, no reasons, no person."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from kaohe.results.labels import Flag, RunLabels
from kaohe.results.models import ScoringRun
from kaohe.schemes.models import Cycle

PUBLIC_STAGES = (Cycle.State.PUBLISHED, Cycle.State.CLOSED)


def public_runs() -> QuerySet[ScoringRun]:
    return (
        ScoringRun.objects.filter(
            status=ScoringRun.Status.PUBLISHED, cycle__state__in=PUBLIC_STAGES
        )
        .select_related("cycle", "category", "scheme_version")
        .order_by("-cycle__year", "category__order", "category__code")
    )


@dataclass
class Line:
    rank: int | None
    unit: str
    unit_code: str
    score: float | None
    grade: str
    flags: list[Flag]
    scored: bool


@dataclass
class Bulletin:
    run: ScoringRun
    lines: list[Line] = field(default_factory=list)
    awards: list[Line] = field(default_factory=list)
    backward: list[Line] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        def line(item: Line) -> dict[str, Any]:
            return {
                "rank": item.rank,
                "unit": item.unit_code,
                "name": item.unit,
                "score": item.score,
                "grade": item.grade,
                "flags": [f.label for f in item.flags],
                "scored": item.scored,
            }

        return {
            "id": self.run.pk,
            "cycle": self.run.cycle.year,
            "category": self.run.category.code,
            "category_name": self.run.category.name,
            "published_at": self.run.published_at,
            "ranking": [line(item) for item in self.lines],
            "progress_awards": [line(item) for item in self.awards],
            "backward_list": [line(item) for item in self.backward],
        }


def bulletin(run: ScoringRun) -> Bulletin:
    """The public content of a run (which must be among `public_runs()`)."""
    labels = RunLabels(run.scheme_version.document)
    grades = [g["code"] for g in run.scheme_version.document.get("grades") or []]
    lowest = grades[-1] if grades else None
    out = Bulletin(run)
    results = run.results.select_related("unit").order_by("rank", "unit__code")
    for r in results:
        public = [c for c in r.flags if c not in ("borderline", "interview")]
        item = Line(
            rank=r.rank,
            unit=r.unit.name,
            unit_code=r.unit.code,
            score=r.total_rounded,
            grade=labels.grade(r.grade),
            flags=labels.flags(public),
            scored=r.status == "scored",
        )
        out.lines.append(item)
        if "progress_award" in r.flags:
            out.awards.append(item)
        if "interview" in r.flags or (lowest is not None and r.grade == lowest):
            out.backward.append(item)
    out.lines.sort(key=lambda i: (i.rank is None, i.rank or 0, i.unit_code))
    return out
