"""The validator's tools: YAML positions, a cursor that locates errors, and a reader of the
typed values a scheme document holds (scalars, names, expressions, ids, methods).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from ..errors import ExprError, SchemeError
from ..expr import Expression, compile_expr
from .model import InputRef, InputSpec, Method, Text
from .vocabulary import CODE, DIRECTIONS, NODE_ID, REQUIRED

Marks = dict[tuple[str, ...], tuple[int, int]]


def compose_marks(node: yaml.Node, path: tuple[str, ...], marks: Marks) -> None:
    """Record the line and column of every key and value under `path`; refuse a duplicate key."""
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
            compose_marks(value_node, (*path, key), marks)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            compose_marks(item, (*path, str(i)), marks)


@dataclass
class Cursor:
    """Where the validator is: raw YAML path (for line numbers) and the display path."""

    marks: Marks
    raw: tuple[str, ...] = ()
    display: str = ""

    def at(self, key: str | int, label: str | None = None) -> Cursor:
        """The context of a child key; `label` replaces the key in the display path."""
        shown = label if label is not None else str(key)
        display = f"{self.display}/{shown}" if self.display else shown
        return Cursor(self.marks, (*self.raw, str(key)), display)

    def with_display(self, display: str) -> Cursor:
        """The same YAML position shown under another display path."""
        return Cursor(self.marks, self.raw, display)

    def error(self, rule: str) -> SchemeError:
        """A SchemeError located at this node (or its nearest located ancestor)."""
        raw = self.raw
        while raw and raw not in self.marks:
            raw = raw[:-1]
        line, column = self.marks.get(raw, (None, None)) if self.marks else (None, None)
        return SchemeError(rule, path=self.display or "(document)", line=line, column=column)


class Reader:
    """Reads typed values at a cursor; remembers the ids claimed and the inputs declared."""

    def __init__(self, ctx: Cursor) -> None:
        self.ctx = ctx
        self.ids: dict[str, str] = {}
        self.inputs: dict[str, InputSpec] = {}
        # input code -> display path of the first leaf reading it as milestone records / else
        self.record_reads: dict[str, str] = {}
        self.other_reads: dict[str, str] = {}

    # -- scalars ------------------------------------------------------------------------------

    def keys(
        self, data: Any, ctx: Cursor, allowed: tuple[str, ...], what: str
    ) -> Mapping[str, Any]:
        if not isinstance(data, Mapping):
            raise ctx.error(f"{what} must be a mapping")
        for key in data:
            if key not in allowed:
                raise ctx.at(key).error(
                    f"unknown key {key!r} in {what}; allowed: {', '.join(allowed)}"
                )
        return data

    def number(self, value: Any, ctx: Cursor, kind: str = "num") -> float:
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

    def integer(self, value: Any, ctx: Cursor, lo: int, hi: int | None = None) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ctx.error(f"must be a whole number, got {value!r}")
        if value < lo or (hi is not None and value > hi):
            limit = f"between {lo} and {hi}" if hi is not None else f"at least {lo}"
            raise ctx.error(f"must be {limit}, got {value!r}")
        return value

    def string(self, value: Any, ctx: Cursor, pattern: re.Pattern[str] | None = None) -> str:
        if not isinstance(value, str) or not value:
            raise ctx.error(f"must be a non-empty string, got {value!r}")
        if pattern is not None and not pattern.match(value):
            raise ctx.error(f"{value!r} does not match {pattern.pattern}")
        return value

    def boolean(self, value: Any, ctx: Cursor) -> bool:
        if not isinstance(value, bool):
            raise ctx.error(f"must be true or false, got {value!r}")
        return value

    def choice(self, value: Any, ctx: Cursor, allowed: tuple[str, ...]) -> str:
        if value not in allowed:
            raise ctx.error(f"must be one of {', '.join(allowed)}; got {value!r}")
        return str(value)

    def text(self, value: Any, ctx: Cursor) -> Text:
        if isinstance(value, str):
            return Text(zh=value)
        data = self.keys(value, ctx, ("zh", "en"), "a name")
        zh = self.string(data["zh"], ctx.at("zh")) if "zh" in data else None
        en = self.string(data["en"], ctx.at("en")) if "en" in data else None
        return Text(zh=zh, en=en)

    def expression(self, value: Any, ctx: Cursor, want: str) -> Expression:
        try:
            return compile_expr(self.string(value, ctx), want=want)  # type: ignore[arg-type]
        except ExprError as exc:
            raise ctx.error(str(exc)) from None

    def sequence(self, value: Any, ctx: Cursor) -> list[Any]:
        if not isinstance(value, list):
            raise ctx.error("must be a list")
        return value

    # -- ids and methods ----------------------------------------------------------------------

    def claim_id(self, node_id: Any, ctx: Cursor) -> str:
        node_id = self.string(node_id, ctx, NODE_ID)
        if node_id in self.ids:
            raise ctx.error(f"id {node_id!r} is used twice (first at {self.ids[node_id]})")
        self.ids[node_id] = ctx.display
        return node_id

    def method(
        self,
        data: Any,
        ctx: Cursor,
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
                if default is REQUIRED:
                    raise ctx.error(f"method {mtype!r} needs {pname!r}")
                if default is not None:
                    params.append((pname, default))
                continue
            params.append((pname, self.param(data[pname], pctx, kind)))
        method = Method(mtype, tuple(params))
        self.check_method(method, ctx)
        return method

    def param(self, value: Any, ctx: Cursor, kind: Any) -> Any:
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

    def check_method(self, method: Method, ctx: Cursor) -> None:
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
        if t == "milestones":
            if any(v > 1 for _, v in method.get("roles")):
                raise ctx.at("roles").error("role shares are fractions of the points (0..1)")
            if not float(method.get("grace_days")).is_integer():
                raise ctx.at("grace_days").error(
                    f"grace_days must be whole days, got {method.get('grace_days')!r}"
                )
            if method.get("floor") > method.get("late"):
                raise ctx.at("floor").error(
                    f"floor ({method.get('floor'):g}) must not exceed late ({method.get('late'):g})"
                )


def id_label(item: Any, index: int) -> str:
    if isinstance(item, Mapping) and isinstance(item.get("id"), str):
        return str(item["id"])
    return f"[{index}]"


def code_label(item: Any, index: int) -> str:
    if isinstance(item, Mapping) and isinstance(item.get("code"), str):
        return str(item["code"])
    return f"[{index}]"
