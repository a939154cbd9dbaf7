"""Backtest the target suggestions on the Zhejiang city panel (11 cities × ~20 indicators).

Holds out the last year (and, separately, the last two years), suggests targets from the
years before with `kaohe.engine.forecast.suggest_targets`, and reports MASE per candidate
method, for the selected method, for plain naive and drift on the raw series, and for
statsforecast's AutoETS on the same series; plus the empirical coverage of the suggested
80 % range (and of AutoETS's 80 % interval).

    .venv/bin/python bench/backtest_panel.py [--markdown docs/backtests.md]

statsforecast is a benchmark-only dependency; without it the AutoETS rows are skipped.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from kaohe.engine.forecast import kernels, suggest_targets

PANEL_NAME = "zhejiang_city_main_indicators_2012_2022_yearbook.csv"
SHARED = Path("/work/shared/data/panels") / PANEL_NAME
BUNDLED = Path(__file__).resolve().parents[1] / "src/kaohe/demo/data" / PANEL_NAME
COVERAGE = 0.8


def load_panel() -> tuple[list[tuple[str, str]], list[int], np.ndarray, Path]:
    """Read the long panel into a (city, indicator) × year array."""
    path = SHARED if SHARED.exists() else BUNDLED
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    keys = sorted({(r["city"], r["indicator"]) for r in rows})
    years = sorted({int(r["year"]) for r in rows})
    index = {k: i for i, k in enumerate(keys)}
    values = np.full((len(keys), len(years)), np.nan)
    for r in rows:
        values[index[(r["city"], r["indicator"])], int(r["year"]) - years[0]] = float(r["value"])
    return keys, years, values, path


def mase_scale(train: np.ndarray) -> np.ndarray:
    """In-sample mean absolute one-step change of each training series (the MASE scale)."""
    change = np.abs(np.diff(train, axis=1))
    valid = np.isfinite(change)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(valid, change, 0.0).sum(1) / valid.sum(1)


def autoets(train: np.ndarray, years: list[int], horizon: int) -> tuple[np.ndarray, ...]:
    """AutoETS mean forecast and 80 % interval for each row (on its finite trailing values)."""
    import pandas as pd
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS, Naive

    n = kernels.history_length(train)
    frames = []
    for i in range(train.shape[0]):
        ys = train[i, train.shape[1] - n[i] :]
        frames.append(pd.DataFrame({"unique_id": i, "ds": years[-len(ys) :], "y": ys}))
    df = pd.concat(frames, ignore_index=True)
    # statsforecast's ETS needs more than npars + 4 points (7 for the simplest model); for
    # shorter series it raises, and its own fallback (naive) stands in.
    sf = StatsForecast(models=[AutoETS(season_length=1)], freq=1, n_jobs=1, fallback_model=Naive())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = sf.forecast(df=df, h=horizon, level=[int(COVERAGE * 100)])
    out = out.sort_values(["unique_id", "ds"])
    shape = (train.shape[0], horizon)
    mean = out["AutoETS"].to_numpy().reshape(shape)
    lo = out[f"AutoETS-lo-{int(COVERAGE * 100)}"].to_numpy().reshape(shape)
    hi = out[f"AutoETS-hi-{int(COVERAGE * 100)}"].to_numpy().reshape(shape)
    return mean, lo, hi


def evaluate(
    values: np.ndarray, years: list[int], holdout: int, with_ets: bool
) -> dict[str, object]:
    """Suggest from all but the last ``holdout`` years; score every horizon 1..holdout."""
    train, test = values[:, :-holdout], values[:, -holdout:]
    train_years = years[:-holdout]
    n_train = kernels.history_length(train)
    # Series the office could get a suggestion for: ≥ 4 training years and a held-out value.
    keep = (n_train >= 4) & np.all(np.isfinite(test), axis=1)
    train, test = train[keep], test[keep]
    scale = mase_scale(train)
    rows: dict[str, list[float]] = {}
    coverage: dict[str, list[float]] = {"suggested range": []}
    selected_counts: dict[str, int] = {}
    held = 0
    methods: tuple[str, ...] = ()
    for h in range(1, holdout + 1):
        actual = test[:, h - 1]
        res = suggest_targets(train, train_years, horizon=h, coverage=COVERAGE)
        methods = res.methods
        err = {f"candidate: {m}": res.method_forecasts[:, k] for k, m in enumerate(methods)}
        err["selected (suggested target)"] = res.forecast
        err["baseline: naive (raw series)"] = kernels.naive(train, h)[:, 0]
        err["baseline: drift (raw series)"] = kernels.drift(train, h)[:, 0]
        for name, fc in err.items():
            rows.setdefault(name, []).extend(np.abs(actual - fc) / scale)
        inside = (actual >= res.low) & (actual <= res.high)
        coverage["suggested range"].extend(inside[np.isfinite(res.low)].astype(float))
        for name in res.method_name:
            selected_counts[name] = selected_counts.get(name, 0) + 1
        held += int((~res.extrapolable).sum())
    if with_ets:
        started = time.perf_counter()
        mean, lo, hi = autoets(train, train_years, holdout)
        elapsed = time.perf_counter() - started
        rows["statsforecast AutoETS"] = list((np.abs(test - mean) / scale[:, None]).T.ravel())
        coverage["AutoETS 80 % interval"] = list(
            ((test >= lo) & (test <= hi)).T.ravel().astype(float)
        )
        rows["statsforecast AutoETS"] = [float(v) for v in rows["statsforecast AutoETS"]]
        coverage["_ets_seconds"] = [elapsed]
    return {
        "n_series": int(keep.sum()),
        "mase": {k: np.asarray(v, dtype=float) for k, v in rows.items()},
        "coverage": coverage,
        "selected": selected_counts,
        "held": held,
        "methods": methods,
    }


def summarise(result: dict[str, object], holdout: int) -> list[str]:
    """Markdown table lines for one holdout."""
    mase = result["mase"]
    assert isinstance(mase, dict)
    lines = [
        f"### Hold out the last {holdout} year{'s' if holdout > 1 else ''} "
        f"({result['n_series']} series, {holdout} forecast{'s' if holdout > 1 else ''} each)",
        "",
        "| forecast | mean MASE | median MASE | share of series better than drift |",
        "|---|---:|---:|---:|",
    ]
    drift = mase["baseline: drift (raw series)"]
    for name, v in mase.items():
        finite = np.isfinite(v)
        better = np.mean(v[finite & np.isfinite(drift)] < drift[finite & np.isfinite(drift)])
        lines.append(
            f"| {name} | {np.mean(v[finite]):.3f} | {np.median(v[finite]):.3f} | {better:.0%} |"
        )
    lines.append("")
    cov = result["coverage"]
    assert isinstance(cov, dict)
    for name, v in cov.items():
        if not name.startswith("_"):
            lines.append(
                f"- Empirical coverage of the {name} (nominal {COVERAGE:.0%}): "
                f"{np.mean(v):.1%} of {len(v)} held-out values"
            )
    if "_ets_seconds" in cov:
        lines.append(f"- AutoETS fit time: {cov['_ets_seconds'][0]:.1f} s")
    selected = result["selected"]
    assert isinstance(selected, dict)
    lines.append(
        "- Methods selected: "
        + ", ".join(f"{k} {v}" for k, v in sorted(selected.items(), key=lambda kv: -kv[1]))
        + f" (naive includes {result['held']} held at the latest value after a recent level "
        "shift, without a range)"
    )
    lines.append("")
    return lines


INTRO = """\
# Backtests of the target suggestions

How good have the suggested targets (PRODUCT §2.3, `kaohe.engine.forecast.suggest_targets`,
`kaohe suggest-targets`) been? This page replays them on public yearbook data: the 11
prefecture-level cities of Zhejiang, 2012–2022, about 20 indicators each (GDP and its three
sectors, fiscal revenue and expenditure, deposits, retail sales, exports, incomes, population
…). Regenerate it with

    .venv/bin/python bench/backtest_panel.py --markdown docs/backtests.md

(statsforecast is a benchmark-only dependency: `.venv/bin/pip install statsforecast`).

## How a suggestion is made

1. **History.** Each series' trailing run of values (a gap cuts the history).
2. **Level shifts.** A period-on-period change (log change for positive series) more than
   5 robust standard deviations (1.4826 × MAD) *and* more than 5 % away from the series' median
   change is a level shift — a census revision, a merger, a change of definition — unless the
   next change undoes it (a one-off dip such as a pandemic year). Only the data from the last
   shift on are used, and the reason says so; with fewer than 3 points left the suggestion
   holds the latest value and is flagged as not extrapolable.
3. **Candidates**, each a numpy kernel over all series at once: naive (latest value); drift
   (average change); robust trend (latest value plus the Theil–Sen median pairwise slope);
   damped trend (damped Holt, an 8-point (alpha, beta, phi) grid fitted per series by one-step
   squared error); growth (geometric mean growth rate, positive series only); combined (the
   mean of drift, robust trend, damped trend and growth). Quarterly series add the same
   quarter last year and that plus the mean year-on-year change.
4. **Selection by rolling-origin backtest** on the series' own history: every candidate
   forecasts the value 1, 2 and 3 periods before the last one (at the requested horizon) from
   the data before it; errors are scaled by the series' mean absolute change (MASE). The
   combination is the default and another candidate replaces it only when its backtest MASE is
   less than half the combination's: with 3 origins on an 8–10-point series, picking the single best
   candidate mostly picks noise (on this panel and on the benchmark series the plain pick was
   worse than drift; the combination was better).
5. **Range.** The forecast plus the 10 % and 90 % quantiles of the selected method's scaled
   backtest errors pooled over all series of the batch, times the series' scale: a nominal
   80 % range. Below 40 pooled errors (a handful of series) a normal range from the series'
   own backtest errors is used.
6. **Target.** The target is the forecast itself: the office asks "what is a fair target
   given the trend", and a central forecast is the fairest answer that can be explained in
   one sentence; the range shows how much stretch is plausible. A caller who wants a
   challenging target passes `stretch=0.6` (say) and a `direction` per indicator: the target
   then moves from the forecast towards the better side by the distance between that
   quantile and the median of the backtest errors. The office's adjustment is recorded on the
   Django side.
7. **Reason**, in Chinese and English, describing the last 5 years (12 quarters), e.g.
   "近5年年均增长6.9%，波动中等；取平均变化、稳健趋势、阻尼趋势和增长率四种外推的平均（回测误差MASE
   0.31）。" / "Grew 6.9% a year over 5 years with moderate volatility; averages four
   extrapolations (drift, robust trend, damped trend, growth rate) (backtest MASE 0.31)."

## Calling it

    from kaohe.engine.forecast import suggest_targets

    result = suggest_targets(values, periods, horizon=1, direction="higher")
    # values: series × periods float array, oldest first, NaN for missing (ragged histories
    #         left-padded with NaN); periods: [2018, ..., 2022] or ["2021Q1", ..., "2022Q4"]
    result.target, result.low, result.high      # per series
    result.method_name, result.reason_zh, result.reason_en
    result.has_break, result.break_column, result.extrapolable, result.backtest_mase

or from the shell, `kaohe suggest-targets PANEL.csv [--horizon 1] [-o OUT.csv] [--lang en]`
with a long CSV `unit,indicator,period,value`.

## How to read the tables

MASE here divides each absolute error by the series' mean absolute yearly change over the
training years, so 1.0 means "as far off as a typical year's change", and averages over
series. "Raw" baselines are naive and drift applied to the training data as they are, without
level-shift handling; the candidates are after it. AutoETS is statsforecast's automatic
exponential smoothing (`AutoETS(season_length=1)`) on the same training values; statsforecast
cannot fit ETS to 6 points or fewer (it needs more than the number of parameters + 4), and its
naive fallback stands in there. Only series with at least 4 training years and the held-out
values present are scored. Coverage counts the held-out values inside the suggested range;
series flagged as not extrapolable have no range.
"""


def rolling(values: np.ndarray, years: list[int], with_ets: bool) -> list[str]:
    """One-year-ahead scores for each of the last five years as the held-out year."""
    lines = [
        "## Every one of the last five years as the held-out year",
        "",
        "One year ahead, training on all years before the held-out one.",
        "",
        "| held-out year | series | suggested | raw naive | raw drift | combined "
        + ("| AutoETS " if with_ets else "")
        + "| range coverage "
        + ("| AutoETS 80 % interval coverage " if with_ets else "")
        + "|",
        "|---|---:|---:|---:|---:|---:|" + ("---:|---:|" if with_ets else "") + "---:|",
    ]
    totals: dict[str, list[float]] = {}
    for end in range(len(years) - 5, len(years)):
        result = evaluate(values[:, : end + 1], years[: end + 1], 1, with_ets)
        mase = result["mase"]
        coverage = result["coverage"]
        assert isinstance(mase, dict) and isinstance(coverage, dict)
        cells = [
            "selected (suggested target)",
            "baseline: naive (raw series)",
            "baseline: drift (raw series)",
            "candidate: combined",
        ] + (["statsforecast AutoETS"] if with_ets else [])
        row = [f"{np.nanmean(mase[c]):.3f}" for c in cells]
        for c in cells:
            totals.setdefault(c, []).extend(mase[c])
        covered = [coverage["suggested range"]]
        if with_ets:
            covered.append(coverage["AutoETS 80 % interval"])
        for k, cov in enumerate(covered):
            totals.setdefault(f"coverage {k}", []).extend(cov)
        lines.append(
            f"| {years[end]} | {result['n_series']} | "
            + " | ".join(row + [f"{np.mean(cov):.0%}" for cov in covered])
            + " |"
        )
    scores = [f"**{np.nanmean(v):.3f}**" for k, v in totals.items() if not k.startswith("cov")]
    shares = [f"**{np.mean(v):.0%}**" for k, v in totals.items() if k.startswith("cov")]
    lines.append("| **all five** | | " + " | ".join(scores + shares) + " |")
    lines.append("")
    return lines


def level_shifts(keys: list[tuple[str, str]], values: np.ndarray, years: list[int]) -> list[str]:
    """Which level shifts the engine finds on the whole panel, by indicator and year."""
    result = suggest_targets(values, years)
    found: dict[tuple[str, str], list[str]] = {}
    for i in np.flatnonzero(result.has_break):
        city, indicator = keys[i]
        year = result.periods[result.break_column[i]]
        found.setdefault((indicator, year), []).append(f"{city} {result.break_size[i]:+.0%}")
    lines = [
        "## Level shifts found on the whole panel (2012–2022)",
        "",
        f"{int(result.has_break.sum())} of {len(keys)} series; the suggestion uses only the "
        "years from the shift on.",
        "",
        "| indicator | year | cities (jump beyond the usual change) |",
        "|---|---|---|",
    ]
    for (indicator, year), cities in sorted(found.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        lines.append(f"| `{indicator}` | {year} | {', '.join(cities)} |")
    lines.append("")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", type=Path, help="also write this markdown file")
    parser.add_argument("--no-ets", action="store_true", help="skip statsforecast AutoETS")
    args = parser.parse_args(argv)
    keys, years, values, path = load_panel()
    try:
        import statsforecast

        sf_version: str | None = statsforecast.__version__
    except ImportError:
        sf_version = None
    with_ets = sf_version is not None and not args.no_ets
    lines = [
        "## Results",
        "",
        f"Panel: `{path.name}` — {values.shape[0]} city × indicator series, "
        f"{years[0]}–{years[-1]}."
        + (f" statsforecast {sf_version}." if with_ets else " (AutoETS skipped.)"),
        "",
    ]
    for holdout in (1, 2):
        lines.extend(summarise(evaluate(values, years, holdout, with_ets), holdout))
    lines.extend(rolling(values, years, with_ets))
    lines.extend(level_shifts(keys, values, years))
    text = "\n".join(lines)
    print(text)
    if args.markdown:
        findings = FINDINGS.strip() + "\n" if FINDINGS.strip() else ""
        args.markdown.write_text(INTRO + "\n" + text + "\n" + findings, encoding="utf-8")
    return 0


# Written by hand after reading the tables above; regenerate the tables, then revisit this.
FINDINGS = """
## What the numbers say

- **Accuracy.** The suggested targets are about as accurate as drift, the strongest simple
  baseline on a panel of steadily growing series, and clearly better than AutoETS: averaged
  over the five one-year holdouts, MASE 0.916 against 0.913 (drift) and 1.314 (AutoETS); with
  the last two years held out, 1.340 against 1.384 and 2.069. Naive ("same as last year") is
  far behind (1.396), so a flat target would systematically under-ask growing districts.
- **Selection.** The equal-weight combination alone is slightly better still (0.900). Per-series
  selection by backtest costs about 0.015 against it on this panel and about 0.02 on the
  benchmark series, and buys the exact answers for series whose own history is decisive (a
  constant series, an exact growth path, a clean seasonal pattern). Picking the single best
  candidate without the combination was worse than drift (0.844 vs 0.786 in 2022),
  which is why the combination must be beaten by half.
- **AutoETS** is weak on annual yearbook series because statsforecast fits a trend model only
  with more than 8 points (more than its parameters + 4) and no model at all with 6 or fewer:
  on most windows it chooses a level-only model and forecasts like naive; in 2018 (6 training
  years) it *is* naive.
- **Ranges.** The nominal 80 % range held 76 % of the 2022 values and 69 % of the values two
  years out, but only 64 % averaged over the five years and 43 % in 2020, when the pandemic
  moved every city the same way at once. The range is calibrated on each method's recent
  backtest errors and cannot foresee a shock common to all districts; read it as "in a normal
  year". On the benchmark series (no common shocks) it holds 79 %.
- **Level shifts.** The census revision of 2020 (population, and through it GDP per capita)
  and the 2016 population re-basing are found in most cities; so are the 2022 VAT credit
  refunds that cut budget revenue, and the 2020 retail collapse where it did not recover the
  next year. Each of these would otherwise be extrapolated as a trend.
"""


if __name__ == "__main__":
    sys.exit(main())
