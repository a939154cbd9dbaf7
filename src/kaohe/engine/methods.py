"""Indicator scoring kernels: small vectorised numpy functions, one per method.

Each kernel takes the input values of all units at once (NaN = missing, which stays NaN) and
returns ``(fraction, details)``: the share of the node's full points earned by every unit and
a dict of intermediate arrays (target, place, steps, ...) that the explanation tree shows.
Kernels do not validate their parameters; `kaohe.engine.scheme` does that once, at load time.
Numbers in brackets refer to SCORING-RULES.md.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
Param = float | FloatArray
Details = dict[str, npt.NDArray[np.generic]]
Output = tuple[FloatArray, Details]


# --- grouped helpers (rank and statistics within the category) -------------------------------


def group_rank(values: FloatArray, groups: IntArray, *, descending: bool = True) -> FloatArray:
    """Rank within each group, ties sharing the better place ('min'); NaN values get NaN.

    `values` may be (N,) or a batch (B, N); `groups` is (N,) with codes 0..G-1. One sort
    serves all (batch, group) pairs at once: no loop over draws or categories.
    """
    return GroupOrder(values, groups, descending=descending).places()


class GroupOrder:
    """The units of every group sorted by value (best first, NaN last), for `group_rank` and
    for the ranks among a subset of the units or counted from the bottom, from one sort.

    `values` may be (N,) or a batch (B, N); `groups` is (N,) with codes 0..G-1."""

    def __init__(self, values: FloatArray, groups: IntArray, *, descending: bool = True) -> None:
        v = np.asarray(values, dtype=np.float64)
        self.values = v
        self.shape = v.shape
        if v.size == 0:
            return
        n = self.shape[-1]
        flat = v.reshape(-1, n)
        n_groups = int(groups.max()) + 1
        n_total = flat.shape[0] * n_groups
        if flat.shape[0] == 1:
            g = groups
        else:
            g = (np.arange(flat.shape[0])[:, None] * n_groups + groups[None, :]).ravel()
        key = -flat.ravel() if descending else flat.ravel()
        order = np.argsort(key)  # NaN last; unstable is fine, equal keys are compared below
        sg = g[order]
        if n_total > 1:
            # a stable sort of small integer codes is a radix sort: much cheaper than a lexsort
            by_group = np.argsort(
                sg.astype(np.int16 if n_total < 2**15 else np.int64), kind="stable"
            )
            order = order[by_group]
            sg = sg[by_group]
        sk = key[order]
        counts = np.bincount(g, minlength=n_total)
        starts = np.zeros(n_total, dtype=np.intp)
        np.cumsum(counts[:-1], out=starts[1:])
        # a run of equal values starts where the value changes or a group begins
        new_value = np.empty(sk.size, dtype=bool)
        new_value[0] = True
        np.not_equal(sk[1:], sk[:-1], out=new_value[1:])
        new_value[starts[counts > 0]] = True
        run_starts = np.flatnonzero(new_value)
        run_id = np.cumsum(new_value)
        run_id -= 1
        self.order = order  # positions in the sort → units (flat)
        self.group_start = starts[sg]  # per position: where its group begins
        self.run_start = run_starts[run_id]  # per position: where its run of equal values begins
        self._run_starts = run_starts
        self._run_id = run_id
        self._g = g
        self._n_total = n_total

    def _spread(self, per_position: npt.NDArray[np.intp]) -> FloatArray:
        """Places (counted from 0) per position in the sort, as ranks per unit (NaN: NaN)."""
        ranks = np.empty(per_position.size, dtype=np.float64)
        ranks[self.order] = per_position
        ranks += 1.0
        out: FloatArray = ranks.reshape(self.shape)
        return out

    def places(self) -> FloatArray:
        """`group_rank`: 1 + the units of the group with a better value."""
        if self.values.size == 0:
            return np.full(self.shape, np.nan)
        place = self.run_start - self.group_start
        out = self._spread(place)
        out[np.isnan(self.values)] = np.nan
        return out

    def places_among(self, mask: npt.NDArray[np.bool_]) -> FloatArray:
        """`group_rank(np.where(mask, values, nan))`: 1 + the units of `mask` in the group with a
        better value, for the units of `mask` (NaN for the others)."""
        if self.values.size == 0:
            return np.full(self.shape, np.nan)
        inside = np.asarray(mask, dtype=bool).reshape(-1)[self.order]
        before = np.zeros(inside.size + 1, dtype=np.intp)
        np.cumsum(inside, out=before[1:])
        out = self._spread(before[self.run_start] - before[self.group_start])
        out[~np.asarray(mask, dtype=bool) | np.isnan(self.values)] = np.nan
        return out

    def places_from_bottom(self) -> FloatArray:
        """`group_rank(places(), groups)`: 1 + the units of the group with a worse value (not
        NaN), ties sharing the better place; NaN for NaN values."""
        if self.values.size == 0:
            return np.full(self.shape, np.nan)
        valued = np.bincount(self._g, weights=~np.isnan(self.values).reshape(-1),
                             minlength=self._n_total).astype(np.intp)  # fmt: skip
        run_end = np.append(self._run_starts[1:], self.order.size)[self._run_id]
        group_of = self._g[self.order]
        place = self.group_start + valued[group_of] - run_end
        out = self._spread(place)
        out[np.isnan(self.values)] = np.nan
        return out


def group_count(mask: npt.NDArray[np.bool_], groups: IntArray) -> FloatArray:
    """Number of True entries per group, broadcast back to the units."""
    n_groups = int(groups.max()) + 1 if groups.size else 0
    counts = np.bincount(groups, weights=mask.astype(np.float64), minlength=n_groups)
    return np.asarray(counts[groups], dtype=np.float64)


def group_mean_std(x: FloatArray, groups: IntArray) -> tuple[FloatArray, FloatArray]:
    """Mean and population standard deviation per group, ignoring NaN, broadcast to units.

    Both sums are correctly rounded (`exact_segment_sums`), so the result does not depend on
    the order of the units — bit for bit.
    """
    order = np.argsort(groups, kind="stable")
    sizes = np.bincount(groups)
    mean, std = group_mean_std_rows(x[None, :], order, sizes)
    return mean[0][groups], std[0][groups]


def group_mean_std_rows(
    x: FloatArray,
    order: IntArray,
    sizes: IntArray,
    scratch: tuple[FloatArray, FloatArray, FloatArray] | None = None,
    *,
    ordered: bool = False,
    sorted_groups: IntArray | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Per row of `x` (R, N) and group (R, G): the mean and population standard deviation of
    the non-missing values; `order` lists the units group by group, `sizes` (G,) the size of
    each group. Every row is computed on its own, so it gets the same bits in any batch.
    Both sums are correctly rounded (`exact_segment_sums`); a group whose values are all equal
    has that value as its mean and deviation 0, exactly. `scratch`: three arrays of at least
    x's size to work in (fresh ones otherwise); `ordered`: `x` already lists the units group
    by group (x[:, order]), and may be overwritten; `sorted_groups`: the group of each unit
    in that order, if the caller has it (the means are then spread over the units in
    `scratch` instead of a fresh array)."""
    shape = x.shape
    xs, rest, q = scratch or (np.empty(shape), np.empty(shape), np.empty(shape))
    xs, rest, q = (a.ravel()[: x.size].reshape(shape) for a in (xs, rest, q))
    if ordered:
        xs = x
    else:
        np.take(x, order, axis=1, out=xs, mode="clip")  # group by group
    used = sizes > 0
    starts = (np.cumsum(sizes) - sizes)[used]
    # a group whose values are all equal has no spread and that value as its mean, exactly:
    # the rounded quotient (exact sum)/count can miss the value by an ulp, and z = ±1 would follow
    top = np.fmax.reduceat(xs, starts, axis=1)
    bottom = np.fmin.reduceat(xs, starts, axis=1)
    flat = top == bottom  # False for a group without values
    missing = np.isnan(xs)
    any_missing = bool(missing.any())
    count = np.broadcast_to(sizes.astype(np.float64), (shape[0], len(sizes)))
    if any_missing:
        # a sum of zeros and ones below 2^53 is exact in any order: no exact sum needed
        np.copyto(rest, missing)
        count = count.copy()
        count[:, used] -= np.add.reduceat(rest, starts, axis=1)
        xs[missing] = 0.0
    # every row's largest magnitude from its groups' extremes (a missing value counts as 0),
    # instead of a pass over the values; only for finite values of moderate size
    with np.errstate(invalid="ignore"):
        amax = np.fmax(np.fmax.reduce(top, axis=1), -np.fmin.reduce(bottom, axis=1))
    amax[np.isnan(amax)] = 0.0  # no value at all: zeros
    known = bool(np.all(amax < 2.0**900))  # False for an infinite value
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_of_groups = exact_segment_sums(xs, sizes, q, amax=amax if known else None, rest=rest)
        mean = mean_of_groups / count
        if sorted_groups is None:
            spread = np.repeat(mean, sizes, axis=1)
        else:  # the remainders of the sums are no longer needed
            spread = np.take(mean, sorted_groups, axis=1, out=rest, mode="clip")
        dev = np.subtract(xs, spread, out=xs)
        if any_missing:
            dev[missing] = 0.0
        np.multiply(dev, dev, out=dev)
        dev_max = None
        if known:
            # fl(x − mean)² grows with |x − mean|: its largest value is at an extreme
            high = np.subtract(top, mean[:, used])
            low = np.subtract(bottom, mean[:, used])
            dev_max = np.fmax.reduce(np.fmax(high * high, low * low), axis=1)
            dev_max[np.isnan(dev_max)] = 0.0
        var = exact_segment_sums(dev, sizes, q, nonnegative=True, amax=dev_max) / count
    std = np.sqrt(var)
    if flat.any():
        # + 0.0: a group of 0.0 and −0.0 has mean +0.0 whichever its fmax met first
        mean[:, used] = np.where(flat, top + 0.0, mean[:, used])
        std[:, used] = np.where(flat, 0.0, std[:, used])
    return mean, std


def exact_segment_sums(
    values: FloatArray,
    sizes: IntArray,
    scratch: FloatArray,
    *,
    nonnegative: bool = False,
    amax: FloatArray | None = None,
    rest: FloatArray | None = None,
) -> FloatArray:
    """The correctly rounded sum of each row's consecutive segments: (R, N) → (R, G), segment
    g holding `sizes[g]` values (the units of one group).

    The exact sum of floats does not depend on their order, and neither does its rounding, so
    the result is independent of the order of the units bit for bit — without sorting values.
    Each row is cut into slices on a grid fixed by its largest magnitude (the extraction of
    Rump, Ogita & Oishi): with σ a power of two at least 2·(n + 2) times every |v| (n: the
    largest segment), q = (σ + v) − σ is v rounded to a multiple of ulp(σ)/2, v − q is exact,
    and up to n such multiples, each below σ/(n + 2), add up exactly in float64 whatever the
    order. The remainders (|v − q| ≤ ulp(σ)/2) form the next, finer slice until none is left:
    two or three slices for values of one magnitude. The exact slice totals are then rounded
    once (math.fsum when there are more than two). Rows holding an infinite value or
    magnitudes near the float64 limit are summed in ascending order instead
    (order-independent, but not correctly rounded). `values` must hold no NaN and is
    overwritten (with the last remainders) unless `rest`, an array of its shape, is given to
    hold them; `scratch` is a work array of its shape. `amax`: each row's largest magnitude
    (max |v|), when the caller knows it already.
    """
    n_rows, n = values.shape
    n_groups = len(sizes)
    out = np.zeros((n_rows, n_groups))
    used = sizes > 0
    if n == 0 or n_rows == 0:
        return out
    starts = (np.cumsum(sizes) - sizes)[used]
    bits = math.ceil(math.log2(int(sizes.max()) + 2)) + 1
    if amax is None:
        amax = (
            values.max(axis=1)
            if nonnegative
            else np.maximum(values.max(axis=1), -values.min(axis=1))
        )
    exponent = np.frexp(amax)[1] + bits
    odd = ~np.isfinite(amax) | (exponent > 1020)
    if rest is None:
        rest = values
    elif odd.any():
        np.copyto(rest, values)
        values = rest
    if odd.any():
        bounds = np.cumsum(sizes).tolist()
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow is an infinite sum
            for i in np.flatnonzero(odd).tolist():
                for g, (lo, hi) in enumerate(zip([0, *bounds[:-1]], bounds, strict=True)):
                    out[i, g] = np.add.reduce(np.sort(rest[i, lo:hi]))
        rest[odd] = 0.0
        exponent[odd] = bits
    q = scratch
    sigma = np.ldexp(1.0, exponent)[:, None]
    np.add(values, sigma, out=q)
    q -= sigma  # exact: σ + v lies within [σ/2, 2σ]
    np.subtract(values, q, out=rest)  # exact: the rounding error of σ + v, ≤ ulp(σ)/2
    first = np.add.reduceat(q, starts, axis=1)  # exact
    total = _rounded_with_tail(first, np.add.reduceat(rest, starts, axis=1), sizes[used], sigma)
    unsure = np.flatnonzero(np.isnan(total).any(axis=1))
    if unsure.size:  # the exact slices of the remainders, for the rows that need them
        slices = [first[unsure]]
        rest_u = rest[unsure]
        q_u = np.empty_like(rest_u)
        exponent_u = exponent[unsure]
        while rest_u.any():
            exponent_u -= 53 - bits  # the next grid: every remainder is below 2^(exponent − bits)
            sigma_u = np.ldexp(1.0, exponent_u)[:, None]
            np.add(rest_u, sigma_u, out=q_u)
            q_u -= sigma_u
            rest_u -= q_u
            slices.append(np.add.reduceat(q_u, starts, axis=1))
        if len(slices) == 1:
            exact = slices[0]
        elif len(slices) == 2:
            exact = slices[0] + slices[1]  # one rounding of the exact sum
        else:
            parts = zip(*(s.ravel().tolist() for s in slices), strict=True)
            exact = np.array([math.fsum(p) for p in parts]).reshape(slices[0].shape)
        total[unsure] = exact
    out[:, used] += total
    return out


def _rounded_with_tail(
    first: FloatArray, tail: FloatArray, sizes: IntArray, sigma: FloatArray
) -> FloatArray:
    """The correctly rounded value of first + t, where `first` is exact and `tail` is t summed
    in float64 from m remainders of magnitude ≤ σ·2^-53 (m: the segment's size), wherever the
    rounding is sure; NaN where it is not (then the remainders are summed exactly).

    h + l = first + tail exactly (TwoSum), and |t − tail| ≤ E = γ(m−1)·m·σ·2^-52 + m·2^-1074
    (the error of a recursive sum, with room to spare, plus underflow). first + t lies within
    |l| + E of h, so it rounds to h when |l| + E is below half the gap from h to either
    neighbour. That fails only when the sum nearly cancels or lies within E of a midpoint."""
    with np.errstate(over="ignore", invalid="ignore"):
        h = first + tail
        back = h - first
        low = (first - (h - back)) + (tail - back)
        m = sizes.astype(np.float64)
        u = 2.0**-53
        bound = (m - 1.0) * u / (1.0 - (m - 1.0) * u) * m * sigma * 2.0**-52 + m * 2.0**-1074
        size = np.abs(h)
        gap = np.minimum(np.spacing(size), size - np.nextafter(size, 0.0))
        sure = (np.abs(low) + bound) * (1.0 + 2.0**-40) < 0.5 * gap
    return np.where(sure, h, np.nan)


def group_extreme(x: FloatArray, groups: IntArray, *, largest: bool) -> FloatArray:
    """Largest (or smallest) non-missing value per group, broadcast to units."""
    n_groups = int(groups.max()) + 1
    fill = -np.inf if largest else np.inf
    out = np.full(n_groups, fill)
    (np.fmax if largest else np.fmin).at(out, groups, x)
    out[np.isinf(out)] = np.nan
    # + 0.0: of 0.0 and −0.0 the reduction keeps whichever it met first; a category's best of
    # −0.0 would turn x / best for a negative x into +inf (full marks) — so +0.0, always
    out += 0.0
    return out[groups]


def _keep_missing(x: FloatArray, f: FloatArray) -> FloatArray:
    missing = np.isnan(x)
    # most inputs are complete: skip the extra full-size array then
    return np.where(missing, np.nan, f) if missing.any() else f


# --- the methods ------------------------------------------------------------------------------


def target(x: FloatArray, *, target: Param, mode: str, cap: float, higher: bool) -> Output:
    """[1] Target completion: met → 1 else 0; proportional: min(actual/target, cap)."""
    t = np.broadcast_to(np.asarray(target, dtype=np.float64), x.shape)
    met = x >= t if higher else x <= t
    if mode == "all_or_nothing":
        f = met.astype(np.float64)
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            f = x / t if higher else t / x
        np.clip(f, 0.0, cap, out=f)
        return f, {"target": t, "met": met}  # a missing x gives NaN already (x/t, t/x)
    return _keep_missing(x, f), {"target": t, "met": met}


def rank(x: FloatArray, groups: IntArray, *, step: float, floor: float, higher: bool) -> Output:
    """[2] 争先进位: place 1 → 1, each place below −step; ties share the better place."""
    place = group_rank(x, groups, descending=higher)
    f = np.maximum(1.0 - step * (place - 1.0), floor)
    return _keep_missing(x, f), {"place": place}


def target_rank(
    x: FloatArray,
    groups: IntArray,
    *,
    target: Param,
    base: float,
    step: float,
    higher: bool,
) -> Output:
    """[3] Meeting the target earns `base`; those meeting it are ranked, the best earning 1."""
    t = np.broadcast_to(np.asarray(target, dtype=np.float64), x.shape)
    met = x >= t if higher else x <= t
    place = group_rank(np.where(met, x, np.nan), groups, descending=higher)
    f = np.where(met, np.maximum(base, 1.0 - step * (place - 1.0)), 0.0)
    return _keep_missing(x, f), {"target": t, "met": met, "place": place}


def band(
    x: FloatArray,
    *,
    target: Param,
    base_points: float,
    full_points: float,
    step: float,
    relative: bool,
    bonus_per_step: float,
    bonus_cap: float,
    penalty_per_step: float | None,
    floor: float,
    whole_steps: bool,
    higher: bool,
) -> Output:
    """[4] Base points when the target is met, plus/minus points per step, capped and floored."""
    t = np.asarray(target, dtype=np.float64)
    # in-place arithmetic below: at province scale every avoided temporary counts
    with np.errstate(divide="ignore", invalid="ignore"):
        dev = x - t if higher else t - x
        if relative:
            dev /= np.abs(t)
            dev *= 100.0  # percentage points of the target
        steps = dev / step
    met = dev >= 0
    if whole_steps:
        # a bonus counts completed steps; a shortfall counts every step begun (floor does both)
        np.floor(steps, out=steps)
    if bonus_per_step:
        earned = steps * bonus_per_step
        np.minimum(earned, bonus_cap, out=earned)
        earned += base_points
    else:
        earned = np.asarray(base_points)
    if penalty_per_step is None:
        missed: Param = floor  # "base points if met, none if not"
    else:
        missed = steps * penalty_per_step  # steps < 0 here
        missed += base_points
    if penalty_per_step is None:
        points = np.where(met, earned, missed)
        np.maximum(points, floor, out=points)
        missing = np.isnan(x)
        if missing.any():
            points[missing] = np.nan
    else:  # `missed` is NaN where x is: np.maximum keeps it
        points = np.where(met, earned, missed)
        np.maximum(points, floor, out=points)
    return points / full_points, {
        "target": np.broadcast_to(t, x.shape),
        "deviation": dev,
        "steps": steps,
        "met": met,
        "points": points,
    }


def efficacy(
    x: FloatArray, *, low: Param, satisfactory: Param, clip: tuple[float, float]
) -> Output:
    """[5] 功效系数法: 60 + 40·(x − low)/(satisfactory − low), clipped; lower-is-better when
    satisfactory < low (the formula itself flips)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        score = x - low
        score *= 40.0 / (np.asarray(satisfactory, dtype=np.float64) - low)
        score += 60.0
    np.clip(score, clip[0], clip[1], out=score)  # NaN stays NaN
    return score / 100.0, {"score": score}


def interpolate(
    x: FloatArray,
    *,
    baseline: Param,
    benchmark: Param,
    floor: float,
    below: str,
    higher: bool,
) -> Output:
    """[6] 对标: 1 at or beyond the benchmark, `floor` at the baseline, linear between."""
    b = np.asarray(baseline, dtype=np.float64)
    m = np.asarray(benchmark, dtype=np.float64)
    span = m - b
    if floor < 1.0 and ((span > 0).all() if higher else (span < 0).all()):
        return _interpolate_towards(x, b, m, span, floor, below)
    with np.errstate(divide="ignore", invalid="ignore"):
        progress = x - b
        # baseline = benchmark: at it (or beyond) is full marks below; short of it is below
        # the baseline (−1), so `below` decides, never the floor share for falling short
        flat = not (span == 0).any()  # NaN then flows from x through every step below
        if span.ndim == 0:
            progress = progress / span if span != 0 else np.full(x.shape, -1.0)
        elif flat:
            np.divide(progress, span, out=progress)
        else:
            np.divide(progress, span, out=progress, where=span != 0)
            progress[np.broadcast_to(span == 0, x.shape)] = -1.0
    # at or beyond the benchmark (even if span 0)
    np.copyto(progress, 1.0, where=np.greater_equal(x, m) if higher else np.less_equal(x, m))
    f = progress * (1.0 - floor)
    f += floor
    np.minimum(f, 1.0, out=f)  # beyond the benchmark: full marks
    np.copyto(f, 0.0 if below == "zero" else floor, where=progress < 0.0)
    if not flat:
        missing = np.isnan(x)
        if missing.any():
            f[missing] = np.nan
            progress[missing] = np.nan
    return f, {
        "baseline": np.broadcast_to(b, x.shape),
        "benchmark": np.broadcast_to(m, x.shape),
        "progress": progress,
    }


def _interpolate_towards(
    x: FloatArray, b: FloatArray, m: FloatArray, span: FloatArray, floor: float, below: str
) -> Output:
    """`interpolate` when the benchmark lies beyond the baseline in the better direction and
    the floor is below 1 — the same bits with fewer masked writes (dear at province scale):
    (x − b)/span ≥ 1 exactly when x is at or beyond the benchmark (or the quotient rounds to
    1), so min(·, 1) is the masked assignment of 1. Short of the baseline (progress < 0),
    f = progress·(1 − floor) + floor is at most the floor and at least it otherwise, so
    max(f, floor) assigns the floor; for `below: zero`, max(f, 0) is finite and multiplying
    by (progress ≥ 0) zeroes it. NaN flows from x through every step."""
    with np.errstate(invalid="ignore"):
        progress = x - b
        progress /= span
    np.minimum(progress, 1.0, out=progress)
    f = progress * (1.0 - floor)
    f += floor
    np.minimum(f, 1.0, out=f)  # beyond the benchmark: full marks
    if below == "zero":
        np.maximum(f, 0.0, out=f)
        np.multiply(f, progress >= 0.0, out=f)  # NaN · 0 stays NaN
    else:
        np.maximum(f, floor, out=f)
    return f, {
        "baseline": np.broadcast_to(b, x.shape),
        "benchmark": np.broadcast_to(m, x.shape),
        "progress": progress,
    }


def goalpost(
    x: FloatArray, *, low: float, high: float, log: bool, cap: bool, higher: bool
) -> Output:
    """[7] (x − min)/(max − min) with fixed goalposts (of logs when `log`), capped to [0, 1]."""
    missing = np.isnan(x)
    any_missing = bool(missing.any())
    if log:
        with np.errstate(divide="ignore", invalid="ignore"):
            # a non-positive value lies below any log goalpost (log 0 is −inf already)
            v = np.log(x)
        np.copyto(v, -np.inf, where=x < 0)
        lo, hi = np.log(low), np.log(high)
    else:
        v, lo, hi = x, low, high
    f = np.subtract(v, lo) if higher else np.subtract(hi, v)
    f /= hi - lo
    if cap:
        np.clip(f, 0.0, 1.0, out=f)
    elif log:
        f[~(x > 0)] = np.nan  # uncapped, a value ≤ 0 has no place on a log scale
    if any_missing:
        f[missing] = np.nan
        v = np.where(missing, np.nan, v)
    return f, {"transformed": v}


def zscore(x: FloatArray, groups: IntArray, *, clip_z: float, higher: bool) -> Output:
    """Standard score within the category mapped to 0.5 + z/(2·clip_z), clipped to [0, 1]."""
    mean, std = group_mean_std(x, groups)
    return zscore_from(x, mean, std, clip_z=clip_z, higher=higher)


def zscore_from(
    x: FloatArray, mean: FloatArray, std: FloatArray, *, clip_z: float, higher: bool
) -> Output:
    """`zscore` from the category mean and standard deviation already broadcast to `x`."""
    z = x - mean
    spread = std > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        if spread.all():
            np.divide(z, std, out=z)
        else:
            np.divide(z, std, out=z, where=spread)
            z[~spread & ~np.isnan(x)] = 0.0  # no spread in the category: everyone is average
    if not higher:
        np.negative(z, out=z)
    f = z / (2.0 * clip_z)
    f += 0.5
    np.clip(f, 0.0, 1.0, out=f)  # NaN stays NaN
    return f, {"z": z, "mean": mean, "std": std}


def frontier(x: FloatArray, groups: IntArray, *, mode: str, higher: bool) -> Output:
    """Distance to the best unit in the category: x/best (ratio) or (x − worst)/(best − worst)."""
    best = group_extreme(x, groups, largest=higher)
    worst = group_extreme(x, groups, largest=not higher)
    return frontier_from(x, best, worst, mode=mode, higher=higher)


def frontier_from(
    x: FloatArray, best: FloatArray, worst: FloatArray, *, mode: str, higher: bool
) -> Output:
    """`frontier` from the category's best and worst values already broadcast to `x`."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if mode == "ratio":
            f = x / best if higher else best / x
            np.copyto(f, 1.0, where=x == best)
            np.clip(f, 0.0, 1.0, out=f)
            return f, {"best": best, "worst": worst}  # a missing x gives NaN already
        span = best - worst
        f = np.where(span != 0, (x - worst) / np.where(span != 0, span, 1.0), 1.0)
    f = np.clip(f, 0.0, 1.0)
    return _keep_missing(x, f), {"best": best, "worst": worst}


def events_deduction(count: FloatArray, *, per_event: float, cap: float) -> FloatArray:
    """[8] Points deducted for events: min(cap, per_event × count)."""
    return np.minimum(cap, per_event * np.maximum(count, 0.0))


def events(count: FloatArray, *, per_event: float, cap: float, full_points: float) -> Output:
    """[8] A leaf scored by events: full points less the capped per-event deductions."""
    deduction = events_deduction(count, per_event=per_event, cap=cap)
    f = (full_points - deduction) / full_points
    return _keep_missing(count, f), {"deduction": deduction}


def lookup_labels(
    labels: npt.NDArray[np.object_], mapping: Mapping[str, float], *, highest_of_list: bool
) -> tuple[FloatArray, list[str]]:
    """Map label cells to numbers; blank cells give NaN. Returns the values and unknown labels.

    With `highest_of_list` a cell may list several labels separated by ';' and takes the
    highest mapped value (a practice counts once, at its highest level).
    """
    cells = np.array(["" if blank(v) else str(v).strip() for v in labels.tolist()], dtype=object)
    uniq, inverse = np.unique(cells.astype(str), return_inverse=True)
    values = np.empty(len(uniq), dtype=np.float64)
    unknown: list[str] = []
    # a loop over the distinct labels (a handful), not over units
    for i, cell in enumerate(uniq.tolist()):
        if cell == "":
            values[i] = np.nan
            continue
        parts = [p.strip() for p in cell.split(";")] if highest_of_list else [cell]
        got = []
        for part in parts:
            if part in mapping:
                got.append(float(mapping[part]))
            else:
                unknown.append(part)
        values[i] = max(got) if got else np.nan
    return values[inverse.ravel()], unknown


def blank(v: object) -> bool:
    """True for a missing cell: None, NaN or an empty or blank string."""
    return v is None or (isinstance(v, float) and np.isnan(v)) or str(v).strip() == ""


def graded(shares: FloatArray) -> Output:
    """[9] Graded rating: the share mapped from the unit's label (see `lookup_labels`)."""
    return shares, {}


def ratio(x: FloatArray, *, full: Param, cap: float, higher: bool) -> Output:
    """[10] Survey rates and expert scores: min(x/full, cap) (full/x for lower-is-better)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        r = x / full if higher else np.asarray(full) / x
    return _keep_missing(x, np.clip(r, 0.0, cap)), {}


def identity(x: FloatArray) -> Output:
    """The input is already a fraction (an index in [0, 1])."""
    return x.astype(np.float64, copy=True), {}


def rank_points(rank_input: FloatArray, points: Sequence[float]) -> FloatArray:
    """Bonus points by a reported place (e.g. monthly top three: 0.5 / 0.3 / 0.1)."""
    table = np.concatenate([[0.0], np.asarray(points, dtype=np.float64)])
    r = np.where(np.isnan(rank_input), 0, rank_input)
    r = np.where((r >= 1) & (r <= len(points)) & (r == np.floor(r)), r, 0).astype(np.intp)
    return table[r]
