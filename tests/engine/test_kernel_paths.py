"""The kernels' cheaper paths (fewer masked writes) give the bits of the plain formulas of
SCORING-RULES.md, written here with masks as they read — on values with ties at the baseline
and benchmark, infinities, NaN, tiny and huge values. NaN compares as NaN whatever its payload:
a missing input's NaN now flows through instead of being replaced by np.nan."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from kaohe.engine import methods as m

values = st.lists(
    st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.floats(-2.0, 3.0),
        st.sampled_from([0.2, 0.8, 5e-324, -5e-324, 0.0, -0.0, 1e308, -1e308]),
    ),
    min_size=1,
    max_size=40,
)


def _bits(a: np.ndarray) -> bytes:
    return np.where(np.isnan(a), np.nan, a).tobytes()


def _interpolate_reference(x, b, bm, floor, below, higher):  # type: ignore[no-untyped-def]
    span = bm - b
    with np.errstate(all="ignore"):
        progress = (x - b) / span if span != 0 else np.full(x.shape, -1.0)
    progress[x >= bm if higher else x <= bm] = 1.0
    f = progress * (1.0 - floor)
    f += floor
    f = np.minimum(f, 1.0)
    f[progress < 0.0] = 0.0 if below == "zero" else floor
    f[np.isnan(x)] = np.nan
    progress[np.isnan(x)] = np.nan
    return f, progress


@settings(max_examples=300, deadline=None)
@given(
    x=values,
    b=st.sampled_from([0.2, -1.0, 0.0, 1e-300]),
    bm=st.sampled_from([0.8, 0.2 + 2**-50, 1e300, -3.0]),
    floor=st.sampled_from([0.0, 0.6, 0.1, 1 / 3, 0.999999]),
    below=st.sampled_from(["zero", "floor"]),
    higher=st.booleans(),
)
def test_interpolate_equals_the_masked_formula(
    x: list[float], b: float, bm: float, floor: float, below: str, higher: bool
) -> None:
    arr = np.array(x)
    want_f, want_p = _interpolate_reference(arr, b, bm, floor, below, higher)
    with np.errstate(all="ignore"):
        for base, bench in ((b, bm), (np.array([[b]]), np.array([[bm]]))):  # scalar, batch row
            f, details = m.interpolate(
                arr[None, :], baseline=base, benchmark=bench, floor=floor, below=below,
                higher=higher,
            )  # fmt: skip
            assert _bits(f[0]) == _bits(want_f), (f, want_f)
            assert _bits(details["progress"][0]) == _bits(want_p)


def _goalpost_reference(x, low, high, log, cap, higher):  # type: ignore[no-untyped-def]
    with np.errstate(all="ignore"):
        if log:
            v = np.where(x > 0, np.log(np.where(x > 0, x, 1.0)), -np.inf)
            lo, hi = np.log(low), np.log(high)
        else:
            v, lo, hi = x, low, high
        f = (v - lo) / (hi - lo) if higher else (hi - v) / (hi - lo)
    if cap:
        f = np.clip(f, 0.0, 1.0)
    elif log:
        f = np.where(x > 0, f, np.nan)
    missing = np.isnan(x)
    return np.where(missing, np.nan, f), np.where(missing, np.nan, v)


@settings(max_examples=200, deadline=None)
@given(x=values, log=st.booleans(), cap=st.booleans(), higher=st.booleans())
def test_goalpost_equals_the_masked_formula(
    x: list[float], log: bool, cap: bool, higher: bool
) -> None:
    arr = np.array(x)
    want_f, want_v = _goalpost_reference(arr, 0.01, 2.0, log, cap, higher)
    with np.errstate(all="ignore"):
        f, details = m.goalpost(arr, low=0.01, high=2.0, log=log, cap=cap, higher=higher)
    assert _bits(f) == _bits(want_f)
    assert _bits(details["transformed"]) == _bits(want_v)
