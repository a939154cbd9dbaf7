"""Confidence intervals used by the survey statistics: Wilson's score interval for one
proportion and the normal interval of a (stratified) estimate, both vectorised."""

from __future__ import annotations

from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
from scipy.stats import norm

FloatArray = npt.NDArray[np.float64]
Array = TypeVar("Array", bound=np.ndarray[Any, Any])


def read_only(array: Array) -> Array:
    """The array, made read-only (results are immutable)."""
    array.setflags(write=False)
    return array


def z_value(confidence: float) -> float:
    """The two-sided normal quantile of `confidence` (1.959963984540054 for 0.95)."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence}")
    return float(norm.ppf(0.5 + confidence / 2.0))


def wilson_interval(
    successes: npt.ArrayLike, n: npt.ArrayLike, confidence: float = 0.95
) -> tuple[FloatArray, FloatArray]:
    """Wilson (1927) score interval of the proportion successes / n, element-wise.

    centre = (p + z²/2n) / (1 + z²/n), half-width = z √(p(1 − p)/n + z²/4n²) / (1 + z²/n).
    NaN where n is 0. It never leaves [0, 1] and stays honest for small n and for p = 0 or 1.
    """
    x = np.asarray(successes, dtype=np.float64)
    size = np.asarray(n, dtype=np.float64)
    z = z_value(confidence)
    z2 = z * z
    with np.errstate(divide="ignore", invalid="ignore"):
        p = x / size
        denom = 1.0 + z2 / size
        centre = (p + z2 / (2.0 * size)) / denom
        half = z * np.sqrt(p * (1.0 - p) / size + z2 / (4.0 * size * size)) / denom
    empty = ~(size > 0)
    low = np.where(empty, np.nan, np.maximum(centre - half, 0.0))
    high = np.where(empty, np.nan, np.minimum(centre + half, 1.0))
    return low, high


def normal_interval(
    estimate: npt.ArrayLike,
    standard_error: npt.ArrayLike,
    confidence: float = 0.95,
    bounds: tuple[float, float] | None = None,
) -> tuple[FloatArray, FloatArray]:
    """estimate ± z·se, clipped to `bounds` when given (a rate cannot leave [0, 1])."""
    est = np.asarray(estimate, dtype=np.float64)
    se = np.asarray(standard_error, dtype=np.float64)
    z = z_value(confidence)
    low = est - z * se
    high = est + z * se
    if bounds is not None:
        low = np.clip(low, bounds[0], bounds[1])
        high = np.clip(high, bounds[0], bounds[1])
    return low, high
