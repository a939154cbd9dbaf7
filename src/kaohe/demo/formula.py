"""Arithmetic formulas of derived indicators: ``+ - * / ( )``, numbers and indicator codes.

A formula is parsed with ``ast`` and only those nodes are accepted, so evaluating one can never
run code.  Pure Python and numpy.
"""

from __future__ import annotations

import ast
from collections.abc import Callable

import numpy as np

__all__ = ["evaluate_formula", "formula_codes"]

_OPS: dict[type[ast.operator], Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    ast.Add: np.add,
    ast.Sub: np.subtract,
    ast.Mult: np.multiply,
    ast.Div: np.divide,
}


def _parse(formula: str) -> ast.expr:
    tree = ast.parse(formula, mode="eval").body
    for node in ast.walk(tree):
        allowed = (ast.BinOp, ast.UnaryOp, ast.Name, ast.Constant, ast.Load, ast.USub, ast.UAdd)
        if not isinstance(node, allowed) and type(node) not in _OPS:
            raise ValueError(f"not allowed in a formula: {ast.dump(node)} in {formula!r}")
        if isinstance(node, ast.Constant) and not isinstance(node.value, int | float):
            raise ValueError(f"only numbers are allowed as constants in {formula!r}")
    return tree


def formula_codes(formula: str) -> tuple[str, ...]:
    """The indicator codes a formula uses, in order of first appearance."""
    codes: list[str] = []
    for node in ast.walk(_parse(formula)):
        if isinstance(node, ast.Name) and node.id not in codes:
            codes.append(node.id)
    return tuple(codes)


def evaluate_formula(formula: str, lookup: Callable[[str], np.ndarray]) -> np.ndarray:
    """Evaluate ``formula`` element-wise over the arrays ``lookup(code)`` returns."""

    def walk(node: ast.expr) -> np.ndarray:
        if isinstance(node, ast.BinOp):
            return _OPS[type(node.op)](walk(node.left), walk(node.right))
        if isinstance(node, ast.UnaryOp):
            value = walk(node.operand)
            return -value if isinstance(node.op, ast.USub) else value
        if isinstance(node, ast.Name):
            return np.asarray(lookup(node.id), dtype=float)
        if isinstance(node, ast.Constant):
            if not isinstance(node.value, int | float):
                raise ValueError(f"not a number: {node.value!r}")
            return np.asarray(float(node.value))
        raise ValueError(f"not allowed in a formula: {ast.dump(node)}")

    with np.errstate(divide="ignore", invalid="ignore"):
        return walk(_parse(formula))
