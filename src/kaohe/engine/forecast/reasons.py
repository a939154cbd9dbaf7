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
    extrapolable: NDArray[np.bool_]
    method_name: StrArray
    backtest_mase: FloatArray  # of the selected method; NaN when not backtested


def _num(x: FloatArray, decimals: int) -> StrArray:
    # + 0.0 turns -0.0 into 0.0 so no "−0.0 %" is printed.
    return (np.round(x, decimals) + 0.0).astype(STRING)


def _cat(*parts: Any) -> StrArray:
    out = parts[0]
    for part in parts[1:]:
        out = np.strings.add(out, part)
    return np.asarray(out, dtype=STRING)  # type: ignore[arg-type]


def _pick(cond: NDArray[np.bool_], a: Any, b: Any) -> StrArray:
    return np.asarray(np.where(cond, a, b), dtype=STRING)  # type: ignore[arg-type]


def build_reasons(info: ReasonInputs, season_length: int) -> tuple[StrArray, StrArray]:
    """Return (reason_zh, reason_en) for every series."""
    quarterly = season_length > 1
    n = info.used_length.astype(STRING)
    pct = _num(np.abs(info.growth) * 100, 1)
    up = info.growth >= 0
    if quarterly:
        zh_trend = _cat("近", n, "个季度同比平均", _pick(up, "增长", "下降"), pct, "%")
        en_trend = _cat(
            _pick(up, "Up ", "Down "), pct, "% year on year on average over ", n, " quarters"
        )
        zh_change = _cat("近", n, "个季度同比平均变化", _num(info.change, 2))
        en_change = _cat("Changed by ", _num(info.change, 2), " year on year over ", n, " quarters")
    else:
        zh_trend = _cat("近", n, "年年均", _pick(up, "增长", "下降"), pct, "%")
        en_trend = _cat(_pick(up, "Grew ", "Fell "), pct, "% a year over ", n, " years")
        zh_change = _cat("近", n, "年年均变化", _num(info.change, 2))
        en_change = _cat("Changed by ", _num(info.change, 2), " a year over ", n, " years")
    zh = _pick(info.positive, zh_trend, zh_change)
    en = _pick(info.positive, en_trend, en_change)
    single = info.used_length < 2
    zh = _pick(single, "仅1期数据", zh)
    en = _pick(single, "Only one period of data", en)

    vol = np.nan_to_num(info.volatility, nan=0.0)
    low, high = vol < LOW_VOLATILITY, vol >= HIGH_VOLATILITY
    zh = _cat(zh, _pick(low, "，波动小", _pick(high, "，波动大", "，波动中等")))
    en = _cat(
        en,
        _pick(
            low,
            " with low volatility",
            _pick(high, " with high volatility", " with moderate volatility"),
        ),
    )

    jump = _pick(
        info.positive,
        _cat(_pick(info.break_size >= 0, "+", ""), _num(info.break_size * 100, 1), "%"),
        _cat(_pick(info.break_size >= 0, "+", ""), _num(info.break_size, 2)),
    )
    zh_break = _cat(
        "；",
        info.break_label,
        "出现结构性断点（水平跳变",
        jump,
        "，如普查修订或区划调整），仅用此后数据",
    )
    en_break = _cat(
        "; a level shift in ",
        info.break_label,
        " (",
        jump,
        ", e.g. a census revision or merger) — only the data since then are used",
    )
    zh = _pick(info.has_break, _cat(zh, zh_break), zh)
    en = _pick(info.has_break, _cat(en, en_break), en)

    zh_method = np.empty(info.method_name.shape, dtype=STRING)
    en_method = np.empty(info.method_name.shape, dtype=STRING)
    for name, (zh_phrase, en_phrase) in METHOD_PHRASES.items():
        chosen = info.method_name == name
        zh_method[chosen] = zh_phrase
        en_method[chosen] = en_phrase
    tested = np.isfinite(info.backtest_mase)
    mase = _num(info.backtest_mase, 2)
    zh_tail = _cat(
        "；",
        zh_method,
        _pick(tested, _cat("（回测误差MASE ", mase, "）"), "（历史较短，未回测）"),
    )
    en_tail = _cat(
        "; ",
        en_method,
        _pick(tested, _cat(" (backtest MASE ", mase, ")"), " (too short a history to backtest)"),
    )
    zh_short = "；数据不足3期，不外推，暂按最新值"
    en_short = "; fewer than 3 periods to go on, so no extrapolation: holds the latest value"
    zh = _cat(zh, _pick(info.extrapolable, zh_tail, zh_short))
    en = _cat(en, _pick(info.extrapolable, en_tail, en_short))
    empty = info.used_length == 0
    zh = _pick(empty, "无数据，无法给出建议", zh)
    en = _pick(empty, "No data; no suggestion", en)
    return _cat(zh, "。"), _cat(en, ".")
