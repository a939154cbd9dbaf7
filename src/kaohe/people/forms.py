"""Forms of the people pages: the cycle's rule, the unit head's proposal, the office's
confirmation or return, and a reward pool."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kaohe.people.models import StaffGrade
from kaohe.people.rules import DEFAULT_COEFFICIENTS, DEFAULT_MINIMUMS, DEFAULT_SCHEME, DEFAULT_SHARE
from kaohe.people.selectors import GradingRow


class RuleForm(forms.Form):
    score_scheme = forms.CharField(
        label=_("Individual score (scheme language)"),
        widget=forms.Textarea(attrs={"rows": 18, "class": "code"}),
        initial=DEFAULT_SCHEME,
    )
    excellent_min = forms.DecimalField(
        label=_("Excellent from"), initial=DEFAULT_MINIMUMS["excellent"]
    )
    competent_min = forms.DecimalField(
        label=_("Competent from"), initial=DEFAULT_MINIMUMS["competent"]
    )
    basic_min = forms.DecimalField(
        label=_("Basically competent from"), initial=DEFAULT_MINIMUMS["basic"]
    )
    default_share = forms.DecimalField(
        label=_("Share of excellent where the unit's grade sets none"),
        min_value=Decimal(0),
        max_value=Decimal(1),
        initial=DEFAULT_SHARE,
    )
    coefficient_excellent = forms.DecimalField(
        label=_("Reward coefficient: excellent"), initial=DEFAULT_COEFFICIENTS["excellent"]
    )
    coefficient_competent = forms.DecimalField(
        label=_("Reward coefficient: competent"), initial=DEFAULT_COEFFICIENTS["competent"]
    )
    coefficient_basic = forms.DecimalField(
        label=_("Reward coefficient: basically competent"), initial=DEFAULT_COEFFICIENTS["basic"]
    )
    coefficient_incompetent = forms.DecimalField(
        label=_("Reward coefficient: incompetent"), initial=DEFAULT_COEFFICIENTS["incompetent"]
    )
    score_weighted = forms.BooleanField(
        label=_("Within a tier, by score"), required=False, initial=True
    )
    note = forms.CharField(label=_("What changed"), required=False, max_length=500)

    def service_arguments(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "score_scheme": d["score_scheme"],
            "minimums": {k: d[f"{k}_min"] for k in ("excellent", "competent", "basic")},
            "default_share": d["default_share"],
            "coefficients": {k: d[f"coefficient_{k}"] for k in DEFAULT_COEFFICIENTS},
            "score_weighted": d["score_weighted"],
            "note": d["note"],
        }


def _field_name(person_id: int) -> str:
    return f"grade_{person_id}"


class GradesForm(forms.Form):
    """One grade per scored person of a unit grading (the head's proposal, or the office's
    confirmation with its changes); `reason` for an exception or a return."""

    reason = forms.CharField(
        label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, rows: Sequence[GradingRow], *args: Any, final: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.people: list[int] = []
        for row in rows:
            if row.result.score is None:
                continue
            pid = row.result.person_id
            if row.grade is not None:
                initial = row.grade.final or row.grade.proposed
            else:
                initial = row.result.suggested_grade
            self.fields[_field_name(pid)] = forms.ChoiceField(
                label=row.result.person.name, choices=StaffGrade.choices, initial=initial
            )
            self.people.append(pid)

    def field_for(self, person_id: int) -> Any:
        name = _field_name(person_id)
        return self[name] if name in self.fields else None

    def grades(self) -> dict[int, str]:
        return {pid: self.cleaned_data[_field_name(pid)] for pid in self.people}


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class PoolForm(forms.Form):
    amount = forms.CharField(
        label=_("Reward pool (yuan)"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )


class RatingsUploadForm(forms.Form):
    file = forms.FileField(label=_("Evaluations workbook (.xlsx)"))
