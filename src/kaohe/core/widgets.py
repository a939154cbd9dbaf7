"""A select box rendered in Python: the same markup as Django's `Select`, without a template
per option. A filter form's unit or indicator choice has hundreds of options, and Django's
form renderer spends a template include on each; the list pages render several such boxes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString


def _attrs(attrs: dict[str, Any]) -> SafeString:
    """Django's `attrs.html`, in its order: `True` as a bare name, `False` left out, the rest
    as text."""
    return SafeString(
        "".join(
            format_html(" {}", name) if value is True else format_html(' {}="{}"', name, value)
            for name, value in attrs.items()
            if value is not False
        )
    )


class QuickSelect(forms.Select):
    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        parts = []
        for group_name, group_choices, _index in widget["optgroups"]:
            options = format_html_join(
                "",
                '<option value="{}"{}>{}</option>',
                ((str(o["value"]), _attrs(o["attrs"]), o["label"]) for o in group_choices),
            )
            parts.append(
                format_html('<optgroup label="{}">{}</optgroup>', group_name, options)
                if group_name
                else options
            )
        return format_html(
            '<select name="{}"{}>{}</select>',
            widget["name"],
            _attrs(widget["attrs"]),
            SafeString("".join(parts)),
        )


def quicken(form: forms.BaseForm) -> forms.BaseForm:
    """Give the form's plain select boxes the quick rendering (same choices, attributes and
    markup)."""
    for field in form.fields.values():
        widget = field.widget
        if type(widget) is forms.Select:
            quick = QuickSelect(attrs=widget.attrs)
            quick.choices = widget.choices
            quick.is_required = widget.is_required
            quick.is_localized = widget.is_localized
            field.widget = quick
    return form
