"""The scheme language (docs/scheme-format.md): load, validate, dump and diff schemes.

`load_scheme` turns YAML text (or an already-parsed mapping) into immutable dataclasses.
Every check happens here, once, so the kernels can stay small; an error names the YAML line
and column (when parsing text), the node path (``root/development/gdp/method/target``) and
the rule broken.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import yaml

from .errors import ExprError, SchemeError
from .expr import Expression, compile_expr

FORMAT_VERSION = 1
SCHEME_ID = re.compile(r"^[a-z0-9_.-]+$")
NODE_ID = re.compile(r"^[a-z0-9_]+$")
CODE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(@[A-Za-z0-9_]+)?$")
PERIOD = re.compile(r"^[A-Za-z0-9_]+$")
AGGREGATES = ("sum", "weighted_mean", "geometric", "harmonic")
DIRECTIONS = ("higher", "lower")
INPUT_TYPES = ("number", "count", "rate", "grade")
ASPECTS = ("scale", "speed", "quality")
IMPUTE_MODES = ("zero", "category_min", "category_mean", "value")
ADJUSTMENT_KINDS = ("bonus", "deduction", "veto")

_REQ = object()  # marks a required parameter


# parameter kinds: "num", "num_or_input", "positive", "nonneg", "share", "bool", "int",
# "pair", "numbers", "map", "direction", or a tuple of allowed strings
METHOD_PARAMS: dict[str, dict[str, tuple[Any, Any]]] = {
    "target": {
        "target": ("num_or_input", _REQ),
        "mode": (("all_or_nothing", "proportional"), "all_or_nothing"),
        "cap": ("positive", 1.0),
        "direction": ("direction", None),
    },
    "rank": {
        "step": ("nonneg", 0.05),
        "floor": ("share", 0.0),
        "direction": ("direction", None),
    },
    "target_rank": {
        "target": ("num_or_input", _REQ),
        "base": ("share", _REQ),
        "step": ("nonneg", 0.05),
        "direction": ("direction", None),
    },
    "band": {
        "target": ("num_or_input", _REQ),
        "base": ("nonneg", None),
        "step": ("positive", 1.0),
        "relative": ("bool", False),
        "bonus_per_step": ("nonneg", 0.0),
        "bonus_cap": ("nonneg", 0.0),
        "penalty_per_step": ("nonneg", None),
        "floor": ("nonneg", 0.0),
        "whole_steps": ("bool", False),
        "direction": ("direction", None),
    },
    "efficacy": {
        "low": ("num_or_input", _REQ),
        "satisfactory": ("num_or_input", _REQ),
        "clip": ("pair", (0.0, 100.0)),
        "direction": ("direction", None),
    },
    "interpolate": {
        "baseline": ("num_or_input", _REQ),
        "benchmark": ("num_or_input", _REQ),
        "floor": ("share", 0.0),
        "below": (("zero", "floor"), "zero"),
        "direction": ("direction", None),
    },
    "goalpost": {
        "min": ("num", _REQ),
        "max": ("num", _REQ),
        "log": ("bool", False),
        "cap": ("bool", True),
        "direction": ("direction", None),
    },
    "zscore": {"clip_z": ("positive", 3.0), "direction": ("direction", None)},
    "frontier": {"mode": (("ratio", "minmax"), "ratio"), "direction": ("direction", None)},
    "events": {"per_event": ("positive", _REQ), "cap": ("nonneg", None)},
    "graded": {"map": ("map", _REQ)},
    "ratio": {
        "full": ("num_or_input", _REQ),
        "cap": ("positive", 1.0),
        "direction": ("direction", None),
    },
    "identity": {},
}

ADJUSTMENT_METHODS: dict[str, dict[str, tuple[Any, Any]]] = {
    "graded_points": {"map": ("map", _REQ)},
    "rank_points": {"points": ("numbers", _REQ)},
    "events": {"per_event": ("positive", _REQ), "cap": ("nonneg", None)},
    "value": {},
}

LABEL_METHODS = ("graded", "graded_points")


# --- the immutable scheme ------------------------------------------------------------------


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

    @property
    def nodes(self) -> tuple[Node, ...]:
        """All nodes, depth first in document order (the root first)."""
        return tuple(self.root.walk())

    @property
    def leaves(self) -> tuple[Node, ...]:
        """The leaf nodes in document order."""
        return tuple(n for n in self.root.walk() if n.is_leaf)

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
        """Input columns that hold labels (graded ratings), not numbers."""
        codes = {s.code for s in self.inputs if s.type == "grade"}
        for leaf in self.leaves:
            if leaf.method is not None and leaf.method.type == "graded" and leaf.input:
                codes.update(_period_codes(leaf.input, leaf.periods))
        for adj in self.adjustments:
            if adj.method is not None and adj.method.type == "graded_points" and adj.input:
                codes.add(adj.input)
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


# --- loading with positions ------------------------------------------------------------------

Marks = dict[tuple[str, ...], tuple[int, int]]


def _compose_marks(node: yaml.Node, path: tuple[str, ...], marks: Marks) -> None:
    marks[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                line = key_node.start_mark.line + 1
                raise SchemeError(
                    f"duplicate key {key!r}",
                    line=line,
                    column=key_node.start_mark.column + 1,
                    path="/".join(path) or "(document)",
                )
            seen.add(key)
            marks[(*path, key, "<key>")] = (
                key_node.start_mark.line + 1,
                key_node.start_mark.column + 1,
            )
            _compose_marks(value_node, (*path, key), marks)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _compose_marks(item, (*path, str(i)), marks)


@dataclass
class _Ctx:
    """Where the validator is: raw YAML path (for line numbers) and the display path."""

    marks: Marks
    raw: tuple[str, ...] = ()
    display: str = ""

    def at(self, key: str | int, label: str | None = None) -> _Ctx:
        """The context of a child key; `label` replaces the key in the display path."""
        shown = label if label is not None else str(key)
        display = f"{self.display}/{shown}" if self.display else shown
        return _Ctx(self.marks, (*self.raw, str(key)), display)

    def with_display(self, display: str) -> _Ctx:
        """The same YAML position shown under another display path."""
        return _Ctx(self.marks, self.raw, display)

    def error(self, rule: str) -> SchemeError:
        """A SchemeError located at this node (or its nearest located ancestor)."""
        raw = self.raw
        while raw and raw not in self.marks:
            raw = raw[:-1]
        line, column = self.marks.get(raw, (None, None)) if self.marks else (None, None)
        return SchemeError(rule, path=self.display or "(document)", line=line, column=column)


def load_scheme(source: str | bytes | Mapping[str, Any]) -> Scheme:
    """Parse and validate a scheme from YAML text or a mapping; raise SchemeError if invalid."""
    marks: Marks = {}
    if isinstance(source, bytes):
        source = source.decode("utf-8")
    if isinstance(source, str):
        try:
            composed = yaml.compose(source, Loader=yaml.SafeLoader)
            data = yaml.safe_load(source)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            raise SchemeError(
                f"not valid YAML: {exc.problem or exc.context}",
                line=mark.line + 1 if mark else None,
                column=mark.column + 1 if mark else None,
            ) from None
        except yaml.YAMLError as exc:
            raise SchemeError(f"not valid YAML: {exc}") from None
        if composed is not None:
            _compose_marks(composed, (), marks)
    else:
        data = source
    ctx = _Ctx(marks)
    if not isinstance(data, Mapping):
        raise ctx.error("a scheme must be a mapping (kaohe_scheme, id, root, ...)")
    return _Loader(ctx).scheme(data)


class _Loader:
    def __init__(self, ctx: _Ctx) -> None:
        self.ctx = ctx
        self.ids: dict[str, str] = {}
        self.inputs: dict[str, InputSpec] = {}

    # -- scalars ------------------------------------------------------------------------------

    def keys(self, data: Any, ctx: _Ctx, allowed: tuple[str, ...], what: str) -> Mapping[str, Any]:
        if not isinstance(data, Mapping):
            raise ctx.error(f"{what} must be a mapping")
        for key in data:
            if key not in allowed:
                raise ctx.at(key).error(
                    f"unknown key {key!r} in {what}; allowed: {', '.join(allowed)}"
                )
        return data

    def number(self, value: Any, ctx: _Ctx, kind: str = "num") -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ctx.error(f"must be a number, got {value!r}")
        v = float(value)
        if not math.isfinite(v):
            raise ctx.error("must be a finite number")
        if kind == "positive" and v <= 0:
            raise ctx.error(f"must be greater than 0, got {value!r}")
        if kind == "nonneg" and v < 0:
            raise ctx.error(f"must not be negative, got {value!r}")
        if kind == "share" and not 0 <= v <= 1:
            raise ctx.error(f"must be a share between 0 and 1, got {value!r}")
        return v

    def integer(self, value: Any, ctx: _Ctx, lo: int, hi: int | None = None) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ctx.error(f"must be a whole number, got {value!r}")
        if value < lo or (hi is not None and value > hi):
            limit = f"between {lo} and {hi}" if hi is not None else f"at least {lo}"
            raise ctx.error(f"must be {limit}, got {value!r}")
        return value

    def string(self, value: Any, ctx: _Ctx, pattern: re.Pattern[str] | None = None) -> str:
        if not isinstance(value, str) or not value:
            raise ctx.error(f"must be a non-empty string, got {value!r}")
        if pattern is not None and not pattern.match(value):
            raise ctx.error(f"{value!r} does not match {pattern.pattern}")
        return value

    def boolean(self, value: Any, ctx: _Ctx) -> bool:
        if not isinstance(value, bool):
            raise ctx.error(f"must be true or false, got {value!r}")
        return value

    def choice(self, value: Any, ctx: _Ctx, allowed: tuple[str, ...]) -> str:
        if value not in allowed:
            raise ctx.error(f"must be one of {', '.join(allowed)}; got {value!r}")
        return str(value)

    def text(self, value: Any, ctx: _Ctx) -> Text:
        if isinstance(value, str):
            return Text(zh=value)
        data = self.keys(value, ctx, ("zh", "en"), "a name")
        zh = self.string(data["zh"], ctx.at("zh")) if "zh" in data else None
        en = self.string(data["en"], ctx.at("en")) if "en" in data else None
        return Text(zh=zh, en=en)

    def expression(self, value: Any, ctx: _Ctx, want: str) -> Expression:
        try:
            return compile_expr(self.string(value, ctx), want=want)  # type: ignore[arg-type]
        except ExprError as exc:
            raise ctx.error(str(exc)) from None

    # -- the document -------------------------------------------------------------------------

    def scheme(self, data: Mapping[str, Any]) -> Scheme:
        ctx = self.ctx
        allowed = (
            "kaohe_scheme",
            "id",
            "name",
            "description",
            "points",
            "inputs",
            "root",
            "adjustments",
            "ranking",
            "grades",
            "veto_grade",
            "results",
            "robustness",
        )
        self.keys(data, ctx, allowed, "the scheme")
        if "kaohe_scheme" not in data:
            raise ctx.error("missing 'kaohe_scheme: 1' (the format version)")
        if data["kaohe_scheme"] != FORMAT_VERSION:
            raise ctx.at("kaohe_scheme").error(
                f"unsupported format version {data['kaohe_scheme']!r}; this engine reads 1"
            )
        if "id" not in data:
            raise ctx.error("missing 'id'")
        scheme_id = self.string(data["id"], ctx.at("id"), SCHEME_ID)
        name = self.text(data["name"], ctx.at("name")) if "name" in data else None
        if "inputs" in data:
            self.input_specs(data["inputs"], ctx.at("inputs"))
        if "root" not in data:
            raise ctx.error("missing 'root' (the tree of sections and indicators)")
        points = None
        if "points" in data:
            points = self.number(data["points"], ctx.at("points"), "positive")
        root_ctx = _Ctx(ctx.marks, ("root",), "root")
        root_data = data["root"]
        if isinstance(root_data, Mapping) and "points" in root_data and points is not None:
            root_points = self.number(root_data["points"], root_ctx.at("points"), "positive")
            if not math.isclose(root_points, points, rel_tol=1e-9, abs_tol=1e-9):
                raise root_ctx.at("points").error(
                    f"root points {root_points:g} differ from the scheme's points {points:g}"
                )
        root = self.node(root_data, root_ctx, parent_aggregate=None, node_id="root")
        if (
            points is not None
            and root.aggregate == "sum"
            and root.points is not None
            and not math.isclose(root.points, points, rel_tol=1e-9, abs_tol=1e-9)
        ):
            raise ctx.at("points").error(
                f"the root's children's points add up to {root.points:g}, not the scheme's "
                f"points {points:g}"
            )
        if points is None:
            points = root.points if root.points is not None else 1.0
        root = _with_full_points(root, points)
        adjustments = tuple(
            self.adjustment(item, ctx.at("adjustments").at(i, _id_label(item, i)))
            for i, item in enumerate(
                self.sequence(data.get("adjustments", []), ctx.at("adjustments"))
            )
        )
        ranking = self.ranking(data.get("ranking", {}), ctx.at("ranking"))
        grades = self.grades(data.get("grades", []), ctx.at("grades"))
        veto_grade = None
        if grades:
            veto_grade = grades[-1].code
            if "veto_grade" in data:
                veto_grade = self.choice(
                    data["veto_grade"], ctx.at("veto_grade"), tuple(g.code for g in grades)
                )
        elif "veto_grade" in data:
            raise ctx.at("veto_grade").error("veto_grade needs a 'grades' list")
        results = self.results(data.get("results", {}), ctx.at("results"))
        robustness = (
            self.robustness(data["robustness"], ctx.at("robustness"))
            if data.get("robustness") is not None
            else None
        )
        return Scheme(
            id=scheme_id,
            name=name,
            points=points,
            inputs=tuple(self.inputs.values()),
            root=root,
            adjustments=adjustments,
            ranking=ranking,
            grades=grades,
            veto_grade=veto_grade,
            results=results,
            robustness=robustness,
        )

    def sequence(self, value: Any, ctx: _Ctx) -> list[Any]:
        if not isinstance(value, list):
            raise ctx.error("must be a list")
        return value

    def input_specs(self, value: Any, ctx: _Ctx) -> None:
        if not isinstance(value, Mapping):
            raise ctx.error("inputs must be a mapping of input code -> declaration")
        for code, decl in value.items():
            c = ctx.at(code)
            self.string(code, c, CODE)
            if "@" in code:
                raise c.error("declare the input without its period suffix")
            decl = {} if decl is None else decl
            d = self.keys(decl, c, ("name", "unit", "direction", "type"), "an input declaration")
            self.inputs[code] = InputSpec(
                code=code,
                name=self.text(d["name"], c.at("name")) if "name" in d else None,
                unit=str(d["unit"]) if d.get("unit") is not None else None,
                direction=self.choice(d.get("direction", "higher"), c.at("direction"), DIRECTIONS),
                type=self.choice(d.get("type", "number"), c.at("type"), INPUT_TYPES),
            )

    def claim_id(self, node_id: Any, ctx: _Ctx) -> str:
        node_id = self.string(node_id, ctx, NODE_ID)
        if node_id in self.ids:
            raise ctx.error(f"id {node_id!r} is used twice (first at {self.ids[node_id]})")
        self.ids[node_id] = ctx.display
        return node_id

    def node(
        self, data: Any, ctx: _Ctx, *, parent_aggregate: str | None, node_id: str | None = None
    ) -> Node:
        allowed = (
            "id",
            "name",
            "points",
            "weight",
            "aggregate",
            "children",
            "input",
            "method",
            "alternatives",
            "periods",
            "impute",
            "aspect",
            "description",
        )
        self.keys(data, ctx, allowed, "a node")
        if node_id is None:
            if "id" not in data:
                raise ctx.error("a node needs an 'id'")
            node_id = self.claim_id(data["id"], ctx.at("id"))
        else:
            self.ids[node_id] = ctx.display
        name = self.text(data["name"], ctx.at("name")) if "name" in data else None
        points = (
            self.number(data["points"], ctx.at("points"), "positive") if "points" in data else None
        )
        if parent_aggregate == "sum" and points is None:
            raise ctx.error("a child of a 'sum' group needs 'points'")
        if parent_aggregate not in (None, "sum") and points is not None:
            raise ctx.at("points").error(
                f"'points' only count under a 'sum' parent; this parent aggregates by "
                f"{parent_aggregate!r}, use 'weight'"
            )
        weight = self.number(data.get("weight", 1.0), ctx.at("weight"), "positive")
        if parent_aggregate == "sum" and "weight" in data:
            raise ctx.at("weight").error(
                "'weight' only counts under a mean parent; under 'sum' the points are the weight"
            )
        aspect = (
            self.choice(data["aspect"], ctx.at("aspect"), ASPECTS) if "aspect" in data else None
        )
        is_group = "children" in data
        if is_group:
            for key in ("input", "method", "periods", "impute", "alternatives"):
                if key in data:
                    raise ctx.at(key).error(
                        f"a group (with children) cannot have {key!r}; only leaves do"
                    )
            aggregate = self.choice(data.get("aggregate", "sum"), ctx.at("aggregate"), AGGREGATES)
            kids = self.sequence(data["children"], ctx.at("children"))
            if not kids:
                raise ctx.at("children").error("a group needs at least one child")
            children = tuple(
                self.node(
                    item,
                    ctx.at("children")
                    .at(i, _id_label(item, i))
                    .with_display(f"{ctx.display}/{_id_label(item, i)}"),
                    parent_aggregate=aggregate,
                )
                for i, item in enumerate(kids)
            )
            if aggregate == "sum":
                total = sum(c.points or 0.0 for c in children)
                if points is not None and not math.isclose(
                    total, points, rel_tol=1e-9, abs_tol=1e-9
                ):
                    raise ctx.at("points").error(
                        f"the children's points add up to {total:g}, not the group's {points:g}"
                    )
                if points is None and parent_aggregate is None:
                    points = total
            tags = [c.aspect for c in children if c.aspect is not None]
            if tags and sorted(tags) != sorted(ASPECTS):
                raise ctx.at("children").error(
                    "a scale/speed/quality composite needs exactly one child tagged each of "
                    f"scale, speed, quality; got {', '.join(tags)}"
                )
            return Node(
                id=node_id,
                name=name,
                points=points,
                weight=weight,
                aggregate=aggregate,
                children=children,
                aspect=aspect,
            )
        for key in ("input", "method"):
            if key not in data:
                raise ctx.error(f"a leaf needs {key!r} (or 'children' for a group)")
        if "aggregate" in data:
            raise ctx.at("aggregate").error("'aggregate' is for groups (with children)")
        input_code, input_expr = self.leaf_input(data["input"], ctx.at("input"))
        periods = self.periods(data["periods"], ctx.at("periods")) if "periods" in data else ()
        declared = self.inputs.get(input_code) if input_code else None
        default_direction = declared.direction if declared else "higher"
        method = self.method(data["method"], ctx.at("method"), METHOD_PARAMS)
        alternatives = tuple(
            self.method(m, ctx.at("alternatives").at(i), METHOD_PARAMS)
            for i, m in enumerate(
                self.sequence(data.get("alternatives", []), ctx.at("alternatives"))
            )
        )
        for i, m in enumerate(alternatives):
            if (m.type == "graded") != (method.type == "graded"):
                raise (
                    ctx.at("alternatives")
                    .at(i)
                    .error("an alternative must read the same kind of input (labels vs numbers)")
                )
        if declared is not None and (declared.type == "grade") != (method.type == "graded"):
            want = "labels (type: grade)" if declared.type == "grade" else f"{declared.type}s"
            raise ctx.at("method").error(
                f"input {input_code!r} is declared as {want}; method {method.type!r} "
                f"{'needs labels' if method.type == 'graded' else 'needs numbers'}"
            )
        direction = method.get("direction") or default_direction
        self.check_direction(method, direction, ctx.at("method"))
        impute = self.impute(data["impute"], ctx.at("impute")) if "impute" in data else None
        if method.type == "graded" and impute is not None and impute.mode != "value":
            raise ctx.at("impute").error("a graded input can only be imputed with {value: share}")
        return Node(
            id=node_id,
            name=name,
            points=points,
            weight=weight,
            input=input_code,
            input_expr=input_expr,
            method=method,
            periods=periods,
            impute=impute,
            aspect=aspect,
            direction=direction,
            alternatives=alternatives,
        )

    def leaf_input(self, value: Any, ctx: _Ctx) -> tuple[str | None, Expression | None]:
        if isinstance(value, Mapping):
            self.keys(value, ctx, ("expr",), "a derived input")
            if "expr" not in value:
                raise ctx.error("a derived input is written {expr: 'a / b * 100'}")
            return None, self.expression(value["expr"], ctx.at("expr"), "num")
        return self.string(value, ctx, CODE), None

    def periods(self, value: Any, ctx: _Ctx) -> tuple[tuple[str, float], ...]:
        if not isinstance(value, Mapping) or not value:
            raise ctx.error(
                "periods must be a mapping of period -> weight, e.g. {Q1: 0.15, Y: 0.35}"
            )
        out = []
        for period, weight in value.items():
            self.string(str(period), ctx.at(period), PERIOD)
            out.append((str(period), self.number(weight, ctx.at(period), "positive")))
        return tuple(out)

    def impute(self, value: Any, ctx: _Ctx) -> Impute:
        if isinstance(value, Mapping):
            self.keys(value, ctx, ("value",), "impute")
            if "value" not in value:
                raise ctx.error("impute with a constant is written {value: x}")
            return Impute("value", self.number(value["value"], ctx.at("value")))
        mode = self.choice(value, ctx, ("zero", "category_min", "category_mean"))
        return Impute(mode)

    def method(
        self,
        data: Any,
        ctx: _Ctx,
        table: dict[str, dict[str, tuple[Any, Any]]],
    ) -> Method:
        if not isinstance(data, Mapping) or "type" not in data:
            raise ctx.error("a method is a mapping with a 'type'")
        mtype = self.choice(data["type"], ctx.at("type"), tuple(table))
        spec = table[mtype]
        self.keys(data, ctx, ("type", *spec), f"method {mtype!r}")
        params: list[tuple[str, Any]] = []
        for pname, (kind, default) in spec.items():
            pctx = ctx.at(pname)
            if pname not in data or data[pname] is None:
                if default is _REQ:
                    raise ctx.error(f"method {mtype!r} needs {pname!r}")
                if default is not None:
                    params.append((pname, default))
                continue
            params.append((pname, self.param(data[pname], pctx, kind)))
        method = Method(mtype, tuple(params))
        self.check_method(method, ctx)
        return method

    def param(self, value: Any, ctx: _Ctx, kind: Any) -> Any:
        if isinstance(kind, tuple):
            return self.choice(value, ctx, kind)
        if kind == "direction":
            return self.choice(value, ctx, DIRECTIONS)
        if kind == "bool":
            return self.boolean(value, ctx)
        if kind == "num_or_input":
            if isinstance(value, Mapping):
                self.keys(value, ctx, ("input",), "a per-unit parameter")
                return InputRef(self.string(value.get("input"), ctx.at("input"), CODE))
            return self.number(value, ctx)
        if kind == "pair":
            if not isinstance(value, list) or len(value) != 2:
                raise ctx.error("must be a pair [low, high]")
            lo, hi = (self.number(v, ctx.at(i)) for i, v in enumerate(value))
            if lo >= hi:
                raise ctx.error(f"[low, high] needs low < high, got {value!r}")
            return (lo, hi)
        if kind == "numbers":
            items = self.sequence(value, ctx)
            if not items:
                raise ctx.error("needs at least one number")
            return tuple(self.number(v, ctx.at(i), "nonneg") for i, v in enumerate(items))
        if kind == "map":
            if not isinstance(value, Mapping) or not value:
                raise ctx.error("must be a mapping of label -> number, e.g. {A: 1, B: 0.8}")
            return tuple(
                (str(k), self.number(v, ctx.at(str(k)), "nonneg")) for k, v in value.items()
            )
        return self.number(value, ctx, kind)

    def check_method(self, method: Method, ctx: _Ctx) -> None:
        t = method.type
        if t == "goalpost":
            lo, hi = method.get("min"), method.get("max")
            if hi <= lo:
                raise ctx.at("max").error(f"goalpost max ({hi:g}) must exceed min ({lo:g})")
            if method.get("log") and lo <= 0:
                raise ctx.at("min").error("a log goalpost needs min > 0")
        bonus_without_cap = method.get("bonus_per_step", 0.0) > 0 and not method.get("bonus_cap")
        if t == "band" and bonus_without_cap:
            raise ctx.at("bonus_cap").error("bonus_per_step needs a bonus_cap (points)")
        if t == "graded" and any(v > 1 for _, v in method.get("map")):
            raise ctx.at("map").error("graded shares are fractions of the points (0..1)")

    def check_direction(self, method: Method, direction: str, ctx: _Ctx) -> None:
        if method.type == "efficacy":
            low, sat = method.get("low"), method.get("satisfactory")
            if isinstance(low, float) and isinstance(sat, float):
                if low == sat:
                    raise ctx.error("efficacy needs satisfactory != low")
                if (sat > low) != (direction == "higher"):
                    raise ctx.error(
                        f"efficacy for a {direction}-is-better input needs satisfactory "
                        f"{'above' if direction == 'higher' else 'below'} low"
                    )
        if method.type == "interpolate":
            b, m = method.get("baseline"), method.get("benchmark")
            if isinstance(b, float) and isinstance(m, float) and (m > b) != (direction == "higher"):
                raise ctx.error(
                    f"interpolate for a {direction}-is-better input needs the benchmark "
                    f"{'above' if direction == 'higher' else 'below'} the baseline"
                )

    def adjustment(self, data: Any, ctx: _Ctx) -> Adjustment:
        allowed = (
            "id",
            "kind",
            "name",
            "input",
            "method",
            "cap",
            "condition",
            "when",
            "description",
        )
        self.keys(data, ctx, allowed, "an adjustment")
        if "id" not in data:
            raise ctx.error("an adjustment needs an 'id'")
        adj_id = self.claim_id(data["id"], ctx.at("id"))
        if "kind" not in data:
            raise ctx.error("an adjustment needs 'kind: bonus | deduction | veto'")
        kind = self.choice(data["kind"], ctx.at("kind"), ADJUSTMENT_KINDS)
        input_code = self.string(data["input"], ctx.at("input"), CODE) if "input" in data else None
        cap = self.number(data["cap"], ctx.at("cap"), "nonneg") if "cap" in data else None
        condition = (
            self.expression(data["condition"], ctx.at("condition"), "bool")
            if "condition" in data
            else None
        )
        when = self.expression(data["when"], ctx.at("when"), "bool") if "when" in data else None
        method = None
        if kind == "veto":
            for key in ("method", "cap", "condition"):
                if key in data:
                    raise ctx.at(key).error(f"a veto has no {key!r}; it uses 'when'")
            if when is None:
                if input_code is None:
                    raise ctx.error("a veto needs 'when' (a condition) or an 'input' (count > 0)")
                when = compile_expr(f"{input_code} > 0", want="bool")
        else:
            if when is not None:
                raise ctx.at("when").error(
                    "'when' is for vetoes; a bonus/deduction uses 'condition'"
                )
            if input_code is None or "method" not in data:
                raise ctx.error(f"a {kind} needs 'input' and 'method'")
            method = self.method(data["method"], ctx.at("method"), ADJUSTMENT_METHODS)
        name = self.text(data["name"], ctx.at("name")) if "name" in data else None
        return Adjustment(
            id=adj_id,
            kind=kind,
            name=name,
            input=input_code,
            method=method,
            cap=cap,
            condition=condition,
            when=when,
        )

    def ranking(self, data: Any, ctx: _Ctx) -> Ranking:
        d = self.keys(data, ctx, ("round", "ties"), "ranking")
        return Ranking(
            round=self.integer(d.get("round", 2), ctx.at("round"), 0, 9),
            ties=self.choice(d.get("ties", "min"), ctx.at("ties"), ("min",)),
        )

    def grades(self, data: Any, ctx: _Ctx) -> tuple[Grade, ...]:
        items = self.sequence(data, ctx)
        grades: list[Grade] = []
        seen: set[str] = set()
        previous_min = math.inf
        for i, item in enumerate(items):
            c = ctx.at(i, _code_label(item, i))
            d = self.keys(
                item, c, ("code", "name", "min", "quota", "staff_excellent_share"), "a grade"
            )
            if "code" not in d:
                raise c.error("a grade needs a 'code'")
            code = self.string(d["code"], c.at("code"), NODE_ID)
            if code in seen:
                raise c.at("code").error(f"grade code {code!r} is used twice")
            seen.add(code)
            gmin = self.number(d["min"], c.at("min")) if "min" in d else None
            if gmin is not None:
                if gmin > previous_min:
                    raise c.at("min").error("grades are listed best first: min must not rise")
                previous_min = gmin
            quota = self.number(d["quota"], c.at("quota"), "share") if "quota" in d else None
            if quota == 0:
                raise c.at("quota").error("a quota must be greater than 0")
            share = (
                self.number(d["staff_excellent_share"], c.at("staff_excellent_share"), "share")
                if "staff_excellent_share" in d
                else None
            )
            grades.append(
                Grade(
                    code=code,
                    name=self.text(d["name"], c.at("name")) if "name" in d else None,
                    min=gmin,
                    quota=quota,
                    staff_excellent_share=share,
                )
            )
        if grades and (grades[-1].min is not None or grades[-1].quota is not None):
            raise ctx.at(len(grades) - 1).error(
                "the last grade takes every remaining unit: it has no 'min' and no 'quota'"
            )
        return tuple(grades)

    def results(self, data: Any, ctx: _Ctx) -> Results:
        d = self.keys(data, ctx, ("progress_award", "interview", "top_flags", "stars"), "results")
        rise = bottom = fall = top = stars = None
        if "progress_award" in d:
            p = self.keys(
                d["progress_award"], ctx.at("progress_award"), ("min_rise",), "progress_award"
            )
            rise = self.integer(p.get("min_rise"), ctx.at("progress_award").at("min_rise"), 1)
        if "interview" in d:
            c = ctx.at("interview")
            p = self.keys(d["interview"], c, ("bottom", "min_fall"), "interview")
            if "bottom" in p:
                bottom = self.integer(p["bottom"], c.at("bottom"), 0)
            if "min_fall" in p:
                fall = self.integer(p["min_fall"], c.at("min_fall"), 1)
        if "top_flags" in d:
            top = self.integer(d["top_flags"], ctx.at("top_flags"), 1)
        if "stars" in d:
            stars = self.integer(d["stars"], ctx.at("stars"), 2, 100)
        return Results(rise, bottom, fall, top, stars)

    def robustness(self, data: Any, ctx: _Ctx) -> Robustness:
        allowed = ("draws", "mode", "weight_jitter", "concentration", "alternatives", "seed",
                   "borderline_below")  # fmt: skip
        d = self.keys(data, ctx, allowed, "robustness")
        jitter = self.number(d.get("weight_jitter", 0.2), ctx.at("weight_jitter"), "share")
        return Robustness(
            draws=self.integer(d.get("draws", 1000), ctx.at("draws"), 1, 100_000),
            mode=self.choice(
                d.get("mode", "multiplicative"), ctx.at("mode"), ("multiplicative", "dirichlet")
            ),
            weight_jitter=jitter,
            concentration=self.number(
                d.get("concentration", 100.0), ctx.at("concentration"), "positive"
            ),
            alternatives=self.boolean(d.get("alternatives", True), ctx.at("alternatives")),
            seed=self.integer(d.get("seed", 0), ctx.at("seed"), 0),
            borderline_below=self.number(
                d.get("borderline_below", 0.9), ctx.at("borderline_below"), "share"
            ),
        )


def _id_label(item: Any, index: int) -> str:
    if isinstance(item, Mapping) and isinstance(item.get("id"), str):
        return str(item["id"])
    return f"[{index}]"


def _code_label(item: Any, index: int) -> str:
    if isinstance(item, Mapping) and isinstance(item.get("code"), str):
        return str(item["code"])
    return f"[{index}]"


def _with_full_points(node: Node, full: float) -> Node:
    """Fill in `full_points` top-down: a mean's children share the parent's by weight."""
    if node.is_leaf:
        return _replace(node, full_points=full)
    if node.aggregate == "sum":
        children = tuple(_with_full_points(c, c.points or 0.0) for c in node.children)
    else:
        total_w = sum(c.weight for c in node.children)
        children = tuple(_with_full_points(c, full * c.weight / total_w) for c in node.children)
    return _replace(node, full_points=full, children=children)


def _replace(node: Node, **changes: Any) -> Node:
    return replace(node, **changes)


# --- dump and diff ---------------------------------------------------------------------------


def dump_scheme(scheme: Scheme) -> str:
    """The canonical YAML text of a scheme (keys in a fixed order; loads back equal)."""
    return yaml.safe_dump(
        scheme.to_dict(), allow_unicode=True, sort_keys=False, default_flow_style=False, width=100
    )


@dataclass(frozen=True)
class SchemeChange:
    """One structural difference between two schemes."""

    change: str  # added | removed | changed
    path: str  # e.g. "node:gdp", "adjustment:fraud", "grade:excellent", "ranking"
    field: str | None = None
    old: Any = None
    new: Any = None


def diff_schemes(a: Scheme, b: Scheme) -> list[SchemeChange]:
    """Structural diff: nodes, adjustments and grades matched by id/code, then settings."""
    changes: list[SchemeChange] = []

    def flat_nodes(s: Scheme) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        parents: dict[str, str | None] = {s.root.id: None}
        for node in s.root.walk():
            for child in node.children:
                parents[child.id] = node.id
            d = node.to_dict()
            d.pop("children", None)
            d["parent"] = parents[node.id]
            d["position"] = _position(s.root, node.id)
            out[node.id] = d
        return out

    def compare(kind: str, old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]]) -> None:
        for key in old:
            if key not in new:
                changes.append(SchemeChange("removed", f"{kind}:{key}", old=old[key]))
        for key in new:
            if key not in old:
                changes.append(SchemeChange("added", f"{kind}:{key}", new=new[key]))
                continue
            for fname in sorted(set(old[key]) | set(new[key])):
                if old[key].get(fname) != new[key].get(fname):
                    changes.append(
                        SchemeChange(
                            "changed",
                            f"{kind}:{key}",
                            fname,
                            old[key].get(fname),
                            new[key].get(fname),
                        )
                    )

    compare("node", flat_nodes(a), flat_nodes(b))
    compare(
        "adjustment",
        {x.id: x.to_dict() for x in a.adjustments},
        {x.id: x.to_dict() for x in b.adjustments},
    )
    compare(
        "grade",
        {g.code: {**g.to_dict(), "position": i} for i, g in enumerate(a.grades)},
        {g.code: {**g.to_dict(), "position": i} for i, g in enumerate(b.grades)},
    )
    da, db = a.to_dict(), b.to_dict()
    for key in ("id", "name", "points", "inputs", "ranking", "veto_grade", "results", "robustness"):
        if da.get(key) != db.get(key):
            changes.append(SchemeChange("changed", key, None, da.get(key), db.get(key)))
    return changes


def _position(root: Node, node_id: str) -> int:
    for node in root.walk():
        for i, child in enumerate(node.children):
            if child.id == node_id:
                return i
    return 0
