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
from collections.abc import Callable, Hashable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from . import inplace
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
STAT_VALUES = 1 << 17  # values per block of the exact sums within the category (1 MiB): per
# block a few dozen small operations on the (rows × categories) sums, so not too few rows


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


class Scratch:
    """Work arrays shared by the batches of one evaluation, by name: a fresh array of a few
    hundred KiB is fresh pages every time (a fault per 4 KiB), dearer than the work in it."""

    def __init__(self) -> None:
        self._arrays: dict[str, npt.NDArray[Any]] = {}
        self._memo: dict[Hashable, Any] = {}

    def get(self, name: str, shape: tuple[int, ...], dtype: Any = np.float64) -> npt.NDArray[Any]:
        """An uninitialised array of `shape`, reusing the memory of the last one of `name`."""
        size = math.prod(shape)
        a = self._arrays.get(name)
        if a is None or a.size < size or a.dtype != dtype:
            a = self._arrays[name] = np.empty(size, dtype=dtype)
        return a[:size].reshape(shape)

    def memo(self, key: Hashable, make: Callable[[], Any]) -> Any:
        """`make()`, computed once per key (for what depends on the units' layout alone)."""
        if key not in self._memo:
            self._memo[key] = make()
        return self._memo[key]


def group_extremes(
    x: FloatArray | Sequence[FloatArray], layout: GroupLayout, scratch: Scratch | None = None
) -> tuple[FloatArray, FloatArray]:
    """Per row of `x` ((k, N), or k rows of N) and category (k, G): the largest and the
    smallest non-missing value — `methods.group_extreme` for a batch (NaN where a category has
    no value or its extreme is infinite). Each row is gathered category by category and
    reduced over its segments in that order (`reduceat` runs the reduction of `reduce`)."""
    k = len(x)
    n = layout.groups.size
    largest = np.full((k, layout.n_groups), np.nan)
    smallest = np.full((k, layout.n_groups), np.nan)
    used = layout.ends > layout.starts
    starts = layout.starts[used]
    step = max(1, STAT_VALUES // max(n, 1))
    seg = (scratch or Scratch()).get("statistics0", (min(step, k), n))
    for lo in range(0, k, step):
        hi = min(k, lo + step)
        block = seg[: hi - lo]
        for r in range(lo, hi):
            x[r].take(layout.order, out=block[r - lo], mode="clip")
        if starts.size:
            largest[lo:hi, used] = np.fmax.reduceat(block, starts, axis=1)
            smallest[lo:hi, used] = np.fmin.reduceat(block, starts, axis=1)
    for ext in (largest, smallest):
        ext[np.isinf(ext)] = np.nan
        ext += 0.0  # a signed zero as `methods.group_extreme` gives it: +0.0 always
    return largest, smallest


def group_mean_std(
    x: FloatArray | Sequence[FloatArray], layout: GroupLayout, scratch: Scratch | None = None
) -> tuple[FloatArray, FloatArray]:
    """Per row of `x` ((k, N), or k rows of N) and category (k, G): `methods.group_mean_std` —
    a few rows at a time (`methods.group_mean_std_rows`, which computes every row on its own:
    the same bits), each row gathered category by category straight from its column."""
    k = len(x)
    n = layout.groups.size
    mean = np.empty((k, layout.n_groups))
    std = np.empty((k, layout.n_groups))
    step = max(1, STAT_VALUES // max(n, 1))
    sizes = layout.ends - layout.starts
    # reused work arrays: fresh ones of this size would be fresh pages every time
    work = scratch or Scratch()
    arrays = tuple(work.get(f"statistics{i}", (step * n,)) for i in range(3))
    for lo in range(0, k, step):
        hi = min(k, lo + step)
        xs = arrays[0][: (hi - lo) * n].reshape(hi - lo, n)
        for r in range(lo, hi):
            x[r].take(layout.order, out=xs[r - lo], mode="clip")
        mean[lo:hi], std[lo:hi] = m.group_mean_std_rows(
            xs, layout.order, sizes, arrays,  # type: ignore[arg-type]
            ordered=True, sorted_groups=layout.sorted_groups,
        )  # fmt: skip
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
    x: FloatArray | Sequence[FloatArray],
    layout: GroupLayout,
    out: FloatArray,
    *,
    step: float,
    floor: float,
    higher: bool,
    absent: Sequence[IntArray | None] | None = None,
    scratch: Scratch | None = None,
) -> None:
    """The fractions of `methods.rank` for a batch ((k, N), or k rows of N), bit for bit, into
    `out`; `absent`: per row the units whose value is missing, None for a row without any.

    Places below the m-th (see `scored_places`) all score the floor, so only a few units per
    category are ranked exactly. Cut the category into blocks (in layout order) and take τ,
    the m-th best of the blocks' best values: the m blocks with the best bests hold m values
    at least as good as τ, so every unit worse than τ has m better ones and scores the floor.
    The units at least as good as τ (a few times m) are the candidates; a candidate's place
    counts only better units, all of them candidates too, so ranking the candidates alone
    gives exact places. The blocks decide how many candidates there are, never a fraction.
    No partition of the whole category, no full sort."""
    k, n = out.shape
    places = scored_places(step, floor, int((layout.ends - layout.starts).max()) if n else 0)
    if places is None:
        stacked = np.asarray(x).reshape(k, n)
        out[...] = m.rank(stacked, layout.groups, step=step, floor=floor, higher=higher)[0]
        return
    out[...] = floor
    for j in range(k):
        units = np.flatnonzero(np.isnan(x[j])) if absent is None else absent[j]
        if units is not None:
            out[j, units] = np.nan
    for rows, units, fractions in rank_candidates(
        x, layout, step=step, floor=floor, higher=higher, places=places, scratch=scratch
    ):
        out[rows, units] = fractions


def rank_candidates(
    x: FloatArray | Sequence[FloatArray],
    layout: GroupLayout,
    *,
    step: float,
    floor: float,
    higher: bool,
    places: int,
    scratch: Scratch | None = None,
) -> Iterator[tuple[IntArray, IntArray, FloatArray]]:
    """The units of `rank` that score above the floor, a few rows of `x` at a time: (rows,
    units, fractions), rows ascending; every other unit scores the floor (NaN if missing)."""
    k = len(x)
    n = layout.groups.size
    if places == 0 or k == 0:
        return
    sizes = layout.ends - layout.starts
    largest = int(sizes.max())
    n_groups = len(sizes)
    width = max(1, largest // (4 * places))
    per_cat = -(-sizes // width)  # blocks per category
    cat_of_block = np.repeat(np.arange(n_groups), per_cat)
    first_block = np.cumsum(per_cat) - per_cat
    pos_in_cat = np.arange(len(cat_of_block)) - first_block[cat_of_block]
    most = int(per_cat.max())
    n_blocks = len(cat_of_block)
    if n_groups * width > n:  # many small categories beside a large one: the grid is mostly empty
        yield from _rank_by_segments(x, layout, step, floor, higher, places, width, per_cat)
        return
    work = scratch or Scratch()
    n_slots = width * n_blocks
    unit_at, empty_slots = work.memo(("rank grid", width), lambda: _rank_grid(layout, width))
    rows = max(1, (2 * STAT_VALUES) // max(n_slots, 1))
    key = work.get("statistics0", (min(rows, k), width, n_blocks))
    below = work.get("mask", (min(rows, k), width, n_blocks), bool)
    hot = work.get("row", (n,))  # a row is copied (read in order) before it is gathered from
    for lo in range(0, k, rows):
        hi = min(k, lo + rows)
        kb = key[: hi - lo]
        flat = kb.reshape(hi - lo, n_slots)
        for row in range(lo, hi):
            np.copyto(hot, x[row])
            hot.take(unit_at, out=flat[row - lo], mode="clip")
        if empty_slots.size:
            flat[:, empty_slots] = np.nan
        if higher:
            np.negative(kb, out=kb)  # ascending key, NaN last
        candidate = below[: hi - lo]
        if most >= places:
            best = np.fmin.reduce(kb, axis=1)  # NaN only for all-NaN blocks
            best[np.isnan(best)] = np.inf
            grid = np.full((hi - lo, n_groups, most), np.inf)
            grid[:, cat_of_block, pos_in_cat] = best
            tau = np.partition(grid, places - 1, axis=2)[:, :, places - 1]  # inf: too few
            np.less_equal(kb, np.take(tau, cat_of_block, axis=1)[:, None, :], out=candidate)
        else:  # fewer blocks than places: every unit is a candidate
            np.isnan(kb, out=candidate)
            np.logical_not(candidate, out=candidate)
        r, s = np.divmod(np.flatnonzero(candidate), n_slots)
        units = unit_at[s]
        place = m.group_rank(flat[r, s], r * n_groups + layout.groups[units], descending=False)
        yield lo + r, units, np.maximum(1.0 - step * (place - 1.0), floor)


def _rank_grid(layout: GroupLayout, width: int) -> tuple[IntArray, IntArray]:
    """The (width, blocks) grid of `rank` (flat): the unit at each place, and the empty places.

    Block b of a category holds its units b, b + B, b + 2B, … (B: its number of blocks): the
    units of column b of the grid, so that the blocks' bests are one reduction over the grid's
    first axis. Empty places hold NaN: never a block's best nor a candidate."""
    sizes = layout.ends - layout.starts
    per_cat = -(-sizes // width)
    first_block = np.cumsum(per_cat) - per_cat
    n_blocks = int(per_cat.sum())
    g = layout.sorted_groups
    i = np.arange(len(g)) - layout.starts[g]
    slot = (i // per_cat[g]) * n_blocks + first_block[g] + i % per_cat[g]
    unit_at = np.zeros(width * n_blocks, dtype=np.intp)
    unit_at[slot] = layout.order
    empty = np.ones(width * n_blocks, dtype=bool)
    empty[slot] = False
    return unit_at, np.flatnonzero(empty)


def _rank_by_segments(
    x: FloatArray | Sequence[FloatArray],
    layout: GroupLayout,
    step: float,
    floor: float,
    higher: bool,
    places: int,
    width: int,
    per_cat: IntArray,
) -> Iterator[tuple[IntArray, IntArray, FloatArray]]:
    """The candidates of `rank` with blocks of `width` consecutive units of a category (in
    layout order), for layouts whose (width, blocks) grid would be mostly empty."""
    k = len(x)
    n = layout.groups.size
    n_groups = len(per_cat)
    cat_of_block = np.repeat(np.arange(n_groups), per_cat)
    pos_in_cat = np.arange(len(cat_of_block)) - (np.cumsum(per_cat) - per_cat)[cat_of_block]
    block_starts = layout.starts[cat_of_block] + pos_in_cat * width
    most = int(per_cat.max())
    rows = max(1, STAT_VALUES // max(n, 1))
    key = np.empty((min(rows, k), n))
    for lo in range(0, k, rows):
        hi = min(k, lo + rows)
        kb = key[: hi - lo]
        for row in range(lo, hi):
            x[row].take(layout.order, out=kb[row - lo], mode="clip")  # category by category
        if higher:
            np.negative(kb, out=kb)  # ascending key, NaN last
        if most >= places:
            best = np.fmin.reduceat(kb, block_starts, axis=1)  # NaN only for all-NaN blocks
            best[np.isnan(best)] = np.inf
            grid = np.full((hi - lo, n_groups, most), np.inf)
            grid[:, cat_of_block, pos_in_cat] = best
            tau = np.partition(grid, places - 1, axis=2)[:, :, places - 1]  # inf: too few
            candidate = kb <= np.repeat(tau, layout.ends - layout.starts, axis=1)
        else:  # fewer blocks than places: every unit is a candidate
            candidate = ~np.isnan(kb)
        r, c = np.divmod(np.flatnonzero(candidate), n)
        place = m.group_rank(kb[r, c], r * n_groups + layout.sorted_groups[c], descending=False)
        yield lo + r, layout.order[c], np.maximum(1.0 - step * (place - 1.0), floor)


# --- leaves -------------------------------------------------------------------------------------


def batch_key(leaf: Node, columns: Any) -> Hashable | None:
    """The batch a leaf joins (leaves with equal keys are scored together), None if it is
    scored on its own by `score_leaf`."""
    return input_batch_key(leaf, method_batch_key(leaf), columns)


def input_batch_key(leaf: Node, key: Hashable | None, columns: Any) -> Hashable | None:
    """`batch_key` from the leaf's `method_batch_key`: None too if its input column is absent
    or does not hold numbers."""
    if key is None:
        return None
    column = columns.get(leaf.input)
    if column is None or column.dtype.kind != "f":
        return None  # score_leaf raises the error
    return key


def method_batch_key(leaf: Node) -> Hashable | None:
    """The part of `batch_key` that depends on the scheme alone, not on the input table."""
    method = leaf.method
    if (
        method is None
        or method.type not in BATCHED
        or leaf.input_expr is not None
        or leaf.periods
        or leaf.impute is not None
        or leaf.input is None
        or any(isinstance(v, InputRef) for _, v in method.params)
    ):
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
    leaves: Sequence[Node],
    columns: Sequence[FloatArray],
    layout: GroupLayout,
    out: FloatArray,
    scratch: Scratch | None = None,
) -> list[tuple[int, IntArray]]:
    """Fractions (k, N) of `leaves` (one batch) on their input columns, into `out`; returns
    (position in `leaves`, units) for every leaf with missing inputs.

    With few units (a city) the inputs are stacked into (k, N) blocks of a few rows
    (`score_block`): one kernel call per block costs less than one per leaf. Otherwise every
    leaf is scored straight into its row of `out`, reading its column in place: element-wise
    methods one leaf at a time (`ColumnScorer`), the statistics within the category row by
    row, each row gathered category by category from its column. No stacked copy of the
    inputs, no temporary of a row's size, one `isnan` per column for the reasons and the
    kernels alike. Element-wise arithmetic gives the same bits over either shape."""
    method = leaves[0].method
    assert method is not None
    k = len(leaves)
    n = out.shape[1]
    gaps: list[tuple[int, IntArray]] = []
    if n <= STACK_UNITS:
        step = max(1, CHUNK_VALUES // max(n, 1))
        block = np.empty((min(step, k), n))
        for lo in range(0, k, step):
            hi = min(k, lo + step)
            x = block[: hi - lo]
            for j in range(lo, hi):
                x[j - lo] = columns[j]
            score_block(leaves[lo:hi], x, layout, out[lo:hi])
            absent = np.isnan(x)
            for j in np.flatnonzero(absent.any(axis=1)).tolist():
                gaps.append((lo + j, np.flatnonzero(absent[j])))
        return gaps
    scratch = scratch or Scratch()
    scorer = column_scorer(leaves, n, scratch)
    if scorer is not None:
        for j, column in enumerate(columns):
            units = scorer.score(j, column, out[j : j + 1])
            if units is not None:
                gaps.append((j, units))
        return gaps
    missing: list[IntArray | None] = []
    mask = scratch.get("missing", (n,), bool)
    for j, column in enumerate(columns):
        units = _missing_units(column, mask)
        if units is not None:
            gaps.append((j, units))
        missing.append(units)
    work = inplace.Work(scratch.get("work", (3, 1, n)), scratch.get("work masks", (2, 1, n), bool))
    with np.errstate(divide="ignore", invalid="ignore"):  # as the kernels, where they divide
        _score_statistics(leaves, columns, layout, out, missing, work, scratch)
    return gaps


def _missing_units(column: FloatArray, mask: BoolArray) -> IntArray | None:
    """The units whose value in `column` is missing, None when none is; `mask` (N,) is work
    space. np.minimum propagates NaN, so the least value is NaN exactly when a value is
    missing: one pass, no mask (made only then), and unlike a sum it never overflows (no
    `np.errstate` to enter for every column)."""
    if not np.isnan(np.minimum.reduce(column)):
        return None
    return np.isnan(column, out=mask).nonzero()[0]


def column_scorer(leaves: Sequence[Node], n: int, scratch: Scratch) -> ColumnScorer | None:
    """The `ColumnScorer` of a batch of element-wise leaves on `n` units; None for a batch that
    `score_batch` scores as a whole (few units, or statistics within the category)."""
    method = leaves[0].method
    assert method is not None
    if n <= STACK_UNITS or method.type not in inplace.TWINS:
        return None
    return ColumnScorer(leaves, n, scratch)


class ColumnScorer:
    """The element-wise leaves of one batch at province scale, each scored on its own by its
    in-place twin (`inplace.py`), reading its column in place and writing its row. A leaf's
    fractions depend on its own column alone, so the leaves may be scored in any order:
    `evaluate` scores each one just before it aggregates the leaf's parent, while the row is
    still in cache, instead of reading every row back from memory."""

    def __init__(self, leaves: Sequence[Node], n: int, scratch: Scratch) -> None:
        method = leaves[0].method
        assert method is not None
        self._leaves = leaves
        self._rows = _row_params(leaves)
        self._twin = inplace.TWINS[method.type]
        self._params = dict(method.params)
        self._higher = leaves[0].direction == "higher"
        f, b = scratch.get("work", (3, 1, n)), scratch.get("work masks", (2, 1, n), bool)
        self._work = inplace.Work(f, b)
        self._mask = scratch.get("missing", (n,), bool)

    def score(self, j: int, column: FloatArray, out: FloatArray) -> IntArray | None:
        """The fractions of leaf `j` of the batch on its input `column` (N,), into `out`
        (1, N); returns the units whose input is missing (None: none)."""
        absent = _missing_units(column, self._mask)
        own = {name: v[j : j + 1] for name, v in self._rows.items()}
        x = column[None, :]
        with np.errstate(divide="ignore", invalid="ignore"):  # as the kernels, where they divide
            leaf = inplace.Leaf(x, out, self._work, own, self._params, self._higher, absent)
            if not self._twin(leaf):
                n = x.shape[1]
                for lo in range(0, n, BLOCK_VALUES):  # a case the twin leaves to the kernel
                    hi = min(n, lo + BLOCK_VALUES)
                    out[:, lo:hi] = _elementwise([self._leaves[j]], x[:, lo:hi], own, None)
        return absent


def _score_statistics(
    leaves: Sequence[Node],
    columns: Sequence[FloatArray],
    layout: GroupLayout,
    out: FloatArray,
    absent: Sequence[IntArray | None],
    work: inplace.Work,
    scratch: Scratch,
) -> None:
    """`score_batch` for many units and a method of statistics within the category (`rank`,
    `zscore`, `frontier`): every leaf straight into its row of `out`."""
    method = leaves[0].method
    assert method is not None
    mtype = method.type
    higher = leaves[0].direction == "higher"
    k, n = out.shape
    if mtype == "rank":
        rank(columns, layout, out, step=method.get("step"), floor=method.get("floor"),
             higher=higher, absent=absent, scratch=scratch)  # fmt: skip
        return
    assert mtype in ("zscore", "frontier")
    # a few rows at a time, copied together: the statistics and the scores read them hot
    step = max(1, STAT_VALUES // max(n, 1))
    block = scratch.get("rows", (min(step, k), n))
    present = layout.ends > layout.starts
    for lo in range(0, k, step):
        hi = min(k, lo + step)
        xb = block[: hi - lo]
        for j in range(lo, hi):
            np.copyto(xb[j - lo], columns[j])
        if mtype == "zscore":
            mean, std = group_mean_std(xb, layout, scratch)
            for j in range(lo, hi):
                inplace.zscore_into(xb[j - lo : j - lo + 1], out[j : j + 1], work,
                                    mean[j - lo], std[j - lo], layout.groups, present,
                                    clip_z=method.get("clip_z"), higher=higher)  # fmt: skip
            continue
        largest, smallest = group_extremes(xb, layout, scratch)
        best, worst = (largest, smallest) if higher else (smallest, largest)
        for j in range(lo, hi):
            inplace.frontier_into(xb[j - lo : j - lo + 1], out[j : j + 1], work,
                                  best[j - lo], worst[j - lo], layout.groups,
                                  mode=method.get("mode"), higher=higher,
                                  absent=absent[j])  # fmt: skip


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
