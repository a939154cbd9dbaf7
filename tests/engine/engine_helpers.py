"""Small helpers for engine tests: build a scheme from YAML text and score plain columns."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from kaohe.engine import EvaluationResult, InputTable, Scheme, evaluate, load_scheme


def scheme(text: str) -> Scheme:
    """Load a scheme from an indented YAML snippet."""
    return load_scheme(textwrap.dedent(text))


def one_leaf(method: str, *, points: float = 10, extra: str = "", inputs: str = "") -> Scheme:
    """A scheme with a single leaf `x` (input `x`) scored by `method` (a YAML flow mapping)."""
    return scheme(
        f"""
        kaohe_scheme: 1
        id: t
        points: {points}
        {inputs}
        root:
          aggregate: sum
          children:
            - id: x
              points: {points}
              input: x
              method: {method}
              {extra}
        """
    )


def run(
    s: Scheme,
    columns: Mapping[str, Sequence[Any]],
    *,
    units: Sequence[str] | None = None,
    categories: Sequence[str] | None = None,
    previous: Mapping[str, int] | None = None,
) -> EvaluationResult:
    """Evaluate `s` on the given columns (units default to u0, u1, ...)."""
    n = len(next(iter(columns.values())))
    ids = list(units) if units is not None else [f"u{i}" for i in range(n)]
    table = InputTable.build(
        ids,
        {k: np.asarray(v) for k, v in columns.items()},
        categories=categories,
        label_codes=s.label_codes,
    )
    return evaluate(s, table, previous_ranks=previous)


def fractions(s: Scheme, x: Sequence[Any], **kw: Any) -> list[float]:
    """The fraction of the single leaf `x` for each value."""
    res = run(s, {"x": x, **kw.pop("columns", {})}, **kw)
    return [float(v) for v in res.fraction["x"]]
