"""Benchmark of the scoring engine: province scale, city scale and Monte Carlo robustness.

    .venv/bin/python bench/bench_engine.py

Every time is the median of several repeats, divided by the time of one numpy read pass over
the same input (``arr.sum()`` over all input values, measured in the same process): the
memory-bandwidth floor. A read + write pass (``arr * 1.0``) is shown as extra information only.
Goals: province run ≤ 1 s and ≤ 20× the read pass — with complete inputs and with 0.5 % of
the input cells missing (NaN, seeded); 1,000 Monte Carlo draws at city scale ≤ 1 s.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from kaohe.engine import InputTable, Scheme, evaluate, load_scheme
from kaohe.engine.robustness import assess_robustness

# a realistic mix of the methods an office uses, cycled over indicators
METHODS: list[dict[str, Any]] = [
    {"type": "target", "target": 0.5},
    {"type": "target", "target": 0.4, "mode": "proportional", "cap": 1.2},
    {"type": "rank"},
    {"type": "band", "target": 0.5, "bonus_per_step": 0.1, "bonus_cap": 0.2, "step": 0.1,
     "penalty_per_step": 0.1},
    {"type": "efficacy", "low": 0.1, "satisfactory": 0.9},
    {"type": "interpolate", "baseline": 0.2, "benchmark": 0.8, "floor": 0.6},
    {"type": "goalpost", "min": 0.01, "max": 1.0, "log": True},
    {"type": "zscore"},
    {"type": "frontier", "mode": "ratio"},
    {"type": "ratio", "full": 0.9},
]  # fmt: skip


def make_scheme(n_sections: int, per_section: int, *, draws: int = 1000) -> Scheme:
    """Sections of key indicators, each a scale/speed/quality composite of three leaves."""
    sections = []
    k = 0
    for s in range(n_sections):
        indicators = []
        for i in range(per_section):
            aspects = []
            for a, aspect in enumerate(("scale", "speed", "quality")):
                method = dict(METHODS[k % len(METHODS)])
                k += 1
                aspects.append(
                    {
                        "id": f"s{s}_i{i}_{aspect}",
                        "aspect": aspect,
                        "points": [3, 3, 4][a],
                        "input": f"x{s}_{i}_{a}",
                        "method": method,
                        **({"alternatives": [{"type": "rank"}]} if a == 2 and i % 4 == 0 else {}),
                    }
                )
            indicators.append({"id": f"s{s}_i{i}", "points": 10, "children": aspects})
        sections.append({"id": f"s{s}", "points": 10 * per_section, "children": indicators})
    return load_scheme(
        {
            "kaohe_scheme": 1,
            "id": "bench",
            "points": 10 * per_section * n_sections,
            "root": {"aggregate": "sum", "children": sections},
            "adjustments": [
                {
                    "id": "crit",
                    "kind": "deduction",
                    "input": "crit",
                    "method": {"type": "events", "per_event": 2, "cap": 4},
                },
                {"id": "fraud", "kind": "veto", "when": "fraud > 0"},
            ],
            "grades": [
                {"code": "excellent", "min": 0, "quota": 0.3},
                {"code": "good", "min": 0, "quota": 0.4},
                {"code": "qualified"},
            ],
            "results": {"top_flags": 3, "interview": {"bottom": 3}},
            "robustness": {"draws": draws, "weight_jitter": 0.2, "seed": 1},
        }
    )


def make_data(scheme: Scheme, n_units: int, n_categories: int, seed: int = 0) -> np.ndarray:
    """The input matrix (codes × units), values in (0, 1]."""
    rng = np.random.default_rng(seed)
    return rng.uniform(0.01, 1.0, size=(len(scheme.input_codes), n_units))


def with_missing(data: np.ndarray, share: float, seed: int = 2) -> np.ndarray:
    """A copy of `data` with `share` of its cells set to NaN (seeded)."""
    out = data.copy()
    out[np.random.default_rng(seed).uniform(size=data.shape) < share] = np.nan
    return out


def make_table(scheme: Scheme, data: np.ndarray, n_categories: int) -> InputTable:
    n = data.shape[1]
    columns = dict(zip(scheme.input_codes, data, strict=True))
    rng = np.random.default_rng(1)
    columns["crit"] = rng.integers(0, 3, n).astype(float)
    columns["fraud"] = (rng.uniform(size=n) < 0.01).astype(float)
    return InputTable.build(
        [f"u{i}" for i in range(n)],
        columns,
        categories=[f"c{i % n_categories}" for i in range(n)],
    )


def timed(fn: Callable[[], object], repeats: int) -> tuple[float, float]:
    """(median, best) wall time of `repeats` calls, in seconds."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
        del out  # freeing the result is not part of producing it (for the floors neither)
    return statistics.median(times), min(times)


def main() -> None:
    rows: list[tuple[str, str, tuple[float, float], float, float]] = []

    province = make_scheme(10, 20)  # 10 sections × 20 indicators × 3 components = 600 leaves
    pdata = make_data(province, 20_000, 16)
    ptable = make_table(province, pdata, 16)
    # the floor: one read pass over the input; a read + write pass is shown for information
    read_floor = timed(lambda: pdata.sum(), 21)[0]
    write_floor = timed(lambda: pdata * 1.0, 11)[0]
    run = timed(lambda: evaluate(province, ptable), 11)
    n_inputs = len(province.input_codes)
    what = f"20,000 units × {n_inputs} inputs (200 indicators × 3)"
    rows.append(("province: evaluate", what, run, read_floor, write_floor))
    mtable = make_table(province, with_missing(pdata, 0.005), 16)
    unscored = int((evaluate(province, mtable).status != "scored").sum())
    mrun = timed(lambda: evaluate(province, mtable), 11)
    rows.append(("province, 0.5 % missing inputs", f"the same, NaN in 0.5 % of cells "
                 f"({unscored:,} units unscored)", mrun, read_floor, write_floor))  # fmt: skip
    build = timed(lambda: make_table(province, pdata, 16), 3)
    rows.append(("province: build InputTable", "validate + freeze the same input", build,
                 read_floor, write_floor))  # fmt: skip

    city = make_scheme(4, 5, draws=1000)  # 60 leaves: 20 indicators × 3 components
    cdata = make_data(city, 50, 1)
    ctable = make_table(city, cdata, 1)
    c_read = timed(lambda: cdata.sum(), 201)[0]
    c_write = timed(lambda: cdata * 1.0, 201)[0]
    crun = timed(lambda: evaluate(city, ctable), 21)
    rows.append(("city: evaluate", f"50 units × {len(city.input_codes)} inputs", crun, c_read,
                 c_write))  # fmt: skip
    result = evaluate(city, ctable)
    mc = timed(lambda: assess_robustness(result, draws=1000), 7)
    rows.append(("city: 1,000 Monte Carlo draws", "weights ±20%, 5 leaves with alternatives", mc,
                 c_read, c_write))  # fmt: skip

    print(f"{'run':31} {'input':52} {'median s':>9} {'best s':>8} {'÷ read':>8} {'÷ r+w':>7}")
    for name, what, (t, best), rf, wf in rows:
        print(f"{name:31} {what:52} {t:9.4f} {best:8.4f} {t / rf:7.1f}× {t / wf:6.1f}×")
    print(
        f"\nfloors, province: read pass (arr.sum) {read_floor * 1e3:.2f} ms; for information, "
        f"read + write pass (arr * 1.0) {write_floor * 1e3:.2f} ms"
    )
    for label, (t, _) in (("province run", run), ("province, 0.5 % missing", mrun)):
        ratio = t / read_floor
        print(
            f"{label} ≤ 20× read pass: {'met' if ratio <= 20 else 'NOT met'} ({ratio:.1f}×, "
            f"{t:.3f} s); ≤ 1 s: {'met' if t <= 1 else 'NOT met'}"
        )
    print(
        f"1,000 MC draws at city scale ≤ 1 s: {'met' if mc[0] <= 1 else 'NOT met'} ({mc[0]:.3f} s)"
    )


if __name__ == "__main__":
    main()
