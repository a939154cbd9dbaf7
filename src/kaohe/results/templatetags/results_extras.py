"""Template filters for the explanation tree."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    """`mapping|get_item:key` — a dictionary look-up in a template."""
    if isinstance(mapping, dict):
        return mapping.get(key)
    return None


@register.filter
def method_text(method: Any) -> str:
    """A method and its parameters on one line: `target_rank(target=8, base=0.6667)`."""
    if not isinstance(method, dict):
        return str(method)
    params = ", ".join(f"{k}={v}" for k, v in method.items() if k != "type")
    return f"{method.get('type', '?')}({params})"
