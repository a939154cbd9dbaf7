"""The scheme itself: immutable dataclasses for nodes, methods, adjustments, grades and
settings, each with its canonical mapping (`to_dict`) for dumping and diffing.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from ..expr import Expression
from .vocabulary import FORMAT_VERSION


@dataclass(frozen=True)
class Text:
    """A bilingual name."""

    zh: str | None = None
    en: str | None = None

    def to_dict(self) -> dict[str, str]:
        """The canonical mapping form ({zh, en}, absent languages left out)."""
        return {k: v for k, v in (("zh", self.zh), ("en", self.en)) if v is not None}

    def __str__(self) -> str:
        return self.zh or self.en or ""


@dataclass(frozen=True)
class InputRef:
    """A method parameter read per unit from an input column (``{input: code}``)."""

    code: str


@dataclass(frozen=True)
class InputSpec:
    """A declared input column: its meaning, unit of measure, direction and type."""

    code: str
    name: Text | None = None
    unit: str | None = None
    direction: str = "higher"
    type: str = "number"


@dataclass(frozen=True)
class Method:
    """A scoring method: its type and validated parameters (defaults filled in)."""

    type: str
    params: tuple[tuple[str, Any], ...] = ()

    def get(self, name: str, default: Any = None) -> Any:
        """The value of one parameter."""
        for key, value in self.params:
            if key == name:
                return value
        return default

    def to_dict(self) -> dict[str, Any]:
        """The canonical mapping form."""
        out: dict[str, Any] = {"type": self.type}
        for key, value in self.params:
            out[key] = _plain(value)
        return out


@dataclass(frozen=True)
class Impute:
    """What to use when a leaf's input is missing."""

    mode: str
    value: float | None = None

    def to_yaml(self) -> Any:
        """The canonical form: a mode name or ``{value: x}``."""
        return {"value": self.value} if self.mode == "value" else self.mode


@dataclass(frozen=True)
class Node:
    """A scheme node: a group (children + aggregate) or a leaf (input + method)."""

    id: str
    name: Text | None = None
    points: float | None = None
    weight: float = 1.0
    aggregate: str | None = None
    children: tuple[Node, ...] = ()
    input: str | None = None
    input_expr: Expression | None = None
    method: Method | None = None
    periods: tuple[tuple[str, float], ...] = ()
    impute: Impute | None = None
    aspect: str | None = None
    direction: str = "higher"
    alternatives: tuple[Method, ...] = ()
    full_points: float = 0.0  # derived: points at full marks, for sums and display

    @property
    def is_leaf(self) -> bool:
        """True for a leaf (input + method)."""
        return not self.children

    def walk(self) -> Iterator[Node]:
        """This node and all nodes below it, depth first, in document order."""
        yield self
        for child in self.children:
            yield from child.walk()

    def to_dict(self) -> dict[str, Any]:
        """The canonical mapping form (fixed key order)."""
        out: dict[str, Any] = {"id": self.id}
        if self.name is not None:
            out["name"] = self.name.to_dict()
        if self.aspect is not None:
            out["aspect"] = self.aspect
        if self.points is not None:
            out["points"] = _plain(self.points)
        if self.weight != 1.0:
            out["weight"] = _plain(self.weight)
        if self.is_leaf:
            out["input"] = (
                {"expr": self.input_expr.source} if self.input_expr is not None else self.input
            )
            assert self.method is not None
            out["method"] = self.method.to_dict()
            if self.alternatives:
                out["alternatives"] = [m.to_dict() for m in self.alternatives]
            if self.periods:
                out["periods"] = {p: _plain(w) for p, w in self.periods}
            if self.impute is not None:
                out["impute"] = self.impute.to_yaml()
        else:
            out["aggregate"] = self.aggregate
            out["children"] = [c.to_dict() for c in self.children]
        return out


@dataclass(frozen=True)
class Adjustment:
    """A bonus, deduction or veto item applied after aggregation."""

    id: str
    kind: str
    name: Text | None = None
    input: str | None = None
    method: Method | None = None
    cap: float | None = None
    condition: Expression | None = None
    when: Expression | None = None

    def to_dict(self) -> dict[str, Any]:
        """The canonical mapping form."""
        out: dict[str, Any] = {"id": self.id, "kind": self.kind}
        if self.name is not None:
            out["name"] = self.name.to_dict()
        if self.input is not None:
            out["input"] = self.input
        if self.method is not None:
            out["method"] = self.method.to_dict()
        if self.cap is not None:
            out["cap"] = _plain(self.cap)
        if self.condition is not None:
            out["condition"] = self.condition.source
        if self.when is not None:
            out["when"] = self.when.source
        return out


@dataclass(frozen=True)
class Ranking:
    """How totals are ranked: rounding (decimals, half away from zero) and tie rule."""

    round: int = 2
    ties: str = "min"


@dataclass(frozen=True)
class Grade:
    """A grade: threshold on the rounded total and an optional quota share of the category."""

    code: str
    name: Text | None = None
    min: float | None = None
    quota: float | None = None
    staff_excellent_share: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """The canonical mapping form."""
        out: dict[str, Any] = {"code": self.code}
        if self.name is not None:
            out["name"] = self.name.to_dict()
        for key in ("min", "quota", "staff_excellent_share"):
            value = getattr(self, key)
            if value is not None:
                out[key] = _plain(value)
        return out


@dataclass(frozen=True)
class Results:
    """Use-of-results rules: progress award, interview list, top-N flags."""

    progress_min_rise: int | None = None
    interview_bottom: int | None = None
    interview_min_fall: int | None = None
    top_flags: int | None = None
    stars: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """The canonical mapping form."""
        out: dict[str, Any] = {}
        if self.progress_min_rise is not None:
            out["progress_award"] = {"min_rise": self.progress_min_rise}
        interview: dict[str, int] = {}
        if self.interview_bottom is not None:
            interview["bottom"] = self.interview_bottom
        if self.interview_min_fall is not None:
            interview["min_fall"] = self.interview_min_fall
        if interview:
            out["interview"] = interview
        if self.top_flags is not None:
            out["top_flags"] = self.top_flags
        if self.stars is not None:
            out["stars"] = self.stars
        return out


@dataclass(frozen=True)
class Robustness:
    """Monte Carlo settings for rank robustness."""

    draws: int = 1000
    mode: str = "multiplicative"
    weight_jitter: float = 0.2
    concentration: float = 100.0
    alternatives: bool = True
    seed: int = 0
    borderline_below: float = 0.9

    def to_dict(self) -> dict[str, Any]:
        """The canonical mapping form."""
        return {
            "draws": self.draws,
            "mode": self.mode,
            "weight_jitter": _plain(self.weight_jitter),
            "concentration": _plain(self.concentration),
            "alternatives": self.alternatives,
            "seed": self.seed,
            "borderline_below": _plain(self.borderline_below),
        }


@dataclass(frozen=True)
class Scheme:
    """A validated, immutable scheme (one document of docs/scheme-format.md)."""

    id: str
    root: Node
    name: Text | None = None
    points: float = 100.0
    inputs: tuple[InputSpec, ...] = ()
    adjustments: tuple[Adjustment, ...] = ()
    ranking: Ranking = field(default_factory=Ranking)
    grades: tuple[Grade, ...] = ()
    veto_grade: str | None = None
    results: Results = field(default_factory=Results)
    robustness: Robustness | None = None
    version: int = FORMAT_VERSION

    @cached_property
    def nodes(self) -> tuple[Node, ...]:
        """All nodes, depth first in document order (the root first)."""
        return tuple(self.root.walk())

    @cached_property
    def leaves(self) -> tuple[Node, ...]:
        """The leaf nodes in document order."""
        return tuple(n for n in self.nodes if n.is_leaf)

    def node(self, node_id: str) -> Node:
        """The node with this id (KeyError if none)."""
        for n in self.root.walk():
            if n.id == node_id:
                return n
        raise KeyError(node_id)

    @property
    def input_codes(self) -> tuple[str, ...]:
        """Every input column the scheme reads (period columns expanded), sorted."""
        return tuple(sorted(_input_codes(self)))

    @property
    def label_codes(self) -> frozenset[str]:
        """Input columns that hold labels (graded ratings), not numbers (nor milestone
        records: see `milestone_codes`)."""
        codes = {s.code for s in self.inputs if s.type == "grade"}
        for leaf in self.leaves:
            if leaf.method is not None and leaf.method.type == "graded" and leaf.input:
                codes.update(_period_codes(leaf.input, leaf.periods))
        for adj in self.adjustments:
            if adj.method is not None and adj.method.type == "graded_points" and adj.input:
                codes.add(adj.input)
        return frozenset(codes)

    @property
    def milestone_codes(self) -> frozenset[str]:
        """Input columns that hold milestone records (`Involvement` cells, read by a
        `milestones` leaf), neither numbers nor labels; they are among `input_codes` and never
        among `label_codes`."""
        codes = {s.code for s in self.inputs if s.type == "milestones"}
        for leaf in self.leaves:
            if leaf.method is not None and leaf.method.type == "milestones" and leaf.input:
                codes.add(leaf.input)
        return frozenset(codes)

    def input_spec(self, code: str) -> InputSpec | None:
        """The declaration of an input code (its period suffix ignored), if any."""
        base = code.split("@", 1)[0]
        for spec in self.inputs:
            if spec.code == base:
                return spec
        return None

    def to_dict(self) -> dict[str, Any]:
        """The canonical mapping form: fixed key order, defaults made explicit where they matter."""
        out: dict[str, Any] = {"kaohe_scheme": self.version, "id": self.id}
        if self.name is not None:
            out["name"] = self.name.to_dict()
        out["points"] = _plain(self.points)
        if self.inputs:
            inputs: dict[str, Any] = {}
            for spec in self.inputs:
                entry: dict[str, Any] = {}
                if spec.name is not None:
                    entry["name"] = spec.name.to_dict()
                if spec.unit is not None:
                    entry["unit"] = spec.unit
                entry["direction"] = spec.direction
                entry["type"] = spec.type
                inputs[spec.code] = entry
            out["inputs"] = inputs
        root = self.root.to_dict()
        root.pop("id", None)
        if root.get("points") == out["points"]:
            root.pop("points")
        out["root"] = root
        if self.adjustments:
            out["adjustments"] = [a.to_dict() for a in self.adjustments]
        out["ranking"] = {"round": self.ranking.round, "ties": self.ranking.ties}
        if self.grades:
            out["grades"] = [g.to_dict() for g in self.grades]
            out["veto_grade"] = self.veto_grade
        results = self.results.to_dict()
        if results:
            out["results"] = results
        if self.robustness is not None:
            out["robustness"] = self.robustness.to_dict()
        return out


def _plain(value: Any) -> Any:
    """YAML-friendly scalars: integral floats as ints, tuples as lists, refs as {input: c}."""
    if isinstance(value, InputRef):
        return {"input": value.code}
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    if isinstance(value, tuple):
        if value and isinstance(value[0], tuple):
            return {k: _plain(v) for k, v in value}
        return [_plain(v) for v in value]
    return value


def _period_codes(code: str, periods: tuple[tuple[str, float], ...]) -> list[str]:
    return [f"{code}@{p}" for p, _ in periods] if periods else [code]


def _expr_codes(expr: Expression, periods: tuple[tuple[str, float], ...]) -> set[str]:
    out: set[str] = set()
    for name in expr.names:
        out.update([name] if "@" in name else _period_codes(name, periods))
    return out


def _input_codes(scheme: Scheme) -> set[str]:
    codes: set[str] = set()
    for leaf in scheme.leaves:
        if leaf.input_expr is not None:
            codes |= _expr_codes(leaf.input_expr, leaf.periods)
        elif leaf.input is not None:
            codes.update(_period_codes(leaf.input, leaf.periods))
        for method in (leaf.method, *leaf.alternatives):
            if method is None:
                continue
            for _, value in method.params:
                if isinstance(value, InputRef):
                    codes.update(_period_codes(value.code, leaf.periods))
    for adj in scheme.adjustments:
        if adj.input is not None:
            codes.add(adj.input)
        for expr in (adj.condition, adj.when):
            if expr is not None:
                codes |= set(expr.names)
    return codes
