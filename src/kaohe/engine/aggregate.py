"""Aggregation of children's fractions into a group's fraction.

`fractions` has the children on axis 0: shape (k, ..., N). `weights` has shape (k,) or is
broadcastable to `fractions` (e.g. (k, B, 1) for a batch of Monte Carlo weight draws). A `sum`
group is the points-weighted mean of its children's fractions (Σ points_i f_i / Σ points_i).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def _shares(fractions: FloatArray, weights: FloatArray) -> FloatArray:
    w = np.asarray(weights, dtype=np.float64)
    w = w.reshape(w.shape + (1,) * (fractions.ndim - w.ndim))
    return w / w.sum(axis=0, keepdims=True)


def weighted_mean(fractions: FloatArray, weights: FloatArray) -> FloatArray:
    """Σ w_i f_i / Σ w_i (also the `sum` aggregate, with points as weights)."""
    return np.sum(_shares(fractions, weights) * fractions, axis=0)


def geometric(fractions: FloatArray, weights: FloatArray) -> FloatArray:
    """Π f_i ^ (w_i / Σ w) — a zero child gives zero."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.prod(fractions ** _shares(fractions, weights), axis=0)


def harmonic(fractions: FloatArray, weights: FloatArray) -> FloatArray:
    """Σ w / Σ (w_i / f_i) — a zero child gives zero."""
    shares = _shares(fractions, weights)
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = np.sum(shares / fractions, axis=0)
        out = 1.0 / inv
    return np.where(np.isinf(inv), 0.0, out)


AGGREGATORS: dict[str, Callable[[FloatArray, FloatArray], FloatArray]] = {
    "sum": weighted_mean,
    "weighted_mean": weighted_mean,
    "geometric": geometric,
    "harmonic": harmonic,
}


def aggregate(kind: str, fractions: FloatArray, weights: FloatArray) -> FloatArray:
    """Combine children's fractions (axis 0) by the named aggregate."""
    return AGGREGATORS[kind](fractions, weights)
