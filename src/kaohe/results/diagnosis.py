"""Performance diagnosis (绩效诊断) of one unit in one run, written by rules.

From the run's stored results (never recomputed): where the unit lost points against its
category peers (each indicator's share of full points against the peers' median and upper
quartile, and how many points reaching the median would have brought), its goals' targets and
benchmarks against the values the run used, its warnings still open in the cycle, what citizens
said (when the cycle has survey results), and suggestions that follow from these facts. Every
sentence is built from a message of the catalogue with the figures filled in, in the language
active when built (the page's, or the language the PDF job was asked in); nothing is generated
by a model, so the same run always gives the same text.

Peers are the run's scored units of the same category. Only statistics of the peers are shown
(median, upper quartile, the unit's place), never another unit's figure by name."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kaohe.goals.models import Goal, GoalSet
from kaohe.indicators.models import Indicator
from kaohe.monitoring.models import Severity, Warning
from kaohe.results.labels import RunLabels, node_names
from kaohe.results.models import ScoringRun, UnitResult

WEAKEST = 5  # indicators listed as where points were lost
STRONGEST = 3
SUGGEST_FROM = 3  # suggestions are written for this many of the weakest
INTERVIEW_FALL = 10  # a fall of this many places puts a unit on the interview list


@dataclass
class Standing:
    """One indicator (leaf) of the unit against its category peers."""

    id: str
    name: str
    full_points: float
    fraction: float
    median: float
    upper_quartile: float
    place: int  # 1 = best share among the peers
    peers: int
    gain: float | None  # points the total gains at the peers' median (None: not additive)
    input_code: str
    value: float | None

    @property
    def lost(self) -> float:
        return self.full_points * (self.median - self.fraction)


@dataclass
class GoalCheck:
    title: str
    kind: str
    indicator: str
    direction: str
    target: float | None
    actual: float | None
    benchmark_name: str
    benchmark_value: float | None
    benchmark_year: int | None

    @property
    def met(self) -> bool | None:
        return _reached(self.actual, self.target, self.direction)

    @property
    def benchmark_met(self) -> bool | None:
        return _reached(self.actual, self.benchmark_value, self.direction)


@dataclass
class Diagnosis:
    run: ScoringRun
    result: UnitResult
    peers: int
    grade: str
    weakest: list[Standing] = field(default_factory=list)
    strongest: list[Standing] = field(default_factory=list)
    goals: list[GoalCheck] = field(default_factory=list)
    warnings: list[Warning] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)
    citizens: str = ""
    gap_above: float | None = None

    @property
    def bar_scale(self) -> float:
        """The share a full-width bar stands for: 1, or the largest shown when a bonus band
        passes full points."""
        shares = [x for s in self.weakest for x in (s.fraction, s.median)]
        return max([1.0, *shares])

    def chart_rows(self) -> list[tuple[str, float, float]]:
        """(indicator, the unit's share, the peers' median) for the weakest indicators."""
        return [(s.name, s.fraction, s.median) for s in self.weakest]

    def as_dict(self) -> dict[str, Any]:
        return {
            "run": self.run.pk,
            "unit": self.result.unit.code,
            "rank": self.result.rank,
            "peers": self.peers,
            "score": self.result.total_rounded,
            "grade": self.grade,
            "summary": self.summary,
            "weakest": [_standing_dict(s) for s in self.weakest],
            "strongest": [_standing_dict(s) for s in self.strongest],
            "goals": [
                {
                    "title": g.title,
                    "kind": g.kind,
                    "indicator": g.indicator,
                    "target": g.target,
                    "actual": g.actual,
                    "met": g.met,
                    "benchmark": g.benchmark_name,
                    "benchmark_value": g.benchmark_value,
                    "benchmark_met": g.benchmark_met,
                }
                for g in self.goals
            ],
            "warnings": [
                {"id": w.pk, "severity": w.severity, "state": w.state, "message": w.message}
                for w in self.warnings
            ],
            "citizens": self.citizens,
            "suggestions": self.suggestions,
        }


def _standing_dict(s: Standing) -> dict[str, Any]:
    return {
        "id": s.id,
        "name": s.name,
        "share": round(s.fraction, 4),
        "peer_median": round(s.median, 4),
        "peer_upper_quartile": round(s.upper_quartile, 4),
        "place": s.place,
        "peers": s.peers,
        "points_at_median": None if s.gain is None else round(s.gain, 2),
    }


def _reached(actual: float | None, bar: float | None, direction: str) -> bool | None:
    if actual is None or bar is None:
        return None
    return actual <= bar if direction == Goal.Direction.LOWER else actual >= bar


def _number(value: Decimal | float | None) -> float | None:
    return None if value is None else float(value)


def _fmt(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def _pct(share: float) -> str:
    """A share of full points as a percentage (a bonus band may pass 100 %)."""
    return f"{share * 100:.1f}%"


def _leaves(tree: dict[str, Any], additive: bool = True) -> list[tuple[dict[str, Any], bool]]:
    """Every leaf of the explanation tree with whether its points add straight into the total
    (every group above it sums its children)."""
    if tree.get("kind") == "leaf":
        return [(tree, additive)]
    below = additive and tree.get("aggregate") == "sum"
    found: list[tuple[dict[str, Any], bool]] = []
    for child in tree.get("children") or []:
        found.extend(_leaves(child, below))
    return found


def _peer_fraction(nodes: dict[str, Any], leaf: dict[str, Any], additive: bool) -> float | None:
    """A leaf's share in a peer's stored node values: points under a summing parent (divided
    back by full points), else the share itself."""
    value = nodes.get(leaf["id"])
    if value is None:
        return None
    full = leaf.get("full_points") or 0
    return float(value) / full if additive and full else float(value)


def _leaf_names(leaves: list[tuple[dict[str, Any], bool]], names: dict[str, str]) -> dict[str, str]:
    """Each leaf's name: the scheme's, else the name of the indicator it reads, else its id."""
    codes = {
        leaf["input"]: leaf["id"]
        for leaf, _additive in leaves
        if names.get(leaf["id"], leaf["id"]) == leaf["id"] and isinstance(leaf.get("input"), str)
    }
    found = dict(names)
    for indicator in Indicator.objects.filter(code__in=codes):
        found[codes[indicator.code]] = indicator.name
    return found


def _standings(
    result: UnitResult, peers: list[UnitResult], names: dict[str, str]
) -> list[Standing]:
    tree = result.explanation.get("tree") or {}
    out = []
    leaves = _leaves(tree, True)
    names = _leaf_names(leaves, names)
    for leaf, additive in leaves:
        own = leaf.get("fraction")
        if own is None:
            continue
        shares = [
            f for f in (_peer_fraction(p.nodes, leaf, additive) for p in peers) if f is not None
        ]
        if len(shares) < 2:
            continue
        median = statistics.median(shares)
        upper = statistics.quantiles(shares, n=4, method="inclusive")[2]
        periods = leaf.get("periods") or []
        inputs = periods[-1].get("inputs") if len(periods) == 1 else None
        input_code = leaf["input"] if isinstance(leaf.get("input"), str) else ""
        full = float(leaf.get("full_points") or 0)
        out.append(
            Standing(
                id=leaf["id"],
                name=names.get(leaf["id"], leaf["id"]),
                full_points=full,
                fraction=float(own),
                median=median,
                upper_quartile=upper,
                place=1 + sum(1 for f in shares if f > own + 1e-12),
                peers=len(shares),
                gain=max(0.0, full * (median - own)) if additive else None,
                input_code=input_code,
                value=inputs[0].get("value") if inputs else None,
            )
        )
    return out


def _goals(user: Any, run: ScoringRun, result: UnitResult) -> list[GoalCheck]:
    goals = (
        Goal.objects.restrict(user)
        .filter(
            goal_set__unit=result.unit,
            goal_set__cycle=run.cycle,
            goal_set__state=GoalSet.State.APPROVED,
        )
        .select_related("indicator")
        .order_by("kind", "order", "id")
    )
    values = {i.code: i.value for i in run.inputs.filter(unit=result.unit).only("code", "value")}
    checks = []
    for goal in goals:
        code = goal.indicator.code if goal.indicator else ""
        checks.append(
            GoalCheck(
                title=goal.title,
                kind=goal.kind,
                indicator=code,
                direction=goal.direction,
                target=_number(goal.target_value),
                actual=values.get(code) if code else None,
                benchmark_name=goal.benchmark_name,
                benchmark_value=_number(goal.benchmark_value),
                benchmark_year=goal.benchmark_year,
            )
        )
    return checks


def _warnings(user: Any, run: ScoringRun, result: UnitResult) -> list[Warning]:
    order: dict[str, int] = {Severity.SERIOUS: 0, Severity.WARNING: 1, Severity.INFO: 2}
    found = list(
        Warning.board.active()
        .filter(
            pk__in=Warning.objects.restrict(user).filter(
                unit=result.unit, time_node__cycle=run.cycle
            )
        )
        .select_related("rule", "time_node")
    )
    return sorted(found, key=lambda w: (order.get(w.severity, 3), w.time_node.code, w.pk))


def diagnose(user: Any, run: ScoringRun, result: UnitResult) -> Diagnosis:
    """The diagnosis of `result` (a unit's result in `run`) as `user` may read it: the caller
    has checked that `user` may open this result; goals and warnings are read through their
    own scope."""
    document = run.scheme_version.document
    labels = RunLabels(document)
    names = node_names(document)
    peers = list(run.results.filter(category_code=result.category_code, status="scored"))
    diagnosis = Diagnosis(
        run=run, result=result, peers=len(peers), grade=labels.grade(result.grade)
    )
    diagnosis.warnings = _warnings(user, run, result)
    diagnosis.goals = _goals(user, run, result)
    diagnosis.citizens = _(
        "No survey results are recorded for this cycle, so nothing can be said yet of what "
        "citizens and enterprises think of the unit."
    )
    if result.status != "scored":
        diagnosis.summary = [
            _("%(unit)s was not scored in this run: %(reason)s")
            % {"unit": result.unit.name, "reason": result.reason or _("no reason recorded")}
        ]
        diagnosis.suggestions = [
            _("Resolve what kept the unit from being scored before anything else.")
        ]
        return diagnosis
    standings = _standings(result, peers, names)
    weakest = sorted((s for s in standings if s.lost > 1e-9), key=lambda s: -s.lost)
    diagnosis.weakest = weakest[:WEAKEST]
    strongest = sorted(
        (s for s in standings if s.fraction > s.median + 1e-9),
        key=lambda s: -(s.fraction - s.median) * s.full_points,
    )
    diagnosis.strongest = strongest[:STRONGEST]
    above = [
        p.total for p in peers if p.rank is not None and result.rank and p.rank == result.rank - 1
    ]
    if above and above[0] is not None and result.total is not None:
        diagnosis.gap_above = above[0] - result.total
    diagnosis.summary = _summary(diagnosis, labels)
    diagnosis.suggestions = _suggestions(diagnosis)
    return diagnosis


def _summary(d: Diagnosis, labels: RunLabels) -> list[str]:
    r = d.result
    lines = [
        _(
            "%(unit)s scored %(score)s points in %(cycle)s and ranks %(rank)s of %(peers)s "
            "in its category%(grade)s."
        )
        % {
            "unit": r.unit.name,
            "score": _fmt(r.total_rounded),
            "cycle": d.run.cycle.name,
            "rank": r.rank,
            "peers": d.peers,
            "grade": (_(", grade %(grade)s") % {"grade": d.grade}) if d.grade else "",
        }
    ]
    if r.rank_change is not None and r.previous_rank is not None:
        if r.rank_change > 0:
            lines.append(
                ngettext(
                    "It rose %(n)s place from rank %(previous)s last year.",
                    "It rose %(n)s places from rank %(previous)s last year.",
                    r.rank_change,
                )
                % {"n": r.rank_change, "previous": r.previous_rank}
            )
        elif r.rank_change < 0:
            lines.append(
                ngettext(
                    "It fell %(n)s place from rank %(previous)s last year.",
                    "It fell %(n)s places from rank %(previous)s last year.",
                    -r.rank_change,
                )
                % {"n": -r.rank_change, "previous": r.previous_rank}
            )
        else:
            lines.append(_("It kept last year's rank."))
    if d.gap_above is not None and d.gap_above > 0:
        lines.append(
            _("It is %(gap)s points behind the unit ranked just above it.")
            % {"gap": _fmt(d.gap_above)}
        )
    if d.weakest:
        lost = sum(s.gain for s in d.weakest if s.gain is not None)
        names = "、".join(s.name for s in d.weakest[:SUGGEST_FROM])
        if lost > 0:
            lines.append(
                _(
                    "Most points were lost on %(names)s: at the category median on its "
                    "%(count)s weakest indicators it would have scored about %(points)s "
                    "points more."
                )
                % {"names": names, "count": len(d.weakest), "points": _fmt(lost)}
            )
        else:
            lines.append(_("Most points were lost on %(names)s.") % {"names": names})
    if d.strongest:
        lines.append(
            _("Its strengths are %(names)s, where it stands above most of its category.")
            % {"names": "、".join(s.name for s in d.strongest)}
        )
    flags = [f.label for f in labels.flags(r.flags, borderline=False)]
    if flags:
        lines.append(_("Marked in this run: %(flags)s.") % {"flags": "、".join(flags)})
    return lines


def _suggestions(d: Diagnosis) -> list[str]:
    out = []
    for s in d.weakest[:SUGGEST_FROM]:
        text = _(
            "Raise %(name)s: its share of full points is %(share)s against the category "
            "median of %(median)s (place %(place)s of %(peers)s); the top quarter of the "
            "category reaches %(upper)s or more."
        ) % {
            "name": s.name,
            "share": _pct(s.fraction),
            "median": _pct(s.median),
            "place": s.place,
            "peers": s.peers,
            "upper": _pct(s.upper_quartile),
        }
        if s.gain:
            text += " " + _("Reaching the median is worth about %(points)s points.") % {
                "points": _fmt(s.gain)
            }
        out.append(text)
    for g in d.goals:
        if g.met is False:
            out.append(
                _(
                    "The goal “%(goal)s” was missed: target %(target)s, the run used "
                    "%(actual)s. Explain the gap and set catch-up measures with deadlines."
                )
                % {"goal": g.title, "target": _fmt(g.target), "actual": _fmt(g.actual)}
            )
        if g.benchmark_met is False:
            out.append(
                _(
                    "The excellence goal “%(goal)s” falls short of its benchmark %(name)s "
                    "(%(value)s%(year)s): study what the benchmark does differently."
                )
                % {
                    "goal": g.title,
                    "name": g.benchmark_name or _("benchmark"),
                    "value": _fmt(g.benchmark_value),
                    "year": f", {g.benchmark_year}" if g.benchmark_year else "",
                }
            )
    if d.warnings:
        serious = sum(1 for w in d.warnings if w.severity == Severity.SERIOUS)
        out.append(
            ngettext(
                "Answer the %(n)s open warning of the cycle (%(serious)s serious) on the "
                "warnings page.",
                "Answer the %(n)s open warnings of the cycle (%(serious)s serious) on the "
                "warnings page.",
                len(d.warnings),
            )
            % {"n": len(d.warnings), "serious": serious}
        )
    r = d.result
    if "interview" in r.flags or (r.rank_change is not None and r.rank_change <= -INTERVIEW_FALL):
        out.append(
            _(
                "The unit is on the interview list of this run: prepare a rectification "
                "report with measures, owners and deadlines."
            )
        )
    if not out:
        out.append(_("No indicator is below the category median: keep the measures that work."))
    return out
