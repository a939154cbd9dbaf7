"""Expert panels (四维评价): trimmed aggregation, agreement and outlying raters.

Ratings are an (items × raters × dimensions) array, NaN where a rater is not assigned to an item
or recused (no expert rates their own unit). Per item and dimension the single highest and the
single lowest rating are dropped (去掉一个最高分和一个最低分) and the rest averaged; with ties only
one of each goes. With fewer than 3 ratings nothing is dropped (there would be nothing left, or
one rating) and the plain mean is taken, flagged. The overall score weighs the dimensions; an
item lacking a dimension has no overall score. Everything is computed from the ratings sorted
along the raters, so the order of the raters never changes a bit of the result.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..errors import DataError
from .agreement import ICC, KendallW, complete_block, icc_2, kendall_w
from .intervals import read_only
from .texts import ICC_BANDS, W_BANDS, Lang, band, say

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

DIMENSIONS: tuple[str, ...] = ("excellence", "difficulty", "innovation", "benefit")
DIMENSION_NAMES: dict[str, tuple[str, str]] = {
    "excellence": ("创优性", "excellence"),
    "difficulty": ("攻坚性", "difficulty"),
    "innovation": ("创新性", "innovation"),
    "benefit": ("效益性", "benefit"),
    "overall": ("加权总分", "weighted total"),
}
# 1.4826 · MAD estimates the standard deviation of normal data.
MAD_TO_SD = 1.482602218505602


@dataclass(frozen=True)
class Agreement:
    """Agreement of one dimension (or of the weighted total, label "overall") on the complete
    block `items_used` × `raters_used`; `kendall` and `icc` are None when no block of at least
    2 × 2 exists. `outside` counts the ratings left outside the block."""

    label: str
    items_used: tuple[int, ...]
    raters_used: tuple[int, ...]
    outside: int
    kendall: KendallW | None
    icc: ICC | None

    def describe(self, lang: Lang = "zh") -> tuple[str, ...]:
        """The agreement in plain words, with the block it was computed on."""
        zh, en = DIMENSION_NAMES.get(self.label, (self.label, self.label))
        label = zh if lang == "zh" else en
        if self.kendall is None or self.icc is None:
            return (say("agreement_none", lang, label=label),)
        out = []
        if self.outside:
            out.append(
                say(
                    "agreement_block",
                    lang,
                    label=label,
                    items=len(self.items_used),
                    raters=len(self.raters_used),
                    left=self.outside,
                )
            )
        w, i1, ik = self.kendall.w, self.icc.icc21, self.icc.icc2k
        if w != w or i1 != i1:
            out.append(say("agreement_constant", lang, label=label))
            return tuple(out)
        out.append(
            say(
                "agreement",
                lang,
                label=label,
                w=w,
                icc1=i1,
                icck=ik,
                w_band=band(w, W_BANDS, "zh"),
                icc1_band=band(i1, ICC_BANDS, "zh"),
                icck_band=band(ik, ICC_BANDS, "zh"),
                w_band_en=band(w, W_BANDS, "en"),
                icc1_band_en=band(i1, ICC_BANDS, "en"),
                icck_band_en=band(ik, ICC_BANDS, "en"),
            )
        )
        return tuple(out)


@dataclass(frozen=True)
class PanelResult:
    """Per item × dimension (I, D): `count` of ratings, `trimmed` (≥ 3 ratings, extremes
    dropped), `dimension_score`, `dropped_high`/`dropped_low` (the values dropped; NaN when not
    trimmed). Per item (I,): `score`, the weighted total (NaN when a weighted dimension has no
    rating). `agreement`: one per dimension, then "overall". Per rater (R,): `rater_cells` (the
    ratings compared with the panel), `rater_mad` (mean |rating − leave-one-out trimmed mean of
    the others|), `rater_bias` (mean signed difference: > 0 lenient, < 0 severe),
    `rater_correlation` (Pearson, rating vs the others' trimmed mean), `outlier_scale` (robust
    SD of all differences, 1.4826 · MAD), `far` and `uncorrelated` (the two tests), `outlying`.
    """

    items: tuple[str, ...]
    raters: tuple[str, ...]
    dimensions: tuple[str, ...]
    weights: FloatArray
    count: IntArray
    trimmed: BoolArray
    dimension_score: FloatArray
    dropped_high: FloatArray
    dropped_low: FloatArray
    score: FloatArray
    agreement: tuple[Agreement, ...]
    rater_cells: IntArray
    rater_mad: FloatArray
    rater_bias: FloatArray
    rater_correlation: FloatArray
    outlier_scale: float
    outlier_k: float
    min_correlation: float
    far: BoolArray
    uncorrelated: BoolArray
    outlying: BoolArray

    def _dimension_label(self, j: int, lang: Lang) -> str:
        code = self.dimensions[j]
        zh, en = DIMENSION_NAMES.get(code, (code, code))
        return zh if lang == "zh" else en

    def notes(self, item: int | str, lang: Lang = "zh") -> tuple[str, ...]:
        """Why an item's score is computed as it is: untrimmed or missing dimensions."""
        i = self.items.index(item) if isinstance(item, str) else item
        out = []
        for j in range(len(self.dimensions)):
            m = int(self.count[i, j])
            if m == 0:
                out.append(say("dimension_missing", lang, dimension=self._dimension_label(j, lang)))
            elif m < 3:
                out.append(
                    say("dimension_untrimmed", lang, dimension=self._dimension_label(j, lang), m=m)
                )
        return tuple(out)

    def rater_notes(self, rater: int | str, lang: Lang = "zh") -> tuple[str, ...]:
        """Why a rater is flagged as outlying (empty when not)."""
        r = self.raters.index(rater) if isinstance(rater, str) else rater
        name = self.raters[r]
        out = []
        if self.far[r]:
            bias = float(self.rater_bias[r])
            out.append(
                say(
                    "rater_far",
                    lang,
                    rater=name,
                    mad=float(self.rater_mad[r]),
                    scale=self.outlier_scale,
                    k=self.outlier_k,
                    direction="偏高" if bias > 0 else "偏低",
                    direction_en="higher" if bias > 0 else "lower",
                    bias=abs(bias),
                )
            )
        if self.uncorrelated[r]:
            out.append(
                say(
                    "rater_uncorrelated",
                    lang,
                    rater=name,
                    r=float(self.rater_correlation[r]),
                    threshold=self.min_correlation,
                )
            )
        return tuple(out)


def _sorted_stats(ratings: FloatArray) -> tuple[FloatArray, IntArray, FloatArray]:
    """Ratings sorted along the raters (NaN last), their count and their sum per item ×
    dimension; the sum runs over the sorted values, so it ignores the raters' order."""
    ordered = np.sort(ratings, axis=1)
    count = np.sum(~np.isnan(ratings), axis=1).astype(np.int64)
    total = np.sum(np.where(np.isnan(ordered), 0.0, ordered), axis=1)
    return ordered, count, total


def _at(ordered: FloatArray, position: IntArray) -> FloatArray:
    """ordered[i, position[i, j], j] for every item i and dimension j."""
    pos = np.clip(position, 0, ordered.shape[1] - 1)[:, None, :]
    return np.take_along_axis(ordered, pos, axis=1)[:, 0, :]


def trimmed_means(ratings: npt.ArrayLike) -> tuple[FloatArray, IntArray, FloatArray, FloatArray]:
    """Per item × dimension of an (items × raters × dimensions) array: the mean after dropping
    one highest and one lowest rating (plain mean under 3 ratings; NaN without any), the count,
    and the dropped highest and lowest values (NaN when nothing is dropped)."""
    x = np.asarray(ratings, dtype=np.float64)
    ordered, count, _ = _sorted_stats(x)
    position = np.arange(x.shape[1])[None, :, None]
    m = count[:, None, :]
    keep = np.where(m >= 3, (position >= 1) & (position <= m - 2), position < m)
    kept_sum = np.sum(np.where(keep, ordered, 0.0), axis=1)
    kept = np.where(count >= 3, count - 2, count)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(kept > 0, kept_sum / kept, np.nan)
    trim = count >= 3
    high = np.where(trim, _at(ordered, count - 1), np.nan)
    low = np.where(trim, ordered[:, 0, :], np.nan)
    return mean, count, high, low


def leave_one_out_means(ratings: npt.ArrayLike) -> FloatArray:
    """For every rating, the trimmed mean of the other raters' ratings of the same item and
    dimension (trimmed when they are 3 or more, plain mean of 2, NaN with fewer)."""
    x = np.asarray(ratings, dtype=np.float64)
    ordered, count, total = _sorted_stats(x)
    top = _at(ordered, count - 1)[:, None, :]
    second = _at(ordered, count - 2)[:, None, :]
    bottom = ordered[:, :1, :]
    next_bottom = ordered[:, 1:2, :] if x.shape[1] > 1 else bottom
    others = (count - 1)[:, None, :]
    rest = total[:, None, :] - x
    high = np.where(x == top, second, top)
    low = np.where(x == bottom, next_bottom, bottom)
    with np.errstate(divide="ignore", invalid="ignore"):
        trimmed = (rest - high - low) / (others - 2)
        plain = rest / others
    out = np.where(others >= 3, trimmed, np.where(others == 2, plain, np.nan))
    return np.where(np.isnan(x), np.nan, out)


def _per_rater_sum(values: FloatArray) -> FloatArray:
    """Σ over items and dimensions per rater, each rater's values summed as one contiguous
    row, so a rater's sum does not depend on where the rater stands among the others."""
    rows = np.ascontiguousarray(np.moveaxis(values, 1, 0)).reshape(values.shape[1], -1)
    return np.sum(rows, axis=1)


def _agreement(label: str, matrix: FloatArray) -> Agreement:
    present = ~np.isnan(matrix)
    items, raters = complete_block(present)
    used_items = tuple(int(i) for i in np.flatnonzero(items))
    used_raters = tuple(int(r) for r in np.flatnonzero(raters))
    inside = len(used_items) * len(used_raters)
    outside = int(present.sum()) - inside
    if len(used_items) < 2 or len(used_raters) < 2:
        return Agreement(label, (), (), int(present.sum()), None, None)
    block = matrix[np.ix_(items, raters)]
    return Agreement(label, used_items, used_raters, outside, kendall_w(block), icc_2(block))


def aggregate_panel(
    ratings: npt.ArrayLike,
    *,
    items: Sequence[str],
    raters: Sequence[str],
    dimensions: Sequence[str] = DIMENSIONS,
    weights: npt.ArrayLike | None = None,
    score_range: tuple[float, float] | None = None,
    outlier_k: float = 2.0,
    min_correlation: float = 0.3,
    min_cells: int = 5,
) -> PanelResult:
    """Aggregate an expert panel's ratings (items × raters × dimensions; NaN: not rated).

    `weights`: one per dimension (normalised to sum 1; equal by default). `score_range`: the
    allowed ratings, checked when given. A rater is `far` when their mean absolute difference
    from the others' trimmed mean exceeds `outlier_k` robust SDs of all such differences, and
    `uncorrelated` when their ratings correlate below `min_correlation` with the others'
    trimmed means; both tests need `min_cells` compared ratings.
    """
    x = np.asarray(ratings, dtype=np.float64)
    n_items, n_raters, n_dims = len(items), len(raters), len(dimensions)
    if x.shape != (n_items, n_raters, n_dims):
        raise DataError(
            f"ratings must be (items × raters × dimensions) = {(n_items, n_raters, n_dims)}, "
            f"got {x.shape}"
        )
    if np.isinf(x).any():
        raise DataError("ratings must be numbers or NaN (not rated), not infinite")
    if score_range is not None:
        lo, hi = score_range
        outside = ~np.isnan(x) & ((x < lo) | (x > hi))
        if outside.any():
            i, r, j = (int(v) for v in np.argwhere(outside)[0])
            raise DataError(
                f"item {items[i]!r}, rater {raters[r]!r}: {dimensions[j]} rating {x[i, r, j]:g} "
                f"is outside {lo:g} … {hi:g}",
                column=dimensions[j],
            )
    w = np.full(n_dims, 1.0 / n_dims) if weights is None else np.asarray(weights, np.float64)
    if w.shape != (n_dims,) or not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
        raise DataError(f"weights must be {n_dims} finite non-negative numbers, not all 0")
    w = w / w.sum()

    dimension_score, count, high, low = trimmed_means(x)
    score = np.zeros(n_items)
    for j in range(n_dims):  # a fixed order of accumulation
        if w[j] > 0:
            score = score + w[j] * dimension_score[:, j]

    totals = np.zeros((n_items, n_raters))
    for j in range(n_dims):
        if w[j] > 0:
            totals = totals + w[j] * x[:, :, j]
    agreement = (
        *(_agreement(dimensions[j], x[:, :, j]) for j in range(n_dims)),
        _agreement("overall", totals),
    )

    loo = leave_one_out_means(x)
    diff = x - loo
    valid = ~np.isnan(diff)
    cells = _per_rater_sum(valid.astype(np.float64)).astype(np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        d0 = np.where(valid, diff, 0.0)
        mad = np.where(cells > 0, _per_rater_sum(np.abs(d0)) / cells, np.nan)
        bias = np.where(cells > 0, _per_rater_sum(d0) / cells, np.nan)
        a = np.where(valid, x, 0.0)
        b = np.where(valid, loo, 0.0)
        ma = _per_rater_sum(a) / cells
        mb = _per_rater_sum(b) / cells
        ca = np.where(valid, x - ma[None, :, None], 0.0)
        cb = np.where(valid, loo - mb[None, :, None], 0.0)
        cov = _per_rater_sum(ca * cb)
        corr = cov / np.sqrt(_per_rater_sum(ca * ca) * _per_rater_sum(cb * cb))
    corr = np.where((cells >= min_cells) & np.isfinite(corr), corr, np.nan)
    flat = diff[valid]
    scale = (
        float(MAD_TO_SD * np.median(np.abs(flat - np.median(flat)))) if flat.size else float("nan")
    )
    enough = cells >= min_cells
    # When the others agree exactly (scale 0), any difference at all stands out.
    far = enough & (mad > outlier_k * scale) if scale > 0 else enough & (mad > 0) & (scale == 0)
    uncorrelated = enough & (corr < min_correlation)

    return PanelResult(
        items=tuple(items),
        raters=tuple(raters),
        dimensions=tuple(dimensions),
        weights=read_only(w),
        count=read_only(count),
        trimmed=read_only(count >= 3),
        dimension_score=read_only(dimension_score),
        dropped_high=read_only(high),
        dropped_low=read_only(low),
        score=read_only(score),
        agreement=agreement,
        rater_cells=read_only(cells),
        rater_mad=read_only(mad),
        rater_bias=read_only(bias),
        rater_correlation=read_only(corr),
        outlier_scale=scale,
        outlier_k=outlier_k,
        min_correlation=min_correlation,
        far=read_only(far),
        uncorrelated=read_only(uncorrelated),
        outlying=read_only(far | uncorrelated),
    )
