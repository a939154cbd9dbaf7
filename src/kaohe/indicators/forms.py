"""Forms for proposing an indicator and deciding on a proposal."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kaohe.indicators.models import Indicator, ReportedBy
from kaohe.units.models import Unit


class ProposalForm(forms.ModelForm):
    """A department proposes an assessment item with its reason."""

    unit = forms.ModelChoiceField(queryset=Unit.objects.none(), label=_("Proposing unit"))
    reason = forms.CharField(
        label=_("Why should it be assessed?"), widget=forms.Textarea(attrs={"rows": 4})
    )
    grade_labels = forms.CharField(
        label=_("Grades"),
        required=False,
        help_text=_("For a graded rating: its grades, best first, separated by commas."),
    )

    class Meta:
        model = Indicator
        fields = [
            "code",
            "name_zh",
            "name_en",
            "unit_zh",
            "unit_en",
            "direction",
            "frequency",
            "value_type",
            "decimals",
            "grade_labels",
            "min_value",
            "max_value",
            "reported_by",
            "description_zh",
        ]

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]
        self.fields["reported_by"].required = False
        if units.count() == 1:
            self.fields["unit"].initial = units.first()

    def clean_reported_by(self) -> str:
        return self.cleaned_data.get("reported_by") or ReportedBy.DEPARTMENT

    def clean_grade_labels(self) -> list[str]:
        text = self.cleaned_data.get("grade_labels") or ""
        return [part.strip() for part in re.split(r"[,，、;；\n]", text) if part.strip()]


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", _("Admit")), ("reject", _("Reject"))], label=_("Decision")
    )
    reason = forms.CharField(
        label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
