"""Filters for the survey results' pages: shares shown as percentages."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def percent(value: float | None, decimals: int = 1) -> str:
    """0.934 → "93.4%"; None → "—"."""
    if value is None:
        return "—"
    return f"{value * 100:.{int(decimals)}f}%"


@register.filter
def percent_range(low: float | None, high: float | None) -> str:
    """The interval of a share, "91.2–95.1%" (empty without one)."""
    if low is None or high is None:
        return ""
    return f"{low * 100:.1f}–{high * 100:.1f}%"
