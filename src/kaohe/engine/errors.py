"""Errors raised by the engine: each names where the problem is and which rule it breaks."""

from __future__ import annotations


class EngineError(ValueError):
    """Base error of `kaohe.engine`: a message plus the location and the rule broken."""

    def __init__(
        self,
        rule: str,
        *,
        path: str | None = None,
        line: int | None = None,
        column: int | str | None = None,
        source: str | None = None,
    ) -> None:
        self.rule = rule
        self.path = path
        self.line = line
        self.column = column
        self.source = source
        super().__init__(self._format())

    def _format(self) -> str:
        where = []
        if self.source:
            where.append(self.source)
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column is not None:
            where.append(f"column {self.column}")
        if self.path:
            where.append(self.path)
        prefix = ", ".join(where)
        return f"{prefix}: {self.rule}" if prefix else self.rule


class SchemeError(EngineError):
    """The scheme is invalid; `line`/`column` are 1-based YAML positions, `path` the node path."""


class DataError(EngineError):
    """The input data is invalid; `line` is the 1-based data line, `column` the column name."""


class ExprError(EngineError):
    """An expression is outside the safe expression language; `column` is the 1-based position."""

    def _format(self) -> str:
        where = f"expression {self.source!r}" if self.source is not None else "expression"
        if self.column is not None:
            where += f" at column {self.column}"
        if self.path:
            where = f"{self.path}: {where}"
        return f"{where}: {self.rule}"
