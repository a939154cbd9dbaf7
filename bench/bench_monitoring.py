"""Benchmark of the monitoring rules: every rule kind over 20,000 units × 200 indicators.

    .venv/bin/python bench/bench_monitoring.py

For each rule kind, 200 rules (one per indicator) are evaluated on all units at once. Each time
is the median of several repeats (best in brackets), divided by a floor measured in the same
process on the same (200, 20,000) matrix of current values: a read pass (``arr.sum()``) and a
read + write pass (``arr * 1.0``). Messages for the flagged units (``findings``) are built on
demand, so they are timed separately.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from kaohe.engine.monitoring import MonitoringFrame, Rule, evaluate_rules, parse_rules

N_UNITS = 20_000
N_INDICATORS = 200
N_CATEGORIES = 16
SEED = 20260101


def timed(fn: Callable[[], Any], repeats: int) -> tuple[float, float]:
    """Median and best wall time of `fn`; the result is held until the clock stops."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
        del result
    return statistics.median(times), min(times)


def make_frame(rng: np.random.Generator) -> tuple[MonitoringFrame, np.ndarray]:
    """Log-normal figures with a little noise between nodes and years, 0.5 % missing."""
    prev = rng.lognormal(5.0, 1.0, (N_INDICATORS, N_UNITS))
    cur = prev * rng.lognormal(0.02, 0.08, prev.shape)
    last_year = prev * rng.lognormal(-0.05, 0.1, prev.shape)
    cur[rng.random(cur.shape) < 0.005] = np.nan
    targets = cur * rng.uniform(1.6, 2.4, cur.shape)
    codes = [f"i{j:03d}" for j in range(N_INDICATORS)]
    cats = [f"c{k:02d}" for k in rng.integers(0, N_CATEGORIES, N_UNITS)]
    frame = MonitoringFrame.build(
        units=[f"u{i:05d}" for i in range(N_UNITS)],
        categories=cats,
        current={c: cur[j] for j, c in enumerate(codes)},
        previous={c: prev[j] for j, c in enumerate(codes)},
        last_year={c: last_year[j] for j, c in enumerate(codes)},
        targets={c: targets[j] for j, c in enumerate(codes)},
        node="H1",
    )
    return frame, np.ascontiguousarray(cur)


def rules_by_kind() -> dict[str, tuple[Rule, ...]]:
    """200 rules of each kind, one per indicator (cross-checks pair neighbouring indicators)."""
    codes = [f"i{j:03d}" for j in range(N_INDICATORS)]
    specs: dict[str, list[dict[str, Any]]] = {
        "threshold": [{"kind": "threshold", "indicator": c, "min": 20, "max": 2000} for c in codes],
        "drop": [{"kind": "drop", "indicator": c, "percent": 15} for c in codes],
        "drop (last year)": [
            {"kind": "drop", "indicator": c, "percent": 15, "against": "last_year"} for c in codes
        ],
        "pace": [
            {"kind": "pace", "indicator": c, "tolerance": 5,
             "share": {"Q1": 0.2, "H1": 0.45, "Q3": 0.7, "Y": 1.0}}
            for c in codes
        ],
        "peer_outlier": [{"kind": "peer_outlier", "indicator": c} for c in codes],
        "hb": [{"kind": "hb", "indicator": c, "C": 7} for c in codes],
        "cross_check": [
            {"kind": "cross_check",
             "expression": f"{c} <= 3 * {codes[(j + 1) % len(codes)]} and {c} <= 1.5 * {c}@prev"}
            for j, c in enumerate(codes)
        ],
    }  # fmt: skip
    out = {}
    for kind, items in specs.items():
        out[kind] = parse_rules(
            [{"id": f"{kind.split()[0]}-{i}", **spec} for i, spec in enumerate(items)]
        )
    return out


def main() -> None:
    """Time every rule kind and print a Markdown table with the ratios to the floors."""
    rng = np.random.default_rng(SEED)
    frame, matrix = make_frame(rng)
    rules = rules_by_kind()
    # warm up: category codes are computed once per frame and cached; and glibc raises its
    # mmap threshold after the first frees of 160 kB arrays, so the first kind timed would
    # otherwise pay page faults that later kinds (and a long-running worker) do not
    _ = frame.category_codes
    for kind_rules in rules.values():
        evaluate_rules(kind_rules, frame)

    read, _ = timed(lambda: matrix.sum(), 15)
    write, _ = timed(lambda: matrix * 1.0, 15)
    print(
        f"{N_UNITS:,} units × {N_INDICATORS} indicators, {N_CATEGORIES} categories; numpy "
        f"{np.__version__}\nfloors on the ({N_INDICATORS}, {N_UNITS:,}) matrix: read pass "
        f"{read * 1e3:.1f} ms, read + write pass {write * 1e3:.1f} ms\n"
    )
    print("| rule kind (200 rules) | median (best) | ÷ read pass | ÷ read + write | flagged "
          "| findings (zh + en messages) |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|")
    # kernels first, with no findings alive: a few hundred thousand message objects on the heap
    # slow numpy's allocations down and would blur the kernel times
    times = {}
    for kind, kind_rules in rules.items():
        gc.collect()
        times[kind] = timed(lambda r=kind_rules: evaluate_rules(r, frame), 7)  # type: ignore[misc]
    every = tuple(r for rs in rules.values() for r in rs)
    gc.collect()
    all_med, all_best = timed(lambda: evaluate_rules(every, frame), 3)
    for kind, kind_rules in rules.items():
        med, best = times[kind]
        result = evaluate_rules(kind_rules, frame)
        flagged = sum(int(r.flagged.sum()) for r in result.results)
        start = time.perf_counter()
        n_findings = len(result.findings)
        msg = time.perf_counter() - start
        assert n_findings == flagged
        del result
        gc.collect()
        print(
            f"| {kind} | {med * 1e3:.1f} ms ({best * 1e3:.1f}) | {med / read:.0f}× "
            f"| {med / write:.0f}× | {flagged:,} | {msg * 1e3:.0f} ms |"
        )
    print(
        f"| all {len(every):,} rules in one call | {all_med * 1e3:.0f} ms ({all_best * 1e3:.0f}) "
        f"| {all_med / read:.0f}× | {all_med / write:.0f}× | — | — |"
    )
    total = sum(med for med, _ in times.values())
    print(f"\nsum of the per-kind medians: {total * 1e3:.0f} ms")


if __name__ == "__main__":
    main()
