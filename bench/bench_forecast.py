"""Benchmark: target suggestions for 1,000,000 annual series of length 8 against AutoETS.

Generates a province's worth of annual indicator series (units × indicators) whose growth,
volatility, slowdowns, one-off shocks and level shifts are drawn like those of the Zhejiang
city panel (seeded), times `suggest_targets` on all of them (kernels, per-series backtest
selection, ranges and bilingual reasons), times statsforecast's AutoETS on a subset in the same
run, and compares MASE on a held-out ninth point.

    .venv/bin/python bench/bench_forecast.py [--series 1000000] [--ets-series 2000]
        [--markdown docs/performance.md]

statsforecast is a benchmark-only dependency (never needed at run time).
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from kaohe.engine.forecast import kernels, suggest_targets

LENGTH = 8
FIRST_YEAR = 2015


def generate(n: int, length: int, seed: int = 20240101) -> np.ndarray:
    """``n`` positive annual series of ``length + 1`` points (the last one is held out).

    Log growth starts near the panel's typical 4–12 % a year and drifts towards a slower
    long-run rate (the slowdown the panel shows), with year-to-year noise of 1–8 %; 10 % of the
    series get a one-year shock that recovers (a pandemic year), 5 % a permanent level shift of
    10–25 % (a census revision or merger), 10 % are flat-ish ratios with noise only.
    """
    rng = np.random.default_rng(seed)
    total = length + 1
    level0 = np.exp(rng.uniform(np.log(10.0), np.log(1e5), n))
    g0 = rng.normal(0.08, 0.04, n)
    g_long = g0 * rng.uniform(0.4, 1.0, n)
    persistence = rng.uniform(0.6, 0.95, n)
    noise = np.exp(rng.uniform(np.log(0.01), np.log(0.08), n))
    flat = rng.random(n) < 0.10
    g0[flat] = 0.0
    g_long[flat] = 0.0
    growth = np.empty((n, total - 1))
    g = g0.copy()
    for step in range(total - 1):
        g = g_long + persistence * (g - g_long) + rng.normal(0.0, 0.3, n) * noise
        growth[:, step] = g + rng.normal(0.0, 1.0, n) * noise
    log_y = np.log(level0)[:, None] + np.concatenate(
        [np.zeros((n, 1)), np.cumsum(growth, axis=1)], axis=1
    )
    shock = rng.random(n) < 0.10
    shock_at = rng.integers(1, total - 1, n)
    shock_size = rng.uniform(-0.15, -0.03, n)
    t = np.arange(total)
    log_y += np.where(shock[:, None] & (t[None, :] == shock_at[:, None]), shock_size[:, None], 0.0)
    shift = rng.random(n) < 0.05
    shift_at = rng.integers(2, total - 1, n)
    shift_size = rng.choice([-1.0, 1.0], n) * rng.uniform(0.10, 0.25, n)
    log_y += np.where(shift[:, None] & (t[None, :] >= shift_at[:, None]), shift_size[:, None], 0.0)
    return np.exp(log_y)


def mase(actual: np.ndarray, forecast: np.ndarray, train: np.ndarray) -> float:
    """Mean over series of |actual − forecast| / in-sample mean absolute one-step change.

    Series where a forecast is undefined (a candidate after a recent level shift) are left
    out of that forecast's mean.
    """
    scale = np.mean(np.abs(np.diff(train, axis=1)), axis=1)
    return float(np.nanmean(np.abs(actual - forecast) / scale))


def run_autoets(train: np.ndarray, blocks: int) -> tuple[np.ndarray, list[float]]:
    """AutoETS one-step forecasts of every row on one core; (forecasts, seconds per block).

    The rows are fitted in ``blocks`` consecutive blocks, each timed on its own, so that a
    burst of load from other work on the machine spoils one block, not the measurement.
    """
    import pandas as pd
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS

    n, length = train.shape
    df = pd.DataFrame(
        {
            "unique_id": np.repeat(np.arange(n), length),
            "ds": np.tile(np.arange(FIRST_YEAR, FIRST_YEAR + length), n),
            "y": train.ravel(),
        }
    )
    sf = StatsForecast(models=[AutoETS(season_length=1)], freq=1, n_jobs=1)
    forecasts, seconds = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # Warm-up: numba compiles on the first fit; that one-off cost is not throughput.
        sf.forecast(df=df[df["unique_id"] < 5], h=1)
        for ids in np.array_split(np.arange(n), blocks):
            part = df[(df["unique_id"] >= ids[0]) & (df["unique_id"] <= ids[-1])]
            started = time.perf_counter()
            out = sf.forecast(df=part, h=1)
            seconds.append(time.perf_counter() - started)
            forecasts.append(out.sort_values("unique_id")["AutoETS"].to_numpy())
    return np.concatenate(forecasts), seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=1_000_000)
    parser.add_argument("--ets-series", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=20240101)
    parser.add_argument("--repeats", type=int, default=3, help="runs of suggest_targets (best)")
    parser.add_argument("--ets-blocks", type=int, default=4, help="timed AutoETS blocks (best)")
    parser.add_argument(
        "--peer-units",
        type=int,
        default=100,
        help="series per peer group passed as `groups` (a province's indicator across its "
        "units); 0: no groups (no pooling)",
    )
    parser.add_argument("--markdown", type=Path, help="update the section in this file")
    args = parser.parse_args(argv)

    data = generate(args.series, LENGTH, args.seed)
    train, actual = data[:, :-1], data[:, -1]
    years = list(range(FIRST_YEAR, FIRST_YEAR + LENGTH))

    groups = np.arange(args.series) // args.peer_units if args.peer_units > 0 else None
    runs = []
    for _ in range(args.repeats):
        started = time.perf_counter()
        result = suggest_targets(train, years, horizon=1, groups=groups)
        # Reading the reasons is part of a suggestion (they are built with the numbers).
        n_reasons = result.reason_zh.size + result.reason_en.size
        runs.append(time.perf_counter() - started)
        assert n_reasons == 2 * args.series
    ours_seconds = min(runs)
    ours_rate = args.series / ours_seconds

    lines = [
        f"{args.series:,} annual series of length {LENGTH} (seed {args.seed}), one held-out "
        f"ninth value; {platform.processor() or platform.machine()}, numpy {np.__version__}, "
        "one process.",
        "",
        f"- `suggest_targets` ({len(result.methods)} candidate methods, rolling-origin backtest "
        "from 3 origins, per-series selection, level-shift detection, "
        + (
            f"peer groups of {args.peer_units} series (peers' median growth), "
            if groups is not None
            else "no peer groups, "
        )
        + "80 % ranges, zh + en reasons): "
        f"best of {args.repeats} runs {ours_seconds:.2f} s (all: "
        + ", ".join(f"{r:.2f}" for r in runs)
        + f" s), **{ours_rate:,.0f} series/s**",
    ]
    subset = slice(0, min(args.ets_series, args.series))
    try:
        import statsforecast

        sf_version: str | None = statsforecast.__version__
    except ImportError:
        sf_version = None
    ets_rate = None
    if sf_version is not None and args.ets_series > 0:
        ets, block_seconds = run_autoets(train[subset], args.ets_blocks)
        ets_n = ets.shape[0]
        block_n = ets_n / len(block_seconds)
        ets_rate = block_n / min(block_seconds)
        lines.append(
            f"- statsforecast {sf_version} `AutoETS(season_length=1)`, "
            f"`n_jobs=1`, on the first {ets_n:,} series in the same run, timed in "
            f"{len(block_seconds)} blocks of {block_n:,.0f}: best block "
            f"{min(block_seconds):.1f} s (all: "
            + ", ".join(f"{b:.1f}" for b in block_seconds)
            + f" s; {ets_n / sum(block_seconds):,.0f} series/s overall), "
            f"**{ets_rate:,.0f} series/s**"
        )
        lines.append(
            f"- Ratio, best against best: **{ours_rate / ets_rate:,.0f}×** AutoETS's "
            f"series/s (goal ≥ 200×); median against overall: "
            f"{(args.series / float(np.median(runs))) / (ets_n / sum(block_seconds)):,.0f}×"
        )
    lines += [
        "",
        "MASE of the held-out value (scale: in-sample mean absolute yearly change):",
        "",
        f"| forecast | all {args.series:,} series | first {subset.stop:,} series |",
        "|---|---:|---:|",
    ]
    table = {
        "suggested target (selected method)": result.forecast,
        "naive": kernels.naive(train, 1)[:, 0],
        "drift": kernels.drift(train, 1)[:, 0],
    }
    for k, name in enumerate(result.methods):
        if name not in ("naive", "drift"):
            table[f"candidate: {name} (where defined)"] = result.method_forecasts[:, k]
    for name, fc in table.items():
        lines.append(
            f"| {name} | {mase(actual, fc, train):.3f} "
            f"| {mase(actual[subset], fc[subset], train[subset]):.3f} |"
        )
    if ets_rate is not None:
        lines.append(
            f"| statsforecast AutoETS | — | {mase(actual[subset], ets, train[subset]):.3f} |"
        )
    lines += [
        "",
        "Both timings are wall-clock in the same process on a 2-core machine shared with other "
        "work, so the absolute rates move with the load; each side is repeated and its best "
        "run taken, and the ratio is what this benchmark states. AutoETS's numba compilation "
        "is warmed up before timing. With 8 points, "
        "statsforecast fits only level-only ETS models (a trend model needs more than its "
        "parameters + 4 points), which is why its MASE is close to naive's.",
    ]
    finite = np.isfinite(result.low)
    inside = (actual >= result.low) & (actual <= result.high)
    lines += [
        "",
        f"Empirical coverage of the suggested 80 % range on the held-out value: "
        f"{inside[finite].mean():.1%} ({finite.sum():,} series with a range; "
        f"{result.has_break.sum():,} level shifts detected).",
    ]
    text = "\n".join(lines)
    print(text)
    if args.markdown:
        write_section(args.markdown, "## Target suggestions", text)
    return 0


def write_section(path: Path, heading: str, body: str) -> None:
    """Replace (or append) one ``## `` section of a markdown file, leaving the others alone."""
    old = path.read_text(encoding="utf-8") if path.exists() else "# Performance\n"
    lines = old.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip() == heading), None)
    section = [heading, "", "Measured by `bench/bench_forecast.py`.", "", *body.splitlines(), ""]
    if start is None:
        new = [*lines, "", *section] if lines and lines[-1].strip() else [*lines, *section]
    else:
        end = next(
            (i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines)
        )
        new = [*lines[:start], *section, *lines[end:]]
    path.write_text("\n".join(new).rstrip("\n") + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
