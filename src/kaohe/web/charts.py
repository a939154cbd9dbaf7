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
