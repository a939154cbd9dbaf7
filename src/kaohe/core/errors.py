"""Errors that name the row, the field and the rule, for batches refused as a whole."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class RowError:
    """One problem in one row of a batch (rows count from 1 as a person reads them)."""

    row: int
    field: str
    rule: str
    value: str = ""

    def __str__(self) -> str:
        shown = f" (got {self.value!r})" if self.value else ""
        return f"row {self.row}, {self.field}: {self.rule}{shown}"


class BatchRejected(Exception):
    """The whole batch was refused and nothing of it was stored."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        self.errors = list(errors)
        lines = "; ".join(str(e) for e in self.errors[:5])
        more = f" … and {len(self.errors) - 5} more" if len(self.errors) > 5 else ""
        super().__init__(f"{len(self.errors)} error(s): {lines}{more}")
