"""Forms for proposing an indicator and deciding on a proposal."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kaohe.indicators.models import Indicator
from kaohe.units.models import Unit


class ProposalForm(forms.ModelForm):
    """A department proposes an assessment item with its reason."""

    unit = forms.ModelChoiceField(queryset=Unit.objects.none(), label=_("Proposing unit"))
    reason = forms.CharField(
        label=_("Why should it be assessed?"), widget=forms.Textarea(attrs={"rows": 4})
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
            "description_zh",
        ]

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]
        if units.count() == 1:
            self.fields["unit"].initial = units.first()


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", _("Admit")), ("reject", _("Reject"))], label=_("Decision")
    )
    reason = forms.CharField(
        label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
