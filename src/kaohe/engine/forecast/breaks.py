"""Structural-break (level-shift) detection, vectorised over all series.

A census revision or a district merger shows up as one period-on-period change far outside the
series' own rhythm, after which the series carries on from the new level. Extrapolating across
such a jump would turn a one-off into a trend, so the engine detects it and uses only the
segment after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

from kaohe.engine.forecast.kernels import FloatArray, nanmedian_rows

# A change is a break when it deviates from the median change by more than BREAK_MADS robust
# standard deviations (1.4826·MAD) AND by more than a floor. Without the floor a very smooth
# series (MAD ≈ 0) would flag every wobble; 5 % is well above the year-to-year swing of the
# growth rates of smooth yearbook series and well below the 15–25 % of the 2020 census revision.
BREAK_MADS: Final = 5.0
MIN_RELATIVE_JUMP: Final = 0.05
# Changes needed before a jump can be told from the rhythm: the median and MAD of fewer
# changes are not robust to the jump itself.
MIN_CHANGES: Final = 4


@dataclass(frozen=True)
class LevelShifts:
    """Where each series' last level shift is.

    ``column`` is the column of the first value of the new level (−1: none); ``size`` is the
    jump beyond the usual change: relative (0.15 = +15 %) when ``relative`` else in the
    series' units.
    """

    column: NDArray[np.intp]
    size: FloatArray
    relative: NDArray[np.bool_]

    @classmethod
    def none(cls, n_rows: int) -> LevelShifts:
        """No level shift in any of ``n_rows`` series."""
        return cls(
            column=np.full(n_rows, -1, dtype=np.intp),
            size=np.zeros(n_rows),
            relative=np.zeros(n_rows, dtype=bool),
        )


def detect_level_shifts(y: FloatArray, season_length: int = 1) -> LevelShifts:
    """Find the last level shift of each right-aligned, left-NaN-padded row of ``y``.

    Changes are taken over ``season_length`` periods (year on year for quarterly data) and on
    the log scale for positive series, so steady exponential growth is not a break. A jump
    followed at once by a jump back (a one-off outlier, such as a pandemic dip that recovers)
    is not a level shift and is left alone.
    """
    n_rows, length = y.shape
    m = season_length
    if length <= m:
        return LevelShifts.none(n_rows)
    positive = ~np.any(y <= 0, axis=1)
    x = y.copy()
    np.log(y, out=x, where=positive[:, None])
    change = x[:, m:] - x[:, :-m]
    center = nanmedian_rows(change)
    deviation = change - center[:, None]
    spread = 1.4826 * nanmedian_rows(np.abs(deviation))
    floor = np.full(n_rows, MIN_RELATIVE_JUMP)
    other = np.flatnonzero(~positive)
    if other.size:
        # In units for series that are not positive: 5 % of the typical absolute level.
        floor[other] *= nanmedian_rows(np.abs(y[other]))
    threshold = np.maximum(BREAK_MADS * spread, floor)[:, None]
    with np.errstate(invalid="ignore"):
        jump = np.abs(deviation) > threshold
    # A jump undone by the next change is an outlier, not a new level.
    undone = np.zeros_like(jump)
    if change.shape[1] > m:
        lead = deviation[:, m:]
        lag = deviation[:, :-m]
        with np.errstate(invalid="ignore"):
            pair = (
                jump[:, :-m]
                & jump[:, m:]
                & (np.sign(lead) != np.sign(lag))
                & (np.abs(lead + lag) <= threshold)
            )
        undone[:, :-m] |= pair
        undone[:, m:] |= pair
    shift = jump & ~undone
    enough = np.sum(np.isfinite(change), axis=1) >= MIN_CHANGES
    shift &= enough[:, None]
    has_shift = shift.any(axis=1)
    last = shift.shape[1] - 1 - np.argmax(shift[:, ::-1], axis=1)
    # Over a season lag, one shift shows in m consecutive changes of the same sign: the new
    # level starts at the first of them.
    sign = np.sign(np.take_along_axis(deviation, last[:, None], axis=1)[:, 0])
    for _ in range(m - 1):
        prev = np.clip(last - 1, 0, None)
        same = (
            (last > 0)
            & np.take_along_axis(shift, prev[:, None], axis=1)[:, 0]
            & (np.sign(np.take_along_axis(deviation, prev[:, None], axis=1)[:, 0]) == sign)
        )
        last = np.where(same, prev, last)
    size_at = np.take_along_axis(deviation, last[:, None], axis=1)[:, 0]
    # Clipped so that a jump from a denormal value does not overflow.
    size = np.where(positive, np.expm1(np.clip(size_at, -700.0, 700.0)), size_at)
    return LevelShifts(
        column=np.where(has_shift, last + m, -1).astype(np.intp),
        size=np.where(has_shift, size, 0.0),
        relative=positive,
    )
