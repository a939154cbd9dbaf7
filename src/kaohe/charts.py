"""ECharts options built on the server (so a chart and the table beside it show one set of
numbers). Each builder returns a plain dict ready for `json_script`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

PALETTE = [
    "#b71c1c",
    "#1f4e8c",
    "#e0a100",
    "#2e7d32",
    "#6a1b9a",
    "#00838f",
    "#d84315",
    "#5d4037",
    "#455a64",
    "#ad1457",
    "#558b2f",
    "#283593",
]


def _base(title: str) -> dict[str, Any]:
    return {
        "color": PALETTE,
        "title": {"text": title, "left": 0, "textStyle": {"fontSize": 14, "fontWeight": 600}},
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 56, "right": 24, "top": 56, "bottom": 48, "containLabel": True},
        "animationDuration": 400,
    }


def bar_chart(
    title: str, categories: Sequence[str], values: Sequence[float | None], *, unit: str = ""
) -> dict[str, Any]:
    option = _base(title)
    option.update(
        {
            "xAxis": {
                "type": "category",
                "data": list(categories),
                "axisLabel": {"interval": 0, "rotate": 30},
            },
            "yAxis": {"type": "value", "name": unit},
            "series": [
                {
                    "type": "bar",
                    "data": list(values),
                    "barMaxWidth": 36,
                    "label": {"show": True, "position": "top", "fontSize": 10},
                }
            ],
        }
    )
    return option


def grouped_bar_chart(
    title: str,
    categories: Sequence[str],
    series: dict[str, Sequence[float | None]],
    *,
    unit: str = "",
) -> dict[str, Any]:
    option = _base(title)
    option.update(
        {
            "legend": {"top": 24},
            "xAxis": {
                "type": "category",
                "data": list(categories),
                "axisLabel": {"interval": 0, "rotate": 30},
            },
            "yAxis": {"type": "value", "name": unit},
            "series": [
                {"type": "bar", "name": name, "data": list(values), "barMaxWidth": 24}
                for name, values in series.items()
            ],
        }
    )
    return option


def period_label(period: str) -> str:
    """'2025Y' → '2025', '2025Q3' → '2025 Q1–Q3', '2025H1' → '2025 H1', '2025Q1' → '2025 Q1'."""
    year, code = period[:4], period[4:]
    return {"Y": year, "Q3": f"{year} Q1–Q3"}.get(code, f"{year} {code}".strip())


def line_chart(
    title: str,
    periods: Sequence[str],
    series: dict[str, Sequence[float | None]],
    *,
    unit: str = "",
    compact: bool = False,
) -> dict[str, Any]:
    """Lines over periods; `compact` drops title and legend for a small card chart."""
    option = _base(title)
    option.update(
        {
            "legend": {"top": 24, "type": "scroll"},
            "xAxis": {
                "type": "category",
                "data": [period_label(p) for p in periods],
                "boundaryGap": False,
            },
            "yAxis": {"type": "value", "name": unit, "scale": True},
            "series": [
                {
                    "type": "line",
                    "name": name,
                    "data": list(values),
                    "smooth": False,
                    "connectNulls": False,
                    "symbolSize": 5,
                }
                for name, values in series.items()
            ],
        }
    )
    if compact:
        option.pop("title")
        option.pop("legend")
        option["grid"] = {"left": 8, "right": 16, "top": 28, "bottom": 8, "containLabel": True}
    return option


def rounded(value: float | None, decimals: int = 2) -> float | None:
    return None if value is None else round(value, decimals)


def rank_interval_chart(
    title: str,
    names: Sequence[str],
    intervals: Sequence[tuple[float | None, int | None, float | None]],
) -> dict[str, Any]:
    """Each unit's rank with its 5th–95th percentile interval (rank 1 at the top)."""
    option = _base(title)
    option["tooltip"] = {"trigger": "item"}
    option.update(
        {
            "grid": {"left": 8, "right": 24, "top": 48, "bottom": 16, "containLabel": True},
            "yAxis": {"type": "category", "data": list(names), "inverse": True},
            "xAxis": {
                "type": "value",
                "name": "rank",
                "min": 1,
                "minInterval": 1,
                "inverse": False,
            },
            "series": [
                {
                    "type": "bar",
                    "stack": "interval",
                    "silent": True,
                    "itemStyle": {"color": "transparent"},
                    "data": [p5 if p5 is not None else None for p5, _, _ in intervals],
                },
                {
                    "type": "bar",
                    "stack": "interval",
                    "name": "p5–p95",
                    "barMaxWidth": 14,
                    "itemStyle": {"color": "rgba(31,78,140,0.35)"},
                    "data": [
                        (p95 - p5) if p5 is not None and p95 is not None else None
                        for p5, _, p95 in intervals
                    ],
                },
                {
                    "type": "scatter",
                    "name": "rank",
                    "symbolSize": 10,
                    "itemStyle": {"color": "#b71c1c"},
                    "data": [
                        [rank, name] for (_, rank, _), name in zip(intervals, names, strict=True)
                    ],
                },
            ],
        }
    )
    return option


def radar_chart(
    title: str, indicator: list[dict[str, Any]], series: dict[str, Sequence[float]]
) -> dict[str, Any]:
    option = _base(title)
    option.pop("grid")
    option["tooltip"] = {"trigger": "item"}
    option.update(
        {
            "legend": {"bottom": 0},
            "radar": {"indicator": indicator, "radius": "62%", "center": ["50%", "55%"]},
            "series": [
                {
                    "type": "radar",
                    "data": [{"name": n, "value": list(v)} for n, v in series.items()],
                    "areaStyle": {"opacity": 0.12},
                }
            ],
        }
    )
    return option


def score_rank_chart(
    title: str, years: Sequence[str], scores: Sequence[float | None], ranks: Sequence[int | None]
) -> dict[str, Any]:
    option = _base(title)
    option.update(
        {
            "legend": {"top": 24},
            "xAxis": {"type": "category", "data": list(years)},
            "yAxis": [
                {"type": "value", "name": "score", "scale": True},
                {"type": "value", "name": "rank", "inverse": True, "minInterval": 1, "min": 1},
            ],
            "series": [
                {"type": "bar", "name": "score", "data": list(scores), "barMaxWidth": 32},
                {"type": "line", "name": "rank", "yAxisIndex": 1, "data": list(ranks)},
            ],
        }
    )
    return option


def target_suggestion_chart(
    title: str,
    periods: Sequence[str],
    history: Sequence[float | None],
    *,
    target_period: str,
    low: float | None,
    high: float | None,
    target: float,
    decided: float | None = None,
    labels: dict[str, str] | None = None,
    unit: str = "",
) -> dict[str, Any]:
    """A series' history, the forecast band (low–high) fanning out from its last value to the
    target period (no band when the range is unknown), the suggested target and, when the
    office set another, the adjusted one."""
    names = {"history": "history", "band": "range", "target": "suggested", "decided": "set"}
    names.update(labels or {})
    axis = [period_label(p) for p in [*periods, target_period]]
    last = next((v for v in reversed(history) if v is not None), None)
    pad: list[float | None] = [None] * (len(periods) - 1)
    if low is None or high is None:
        lower: list[float | None] = [None] * (len(periods) + 1)
        width: list[float | None] = list(lower)
    else:
        lower = [*pad, last, low]
        width = [*pad, 0.0 if last is not None else None, high - low]
    option = _base(title)
    option.update(
        {
            "legend": {"top": 24},
            "xAxis": {"type": "category", "data": axis, "boundaryGap": False},
            "yAxis": {"type": "value", "name": unit, "scale": True},
            "series": [
                {
                    "type": "line",
                    "name": names["band"],
                    "stack": "band",
                    "data": lower,
                    "lineStyle": {"opacity": 0},
                    "symbol": "none",
                    "silent": True,
                    "tooltip": {"show": False},
                },
                {
                    "type": "line",
                    "name": names["band"],
                    "stack": "band",
                    "data": width,
                    "lineStyle": {"opacity": 0},
                    "areaStyle": {"color": "rgba(31,78,140,0.18)"},
                    "itemStyle": {"color": "rgba(31,78,140,0.45)"},
                    "symbol": "none",
                },
                {
                    "type": "line",
                    "name": names["history"],
                    "data": [*history, None],
                    "symbolSize": 6,
                    "itemStyle": {"color": "#455a64"},
                },
                {
                    "type": "scatter",
                    "name": names["target"],
                    "data": [*([None] * len(periods)), target],
                    "symbolSize": 14,
                    "itemStyle": {"color": "#b71c1c"},
                },
                {
                    "type": "scatter",
                    "name": names["decided"],
                    "symbol": "diamond",
                    "data": [*([None] * len(periods)), decided],
                    "symbolSize": 14,
                    "itemStyle": {"color": "#e0a100"},
                },
            ],
        }
    )
    return option


# How a grade is coloured on a map, best grade first; a scheme with other than four grades
# spreads its grades over these tones.
GRADE_TONES = ["#2bb673", "#3a8ee6", "#e6a23c", "#e8534a"]
NO_GRADE_TONE = "#5b6b7f"


def grade_tones(grade_codes: Sequence[str]) -> dict[str, str]:
    """A tone per grade code (given best first): green for the best, red for the worst."""
    n = len(grade_codes)
    last = len(GRADE_TONES) - 1
    return {
        code: GRADE_TONES[0 if n == 1 else round(i * last / (n - 1))]
        for i, code in enumerate(grade_codes)
    }


def region_map(
    map_name: str,
    regions: Sequence[tuple[str, str, float | None, str | None]],
    *,
    value_label: str = "",
    dark: bool = False,
    aspect_scale: float = 0.75,
) -> dict[str, Any]:
    """A map of units drawn from a GeoJSON registered under `map_name` whose features carry
    `properties.code`. `regions`: (code, name, value, colour) per unit; the name is shown on the
    map and in the tooltip with the value, the colour fills the unit (None: the plain fill).
    `aspect_scale`: the width of a degree of longitude against one of latitude there."""
    ink = "#e6f1ff" if dark else "#1d2733"
    plain = "#16365c" if dark else "#e8f0fb"
    border = "#8fd3ff" if dark else "#1f4e8c"
    tooltip = f"{{b}}<br/>{value_label}: {{c}}" if value_label else "{b}"
    data = []
    for _code, name, value, colour in regions:
        item: dict[str, Any] = {"name": name, "value": value}
        if colour:
            item["itemStyle"] = {"areaColor": colour}
        data.append(item)
    return {
        "tooltip": {"trigger": "item", "formatter": tooltip},
        "series": [
            {
                "type": "map",
                "map": map_name,
                "nameProperty": "code",
                "nameMap": {code: name for code, name, _value, _colour in regions},
                "roam": False,
                "selectedMode": False,
                "aspectScale": round(aspect_scale, 4),
                "layoutCenter": ["50%", "50%"],
                "layoutSize": "95%",
                "label": {"show": True, "color": ink, "fontSize": 18 if dark else 12},
                "itemStyle": {"areaColor": plain, "borderColor": border, "borderWidth": 1.2},
                "emphasis": {
                    "label": {"color": ink},
                    "itemStyle": {"areaColor": "#f5c451" if dark else "#ffd54f"},
                },
                "data": data,
            }
        ],
        "animationDuration": 400,
    }


def interval_chart(
    title: str,
    names: Sequence[str],
    points: Sequence[tuple[float | None, float | None, float | None]],
    *,
    axis_name: str = "",
    low: float = 0.0,
    high: float = 100.0,
    dark: bool = False,
    decimals: int = 1,
) -> dict[str, Any]:
    """Each unit's figure with its interval (a survey's index with its 95 % interval): a bar
    from the interval's low to its high end, the figure as a dot, the first unit at the top.
    `points`: (low end, figure, high end) per name; None where a unit has none."""
    ink = "#e6f1ff" if dark else "#1d2733"
    option = _base(title)
    option["tooltip"] = {"trigger": "item"}
    if dark:
        option["title"]["textStyle"]["color"] = ink
        option["backgroundColor"] = "transparent"
    option.update(
        {
            "grid": {"left": 8, "right": 32, "top": 48, "bottom": 16, "containLabel": True},
            "yAxis": {
                "type": "category",
                "data": list(names),
                "inverse": True,
                "axisLabel": {"color": ink},
            },
            "xAxis": {
                "type": "value",
                "name": axis_name,
                "min": low,
                "max": high,
                "axisLabel": {"color": ink},
                "splitLine": {
                    "lineStyle": {"color": "rgba(143, 211, 255, 0.15)" if dark else "#e5e9f0"}
                },
            },
            "series": [
                {
                    "type": "bar",
                    "stack": "interval",
                    "silent": True,
                    "itemStyle": {"color": "transparent"},
                    "data": [
                        rounded(lo, decimals) if hi is not None else None for lo, _, hi in points
                    ],
                },
                {
                    "type": "bar",
                    "stack": "interval",
                    "name": "95%",
                    "barMaxWidth": 14,
                    "itemStyle": {"color": "rgba(31,78,140,0.35)" if not dark else "#3a8ee6"},
                    "data": [
                        rounded(hi - lo, decimals) if lo is not None and hi is not None else None
                        for lo, _, hi in points
                    ],
                },
                {
                    "type": "scatter",
                    "name": title,
                    "symbolSize": 11,
                    "itemStyle": {"color": "#f5c451" if dark else "#b71c1c"},
                    "label": {
                        "show": True,
                        "position": "right",
                        "color": ink,
                        "fontSize": 16 if dark else 11,
                    },
                    "data": [
                        [rounded(value, decimals), name]
                        for (_, value, _), name in zip(points, names, strict=True)
                        if value is not None
                    ],
                },
            ],
        }
    )
    return option


def score_bars(
    title: str,
    names: Sequence[str],
    values: Sequence[float | None],
    *,
    axis_name: str = "",
    high: float = 100.0,
    dark: bool = False,
    decimals: int = 1,
) -> dict[str, Any]:
    """Horizontal bars, one per unit, the first at the top, each labelled with its value (the
    live event's mean score per unit so far); None leaves a unit without a bar."""
    ink = "#e6f1ff" if dark else "#1d2733"
    grid_line = "rgba(143, 211, 255, 0.15)" if dark else "#e5e9f0"
    size = 18 if dark else 11
    option = _base(title)
    option["tooltip"] = {"trigger": "axis", "axisPointer": {"type": "shadow"}}
    option["title"]["textStyle"].update({"color": ink, "fontSize": 20 if dark else 14})
    if dark:
        option["backgroundColor"] = "transparent"
    option.update(
        {
            "grid": {"left": 8, "right": 64, "top": 48, "bottom": 16, "containLabel": True},
            "yAxis": {
                "type": "category",
                "data": list(names),
                "inverse": True,
                "axisLabel": {"color": ink, "fontSize": size},
            },
            "xAxis": {
                "type": "value",
                "name": axis_name,
                "min": 0,
                "max": high,
                "axisLabel": {"color": ink, "fontSize": size - 4},
                "splitLine": {"lineStyle": {"color": grid_line}},
            },
            "series": [
                {
                    "type": "bar",
                    "name": title,
                    "barMaxWidth": 28,
                    "itemStyle": {"color": "#f5c451" if dark else PALETTE[1], "borderRadius": 3},
                    "label": {
                        "show": True,
                        "position": "right",
                        "color": ink,
                        "fontSize": size,
                        "fontWeight": 600,
                    },
                    "data": [rounded(v, decimals) for v in values],
                }
            ],
        }
    )
    return option
