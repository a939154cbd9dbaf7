"""Batched leaf scoring for `evaluate`: leaves that share a method are scored together.

A leaf qualifies when it reads one numeric input column in one period, imputes nothing and
takes no per-unit parameter; leaves of the same method type, direction and non-numeric
parameters form a batch whose inputs are stacked into a (k, N) block — the numeric parameters
(targets, baselines, points) become (k, 1) columns — and scored by the same kernels as a single
leaf (`methods.py`), a few rows at a time so that the block and the kernels' temporaries stay
in cache. Element-wise arithmetic does not depend on the shape it runs over, so a batch gives
every leaf the same bits as `context.score_leaf`; the methods within the category use the
batched statistics below, which form every sum in the same order as their per-leaf versions.
Everything else (expressions, periods, imputation, per-unit parameters, graded labels,
target_rank) goes through `score_leaf`.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from . import methods as m
from .scheme import InputRef, Node

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.intp]

# numeric parameters that may differ between the leaves of one batch (a (k, 1) column each);
# "base" and "full" are the leaf's base and full points, "cap_points" an events leaf's cap
ROW_PARAMS: dict[str, tuple[str, ...]] = {
    "target": ("target",),
    "band": ("target", "base"),
    "efficacy": ("low", "satisfactory"),
    "interpolate": ("baseline", "benchmark"),
    "events": ("cap",),
    "ratio": ("full",),
}
BATCHED = frozenset(
    {"target", "rank", "band", "efficacy", "interpolate", "goalpost", "zscore", "frontier",
     "events", "ratio", "identity"}
)  # fmt: skip
CHUNK_VALUES = 1 << 18  # values per block of leaves: 2 MiB of float64 (the stacked inputs)
BLOCK_VALUES = 12_000  # values per block of element-wise arithmetic: temporaries under 128 KiB,
# which the C allocator serves from its heap (larger ones are fresh pages, a fault per 4 KiB)


@dataclass(frozen=True, eq=False)
class GroupLayout:
    """The units ordered by category (stable), for statistics over contiguous segments."""

    groups: IntArray  # (N,) category code of each unit
    order: IntArray  # (N,) units by category, input order within one
    sorted_groups: IntArray  # groups[order]
    starts: IntArray  # (G,) first position of each category in `order`
    ends: IntArray  # (G,)

    @classmethod
    def of(cls, groups: IntArray) -> GroupLayout:
        order = np.argsort(groups, kind="stable")
        sizes = np.bincount(groups, minlength=int(groups.max()) + 1 if groups.size else 0)
        ends = np.cumsum(sizes)
        return cls(groups, order, groups[order], ends - sizes, ends)

    @property
    def n_groups(self) -> int:
        return len(self.starts)


def group_extremes(x: FloatArray, layout: GroupLayout) -> tuple[FloatArray, FloatArray]:
    """Per row of `x` (k, N) and category (k, G): the largest and the smallest non-missing
    value — `methods.group_extreme` for a batch (NaN where a category has no value or its
    extreme is infinite)."""
    k = x.shape[0]
    largest = np.empty((k, layout.n_groups))
    smallest = np.empty((k, layout.n_groups))
    for g, units, lo, hi in _segments(layout, k):
        seg = np.take(x[lo:hi], units, axis=1)
        largest[lo:hi, g] = np.fmax.reduce(seg, axis=1)
        smallest[lo:hi, g] = np.fmin.reduce(seg, axis=1)
    for ext in (largest, smallest):
        ext[np.isinf(ext)] = np.nan
    return largest, smallest


def _segments(layout: GroupLayout, k: int) -> Iterator[tuple[int, IntArray, int, int]]:
    """(category, its units, first row, end row): blocks of at most about BLOCK_VALUES values,
    so that the temporaries of a category's statistics stay small."""
    for g, (s, e) in enumerate(zip(layout.starts.tolist(), layout.ends.tolist(), strict=True)):
        units = layout.order[s:e]
        step = max(1, BLOCK_VALUES // max(e - s, 1))
        for lo in range(0, k, step):
            yield g, units, lo, min(k, lo + step)


def group_mean_std(x: FloatArray, layout: GroupLayout) -> tuple[FloatArray, FloatArray]:
    """Per row of `x` (k, N) and category (k, G): `methods.group_mean_std` — each sum runs over
    the category's values in ascending order, as there, so the bits agree."""
    k = x.shape[0]
    mean = np.empty((k, layout.n_groups))
    std = np.empty((k, layout.n_groups))
    for g, units, lo, hi in _segments(layout, k):
        xs = np.take(x[lo:hi], units, axis=1)
        xs.sort(axis=1)  # NaN last
        rows = np.repeat(np.arange(hi - lo), len(units))
        xs = xs.ravel()
        ok = ~np.isnan(xs)
        count = np.bincount(rows, weights=ok.astype(np.float64), minlength=hi - lo)
        total = np.bincount(rows, weights=np.where(ok, xs, 0.0), minlength=hi - lo)
        with np.errstate(invalid="ignore", divide="ignore"):
            mu = total / count
            dev = np.where(ok, xs - mu[rows], 0.0)
            var = np.bincount(rows, weights=dev * dev, minlength=hi - lo) / count
        mean[lo:hi, g] = mu
        std[lo:hi, g] = np.sqrt(var)
    return mean, std


def scored_places(step: float, floor: float, limit: int) -> int | None:
    """How many top places a `rank` leaf tells apart: from place m + 1 on, every unit gets
    `floor` (1 − step·(place − 1) ≤ floor in float64, as the kernel computes it). None when
    that takes more than `limit` places (or never happens: step 0)."""
    if step <= 0:
        return None

    def at_floor(place: int) -> bool:
        return 1.0 - step * (place - 1.0) <= floor

    p = max(1, min(limit + 2, math.ceil((1.0 - floor) / step) + 1))
    while p > 1 and at_floor(p - 1):
        p -= 1
    while not at_floor(p):
        p += 1
        if p > limit + 1:
            return None
    return p - 1


def rank(
    x: FloatArray,
    layout: GroupLayout,
    out: FloatArray,
    *,
    step: float,
    floor: float,
    higher: bool,
) -> None:
    """The fractions of `methods.rank` for a batch (k, N), bit for bit, into `out`.

    Places below the m-th (see `scored_places`) all score the floor, so only units at or above
    each category's m-th best value are ranked exactly (a partition finds it, a sort ranks
    those few); all others get the floor without a full sort."""
    k, n = x.shape
    largest = int((layout.ends - layout.starts).max()) if n else 0
    places = scored_places(step, floor, largest)
    if places is None:
        out[...] = m.rank(x, layout.groups, step=step, floor=floor, higher=higher)[0]
        return
    for _, units, lo, hi in _segments(layout, k):
        key = np.take(x[lo:hi], units, axis=1)  # ascending key, NaN last
        if higher:
            np.negative(key, out=key)
        missing = np.isnan(key)
        f = np.full(key.shape, floor)
        f[missing] = np.nan
        if places == 0:
            out[lo:hi, units] = f
            continue
        if len(units) > places:
            thr = np.partition(key, places - 1, axis=1)[:, places - 1 : places]
            thr[np.isnan(thr)] = np.inf  # fewer values than places: all of them are ranked
            cand = key <= thr
        else:
            cand = ~missing
        r, c = np.nonzero(cand)
        place = m.group_rank(key[r, c], r, descending=False)
        f[r, c] = np.maximum(1.0 - step * (place - 1.0), floor)
        out[lo:hi, units] = f


# --- leaves -------------------------------------------------------------------------------------


def batch_key(leaf: Node, columns: Any) -> Hashable | None:
    """The batch a leaf joins (leaves with equal keys are scored together), None if it is
    scored on its own by `score_leaf`."""
    method = leaf.method
    if (
        method is None
        or method.type not in BATCHED
        or leaf.input_expr is not None
        or leaf.periods
        or leaf.impute is not None
        or leaf.input is None
    ):
        return None
    column = columns.get(leaf.input)
    if column is None or column.dtype.kind != "f":
        return None  # score_leaf raises the error
    if any(isinstance(v, InputRef) for _, v in method.params):
        return None
    per_row = ROW_PARAMS.get(method.type, ())
    fixed = tuple((k, v) for k, v in method.params if k not in per_row)
    return (method.type, leaf.direction, fixed)


def _rows(leaves: Sequence[Node], name: str) -> FloatArray:
    values = []
    for leaf in leaves:
        assert leaf.method is not None
        v = leaf.method.get(name)
        if name in ("base", "cap") and v is None:
            v = leaf.full_points  # the kernels' default: the leaf's full points
        values.append(float(v))
    return np.array(values, dtype=np.float64)[:, None]


def score_block(
    leaves: Sequence[Node], x: FloatArray, layout: GroupLayout, out: FloatArray
) -> None:
    """Fractions (k, N) of `leaves` (one batch) on their stacked inputs `x` (k, N), into `out`.

    Statistics within the category run over whole rows; the element-wise arithmetic runs over
    blocks of `BLOCK_VALUES` values, so that every temporary is small: fresh memory costs a page
    fault per 4 KiB, dearer than the arithmetic itself, and small blocks are reused from the heap.
    """
    method = leaves[0].method
    assert method is not None
    mtype = method.type
    higher = leaves[0].direction == "higher"
    if mtype == "rank":
        rank(x, layout, out, step=method.get("step"), floor=method.get("floor"), higher=higher)
        return
    stats: tuple[FloatArray, FloatArray] | None = None
    if mtype == "zscore":
        stats = group_mean_std(x, layout)
    elif mtype == "frontier":
        stats = group_extremes(x, layout)
    rows = _row_params(leaves)
    k, n = x.shape
    width = max(64, BLOCK_VALUES // max(k, 1))
    for lo in range(0, n, width):
        hi = min(n, lo + width)
        block_stats = None
        if stats is not None:
            g = layout.groups[lo:hi]
            block_stats = (np.take(stats[0], g, axis=1), np.take(stats[1], g, axis=1))
        out[:, lo:hi] = _elementwise(leaves, x[:, lo:hi], rows, block_stats)


def _row_params(leaves: Sequence[Node]) -> dict[str, FloatArray]:
    method = leaves[0].method
    assert method is not None
    rows = {name: _rows(leaves, name) for name in ROW_PARAMS.get(method.type, ())}
    if method.type in ("band", "events"):
        rows["full_points"] = np.array([leaf.full_points for leaf in leaves])[:, None]
    return rows


def _elementwise(
    leaves: Sequence[Node],
    x: FloatArray,
    rows: dict[str, FloatArray],
    stats: tuple[FloatArray, FloatArray] | None,
) -> FloatArray:
    method = leaves[0].method
    assert method is not None
    mtype = method.type
    higher = leaves[0].direction == "higher"
    p = method.get
    if mtype == "target":
        return m.target(x, target=rows["target"], mode=p("mode"), cap=p("cap"), higher=higher)[0]
    if mtype == "band":
        return m.band(
            x,
            target=rows["target"],
            base_points=rows["base"],  # type: ignore[arg-type]
            full_points=rows["full_points"],  # type: ignore[arg-type]
            step=p("step"),
            relative=p("relative"),
            bonus_per_step=p("bonus_per_step"),
            bonus_cap=p("bonus_cap"),
            penalty_per_step=p("penalty_per_step"),
            floor=p("floor"),
            whole_steps=p("whole_steps"),
            higher=higher,
        )[0]
    if mtype == "efficacy":
        return m.efficacy(x, low=rows["low"], satisfactory=rows["satisfactory"], clip=p("clip"))[0]
    if mtype == "interpolate":
        return m.interpolate(
            x,
            baseline=rows["baseline"],
            benchmark=rows["benchmark"],
            floor=p("floor"),
            below=p("below"),
            higher=higher,
        )[0]
    if mtype == "goalpost":
        return m.goalpost(
            x, low=p("min"), high=p("max"), log=p("log"), cap=p("cap"), higher=higher
        )[0]
    if mtype == "zscore":
        assert stats is not None
        return m.zscore_from(x, *stats, clip_z=p("clip_z"), higher=higher)[0]
    if mtype == "frontier":
        assert stats is not None
        largest, smallest = stats
        best, worst = (largest, smallest) if higher else (smallest, largest)
        return m.frontier_from(x, best, worst, mode=p("mode"), higher=higher)[0]
    if mtype == "events":
        return m.events(
            x,
            per_event=p("per_event"),
            cap=rows["cap"],  # type: ignore[arg-type]
            full_points=rows["full_points"],  # type: ignore[arg-type]
        )[0]
    if mtype == "ratio":
        return m.ratio(x, full=rows["full"], cap=p("cap"), higher=higher)[0]
    assert mtype == "identity"
    return m.identity(x)[0]
