"""The safe expression language: evaluation on arrays and refusal of everything else."""

from __future__ import annotations

import numpy as np
import pytest

from kaohe.engine.errors import ExprError
from kaohe.engine.expr import compile_expr, evaluate_expr


def test_arithmetic_precedence_and_functions() -> None:
    env = {"a": np.array([1.0, 4.0]), "b": np.array([2.0, np.nan]), "c@Q1": np.array([3.0, 3.0])}
    assert compile_expr("a + b * 2 - -c@Q1 / 3").evaluate(env).tolist()[0] == 6.0
    assert evaluate_expr("sqrt(a) + abs(0 - 2)", env).tolist() == [3.0, 4.0]
    assert evaluate_expr("coalesce(b, a, 0)", env).tolist() == [2.0, 4.0]
    assert evaluate_expr("max(a, 2, c@Q1)", env).tolist() == [3.0, 4.0]
    assert evaluate_expr("min(a, 2)", env).tolist() == [1.0, 2.0]
    assert evaluate_expr("log(a)", env).tolist() == [0.0, float(np.log(4.0))]
    assert compile_expr("(a + b) / c@Q1").names == frozenset({"a", "b", "c@Q1"})


def test_comparisons_and_logic_for_cross_validation() -> None:
    """The language will also check cross-validation rules such as tax ≤ fiscal revenue."""
    env = {
        "tax_revenue": np.array([80.0, 120.0, np.nan]),
        "fiscal_revenue": np.array([100.0, 100.0, 100.0]),
    }
    rule = compile_expr("tax_revenue <= fiscal_revenue", want="bool")
    assert rule.kind == "bool"
    assert rule.evaluate(env).tolist() == [True, False, False]  # missing → not satisfied
    both = compile_expr("not (tax_revenue > fiscal_revenue) and fiscal_revenue != 0 or 1 == 2")
    assert both.evaluate(env).tolist() == [True, False, True]


def test_log_and_sqrt_of_invalid_values_are_missing() -> None:
    env = {"x": np.array([-1.0, 0.0])}
    assert np.isnan(evaluate_expr("log(x)", env)).tolist() == [True, True]
    assert np.isnan(evaluate_expr("sqrt(x)", env)).tolist() == [True, False]


@pytest.mark.parametrize(
    ("source", "column", "message"),
    [
        ("__import__('os')", 1, "name '__import__' is not allowed (dunder names)"),
        ("a.__class__", 2, "unexpected '.': attribute access is not allowed"),
        ("os.system", 3, "unexpected '.': attribute access is not allowed"),
        ("lambda: 1", 1, "Python keyword 'lambda' is not allowed"),
        ("a[0]", 2, "unexpected '[': subscripts are not allowed"),
        ("'text'", 1, 'unexpected "\'": strings are not allowed'),
        (
            "open(1)",
            1,
            "function 'open' is not allowed (allowed: abs, coalesce, log, max, min, sqrt)",
        ),
        (
            "eval(a)",
            1,
            "function 'eval' is not allowed (allowed: abs, coalesce, log, max, min, sqrt)",
        ),
        ("a if b else c", 3, "Python keyword 'if' is not allowed"),
        ("a ** 2", 4, "expected a number, an input code or '(', found '*'"),
        ("a = 1", 3, "unexpected '=': assignment is not allowed (use == to compare)"),
        ("a < b < c", 7, "chained comparisons are not allowed; join them with 'and'"),
        ("a + (b > 1)", 8, "'+' needs a number"),
        ("not a", 5, "'not' needs a comparison (true/false)"),
        ("abs(a, b)", 1, "abs() takes 1 argument(s), got 2"),
        ("min(a)", 1, "min() takes at least 2 argument(s), got 1"),
        ("(a + 1", 7, "expected ')', found 'end of expression'"),
        ("a b", 3, "unexpected 'b' after a complete expression"),
        ("", 1, "empty expression"),
        ("a; b", 2, "unexpected ';': character outside the expression language"),
        ("+a", 1, "unary '+' is not part of the language"),
    ],
)
def test_refuses_everything_outside_the_grammar(source: str, column: int, message: str) -> None:
    with pytest.raises(ExprError) as info:
        compile_expr(source)
    assert info.value.column == column
    assert info.value.rule == message
    assert str(info.value) == f"expression {source!r} at column {column}: {message}"


def test_result_kind_is_enforced() -> None:
    with pytest.raises(ExprError, match="must give a condition"):
        compile_expr("a + 1", want="bool")
    with pytest.raises(ExprError, match="must give a number"):
        compile_expr("a > 1", want="num")


def test_unknown_code_at_evaluation_names_it() -> None:
    with pytest.raises(ExprError) as info:
        evaluate_expr("a + zz", {"a": np.array([1.0])})
    assert info.value.rule == "unknown input code 'zz'"
    assert info.value.column == 5
