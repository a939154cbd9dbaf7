"""Reading the blocks of a scheme around its tree: adjustments, ranking, grades, the use of
results and the robustness settings.
"""

from __future__ import annotations

import math
from typing import Any

from ..expr import compile_expr
from .model import Adjustment, Grade, Ranking, Results, Robustness
from .reader import Cursor, Reader, code_label
from .vocabulary import ADJUSTMENT_KINDS, ADJUSTMENT_METHODS, CODE, NODE_ID


class BlockReader(Reader):
    """Reads the blocks other than the tree (the document and its tree are read in load.py)."""

    def adjustment(self, data: Any, ctx: Cursor) -> Adjustment:
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
        reads = [("input", input_code)] if input_code is not None else []
        for key, expr in (("condition", condition), ("when", when)):
            if expr is not None and key in data:
                reads += [(key, c) for c in sorted(expr.names)]
        for key, code in reads:
            spec = self.inputs.get(code.split("@", 1)[0])
            if code in self.record_reads or (spec is not None and spec.type == "milestones"):
                raise ctx.at(key).error(
                    f"input {code!r} holds milestone records; an adjustment cannot read it"
                )
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

    def ranking(self, data: Any, ctx: Cursor) -> Ranking:
        d = self.keys(data, ctx, ("round", "ties"), "ranking")
        return Ranking(
            round=self.integer(d.get("round", 2), ctx.at("round"), 0, 9),
            ties=self.choice(d.get("ties", "min"), ctx.at("ties"), ("min",)),
        )

    def grades(self, data: Any, ctx: Cursor) -> tuple[Grade, ...]:
        items = self.sequence(data, ctx)
        grades: list[Grade] = []
        seen: set[str] = set()
        previous_min = math.inf
        for i, item in enumerate(items):
            c = ctx.at(i, code_label(item, i))
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

    def results(self, data: Any, ctx: Cursor) -> Results:
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

    def robustness(self, data: Any, ctx: Cursor) -> Robustness:
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
