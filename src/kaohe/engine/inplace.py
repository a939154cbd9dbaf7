"""In-place twins of the element-wise kernels of `methods.py`, for the batched leaves of a
province-scale evaluation (`batch.score_batch`).

Each twin writes one leaf's fractions straight into its row of the fraction array, with the
same floating-point operations on the same operands in the same order as its kernel — so the
same bits, NaN payloads included — but without the kernel's temporaries, its intermediate
arrays for the explanation (dropped by `evaluate` anyway) or the copy of the result into the
row. Work arrays come from `Work`, allocated once per batch. A twin returns False where it
does not cover the case (the kernel is then run instead); `absent` lists the units whose
input is missing, None when the column has none; `p` the method's parameters. The caller ignores
division by zero and invalid operations (`np.errstate`), as the kernels do where they divide.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.intp]


class Work:
    """Work rows (1, N) for the twins, reused leaf by leaf: `f` (3, 1, N) of float64, `b`
    (2, 1, N) of bool, and rows of one constant each (`const`)."""

    def __init__(self, f: FloatArray, b: BoolArray) -> None:
        self.f = f
        self.b = b
        self._constants: dict[str, FloatArray] = {}

    def const(self, value: float) -> FloatArray:
        """A row holding `value` everywhere. np.maximum and np.minimum give the same bits with
        it as with the number itself (both return the second operand of equal ones, and NaN
        from either), at half the cost: their loop with a repeated number is not vectorised."""
        key = float(value).hex()  # -0.0 apart from 0.0
        row = self._constants.get(key)
        if row is None:
            row = self._constants[key] = np.full(self.f.shape[1:], value, dtype=np.float64)
        return row


class Leaf(NamedTuple):
    """What a twin scores: one leaf's input row `x` (1, N), its row `o` of the fraction array
    to write, the work rows, the leaf's own parameter rows (`rows`: targets, full points …),
    the method's parameters (`p`, read with .get), its direction and the units whose input is
    missing (None: none)."""

    x: FloatArray
    o: FloatArray
    w: Work
    rows: Mapping[str, FloatArray]
    p: Any
    higher: bool
    absent: IntArray | None


Twin = Callable[[Leaf], bool]


def _mark_missing(o: FloatArray, absent: IntArray | None) -> None:
    """`methods._keep_missing`: NaN (np.nan itself) where the input is missing; set at the
    units listed, not through a mask: a few units, not a pass over all of them."""
    if absent is not None:
        o[..., absent] = np.nan


def target_into(leaf: Leaf) -> bool:
    """`methods.target`."""
    x, o, _w, rows, p, higher, absent = leaf
    t = rows["target"]
    if p.get("mode") == "all_or_nothing":
        (np.greater_equal if higher else np.less_equal)(x, t, out=o)  # True → 1.0
        _mark_missing(o, absent)
        return True
    np.divide(x, t, out=o) if higher else np.divide(t, x, out=o)
    o.clip(0.0, p.get("cap"), out=o)
    return True


def band_into(leaf: Leaf) -> bool:
    """`methods.band`. The deviation and then the steps are formed in `o` itself, so that the
    work stays in cache."""
    x, o, w, rows, p, higher, absent = leaf
    t, base, full = rows["target"], rows["base"], rows["full_points"]
    floor = p.get("floor")
    bonus, penalty = p.get("bonus_per_step"), p.get("penalty_per_step")
    met = w.b[0]
    np.subtract(x, t, out=o) if higher else np.subtract(t, x, out=o)  # the deviation
    if p.get("relative"):
        np.divide(o, np.abs(t), out=o)
        o *= 100.0
    np.greater_equal(o, 0, out=met)
    o /= p.get("step")  # the steps
    if p.get("whole_steps"):
        np.floor(o, out=o)
    won = w.f[0]
    if bonus:
        np.multiply(o, bonus, out=won)
        np.minimum(won, w.const(p.get("bonus_cap")), out=won)
        won += base
    else:
        np.copyto(won, base)
    if penalty is None:
        missed: FloatArray | float = floor
    else:
        missed = o  # the steps are no longer needed
        missed *= penalty
        missed += base
    points = o
    _where_into(met, won, missed, points, w)
    np.maximum(points, w.const(floor), out=points)
    if penalty is None:
        _mark_missing(points, absent)
    np.divide(points, full, out=o)
    return True


def _where_into(
    cond: BoolArray, a: FloatArray, b: FloatArray | float, out: FloatArray, w: Work
) -> None:
    """`np.where(cond, a, b)` into `out`, bit for bit: the bits of `a` where `cond` holds,
    else those of `b`, selected by masking (b ^ ((a ^ b) & mask)). np.where and a masked copy
    branch on every value, and mispredict half the time when `cond` is as often true as not:
    3-4× slower than the five passes of masking at province scale. `a` must be `w.f[0]`
    (it is overwritten); `b` may be `out` itself, or a number; `w.f[1]` holds the mask."""
    mask = w.f[1].view(np.uint64)
    np.copyto(mask, cond)  # 0 or 1
    np.negative(mask, out=mask)  # 0 or all ones
    a_bits = a.view(np.uint64)
    b_bits = np.asarray(b, dtype=np.float64).view(np.uint64)
    np.bitwise_xor(a_bits, b_bits, out=a_bits)
    a_bits &= mask
    np.bitwise_xor(a_bits, b_bits, out=out.view(np.uint64))


def efficacy_into(leaf: Leaf) -> bool:
    """`methods.efficacy`."""
    x, o, _w, rows, p, _higher, _absent = leaf
    low, satisfactory = rows["low"], rows["satisfactory"]
    clip = p.get("clip")
    np.subtract(x, low, out=o)
    o *= 40.0 / (np.asarray(satisfactory, dtype=np.float64) - low)
    o += 60.0
    o.clip(clip[0], clip[1], out=o)
    o /= 100.0
    return True


def interpolate_into(leaf: Leaf) -> bool:
    """`methods._interpolate_towards` (the benchmark beyond the baseline, floor below 1); the
    other cases are left to `methods.interpolate`."""
    x, o, w, rows, p, higher, _absent = leaf
    b, m = rows["baseline"], rows["benchmark"]
    floor = p.get("floor")
    span = m - b
    if not (floor < 1.0 and ((span > 0).all() if higher else (span < 0).all())):
        return False
    zero = p.get("below") == "zero"
    progress = w.f[0] if zero else o  # without `below: zero` progress is not read again
    np.subtract(x, b, out=progress)
    progress /= span
    np.minimum(progress, w.const(1.0), out=progress)
    np.multiply(progress, 1.0 - floor, out=o)
    o += floor
    np.minimum(o, w.const(1.0), out=o)
    if zero:
        np.maximum(o, w.const(0.0), out=o)
        np.greater_equal(progress, 0.0, out=w.b[0])
        np.multiply(o, w.b[0], out=o)
    else:
        np.maximum(o, w.const(floor), out=o)
    return True


def goalpost_into(leaf: Leaf) -> bool:
    """`methods.goalpost`."""
    x, o, w, _rows, p, higher, absent = leaf
    low, high, log = p.get("min"), p.get("max"), p.get("log")
    mask = w.b[0]
    if log:
        np.log(x, out=o)
        np.less(x, 0, out=mask)
        np.copyto(o, -np.inf, where=mask)
        lo, hi = np.log(low), np.log(high)
        v = o
    else:
        lo, hi = low, high
        v = x
    np.subtract(v, lo, out=o) if higher else np.subtract(hi, v, out=o)
    o /= hi - lo
    if p.get("cap"):
        o.clip(0.0, 1.0, out=o)
    elif log:
        np.greater(x, 0, out=mask)
        np.logical_not(mask, out=mask)
        np.copyto(o, np.nan, where=mask)
    _mark_missing(o, absent)
    return True


def events_into(leaf: Leaf) -> bool:
    """`methods.events` (with `methods.events_deduction`)."""
    x, o, w, rows, p, _higher, absent = leaf
    full = rows["full_points"]
    np.maximum(x, w.const(0.0), out=o)
    np.multiply(p.get("per_event"), o, out=o)
    np.minimum(rows["cap"], o, out=o)
    np.subtract(full, o, out=o)
    np.divide(o, full, out=o)
    _mark_missing(o, absent)
    return True


def ratio_into(leaf: Leaf) -> bool:
    """`methods.ratio`."""
    x, o, _w, rows, p, higher, absent = leaf
    full = rows["full"]
    np.divide(x, full, out=o) if higher else np.divide(np.asarray(full), x, out=o)
    o.clip(0.0, p.get("cap"), out=o)
    _mark_missing(o, absent)
    return True


def identity_into(leaf: Leaf) -> bool:
    """`methods.identity`."""
    x, o, _w, _rows, _p, _higher, _absent = leaf
    np.copyto(o, x)
    return True


TWINS: dict[str, Twin] = {
    "target": target_into,
    "band": band_into,
    "efficacy": efficacy_into,
    "interpolate": interpolate_into,
    "goalpost": goalpost_into,
    "events": events_into,
    "ratio": ratio_into,
    "identity": identity_into,
}


def zscore_into(
    x: FloatArray,
    o: FloatArray,
    w: Work,
    mean: FloatArray,
    std: FloatArray,
    groups: npt.NDArray[np.intp],
    present: BoolArray,
    *,
    clip_z: float,
    higher: bool,
) -> None:
    """`methods.zscore_from` on one row, from the category statistics (G,) of that row;
    `present` marks the categories that have units."""
    buf = w.f[0]
    mean.take(groups, out=buf[0], mode="clip")
    np.subtract(x, buf, out=o)
    std.take(groups, out=buf[0], mode="clip")
    spread = std > 0
    if spread[present].all():
        np.divide(o, buf, out=o)
    else:
        mask, other = w.b[0], w.b[1]
        spread.take(groups, out=mask[0], mode="clip")
        np.divide(o, buf, out=o, where=mask)
        np.isnan(x, out=other)
        np.logical_or(mask, other, out=mask)
        np.logical_not(mask, out=mask)  # ~spread & ~isnan(x)
        np.copyto(o, 0.0, where=mask)
    if not higher:
        np.negative(o, out=o)
    o /= 2.0 * clip_z
    o += 0.5
    o.clip(0.0, 1.0, out=o)


def frontier_into(
    x: FloatArray,
    o: FloatArray,
    w: Work,
    best: FloatArray,
    worst: FloatArray,
    groups: npt.NDArray[np.intp],
    *,
    mode: str,
    higher: bool,
    absent: IntArray | None,
) -> None:
    """`methods.frontier_from` on one row, from the category's best and worst values (G,)."""
    buf = w.f[0]
    mask = w.b[0]
    if mode == "ratio":
        best.take(groups, out=buf[0], mode="clip")
        np.divide(x, buf, out=o) if higher else np.divide(buf, x, out=o)
        np.equal(x, buf, out=mask)
        np.copyto(o, 1.0, where=mask)
        o.clip(0.0, 1.0, out=o)
        return
    span = best - worst
    flat = span == 0
    worst.take(groups, out=buf[0], mode="clip")
    np.subtract(x, buf, out=o)
    np.take(np.where(flat, 1.0, span), groups, out=buf[0], mode="clip")
    np.divide(o, buf, out=o)
    flat.take(groups, out=mask[0], mode="clip")
    np.copyto(o, 1.0, where=mask)  # np.where(span != 0, ·, 1.0)
    o.clip(0.0, 1.0, out=o)
    _mark_missing(o, absent)
