"""`load_scheme`: read a YAML document (or mapping) and validate it into a `Scheme`.

Every check happens here, once, so the kernels can stay small; an error names the YAML line
and column (when parsing text), the node path (``root/development/gdp/method/target``) and
the rule broken.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import yaml

from ..errors import SchemeError
from ..expr import Expression
from .blocks import BlockReader
from .model import Impute, InputRef, InputSpec, Method, Node, Scheme
from .reader import Cursor, Marks, compose_marks, id_label
from .vocabulary import (
    AGGREGATES,
    ASPECTS,
    CODE,
    DIRECTIONS,
    FORMAT_VERSION,
    INPUT_TYPES,
    METHOD_PARAMS,
    PERIOD,
    RECORD_METHODS,
    SCHEME_ID,
)


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
            compose_marks(composed, (), marks)
    else:
        data = source
    ctx = Cursor(marks)
    if not isinstance(data, Mapping):
        raise ctx.error("a scheme must be a mapping (kaohe_scheme, id, root, ...)")
    return _Loader(ctx).scheme(data)


class _Loader(BlockReader):
    """Reads the document and its tree of sections and indicators."""

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
        root_ctx = Cursor(ctx.marks, ("root",), "root")
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
            self.adjustment(item, ctx.at("adjustments").at(i, id_label(item, i)))
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

    def input_specs(self, value: Any, ctx: Cursor) -> None:
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

    def node(
        self, data: Any, ctx: Cursor, *, parent_aggregate: str | None, node_id: str | None = None
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
                    .at(i, id_label(item, i))
                    .with_display(f"{ctx.display}/{id_label(item, i)}"),
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
        kind = _input_kind(method.type)
        for i, m in enumerate(alternatives):
            if _input_kind(m.type) != kind:
                raise (
                    ctx.at("alternatives")
                    .at(i)
                    .error("an alternative must read the same kind of input (labels vs numbers)")
                )
        if declared is not None and _declared_kind(declared.type) != kind:
            want = {"grade": "labels (type: grade)", "milestones": "milestone records"}.get(
                declared.type, f"{declared.type}s"
            )
            raise ctx.at("method").error(
                f"input {input_code!r} is declared as {want}; method {method.type!r} needs {kind}"
            )
        if method.type in RECORD_METHODS:
            self.check_record_leaf(data, input_code, ctx)
        self.note_reads(input_code, input_expr, (method, *alternatives), kind, ctx)
        direction = method.get("direction") or default_direction
        self.check_direction(method, direction, ctx.at("method"))
        impute = self.impute(data["impute"], ctx.at("impute")) if "impute" in data else None
        if method.type == "graded" and impute is not None and impute.mode != "value":
            raise ctx.at("impute").error("a graded input can only be imputed with {value: share}")
        if method.type in RECORD_METHODS and impute is not None:
            if impute.mode not in ("value", "zero"):
                raise ctx.at("impute").error(
                    "a milestones input can only be imputed with {value: share} or zero"
                )
            if impute.value is not None and not 0 <= impute.value <= 1:
                raise (
                    ctx.at("impute")
                    .at("value")
                    .error(f"must be a share between 0 and 1, got {impute.value:g}")
                )
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

    def check_record_leaf(self, data: Mapping[str, Any], code: str | None, ctx: Cursor) -> None:
        """A milestones leaf reads one plain column of records: no expression, no period."""
        if code is None:
            raise ctx.at("input").error(
                "a milestones leaf reads an input code, not a derived input {expr: ...}"
            )
        if "@" in code:
            raise ctx.at("input").error(
                f"a milestones leaf reads a plain input code, not a period column ({code!r})"
            )
        for key in ("periods", "alternatives"):
            if key in data:
                raise ctx.at(key).error(f"a milestones leaf cannot have {key!r}")

    def note_reads(
        self,
        code: str | None,
        expr: Expression | None,
        methods: tuple[Method, ...],
        kind: str,
        ctx: Cursor,
    ) -> None:
        """Remember which columns hold milestone records; refuse a column read both ways."""
        codes = [] if code is None else [code]
        others = sorted(expr.names) if expr is not None else []
        for method in methods:
            others += [v.code for _, v in method.params if isinstance(v, InputRef)]
        if kind == "milestone records":
            for c in codes:
                if c in self.other_reads:
                    raise ctx.at("input").error(
                        f"input {c!r} holds milestone records here but is read as a value by "
                        f"{self.other_reads[c]}"
                    )
                self.record_reads.setdefault(c, ctx.display)
            return
        for c in codes + others:
            base = c.split("@", 1)[0]
            spec = self.inputs.get(base)
            if c in self.record_reads or (spec is not None and spec.type == "milestones"):
                where = self.record_reads.get(c, "its declaration")
                raise ctx.error(
                    f"input {c!r} holds milestone records ({where}); only a milestones leaf "
                    "can read it"
                )
            self.other_reads.setdefault(c, ctx.display)

    def leaf_input(self, value: Any, ctx: Cursor) -> tuple[str | None, Expression | None]:
        if isinstance(value, Mapping):
            self.keys(value, ctx, ("expr",), "a derived input")
            if "expr" not in value:
                raise ctx.error("a derived input is written {expr: 'a / b * 100'}")
            return None, self.expression(value["expr"], ctx.at("expr"), "num")
        return self.string(value, ctx, CODE), None

    def periods(self, value: Any, ctx: Cursor) -> tuple[tuple[str, float], ...]:
        if not isinstance(value, Mapping) or not value:
            raise ctx.error(
                "periods must be a mapping of period -> weight, e.g. {Q1: 0.15, Y: 0.35}"
            )
        out = []
        for period, weight in value.items():
            self.string(str(period), ctx.at(period), PERIOD)
            out.append((str(period), self.number(weight, ctx.at(period), "positive")))
        return tuple(out)

    def impute(self, value: Any, ctx: Cursor) -> Impute:
        if isinstance(value, Mapping):
            self.keys(value, ctx, ("value",), "impute")
            if "value" not in value:
                raise ctx.error("impute with a constant is written {value: x}")
            return Impute("value", self.number(value["value"], ctx.at("value")))
        mode = self.choice(value, ctx, ("zero", "category_min", "category_mean"))
        return Impute(mode)

    def check_direction(self, method: Method, direction: str, ctx: Cursor) -> None:
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


def _input_kind(method_type: str) -> str:
    if method_type in RECORD_METHODS:
        return "milestone records"
    return "labels" if method_type == "graded" else "numbers"


def _declared_kind(input_type: str) -> str:
    if input_type == "milestones":
        return "milestone records"
    return "labels" if input_type == "grade" else "numbers"


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
