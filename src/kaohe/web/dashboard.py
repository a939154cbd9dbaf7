"""What the office looks at first on the overview (PRODUCT.md §6): the last published run of
each category (the top and the bottom of its ranking, the grades), the open warnings by
severity, and where rectification stands — each within the reader's scope."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count

from kaohe.monitoring.models import Severity, Warning
from kaohe.rectification.models import RectificationItem
from kaohe.results import selectors as result_selectors
from kaohe.results.labels import RunLabels
from kaohe.results.models import ScoringRun


@dataclass
class RunGlance:
    run: ScoringRun
    top: list[Any]  # the first three of each group the run ranks in (a category's sub-groups)
    bottom: list[Any]
    grades: list[tuple[str, int]]
    groups: list[tuple[str, list[Any]]] = field(default_factory=list)  # (group name, its top)


@dataclass
class FirstLook:
    runs: list[RunGlance] = field(default_factory=list)
    warnings: list[tuple[str, str, int]] = field(default_factory=list)  # code, label, count
    rectification: list[tuple[str, str, int]] = field(default_factory=list)

    @property
    def open_warnings(self) -> int:
        return sum(n for _c, _l, n in self.warnings)


def first_look(user: Any) -> FirstLook:
    look = FirstLook()
    published = (
        result_selectors.visible_runs(user)
        .filter(status=ScoringRun.Status.PUBLISHED)
        .order_by("category__order", "category_id", "-cycle__year", "-pk")
    )
    seen: set[int] = set()
    for run in published:
        if run.category_id in seen:
            continue
        seen.add(run.category_id)
        labels = RunLabels(run.scheme_version.document)
        ranked = list(
            run.results.select_related("unit__category")
            .defer("nodes", "robustness", "explanation")  # the glance needs none of them
            .order_by("category_code", "rank", "unit__code")
        )
        scored = [r for r in ranked if r.rank is not None]
        groups: dict[str, tuple[str, list[Any]]] = {}
        for r in scored:
            _name, top = groups.setdefault(r.category_code, (str(r.unit.category or ""), []))
            if len(top) < 3:
                top.append(r)
        for r in ranked:
            r.grade_name = labels.grade(r.grade)  # type: ignore[attr-defined]
        counts = Counter(r.grade for r in ranked if r.grade)
        look.runs.append(
            RunGlance(
                run=run,
                top=[r for _name, top in groups.values() for r in top],
                bottom=[r for r in scored if "interview" in r.flags],
                grades=[
                    (labels.grade(g["code"]), counts.get(g["code"], 0))
                    for g in run.scheme_version.document.get("grades") or []
                ],
                groups=list(groups.values()) if len(groups) > 1 else [],
            )
        )
    by_severity = dict(
        Warning.objects.restrict(user)
        .exclude(state=Warning.State.CLOSED)
        .values_list("severity")
        .annotate(n=Count("id"))
    )
    look.warnings = [(s.value, str(s.label), by_severity.get(s.value, 0)) for s in Severity]
    by_state = dict(
        RectificationItem.objects.restrict(user).values_list("state").annotate(n=Count("id"))
    )
    look.rectification = [
        (s.value, str(s.label), by_state[s.value])
        for s in RectificationItem.State
        if by_state.get(s.value)
    ]
    return look
