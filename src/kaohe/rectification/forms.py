"""Forms of the rectification pages: a plan with its measures (one per line, "measure |
YYYY-MM-DD"), a progress report, the office's decision, opening items from a run."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from kaohe.rectification.services import Measure


class PlanForm(forms.Form):
    text = forms.CharField(
        label=_("Plan: the causes found and what is done"), widget=forms.Textarea(attrs={"rows": 5})
    )
    measures = forms.CharField(
        label=_("Measures, one per line: measure | deadline (YYYY-MM-DD)"),
        widget=forms.Textarea(
            attrs={"rows": 5, "placeholder": "建立重点项目周调度机制 | 2026-06-30"}
        ),
    )

    def measure_rows(self) -> list[Measure]:
        rows = []
        for line in self.cleaned_data["measures"].splitlines():
            if not line.strip():
                continue
            measure, _sep, deadline = line.rpartition("|")
            if not _sep:
                measure, deadline = line, ""
            rows.append(Measure(measure.strip(), deadline.strip()))
        return rows


class TextForm(forms.Form):
    text = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 3}))


class DecisionForm(forms.Form):
    comment = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3}))
    decision = forms.ChoiceField(
        choices=[("accept", _("accept")), ("return", _("return")), ("close", _("close"))]
    )


class OpenForm(forms.Form):
    due_date = forms.DateField(label=_("Plans due"), widget=forms.DateInput(attrs={"type": "date"}))

    @staticmethod
    def default_due() -> dt.date:
        return dt.date.today() + dt.timedelta(days=30)
