"""The input of an evaluation: `InputTable`, validated and immutable."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt

from . import methods as m
from .errors import DataError
from .milestones import Involvement

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
ObjArray = npt.NDArray[np.object_]


def frozen(a: npt.NDArray[Any], *, copy: bool = True) -> npt.NDArray[Any]:
    """A read-only array; `copy=False` for arrays the engine has just created itself."""
    a = np.array(a, copy=True) if copy or not a.flags.owndata else a
    a.flags.writeable = False
    return a


@dataclass(frozen=True, eq=False)
class InputTable:
    """Immutable, validated input: unit ids, categories and one array per input code.

    Numeric columns are float64 with NaN for a missing value; label columns (graded ratings)
    are object arrays of str, '' for missing; records columns (`records`: the milestones of a
    major task) are object arrays of `Involvement`, None for missing. Build it with
    `InputTable.build`.
    """

    units: tuple[str, ...]
    categories: tuple[str, ...]
    columns: Mapping[str, npt.NDArray[Any]]
    names: tuple[str, ...] | None = None
    category_codes: IntArray = field(default_factory=lambda: np.zeros(0, dtype=np.intp))
    category_labels: tuple[str, ...] = ()
    records: frozenset[str] = frozenset()

    @classmethod
    def build(
        cls,
        units: Sequence[str],
        columns: Mapping[str, Sequence[Any] | npt.NDArray[Any]],
        *,
        categories: Sequence[str] | None = None,
        names: Sequence[str] | None = None,
        label_codes: frozenset[str] | set[str] = frozenset(),
        milestone_codes: frozenset[str] | set[str] = frozenset(),
    ) -> InputTable:
        """Validate and freeze. Columns in `label_codes` (or of str dtype) are kept as labels;
        columns in `milestone_codes`, and object columns whose cells are `Involvement` records
        (or blank), as records columns: None for a blank cell. A column mixing records with
        anything else is a DataError naming the column."""
        unit_ids = tuple(str(u) for u in units)
        n = len(unit_ids)
        seen: dict[str, int] = {}
        for i, u in enumerate(unit_ids):
            if not u.strip():
                raise DataError("a unit id is empty", line=i + 1, column="unit")
            if u in seen:
                raise DataError(
                    f"unit {u!r} appears twice (rows {seen[u] + 1} and {i + 1})",
                    line=i + 1,
                    column="unit",
                )
            seen[u] = i
        cats = tuple("" if c is None else str(c) for c in categories) if categories else ("",) * n
        if len(cats) != n:
            raise DataError(f"{len(cats)} categories for {n} units", column="category")
        labels, codes = np.unique(np.array(cats, dtype=str), return_inverse=True)
        cols: dict[str, npt.NDArray[Any]] = {}
        records: set[str] = set()
        for code, values in columns.items():
            arr = np.asarray(values)
            if arr.shape != (n,):
                raise DataError(f"column has {arr.shape} values for {n} units", column=code)
            if code in milestone_codes or (
                arr.dtype.kind == "O" and any(isinstance(v, Involvement) for v in arr.tolist())
            ):
                cols[code] = frozen(_records(arr, code))
                records.add(code)
            elif code in label_codes or arr.dtype.kind in "US":
                cols[code] = frozen(_labels(arr))
            elif arr.dtype.kind == "O":
                cols[code] = frozen(_numeric_objects(arr, code))
            elif arr.dtype.kind in "biuf":
                cols[code] = frozen(arr.astype(np.float64))
            else:
                raise DataError(f"unsupported column type {arr.dtype}", column=code)
        return cls(
            units=unit_ids,
            categories=cats,
            columns=MappingProxyType(cols),
            names=tuple(names) if names is not None else None,
            category_codes=frozen(codes.reshape(-1).astype(np.intp)),
            category_labels=tuple(str(x) for x in labels),
            records=frozenset(records),
        )

    def __len__(self) -> int:
        return len(self.units)

    def index(self, unit_id: str) -> int:
        """Row of a unit (KeyError if absent)."""
        try:
            return self.units.index(unit_id)
        except ValueError:
            raise KeyError(unit_id) from None


def _labels(arr: npt.NDArray[Any]) -> ObjArray:
    out = np.empty(arr.shape, dtype=object)
    out[:] = [(m.blank(v) and "") or str(v).strip() for v in arr.tolist()]
    return out


def _records(arr: npt.NDArray[Any], code: str) -> ObjArray:
    out = np.empty(arr.shape, dtype=object)
    cells = arr.tolist()
    for i, v in enumerate(cells):
        if isinstance(v, Involvement):
            out[i] = v
        elif m.blank(v):
            out[i] = None
        else:
            raise DataError(
                f"{v!r} is not a milestones record (Involvement); a column of records holds "
                "records or blanks only",
                line=i + 1,
                column=code,
            )
    return out


def _numeric_objects(arr: npt.NDArray[Any], code: str) -> FloatArray:
    out = np.empty(arr.shape, dtype=np.float64)
    for i, v in enumerate(arr.tolist()):
        if m.blank(v):
            out[i] = np.nan
            continue
        try:
            out[i] = float(v)
        except (TypeError, ValueError):
            raise DataError(f"{v!r} is not a number", line=i + 1, column=code) from None
    return out


# --- per-leaf scoring ------------------------------------------------------------------------
