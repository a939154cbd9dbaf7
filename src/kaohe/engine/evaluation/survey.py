"""Survey statistics (群众评议) per unit × respondent group, and the group-weighted index.

Answers are Likert codes 1 … points (NaN or −1: no answer). Per unit × group: the number of
responses and of answers, the satisfaction rate (share of answers in the caller's top
categories, e.g. 满意 + 比较满意) with its Wilson interval, the mean score on 0–100 and the
response rate against the quota. Per unit: the group-weighted index of the mean score and of the
satisfaction rate, a stratified estimator

    estimate = Σ_g w_g ȳ_g,   variance = Σ_g w_g² (1 − n_g / N_g) s_g² / n_g

(the finite-population factor only where the group's population N_g is given), with a normal
interval. Groups with fewer than `min_n` answers are left out and the weights renormalised over
the others; the result says so. Every statistic is computed from integer counts and integer
sums of codes, so it is the same bit for bit whatever the order of the answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..errors import DataError
from .intervals import normal_interval, read_only, wilson_interval
from .texts import Lang, say

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class LikertScale:
    """A Likert question: codes 1 … `points`; `top` are the codes counted as satisfied;
    `best` says which end is the best answer ("high": `points` is best, as in 5 = 非常满意;
    "low": 1 is best, as in questionnaires that list 满意 first)."""

    points: int
    top: tuple[int, ...]
    best: str = "high"

    def __post_init__(self) -> None:
        if self.points < 2:
            raise ValueError(f"a Likert scale needs at least 2 points, got {self.points}")
        if self.best not in ("high", "low"):
            raise ValueError(f"best must be 'high' or 'low', got {self.best!r}")
        if not self.top or any(not 1 <= c <= self.points for c in self.top):
            raise ValueError(f"top codes must lie in 1 … {self.points}, got {self.top}")
        if len(set(self.top)) != len(self.top):
            raise ValueError(f"top codes repeat: {self.top}")


@dataclass(frozen=True)
class SurveyResult:
    """Per unit × group arrays (U, G) and per unit arrays (U,), indexed like `units`/`groups`.

    Cells: `responses` (rows received, answered or not), `n` (answers), `satisfied`, `rate`
    (NaN without answers) with `rate_low`/`rate_high` (Wilson), `mean` and `sd` on 0–100,
    `response_rate` (responses / quota; NaN without a quota), `too_few` (0 < n < min_n).
    Units: `index` (weighted mean score 0–100) with `index_se`, `index_low`, `index_high`;
    `weighted_rate` with `weighted_rate_se`, `weighted_rate_low`, `weighted_rate_high`;
    `rate_all` (all answers pooled, unweighted) with its Wilson interval; `unit_response_rate`
    over the groups with a quota; `weights_used` (U, G), the renormalised weights (0 where a
    group is left out); `renormalised`, True where a weighted group was left out.
    """

    units: tuple[str, ...]
    groups: tuple[str, ...]
    weights: FloatArray
    min_n: int
    confidence: float
    responses: IntArray
    n: IntArray
    satisfied: IntArray
    rate: FloatArray
    rate_low: FloatArray
    rate_high: FloatArray
    mean: FloatArray
    sd: FloatArray
    response_rate: FloatArray
    too_few: BoolArray
    weights_used: FloatArray
    renormalised: BoolArray
    index: FloatArray
    index_se: FloatArray
    index_low: FloatArray
    index_high: FloatArray
    weighted_rate: FloatArray
    weighted_rate_se: FloatArray
    weighted_rate_low: FloatArray
    weighted_rate_high: FloatArray
    rate_all: FloatArray
    rate_all_low: FloatArray
    rate_all_high: FloatArray
    unit_response_rate: FloatArray

    def notes(self, unit: int | str, lang: Lang = "zh") -> tuple[str, ...]:
        """What a reader must know about the unit's figures: groups left out and why, the
        renormalised weights, an index that could not be computed."""
        u = self.units.index(unit) if isinstance(unit, str) else unit
        out: list[str] = []
        weighted = self.weights > 0
        for g, name in enumerate(self.groups):
            if not weighted[g]:
                continue
            if self.n[u, g] == 0:
                out.append(say("group_none", lang, group=name))
            elif self.too_few[u, g]:
                out.append(
                    say("group_few", lang, group=name, n=int(self.n[u, g]), min_n=self.min_n)
                )
        if np.isnan(self.index[u]):
            out.append(say("no_index", lang, min_n=self.min_n))
        elif self.renormalised[u]:
            parts = [
                f"{name} {self.weights_used[u, g] * 100:.1f}%"
                for g, name in enumerate(self.groups)
                if self.weights_used[u, g] > 0
            ]
            out.append(
                say("renormalised", lang, weights=("，" if lang == "zh" else ", ").join(parts))
            )
        if self.index_se[u] == 0.0:
            out.append(say("zero_variance", lang))
        return tuple(out)


def _codes(answers: npt.ArrayLike, scale: LikertScale) -> tuple[IntArray, BoolArray]:
    """The codes as integers (0 where no answer) and the mask of answers."""
    raw = np.asarray(answers, dtype=np.float64).ravel()
    missing = np.isnan(raw) | (raw == -1)
    valid = raw[~missing]
    bad = (valid != np.round(valid)) | (valid < 1) | (valid > scale.points)
    if bad.any():
        position = int(np.flatnonzero(~missing)[np.flatnonzero(bad)[0]])
        raise DataError(
            f"answer {float(raw[position]):g} is not a code 1 … {scale.points} "
            "(NaN or −1: no answer)",
            line=position + 1,
        )
    codes = np.where(missing, 0, raw).astype(np.int64)
    return codes, ~missing


def _per_cell(
    name: str, values: npt.ArrayLike | None, shape: tuple[int, int], default: float
) -> FloatArray:
    if values is None:
        return np.full(shape, default)
    out = np.broadcast_to(np.asarray(values, dtype=np.float64), shape).copy()
    if (out[~np.isnan(out)] < 0).any():
        raise DataError(f"{name} must not be negative", column=name)
    return out


def survey_results(
    answers: npt.ArrayLike,
    unit: npt.ArrayLike,
    group: npt.ArrayLike,
    *,
    scale: LikertScale,
    units: Sequence[str],
    groups: Sequence[str],
    weights: npt.ArrayLike,
    quota: npt.ArrayLike | None = None,
    population: npt.ArrayLike | None = None,
    min_n: int = 5,
    confidence: float = 0.95,
) -> SurveyResult:
    """Survey statistics from one Likert question, one row per response.

    `answers`, `unit`, `group`: one entry per response (`unit`/`group` index `units`/`groups`).
    `weights`: one per group (≥ 0; need not sum to 1). `quota`, `population`: (U, G) or
    broadcastable, NaN = not given. `min_n`: groups with fewer answers are left out of the
    weighted index (and flagged). Raises DataError on a code outside the scale, an index out of
    range, more answers than a group's population.
    """
    codes, answered = _codes(answers, scale)
    unit_ix = np.asarray(unit).ravel()
    group_ix = np.asarray(group).ravel()
    if not (len(unit_ix) == len(group_ix) == len(codes)):
        raise DataError("answers, unit and group must have the same length")
    n_units, n_groups = len(units), len(groups)
    if n_units == 0 or n_groups == 0:
        raise DataError("a survey needs at least one unit and one group")
    for label, ix, size in (("unit", unit_ix, n_units), ("group", group_ix, n_groups)):
        if len(ix) and (
            not np.issubdtype(ix.dtype, np.integer) or ix.min() < 0 or ix.max() >= size
        ):
            raise DataError(f"{label} indices must be integers in 0 … {size - 1}", column=label)
    w = np.asarray(weights, dtype=np.float64).ravel()
    if w.shape != (n_groups,) or not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
        raise DataError(f"weights must be {n_groups} finite non-negative numbers, not all 0")
    if min_n < 2:
        raise ValueError(f"min_n must be at least 2 (a variance needs two answers), got {min_n}")
    shape = (n_units, n_groups)
    quota_ = _per_cell("quota", quota, shape, np.nan)
    population_ = _per_cell("population", population, shape, np.nan)

    cell = unit_ix.astype(np.int64) * n_groups + group_ix.astype(np.int64)
    size = n_units * n_groups
    responses = np.bincount(cell, minlength=size).reshape(shape)
    n = np.bincount(cell, weights=answered, minlength=size).astype(np.int64).reshape(shape)
    top = np.isin(codes, np.asarray(scale.top)) & answered
    satisfied = np.bincount(cell, weights=top, minlength=size).astype(np.int64).reshape(shape)
    # Integer sums of codes (exact in float64 below 2⁵³), so the order of answers never matters.
    oriented = np.where(answered, codes if scale.best == "high" else scale.points + 1 - codes, 0)
    s1 = np.bincount(cell, weights=oriented, minlength=size).reshape(shape)
    s2 = np.bincount(cell, weights=oriented * oriented, minlength=size).reshape(shape)

    if (n > population_).any():
        u, g = np.argwhere(n > population_)[0]
        raise DataError(
            f"unit {units[u]!r}, group {groups[g]!r}: {n[u, g]} answers exceed the population "
            f"{population_[u, g]:g}",
            column="population",
        )

    nf = n.astype(np.float64)
    step = 100.0 / (scale.points - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(n > 0, satisfied / nf, np.nan)
        mean = np.where(n > 0, (s1 / nf - 1.0) * step, np.nan)
        # (n Σx² − (Σx)²) is an exact integer: no cancellation, no dependence on order.
        var_codes = np.where(n > 1, (nf * s2 - s1 * s1) / (nf * (nf - 1.0)), np.nan)
        var_score = var_codes * step * step
        var_rate = np.where(n > 1, rate * (1.0 - rate) * nf / (nf - 1.0), np.nan)
        response_rate = np.where(quota_ > 0, responses / quota_, np.nan)
        fpc = np.where(np.isnan(population_), 1.0, 1.0 - nf / population_)
    sd = np.sqrt(var_score)
    rate_low, rate_high = wilson_interval(satisfied, n, confidence)

    usable = (n >= min_n) & (w > 0)
    too_few = (n > 0) & (n < min_n)
    w_cells = np.where(usable, w, 0.0)
    w_total = w_cells.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        weights_used = np.where(w_total > 0, w_cells / w_total, 0.0)
    has_index = w_total[:, 0] > 0
    renormalised = has_index & ((w > 0) & ~usable).any(axis=1)

    def stratified(values: FloatArray, variances: FloatArray) -> tuple[FloatArray, FloatArray]:
        # Accumulated group by group (a fixed order), never by a BLAS dot product.
        est = np.zeros(n_units)
        var = np.zeros(n_units)
        for g in range(n_groups):
            wg = weights_used[:, g]
            take = wg > 0
            est = est + np.where(take, wg * values[:, g], 0.0)
            with np.errstate(divide="ignore", invalid="ignore"):
                term = wg * wg * fpc[:, g] * variances[:, g] / nf[:, g]
            var = var + np.where(take, term, 0.0)
        return np.where(has_index, est, np.nan), np.where(has_index, np.sqrt(var), np.nan)

    index, index_se = stratified(mean, var_score)
    index_low, index_high = normal_interval(index, index_se, confidence, (0.0, 100.0))
    weighted_rate, weighted_rate_se = stratified(rate, var_rate)
    wr_low, wr_high = normal_interval(weighted_rate, weighted_rate_se, confidence, (0.0, 1.0))

    n_all = n.sum(axis=1)
    sat_all = satisfied.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate_all = np.where(n_all > 0, sat_all / n_all, np.nan)
        has_quota = quota_ > 0
        quota_sum = np.where(has_quota, quota_, 0.0).sum(axis=1)
        unit_rr = np.where(
            quota_sum > 0, np.where(has_quota, responses, 0).sum(axis=1) / quota_sum, np.nan
        )
    all_low, all_high = wilson_interval(sat_all, n_all, confidence)

    return SurveyResult(
        units=tuple(units),
        groups=tuple(groups),
        weights=read_only(w.copy()),
        min_n=min_n,
        confidence=confidence,
        responses=read_only(responses.astype(np.int64)),
        n=read_only(n),
        satisfied=read_only(satisfied),
        rate=read_only(rate),
        rate_low=read_only(rate_low),
        rate_high=read_only(rate_high),
        mean=read_only(mean),
        sd=read_only(sd),
        response_rate=read_only(response_rate),
        too_few=read_only(too_few),
        weights_used=read_only(weights_used),
        renormalised=read_only(renormalised),
        index=read_only(index),
        index_se=read_only(index_se),
        index_low=read_only(index_low),
        index_high=read_only(index_high),
        weighted_rate=read_only(weighted_rate),
        weighted_rate_se=read_only(weighted_rate_se),
        weighted_rate_low=read_only(wr_low),
        weighted_rate_high=read_only(wr_high),
        rate_all=read_only(rate_all),
        rate_all_low=read_only(all_low),
        rate_all_high=read_only(all_high),
        unit_response_rate=read_only(unit_rr),
    )


def matrix_results(
    ratings: npt.ArrayLike,
    group: npt.ArrayLike,
    *,
    scale: LikertScale,
    units: Sequence[str],
    groups: Sequence[str],
    weights: npt.ArrayLike,
    quota: npt.ArrayLike | None = None,
    population: npt.ArrayLike | None = None,
    min_n: int = 5,
    confidence: float = 0.95,
) -> SurveyResult:
    """A matrix question ("rate each of these units"): `ratings` is (respondents × units), NaN
    or −1 where a respondent did not rate a unit; `group` gives each respondent's group. Every
    respondent counts as a response for every unit (the questionnaire came back); a unit they
    did not rate is a missing answer. The statistics per unit are those of `survey_results`.
    """
    matrix = np.asarray(ratings, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[1] != len(units):
        raise DataError(f"ratings must be (respondents × {len(units)} units), got {matrix.shape}")
    respondents = matrix.shape[0]
    group_ix = np.asarray(group).ravel()
    if len(group_ix) != respondents:
        raise DataError(f"group must give one group per respondent ({respondents})")
    return survey_results(
        matrix.ravel(),
        np.tile(np.arange(len(units), dtype=np.int64), respondents),
        np.repeat(group_ix, len(units)),
        scale=scale,
        units=units,
        groups=groups,
        weights=weights,
        quota=quota,
        population=population,
        min_n=min_n,
        confidence=confidence,
    )
