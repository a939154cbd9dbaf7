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
    "pooled_growth": (
        "按向同类单位收缩一半的年均增长率外推",
        "extrapolates the average growth rate shrunk halfway toward its peers'",
    ),
    "combined": (
        "取平均变化、稳健趋势、阻尼趋势和增长率四种外推的平均",
        "averages four extrapolations (drift, robust trend, damped trend, growth rate)",
    ),
    # The combination when the peers' growth is among its parts (peer groups were given).
    "combined_pooled": (
        "取平均变化、稳健趋势、阻尼趋势、增长率和同类单位增长率五种外推的平均",
        "averages five extrapolations (drift, robust trend, damped trend, growth rate, "
        "growth rate shrunk toward its peers')",
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

    used_length: NDArray[np.intp]  # the periods described (the recent part of the history)
    any_data: NDArray[np.bool_]  # a value in any period, even if not in the latest
    positive: NDArray[np.bool_]
    growth: FloatArray  # mean growth per year (relative) for positive series
    change: FloatArray  # mean change per year (units) for other series
    volatility: FloatArray
    has_break: NDArray[np.bool_]
    break_column: NDArray[np.intp]  # first column of the new level; −1: no level shift
    period_labels: tuple[str, ...]
    break_size: FloatArray
    relative_break: NDArray[np.bool_]  # break_size is relative (positive series) or in units
    extrapolable: NDArray[np.bool_]
    method: NDArray[np.intp]  # index into method_names
    method_names: tuple[str, ...]
    backtest_mase: FloatArray  # of the selected method; NaN when not backtested
    # The combination of the row includes the peers' growth (phrased as "combined_pooled").
    pooled: NDArray[np.bool_] | None = None
    # Too short to extrapolate, the latest value grown at the peers' growth instead of held.
    peer_held: NDArray[np.bool_] | None = None


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


def _dense(values: FloatArray, decimals: int) -> NDArray[np.intp]:
    """Small integer ids for the distinct values as rounded to ``decimals`` (NaN is one value)."""
    scaled = np.rint(values * 10.0**decimals)
    finite = np.isfinite(scaled)
    if finite.all() and np.abs(scaled).max(initial=0.0) < 2**40:
        return _representatives(scaled.astype(np.int64))[1]
    # Rare: NaN or huge values; a sort-based unique handles anything.
    return np.unique(np.where(finite, scaled, np.inf), return_inverse=True)[1].astype(np.intp)


def _representatives(key: NDArray[np.int64]) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """(one row of each distinct key, each row's group id): a clause is built once per group.

    Any member represents its group equally well (they show the same clause), so when the
    keys span a modest range a lookup table replaces the sort of `np.unique`.
    """
    if key.size == 0:
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp)
    low, high = int(key.min()), int(key.max())
    if high - low > 4 * key.size + 1_000_000:
        _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        return first.astype(np.intp), inverse.astype(np.intp)
    offset = (key - low).astype(np.intp)
    present = np.zeros(high - low + 1, dtype=bool)
    present[offset] = True
    member = np.empty(high - low + 1, dtype=np.intp)
    member[offset] = np.arange(key.size, dtype=np.intp)
    group_of = np.cumsum(present, dtype=np.intp) - 1
    return member[present], group_of[offset]


def _trend_clause(
    info: ReasonInputs, rows: NDArray[np.intp], quarterly: bool
) -> tuple[StrArray, StrArray]:
    n = info.used_length[rows].astype(STRING)
    positive = info.positive[rows]
    growth = info.growth[rows]
    # 0 grew, 1 fell, 2 changed (a series that is not positive has no growth rate).
    kind = np.where(positive, np.where(growth >= 0, 0, 1), 2)
    number: StrArray = np.empty(rows.size, dtype=STRING)
    number[positive] = _cat(_num(np.abs(growth[positive]) * 100, 1), "%")
    number[~positive] = _num(info.change[rows][~positive], 2)
    band = _volatility_band(info.volatility[rows])
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
    single = info.used_length[rows] < 2
    zh[single] = "仅1期数据"
    en[single] = "Only one period of data"
    return zh, en


def _phrase_index(info: ReasonInputs) -> NDArray[np.intp]:
    """Index into ``method_names + ("combined_pooled",)`` of each row's method phrase."""
    if info.pooled is None or "combined" not in info.method_names:
        return info.method
    pooled = info.pooled & (info.method == info.method_names.index("combined"))
    return np.where(pooled, len(info.method_names), info.method).astype(np.intp)


def _method_clause(info: ReasonInputs, rows: NDArray[np.intp]) -> tuple[StrArray, StrArray]:
    method = _phrase_index(info)[rows]
    names = (*info.method_names, "combined_pooled")
    method_zh = _table(*(METHOD_PHRASES[k][0] for k in names))[method]
    method_en = _table(*(METHOD_PHRASES[k][1] for k in names))[method]
    score = info.backtest_mase[rows]
    tested = np.isfinite(score)
    tail_zh: StrArray = np.full(rows.size, "（历史较短，未回测）", dtype=STRING)
    tail_en: StrArray = np.full(rows.size, " (too short a history to backtest)", dtype=STRING)
    mase = _num(score[tested], 2)
    tail_zh[tested] = _cat("（回测误差MASE ", mase, "）")
    tail_en[tested] = _cat(" (backtest MASE ", mase, ")")
    zh = _cat("；", method_zh, tail_zh, "。")
    en = _cat("; ", method_en, tail_en, ".")
    held = ~info.extrapolable[rows]
    zh[held] = "；数据不足3期，不外推，暂按最新值。"
    en[held] = "; fewer than 3 periods to go on, so no extrapolation: holds the latest value."
    if info.peer_held is not None:
        peers = info.peer_held[rows]
        zh[peers] = "；数据不足3期，不外推自身趋势，按同类单位近5年增长率中位数的平均增长。"
        en[peers] = (
            "; fewer than 3 periods to go on, so its own trend is not extrapolated: grows at "
            "its peers' median growth rate of the last 5 years."
        )
    return zh, en


def _volatility_band(volatility: FloatArray) -> NDArray[np.intp]:
    vol = np.nan_to_num(volatility, nan=0.0)
    return np.where(vol < LOW_VOLATILITY, 0, np.where(vol < HIGH_VOLATILITY, 1, 2))


def build_reasons(info: ReasonInputs, season_length: int) -> tuple[StrArray, StrArray]:
    """Return (reason_zh, reason_en) for every series, as object arrays of ``str``.

    A reason is three clauses: trend and volatility, the level shift if any, and the method
    with its backtest error. Once its numbers are rounded as printed, many series share a
    clause, and many share the whole reason: each distinct clause and each distinct reason is
    built once and gathered, so string work scales with the number of distinct reasons.
    """
    positive = info.positive
    shown = np.where(positive, np.round(np.abs(info.growth) * 100, 1), np.round(info.change, 2))
    kind = np.where(positive, np.where(info.growth >= 0, 0, 1), 2)
    longest = int(info.used_length.max(initial=0)) + 1
    trend_key = ((_dense(shown, 2) * 3 + kind) * 3 + _volatility_band(info.volatility)) * longest
    trend_first, trend_group = _representatives(trend_key + info.used_length)
    trend_zh, trend_en = _trend_clause(info, trend_first, season_length > 1)

    n_methods = len(info.method_names) + 1
    method_key = _dense(info.backtest_mase, 2) * n_methods + _phrase_index(info)
    held_kind = info.extrapolable.astype(np.intp)
    if info.peer_held is not None:
        held_kind = held_kind + 2 * info.peer_held
    method_key = method_key * 3 + held_kind
    method_first, method_group = _representatives(method_key)
    method_zh, method_en = _method_clause(info, method_first)

    pair_first, pair_group = _representatives(
        trend_group * (int(method_group.max(initial=0)) + 1) + method_group
    )
    t, mth = trend_group[pair_first], method_group[pair_first]
    # Gathering a million variable-width strings copies each one; gathering Python str
    # objects copies a pointer, so the distinct reasons become objects before the gather.
    zh = _cat(trend_zh[t], method_zh[mth]).astype(object)[pair_group]
    en = _cat(trend_en[t], method_en[mth]).astype(object)[pair_group]

    brk = np.flatnonzero(info.has_break)
    if brk.size:
        size = info.break_size[brk]
        rel = info.relative_break[brk]
        jump: StrArray = np.empty(brk.size, dtype=STRING)
        jump[rel] = _cat(_num(size[rel] * 100, 1), "%")
        jump[~rel] = _num(size[~rel], 2)
        jump = _cat(_table("", "+")[(size >= 0).astype(np.intp)], jump)
        label = _table(*info.period_labels)[info.break_column[brk]]
        t, mth = trend_group[brk], method_group[brk]
        zh[brk] = _cat(
            trend_zh[t],
            "；",
            label,
            "出现结构性断点（水平跳变",
            jump,
            "，如普查修订或区划调整），仅用此后数据",
            method_zh[mth],
        ).astype(object)
        en[brk] = _cat(
            trend_en[t],
            "; a level shift in ",
            label,
            " (",
            jump,
            ", e.g. a census revision or merger) — only the data since then are used",
            method_en[mth],
        ).astype(object)
    empty = info.used_length == 0
    zh[empty & info.any_data] = "最新一期无数据，无法给出建议。"
    en[empty & info.any_data] = "No value for the latest period; no suggestion."
    zh[empty & ~info.any_data] = "无数据，无法给出建议。"
    en[empty & ~info.any_data] = "No data; no suggestion."
    return zh, en
