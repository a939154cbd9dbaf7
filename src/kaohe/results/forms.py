"""The form that starts a scoring run."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kaohe.schemes.models import SchemeVersion


class RunForm(forms.Form):
    version = forms.ModelChoiceField(
        queryset=SchemeVersion.objects.none(), label=_("Published scheme version")
    )
    snapshot_at = forms.DateTimeField(
        label=_("Inputs as of"),
        required=False,
        help_text=_("Empty: now. Values recorded later than this are not used."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    node_code = forms.ChoiceField(
        label=_("Reporting period"),
        choices=[
            ("Y", _("Full year")),
            ("Q3", _("First three quarters")),
            ("H1", _("First half")),
            ("Q1", _("Q1")),
        ],
        initial="Y",
    )
    reason = forms.CharField(label=_("Reason"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["version"].queryset = (  # type: ignore[attr-defined]
            SchemeVersion.objects.published()
            .select_related("scheme__cycle", "scheme__category")
            .order_by("-scheme__cycle__year", "scheme__code")
        )
        self.fields["version"].label_from_instance = (  # type: ignore[attr-defined]
            lambda v: f"{v.scheme.cycle.year} · {v.scheme.name} v{v.number}"
        )
