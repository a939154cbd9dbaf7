"""Aggregation of children's fractions into a group's fraction.

`children` is a sequence of k arrays, each (N,) or a batch (B, N). `weights` has shape (k,)
or (k, B, 1) (one weight vector per Monte Carlo draw). A `sum` group is the points-weighted
mean of its children's fractions (Σ points_i f_i / Σ points_i). Children are accumulated one
by one rather than stacked, which saves a copy of every child at province scale.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def shares_of(weights: FloatArray) -> FloatArray:
    """The shares w_i / Σ w of the children (of the draws' weights too: (k, B, 1))."""
    w = np.asarray(weights, dtype=np.float64)
    return w / w.sum(axis=0, keepdims=True)


def weighted_mean(children: Sequence[FloatArray], weights: FloatArray) -> FloatArray:
    """Σ w_i f_i / Σ w_i (also the `sum` aggregate, with points as weights)."""
    shares = shares_of(weights)
    out = children[0] * shares[0]
    for f, s in zip(children[1:], shares[1:], strict=True):
        out = out + f * s
    return out


def geometric(children: Sequence[FloatArray], weights: FloatArray) -> FloatArray:
    """Π f_i ^ (w_i / Σ w) — a zero child gives zero."""
    shares = shares_of(weights)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = children[0] ** shares[0]
        for f, s in zip(children[1:], shares[1:], strict=True):
            out = out * f**s
    return out


def harmonic(children: Sequence[FloatArray], weights: FloatArray) -> FloatArray:
    """Σ w / Σ (w_i / f_i) — a zero child gives zero."""
    shares = shares_of(weights)
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = shares[0] / children[0]
        for f, s in zip(children[1:], shares[1:], strict=True):
            inv = inv + s / f
        out = 1.0 / inv
    return np.where(np.isinf(inv), 0.0, out)


AGGREGATORS: dict[str, Callable[[Sequence[FloatArray], FloatArray], FloatArray]] = {
    "sum": weighted_mean,
    "weighted_mean": weighted_mean,
    "geometric": geometric,
    "harmonic": harmonic,
}


def aggregate(kind: str, children: Sequence[FloatArray], weights: FloatArray) -> FloatArray:
    """Combine children's fractions by the named aggregate."""
    return AGGREGATORS[kind](children, weights)


def aggregate_into(
    kind: str,
    children: Sequence[FloatArray],
    weights: FloatArray,
    shares: FloatArray,
    out: FloatArray,
    scratch: FloatArray,
) -> None:
    """`aggregate` for one evaluation (children (N,)), written into `out`: the same operations
    in the same order, so the same bits, without a new array per child (`scratch` is (N,)).
    `shares` is `shares_of(weights)`, which the caller keeps from one evaluation to the next."""
    if kind not in ("sum", "weighted_mean"):
        out[...] = AGGREGATORS[kind](children, weights)
        return
    np.multiply(children[0], shares[0], out=out)
    for f, s in zip(children[1:], shares[1:], strict=True):
        np.multiply(f, s, out=scratch)
        out += scratch
