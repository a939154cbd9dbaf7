"""Batched leaf scoring for `evaluate`: leaves that share a method are scored together.

A leaf qualifies when it reads one numeric input column in one period, imputes nothing and
takes no per-unit parameter; leaves of the same method type, direction and non-numeric
parameters form a batch, scored straight into consecutive rows of the fraction array
(`score_batch`): element-wise methods column by column in place, with their numeric
parameters (targets, baselines, points) as (1, 1) columns; `rank`, `zscore` and `frontier`
(and every method when there are few units) over inputs stacked into (k, N) blocks, the
parameters (k, 1) columns. The kernels are those of a single leaf (`methods.py`), run a few
thousand values at a time so that their temporaries stay in cache. Element-wise arithmetic
does not depend on the shape it runs over, so a batch gives every leaf the same bits as
`context.score_leaf`; the statistics within the category below compute every row on its own,
with the same functions as the per-leaf kernels (or, for `rank`, provably the same places).
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
STACK_UNITS = BLOCK_VALUES // 4  # up to this many units element-wise leaves are stacked too
STAT_VALUES = 1 << 16  # values per block of the exact sums within the category (512 KiB)


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
    """Per row of `x` (k, N) and category (k, G): `methods.group_mean_std` — a few rows at a
    time (`methods.group_mean_std_rows`, which computes every row on its own: the same bits)."""
    k, n = x.shape
    mean = np.empty((k, layout.n_groups))
    std = np.empty((k, layout.n_groups))
    step = max(1, STAT_VALUES // max(n, 1))
    sizes = layout.ends - layout.starts
    # reused work arrays: fresh ones of this size would be fresh pages every time
    scratch = (np.empty(step * n), np.empty(step * n), np.empty(step * n))
    for lo in range(0, k, step):
        hi = min(k, lo + step)
        mean[lo:hi], std[lo:hi] = m.group_mean_std_rows(x[lo:hi], layout.order, sizes, scratch)
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

    Places below the m-th (see `scored_places`) all score the floor, so only a few units per
    category are ranked exactly. Cut the category into blocks (in layout order) and take τ,
    the m-th best of the blocks' best values: the m blocks with the best bests hold m values
    at least as good as τ, so every unit worse than τ has m better ones and scores the floor.
    The units at least as good as τ (a few times m) are the candidates; a candidate's place
    counts only better units, all of them candidates too, so ranking the candidates alone
    gives exact places. The blocks decide how many candidates there are, never a fraction.
    No partition of the whole category, no full sort."""
    k, n = x.shape
    sizes = layout.ends - layout.starts
    largest = int(sizes.max()) if n else 0
    places = scored_places(step, floor, largest)
    if places is None:
        out[...] = m.rank(x, layout.groups, step=step, floor=floor, higher=higher)[0]
        return
    out[...] = floor
    missing = np.isnan(x)
    if missing.any():
        out[missing] = np.nan
    if places == 0 or k == 0:
        return
    n_groups = len(sizes)
    width = max(1, largest // (4 * places))
    per_cat = -(-sizes // width)  # blocks per category
    cat_of_block = np.repeat(np.arange(n_groups), per_cat)
    pos_in_cat = np.arange(len(cat_of_block)) - (np.cumsum(per_cat) - per_cat)[cat_of_block]
    block_starts = layout.starts[cat_of_block] + pos_in_cat * width
    most = int(per_cat.max())
    rows = max(1, STAT_VALUES // max(n, 1))
    key = np.empty((min(rows, k), n))
    for lo in range(0, k, rows):
        hi = min(k, lo + rows)
        kb = key[: hi - lo]
        np.take(x[lo:hi], layout.order, axis=1, out=kb)  # category by category
        if higher:
            np.negative(kb, out=kb)  # ascending key, NaN last
        if most >= places:
            best = np.fmin.reduceat(kb, block_starts, axis=1)  # NaN only for all-NaN blocks
            best[np.isnan(best)] = np.inf
            grid = np.full((hi - lo, n_groups, most), np.inf)
            grid[:, cat_of_block, pos_in_cat] = best
            tau = np.partition(grid, places - 1, axis=2)[:, :, places - 1]  # inf: too few
            candidate = kb <= np.repeat(tau, sizes, axis=1)
        else:  # fewer blocks than places: every unit is a candidate
            candidate = ~np.isnan(kb)
        r, c = np.nonzero(candidate)
        place = m.group_rank(kb[r, c], r * n_groups + layout.sorted_groups[c], descending=False)
        out[lo + r, layout.order[c]] = np.maximum(1.0 - step * (place - 1.0), floor)


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


def score_batch(
    leaves: Sequence[Node], columns: Sequence[FloatArray], layout: GroupLayout, out: FloatArray
) -> list[tuple[int, IntArray]]:
    """Fractions (k, N) of `leaves` (one batch) on their input columns, into `out`; returns
    (position in `leaves`, units) for every leaf with missing inputs.

    Methods with statistics within the category stack their inputs into (k, N) blocks of a few
    rows (`score_block`), and so do all methods when there are few units; otherwise element-wise
    methods read every column in place, `BLOCK_VALUES` values at a time, and write into `out`
    directly: no stacked copy of the inputs. Element-wise arithmetic gives the same bits over
    either shape."""
    method = leaves[0].method
    assert method is not None
    k = len(leaves)
    n = out.shape[1]
    gaps: list[tuple[int, IntArray]] = []
    if method.type in ("rank", "zscore", "frontier") or n <= STACK_UNITS:
        # few units (a city): one kernel call per block of leaves costs less than one per leaf
        step = max(1, CHUNK_VALUES // max(n, 1))
        block = np.empty((min(step, k), n))
        for lo in range(0, k, step):
            hi = min(k, lo + step)
            x = block[: hi - lo]
            for j in range(lo, hi):
                x[j - lo] = columns[j]
            score_block(leaves[lo:hi], x, layout, out[lo:hi])
            missing = np.isnan(x)
            for j in np.flatnonzero(missing.any(axis=1)).tolist():
                gaps.append((lo + j, np.flatnonzero(missing[j])))
        return gaps
    rows = _row_params(leaves)
    for j, leaf in enumerate(leaves):
        own = {name: v[j : j + 1] for name, v in rows.items()}
        column = columns[j][None, :]
        for lo in range(0, n, BLOCK_VALUES):
            hi = min(n, lo + BLOCK_VALUES)
            out[j : j + 1, lo:hi] = _elementwise([leaf], column[:, lo:hi], own, None)
        lacking = np.isnan(columns[j])
        if lacking.any():
            gaps.append((j, np.flatnonzero(lacking)))
    return gaps


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
