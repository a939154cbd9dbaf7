"""Forms of the major tasks' pages: setting a task up (with its milestone rows), reporting a
milestone done, and the office's decision. The files of a report are read from the request
(`files`, several allowed) and checked by the service."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kaohe.projects.offensives.services import MilestoneSpec
from kaohe.schemes.models import Cycle
from kaohe.units.models import Unit


def _units() -> Any:
    return Unit.objects.filter(active=True, is_assessed=True).order_by("path")


class OffensiveForm(forms.Form):
    cycle = forms.ModelChoiceField(
        label=_("Cycle"),
        queryset=Cycle.objects.exclude(state=Cycle.State.CLOSED).order_by("-year"),
        to_field_name="year",
    )
    code = forms.CharField(
        label=_("Code"),
        max_length=40,
        help_text=_("The scheme input its milestones feed, e.g. flood_control."),
    )
    name_zh = forms.CharField(label=_("Name (Chinese)"), max_length=200)
    name_en = forms.CharField(label=_("Name (English)"), max_length=200, required=False)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    lead = forms.ModelChoiceField(label=_("Lead unit"), queryset=_units())
    cooperating = forms.ModelMultipleChoiceField(
        label=_("Cooperating units"),
        queryset=_units(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )


class MilestoneRowForm(forms.Form):
    name_zh = forms.CharField(label=_("Milestone (Chinese)"), max_length=200)
    name_en = forms.CharField(label=_("Milestone (English)"), max_length=200, required=False)
    due = forms.DateField(label=_("Due"), widget=forms.DateInput(attrs={"type": "date"}))
    weight = forms.DecimalField(
        label=_("Weight"), max_digits=6, decimal_places=2, min_value=0.01, initial=1
    )
    evidence_required = forms.CharField(label=_("Evidence expected"), required=False)


MilestoneFormSet = forms.formset_factory(MilestoneRowForm, extra=4, max_num=50)


def milestone_specs(formset: Any) -> list[MilestoneSpec]:
    """The filled rows of a valid formset, in order (blank rows left out)."""
    return [
        MilestoneSpec(
            name_zh=row.cleaned_data["name_zh"],
            name_en=row.cleaned_data.get("name_en", ""),
            due=row.cleaned_data["due"],
            weight=row.cleaned_data["weight"],
            evidence_required=row.cleaned_data.get("evidence_required", ""),
        )
        for row in formset.forms
        if row.has_changed() and row.cleaned_data
    ]


class ReportForm(forms.Form):
    """A unit's report of its part. With several participants the user may report for, the
    form asks whose part it is (`unit`, among `units`)."""

    def __init__(self, *args: Any, units: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        units = list(units)
        if len(units) > 1:
            self.fields["unit"] = forms.TypedChoiceField(
                label=_("Unit whose part it is"),
                choices=[(u.pk, str(u)) for u in units],
                coerce=int,
            )
            self.order_fields(["unit"])

    completed_on = forms.DateField(
        label=_("Completed on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(
        label=_("What was done"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4})
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("confirm", _("Confirm")), ("return", _("Return"))],
    )
    note = forms.CharField(
        label=_("Note or reason"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("A returned report needs the reason."),
    )
