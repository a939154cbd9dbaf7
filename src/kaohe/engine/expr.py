"""A small, safe expression language evaluated on numpy arrays.

Grammar (lowest precedence first)::

    expr    := or
    or      := and ("or" and)*
    and     := not ("and" not)*
    not     := "not" not | compare
    compare := sum (("<" | "<=" | ">" | ">=" | "==" | "!=") sum)?
    sum     := product (("+" | "-") product)*
    product := unary (("*" | "/") unary)*
    unary   := "-" unary | atom
    atom    := NUMBER | CODE | FUNCTION "(" expr ("," expr)* ")" | "(" expr ")"

CODE is an input code, optionally with a period suffix (``gdp_growth@Q1``). FUNCTION is one of
``abs min max sqrt log coalesce``. The parser builds an AST and checks types (numbers vs
truth values) before anything is evaluated; Python's ``eval`` is never used, so attribute
access, subscripts, strings, lambdas and calls outside the list cannot be expressed at all.

A little over 400 lines: the tokenizer, parser, type check and evaluator share the AST node
types and are read together when the language changes, so they stay in one module.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from .errors import ExprError

FloatArray = npt.NDArray[np.float64]
Value = npt.NDArray[np.float64] | npt.NDArray[np.bool_]
Kind = Literal["num", "bool"]

FUNCTIONS: dict[str, tuple[int, int | None]] = {
    # name -> (min args, max args or None for variadic)
    "abs": (1, 1),
    "sqrt": (1, 1),
    "log": (1, 1),
    "min": (2, None),
    "max": (2, None),
    "coalesce": (2, None),
}
KEYWORDS = {"and", "or", "not"}
COMPARISONS = {"<", "<=", ">", ">=", "==", "!="}

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<num>(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:@[A-Za-z0-9_]+)?)
  | (?P<op><=|>=|==|!=|[-+*/<>(),])
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Token:
    """One lexical token with its 1-based position in the source."""

    kind: str  # num | name | op | end
    text: str
    pos: int


def tokenize(source: str) -> list[Token]:
    """Split `source` into tokens; any character outside the grammar is an ExprError."""
    tokens: list[Token] = []
    i = 0
    while i < len(source):
        m = _TOKEN.match(source, i)
        if m is None:
            ch = source[i]
            hint = {
                ".": "attribute access is not allowed",
                "[": "subscripts are not allowed",
                "'": "strings are not allowed",
                '"': "strings are not allowed",
                ":": "lambdas and slices are not allowed",
                "=": "assignment is not allowed (use == to compare)",
            }.get(ch, "character outside the expression language")
            raise ExprError(f"unexpected {ch!r}: {hint}", column=i + 1, source=source)
        kind = m.lastgroup or ""
        if kind != "ws":
            text = m.group()
            if kind == "name" and "@" not in text and keyword.iskeyword(text):
                if text not in KEYWORDS:
                    raise ExprError(
                        f"Python keyword {text!r} is not allowed", column=i + 1, source=source
                    )
                kind = "op"
            if kind == "name" and text.startswith("__"):
                raise ExprError(
                    f"name {text!r} is not allowed (dunder names)", column=i + 1, source=source
                )
            tokens.append(Token(kind, text, i + 1))
        i = m.end()
    tokens.append(Token("end", "", len(source) + 1))
    return tokens


# --- AST -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Num:
    """A numeric literal."""

    value: float
    pos: int


@dataclass(frozen=True)
class Name:
    """An input code (with an optional ``@period`` suffix)."""

    code: str
    pos: int


@dataclass(frozen=True)
class Unary:
    """Unary minus or logical not."""

    op: str
    operand: Node
    pos: int


@dataclass(frozen=True)
class Binary:
    """An arithmetic, comparison or logical operation."""

    op: str
    left: Node
    right: Node
    pos: int


@dataclass(frozen=True)
class Call:
    """A call of one of the allowed functions."""

    func: str
    args: tuple[Node, ...]
    pos: int


Node = Num | Name | Unary | Binary | Call


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = tokenize(source)
        self.i = 0

    def peek(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def error(self, message: str, tok: Token) -> ExprError:
        return ExprError(message, column=tok.pos, source=self.source)

    def expect(self, text: str) -> Token:
        tok = self.take()
        if tok.text != text or tok.kind not in ("op",):
            found = tok.text or "end of expression"
            raise self.error(f"expected {text!r}, found {found!r}", tok)
        return tok

    def parse(self) -> Node:
        if self.peek().kind == "end":
            raise self.error("empty expression", self.peek())
        node = self.parse_or()
        tok = self.peek()
        if tok.kind != "end":
            raise self.error(f"unexpected {tok.text!r} after a complete expression", tok)
        return node

    def parse_or(self) -> Node:
        node = self.parse_and()
        while self.peek().text == "or" and self.peek().kind == "op":
            tok = self.take()
            node = Binary("or", node, self.parse_and(), tok.pos)
        return node

    def parse_and(self) -> Node:
        node = self.parse_not()
        while self.peek().text == "and" and self.peek().kind == "op":
            tok = self.take()
            node = Binary("and", node, self.parse_not(), tok.pos)
        return node

    def parse_not(self) -> Node:
        if self.peek().text == "not" and self.peek().kind == "op":
            tok = self.take()
            return Unary("not", self.parse_not(), tok.pos)
        return self.parse_compare()

    def parse_compare(self) -> Node:
        node = self.parse_sum()
        tok = self.peek()
        if tok.kind == "op" and tok.text in COMPARISONS:
            self.take()
            node = Binary(tok.text, node, self.parse_sum(), tok.pos)
            nxt = self.peek()
            if nxt.kind == "op" and nxt.text in COMPARISONS:
                raise self.error("chained comparisons are not allowed; join them with 'and'", nxt)
        return node

    def parse_sum(self) -> Node:
        node = self.parse_product()
        while self.peek().kind == "op" and self.peek().text in ("+", "-"):
            tok = self.take()
            node = Binary(tok.text, node, self.parse_product(), tok.pos)
        return node

    def parse_product(self) -> Node:
        node = self.parse_unary()
        while self.peek().kind == "op" and self.peek().text in ("*", "/"):
            tok = self.take()
            node = Binary(tok.text, node, self.parse_unary(), tok.pos)
        return node

    def parse_unary(self) -> Node:
        tok = self.peek()
        if tok.kind == "op" and tok.text == "-":
            self.take()
            return Unary("-", self.parse_unary(), tok.pos)
        if tok.kind == "op" and tok.text == "+":
            raise self.error("unary '+' is not part of the language", tok)
        return self.parse_atom()

    def parse_atom(self) -> Node:
        tok = self.take()
        if tok.kind == "num":
            return Num(float(tok.text), tok.pos)
        if tok.kind == "name":
            if self.peek().kind == "op" and self.peek().text == "(":
                if tok.text not in FUNCTIONS:
                    allowed = ", ".join(sorted(FUNCTIONS))
                    raise self.error(
                        f"function {tok.text!r} is not allowed (allowed: {allowed})", tok
                    )
                self.take()
                args = [self.parse_or()]
                while self.peek().kind == "op" and self.peek().text == ",":
                    self.take()
                    args.append(self.parse_or())
                self.expect(")")
                lo, hi = FUNCTIONS[tok.text]
                if len(args) < lo or (hi is not None and len(args) > hi):
                    want = str(lo) if hi == lo else f"at least {lo}"
                    raise self.error(f"{tok.text}() takes {want} argument(s), got {len(args)}", tok)
                return Call(tok.text, tuple(args), tok.pos)
            return Name(tok.text, tok.pos)
        if tok.kind == "op" and tok.text == "(":
            node = self.parse_or()
            self.expect(")")
            return node
        found = tok.text or "end of expression"
        raise self.error(f"expected a number, an input code or '(', found {found!r}", tok)


def _kind(node: Node, source: str) -> Kind:
    """Type-check the tree: arithmetic needs numbers, logic needs truth values."""

    def need(child: Node, want: Kind, what: str) -> None:
        got = _kind(child, source)
        if got != want:
            noun = "a number" if want == "num" else "a comparison (true/false)"
            raise ExprError(f"{what} needs {noun}", column=child.pos, source=source)

    if isinstance(node, Num | Name):
        return "num"
    if isinstance(node, Unary):
        if node.op == "not":
            need(node.operand, "bool", "'not'")
            return "bool"
        need(node.operand, "num", "unary '-'")
        return "num"
    if isinstance(node, Binary):
        if node.op in ("and", "or"):
            need(node.left, "bool", f"'{node.op}'")
            need(node.right, "bool", f"'{node.op}'")
            return "bool"
        need(node.left, "num", f"'{node.op}'")
        need(node.right, "num", f"'{node.op}'")
        return "bool" if node.op in COMPARISONS else "num"
    for arg in node.args:
        need(arg, "num", f"{node.func}()")
    return "num"


def node_names(node: Node) -> set[str]:
    """The input codes a (sub-)tree reads."""
    if isinstance(node, Name):
        return {node.code}
    if isinstance(node, Num):
        return set()
    if isinstance(node, Unary):
        return node_names(node.operand)
    if isinstance(node, Binary):
        return node_names(node.left) | node_names(node.right)
    out: set[str] = set()
    for arg in node.args:
        out |= node_names(arg)
    return out


_ARITH: dict[str, Callable[[FloatArray, FloatArray], Value]] = {
    "+": np.add,
    "-": np.subtract,
    "*": np.multiply,
    "/": np.divide,
    "<": np.less,
    "<=": np.less_equal,
    ">": np.greater,
    ">=": np.greater_equal,
    "==": np.equal,
    "!=": np.not_equal,
}


def _coalesce(*args: FloatArray) -> FloatArray:
    out = np.array(args[0], dtype=np.float64, copy=True)
    for arg in args[1:]:
        out = np.where(np.isnan(out), arg, out)
    return out


def _log(x: FloatArray) -> FloatArray:
    # log of a non-positive number is undefined: give NaN (missing), not -inf
    return np.where(x > 0, np.log(np.where(x > 0, x, 1.0)), np.nan)


_FUNCS: dict[str, Callable[..., FloatArray]] = {
    "abs": np.abs,
    "sqrt": lambda x: np.where(x >= 0, np.sqrt(np.abs(x)), np.nan),
    "log": _log,
    # min/max propagate a missing value; use coalesce() to replace it first
    "min": lambda *a: np.minimum.reduce(np.broadcast_arrays(*a)),
    "max": lambda *a: np.maximum.reduce(np.broadcast_arrays(*a)),
    "coalesce": _coalesce,
}


@dataclass(frozen=True)
class Expression:
    """A compiled expression: its source, AST, result kind and the input codes it reads."""

    source: str
    tree: Node
    kind: Kind
    names: frozenset[str]

    def evaluate(
        self, env: Mapping[str, FloatArray], *, rename: Callable[[str], str] | None = None
    ) -> Value:
        """Evaluate on arrays (missing values are NaN; a comparison with NaN is false).

        `rename` maps each code before lookup (e.g. to add a period suffix).
        """
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return self._eval(self.tree, env, rename)

    def _eval(
        self, node: Node, env: Mapping[str, FloatArray], rename: Callable[[str], str] | None
    ) -> Value:
        if isinstance(node, Num):
            return np.asarray(node.value, dtype=np.float64)
        if isinstance(node, Name):
            code = rename(node.code) if rename else node.code
            try:
                return np.asarray(env[code], dtype=np.float64)
            except KeyError:
                raise ExprError(
                    f"unknown input code {code!r}", column=node.pos, source=self.source
                ) from None
        if isinstance(node, Unary):
            val = self._eval(node.operand, env, rename)
            return np.logical_not(val) if node.op == "not" else np.negative(val)
        if isinstance(node, Binary):
            left = self._eval(node.left, env, rename)
            right = self._eval(node.right, env, rename)
            if node.op == "and":
                return np.logical_and(left, right)
            if node.op == "or":
                return np.logical_or(left, right)
            return _ARITH[node.op](left, right)  # type: ignore[arg-type]
        args = [self._eval(a, env, rename) for a in node.args]
        return np.asarray(_FUNCS[node.func](*args), dtype=np.float64)


def compile_expr(source: str, *, want: Kind | None = None) -> Expression:
    """Parse and type-check `source`; `want` demands a number or a truth value as the result."""
    if not isinstance(source, str):
        raise ExprError(f"an expression must be a string, got {type(source).__name__}")
    tree = _Parser(source).parse()
    kind = _kind(tree, source)
    if want is not None and kind != want:
        what = "a number" if want == "num" else "a condition (a comparison, true/false)"
        raise ExprError(f"the expression must give {what}", column=1, source=source)
    return Expression(source=source, tree=tree, kind=kind, names=frozenset(node_names(tree)))


def evaluate_expr(source: str, env: Mapping[str, FloatArray]) -> Value:
    """Compile and evaluate in one step (for one-off use; compile once for repeated use)."""
    return compile_expr(source).evaluate(env)
