"""The input of the rules: one time node's figures for every unit (`MonitoringFrame`), the
share of the year a pace rule expects by that node, and order statistics within categories."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from types import MappingProxyType
from typing import Any

import numpy as np

from ..errors import DataError
from .rules import NODE_MONTHS, FloatArray, IntArray, PaceRule


def _frozen(values: Any, n: int, what: str) -> FloatArray:
    arr = np.array(values, dtype=np.float64, copy=True)
    if arr.shape != (n,):
        raise DataError(f"{what} has shape {arr.shape}, expected ({n},)", column=what)
    arr.flags.writeable = False
    return arr


def _frozen_map(data: Mapping[str, Any] | None, n: int, what: str) -> Mapping[str, FloatArray]:
    out = {code: _frozen(v, n, f"{what}[{code!r}]") for code, v in (data or {}).items()}
    return MappingProxyType(out)


@dataclass(frozen=True)
class MonitoringFrame:
    """Every unit's figures for one time node; arrays are read-only and indexed like ``units``.

    ``current`` holds the values at this node (cumulative where a pace rule reads them),
    ``previous`` those of the previous node, ``last_year`` those of the same node last year,
    ``targets`` the year's targets. ``node`` is the node label (``Q1``, ``H1``, ``M5``…) and
    ``months`` the months elapsed by it (derived from the label when omitted). Build with
    :meth:`build`, which validates shapes and copies the arrays.
    """

    units: tuple[str, ...]
    categories: tuple[str, ...]
    current: Mapping[str, FloatArray]
    previous: Mapping[str, FloatArray]
    last_year: Mapping[str, FloatArray]
    targets: Mapping[str, FloatArray]
    node: str = ""
    months: int | None = None
    names: tuple[str, ...] = ()

    @classmethod
    def build(
        cls,
        *,
        units: Sequence[str],
        current: Mapping[str, Any],
        categories: Sequence[str] | None = None,
        previous: Mapping[str, Any] | None = None,
        last_year: Mapping[str, Any] | None = None,
        targets: Mapping[str, Any] | None = None,
        node: str = "",
        months: int | None = None,
        names: Sequence[str] | None = None,
    ) -> MonitoringFrame:
        """Validate and freeze the inputs (float64 copies; NaN = missing); raises DataError."""
        units_t = tuple(str(u) for u in units)
        n = len(units_t)
        if len(set(units_t)) != n:
            dup = next(u for i, u in enumerate(units_t) if u in units_t[:i])
            raise DataError(f"duplicate unit id {dup!r}", column="units")
        cats = tuple(str(c) for c in categories) if categories is not None else ("",) * n
        if len(cats) != n:
            raise DataError(f"{len(cats)} categories for {n} units", column="categories")
        names_t = tuple(str(x) for x in names) if names is not None else ()
        if names_t and len(names_t) != n:
            raise DataError(f"{len(names_t)} names for {n} units", column="names")
        if months is None:
            months = NODE_MONTHS.get(node)
        elif not 1 <= months <= 12:
            raise DataError(f"months must be 1..12 (got {months})", column="months")
        return cls(
            units=units_t,
            categories=cats,
            current=_frozen_map(current, n, "current"),
            previous=_frozen_map(previous, n, "previous"),
            last_year=_frozen_map(last_year, n, "last_year"),
            targets=_frozen_map(targets, n, "targets"),
            node=node,
            months=months,
            names=names_t,
        )

    @cached_property
    def category_codes(self) -> tuple[IntArray, int]:
        """Integer category codes in ``0..n_categories-1`` (sorted labels) and their count."""
        labels, codes = np.unique(np.asarray(self.categories, dtype=object), return_inverse=True)
        return codes.astype(np.intp).reshape(-1), len(labels)

    @cached_property
    def group_slots(self) -> tuple[IntArray | None, int]:
        """Where each unit goes in a (category × largest category) table, and its width.

        None when that table would hold more than 4× the units (very unequal categories);
        the grouped statistics then sort by value and category instead.
        """
        codes, ngroups = self.category_codes
        n = len(codes)
        counts = np.bincount(codes, minlength=ngroups)
        width = int(counts.max()) if ngroups else 0
        if ngroups * width > 4 * n + 1024:
            return None, width
        order = np.argsort(codes, kind="stable")
        starts = np.zeros(ngroups, dtype=np.intp)
        np.cumsum(counts[:-1], out=starts[1:])
        sorted_codes = codes[order]
        dest = np.empty(n, dtype=np.intp)
        dest[order] = sorted_codes * width + (np.arange(n) - starts[sorted_codes])
        return dest, width

    def series(self, which: str, code: str) -> FloatArray:
        """One array: ``current``/``previous``/``last_year``/``targets``; absent → all NaN."""
        arrays: Mapping[str, FloatArray] = getattr(self, which)
        arr = arrays.get(code)
        if arr is not None:
            return arr
        if which == "current":
            raise DataError(f"no current values for indicator {code!r}", column=code)
        return np.full(len(self.units), np.nan)


# --- grouped order statistics ----------------------------------------------------------------


@dataclass(frozen=True)
class Groups:
    """Values sorted within each category (missing ones last), for order statistics."""

    sorted_values: FloatArray  # non-finite values replaced by +inf, so they sort last
    starts: IntArray
    n_valid: IntArray

    def quantile(self, q: float) -> FloatArray:
        """Per-group quantile with linear interpolation (R type 7, numpy's default)."""
        n = self.n_valid
        pos = q * (np.maximum(n, 1) - 1)
        lo = np.floor(pos).astype(np.intp)
        hi = np.ceil(pos).astype(np.intp)
        last = len(self.sorted_values) - 1
        a = self.sorted_values[np.clip(self.starts + lo, 0, last)]
        b = self.sorted_values[np.clip(self.starts + hi, 0, last)]
        with np.errstate(invalid="ignore"):
            # written as a + frac·(b − a) so that an exact middle value is returned exactly
            out = np.where(hi == lo, a, a + (pos - lo) * (b - a))
        out[n == 0] = np.nan
        return out

    def sum_sorted(self, values_in_sorted_order: FloatArray) -> FloatArray:
        """Per-group sums over values in the sorted order (so the unit order cannot matter)."""
        if not self.starts.size:
            return np.zeros(0)
        return np.add.reduceat(values_in_sorted_order, self.starts)


def group(values: FloatArray, frame: MonitoringFrame) -> Groups:
    """Sort `values` within each category of `frame` (non-finite values last)."""
    codes, ngroups = frame.category_codes
    valid = np.isfinite(values)
    key = np.where(valid, values, np.inf)
    n_valid = np.bincount(codes[valid], minlength=ngroups).astype(np.intp)
    dest, width = frame.group_slots
    if dest is not None:
        # padded layout: one row per category, +inf filler after its units; a plain sort of
        # each row (no argsort, no gather) is several times faster than a grouped argsort
        buf = np.full(ngroups * width, np.inf)
        buf[dest] = key
        buf.reshape(ngroups, width).sort(axis=1)
        return Groups(buf, np.arange(ngroups, dtype=np.intp) * width, n_valid)
    # very unequal categories would make the padded table too big: sort by value, then stably
    # by category. The value sort need not be stable (tied values are equal, so the sorted
    # values do not depend on the unit order); the category sort is a radix sort.
    order = np.argsort(key)
    small = codes.astype(np.uint16) if ngroups <= 65536 else codes
    order = order[np.argsort(small[order], kind="stable")]
    counts = np.bincount(codes, minlength=ngroups)
    starts = np.zeros(ngroups, dtype=np.intp)
    np.cumsum(counts[:-1], out=starts[1:])
    return Groups(key[order], starts, n_valid)


def pace_share(rule: PaceRule, frame: MonitoringFrame) -> float:
    """The share of the year's target that `rule` expects by the frame's node."""
    if rule.shares is not None:
        if frame.node not in rule.shares:
            known = ", ".join(rule.shares)
            raise DataError(
                f"rule {rule.id!r}: no expected share for node {frame.node!r} (shares: {known})",
                column="node",
            )
        return rule.shares[frame.node]
    if frame.months is None:
        raise DataError(
            f"rule {rule.id!r}: a linear pace needs the months elapsed by node {frame.node!r}",
            column="months",
        )
    return frame.months / 12.0
