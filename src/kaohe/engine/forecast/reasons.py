"""Plain-language reasons for target suggestions, in Chinese and English, built as arrays.

The phrases are assembled with numpy's vectorised string operations (``np.strings``), not a
Python loop, so a million suggestions get their reasons in about a second.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from kaohe.engine.forecast.kernels import FloatArray

STRING: Final = np.dtypes.StringDType()
# numpy's StringDType arrays have no precise static type yet.
StrArray = NDArray[Any]

METHOD_PHRASES: Final[dict[str, tuple[str, str]]] = {
    "naive": ("保持最新值", "holds the latest value"),
    "drift": ("按历年平均变化外推", "extrapolates the average change (drift)"),
    "theil_sen": ("按稳健线性趋势外推", "extrapolates a robust linear trend"),
    "damped_trend": ("按阻尼趋势外推", "extrapolates a damped trend"),
    "growth": ("按年均增长率外推", "extrapolates the average growth rate"),
    "combined": (
        "取平均变化、稳健趋势、阻尼趋势和增长率四种外推的平均",
        "averages four extrapolations (drift, robust trend, damped trend, growth rate)",
    ),
    "seasonal_naive": ("取去年同期值", "takes the same period last year"),
    "seasonal_drift": (
        "按去年同期加平均同比变化外推",
        "takes last year's value plus the mean yearly change",
    ),
}

# Volatility bands of the period-on-period growth rate (standard deviation): below 2 points a
# year a yearbook series is smooth, above 6 it swings enough that a target is a wide guess.
LOW_VOLATILITY: Final = 0.02
HIGH_VOLATILITY: Final = 0.06


@dataclass(frozen=True)
class ReasonInputs:
    """Per-series facts a reason states (all arrays of one length)."""

    used_length: NDArray[np.intp]
    positive: NDArray[np.bool_]
    growth: FloatArray  # mean growth per year (relative) for positive series
    change: FloatArray  # mean change per year (units) for other series
    volatility: FloatArray
    has_break: NDArray[np.bool_]
    break_label: StrArray
    break_size: FloatArray
    relative_break: NDArray[np.bool_]  # break_size is relative (positive series) or in units
    extrapolable: NDArray[np.bool_]
    method: NDArray[np.intp]  # index into method_names
    method_names: tuple[str, ...]
    backtest_mase: FloatArray  # of the selected method; NaN when not backtested


def _num(x: FloatArray, decimals: int) -> StrArray:
    # + 0.0 turns -0.0 into 0.0 so no "−0.0 %" is printed.
    return (np.round(x, decimals) + 0.0).astype(STRING)


def _table(*phrases: str) -> StrArray:
    return np.array(phrases, dtype=STRING)


def _cat(*parts: Any) -> StrArray:
    out = parts[0]
    for part in parts[1:]:
        out = np.strings.add(out, part)
    return out


def build_reasons(info: ReasonInputs, season_length: int) -> tuple[StrArray, StrArray]:
    """Return (reason_zh, reason_en) for every series.

    Fixed phrases are picked by indexing small phrase tables and optional clauses are built
    for the rows that need them only: both are much cheaper than `np.where` on strings.
    """
    rows = info.used_length.shape[0]
    quarterly = season_length > 1
    n = info.used_length.astype(STRING)
    positive = info.positive
    # 0 grew, 1 fell, 2 changed (a series that is not positive has no growth rate).
    kind = np.where(positive, np.where(info.growth >= 0, 0, 1), 2)
    number: StrArray = np.empty(rows, dtype=STRING)
    number[positive] = _cat(_num(np.abs(info.growth[positive]) * 100, 1), "%")
    number[~positive] = _num(info.change[~positive], 2)
    vol = np.nan_to_num(info.volatility, nan=0.0)
    band = np.where(vol < LOW_VOLATILITY, 0, np.where(vol < HIGH_VOLATILITY, 1, 2))
    vol_zh = _table("，波动小", "，波动中等", "，波动大")[band]
    vol_en = _table(" with low volatility", " with moderate volatility", " with high volatility")[
        band
    ]
    if quarterly:
        zh = _cat(
            "近", n, _table("个季度同比平均增长", "个季度同比平均下降", "个季度同比平均变化")[kind]
        )
        zh = _cat(zh, number, vol_zh)
        en = _cat(_table("Up ", "Down ", "Changed by ")[kind], number, " year on year over ", n)
        en = _cat(en, " quarters", vol_en)
    else:
        zh = _cat("近", n, _table("年年均增长", "年年均下降", "年年均变化")[kind], number, vol_zh)
        en = _cat(_table("Grew ", "Fell ", "Changed by ")[kind], number, " a year over ", n)
        en = _cat(en, " years", vol_en)
    single = info.used_length < 2
    zh[single] = "仅1期数据"
    en[single] = "Only one period of data"

    brk = np.flatnonzero(info.has_break)
    if brk.size:
        size = info.break_size[brk]
        rel = info.relative_break[brk]
        jump: StrArray = np.empty(brk.size, dtype=STRING)
        jump[rel] = _cat(_num(size[rel] * 100, 1), "%")
        jump[~rel] = _num(size[~rel], 2)
        jump = _cat(_table("", "+")[(size >= 0).astype(np.intp)], jump)
        label = info.break_label[brk].astype(STRING)
        zh[brk] = _cat(
            zh[brk],
            "；",
            label,
            "出现结构性断点（水平跳变",
            jump,
            "，如普查修订或区划调整），仅用此后数据",
        )
        en[brk] = _cat(
            en[brk],
            "; a level shift in ",
            label,
            " (",
            jump,
            ", e.g. a census revision or merger) — only the data since then are used",
        )

    method_zh = _table(*(METHOD_PHRASES[k][0] for k in info.method_names))[info.method]
    method_en = _table(*(METHOD_PHRASES[k][1] for k in info.method_names))[info.method]
    tested = np.isfinite(info.backtest_mase)
    tail_zh: StrArray = np.full(rows, "（历史较短，未回测）", dtype=STRING)
    tail_en: StrArray = np.full(rows, " (too short a history to backtest)", dtype=STRING)
    mase = _num(info.backtest_mase[tested], 2)
    tail_zh[tested] = _cat("（回测误差MASE ", mase, "）")
    tail_en[tested] = _cat(" (backtest MASE ", mase, ")")
    tail_zh = _cat("；", method_zh, tail_zh)
    tail_en = _cat("; ", method_en, tail_en)
    tail_zh[~info.extrapolable] = "；数据不足3期，不外推，暂按最新值"
    tail_en[~info.extrapolable] = (
        "; fewer than 3 periods to go on, so no extrapolation: holds the latest value"
    )
    zh = _cat(zh, tail_zh, "。")
    en = _cat(en, tail_en, ".")
    empty = info.used_length == 0
    zh[empty] = "无数据，无法给出建议。"
    en[empty] = "No data; no suggestion."
    return zh, en
