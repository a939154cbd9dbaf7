"""Forms for a warning's life and for writing a rule."""

from __future__ import annotations

import json
from typing import Any

import yaml
from django import forms
from django.utils.translation import gettext_lazy as _


class AnswerForm(forms.Form):
    text = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 3}))


class DecisionForm(forms.Form):
    accept = forms.ChoiceField(
        label=_("Decision"),
        choices=[("1", _("Accept and close")), ("0", _("Send back to the unit"))],
    )
    decision = forms.CharField(label=_("Reasons"), widget=forms.Textarea(attrs={"rows": 3}))


class RuleForm(forms.Form):
    code = forms.SlugField(label=_("Code"), max_length=60)
    name_zh = forms.CharField(label=_("Name (Chinese)"), max_length=120)
    name_en = forms.CharField(label=_("Name (English)"), max_length=160, required=False)
    spec = forms.CharField(
        label=_("Rule (YAML or JSON)"),
        widget=forms.Textarea(attrs={"rows": 8, "class": "code", "spellcheck": "false"}),
        help_text=_(
            "e.g. kind: cross_check / expression: tax_revenue <= fiscal_revenue / severity: serious"
        ),
    )

    def clean_spec(self) -> dict[str, Any]:
        text = self.cleaned_data["spec"]
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise forms.ValidationError(_("Not YAML or JSON: %(e)s") % {"e": exc}) from None
        if not isinstance(data, dict):
            raise forms.ValidationError(_("The rule must be a mapping of keys to values."))
        json.dumps(data)  # stored as JSON: refuse anything JSON cannot hold
        return data
