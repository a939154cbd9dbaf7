"""Forms of the goal pages: a goal with its time-node targets and milestones, the review
decision, the office's rules and deadlines, and the decision on a suggested target."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kaohe.goals.models import Goal, ReviewLevel
from kaohe.indicators.models import Indicator
from kaohe.schemes.models import TimeNode


class GoalForm(forms.ModelForm):
    """A key or excellence goal; one target field per time node of the cycle and milestones
    written one per line as "YYYY-MM-DD title"."""

    milestones = forms.CharField(
        label=_("Milestones"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "2026-06-30 …"}),
        help_text=_("One per line: the due date (YYYY-MM-DD), a space, then what is done."),
    )

    class Meta:
        model = Goal
        fields = [
            "kind",
            "title_zh",
            "title_en",
            "description",
            "indicator",
            "direction",
            "target_value",
            "unit_of_measure",
            "benchmark_name",
            "benchmark_value",
            "benchmark_year",
            "benchmark_source",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, time_nodes: list[TimeNode], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.time_nodes = time_nodes
        self.fields["indicator"].queryset = Indicator.objects.active()  # type: ignore[attr-defined]
        self.fields["indicator"].required = False
        goal: Goal | None = self.instance if self.instance.pk else None
        current = {t.time_node_id: t.value for t in goal.targets.all()} if goal is not None else {}
        for node in time_nodes:
            self.fields[f"target_{node.code}"] = forms.DecimalField(
                label=_("Target at %(node)s") % {"node": node.name},
                required=False,
                max_digits=20,
                decimal_places=4,
                initial=current[node.pk].normalize() if node.pk in current else None,
            )
        for name in ("target_value", "benchmark_value"):
            value = getattr(goal, name, None)
            if value is not None:
                self.initial[name] = value.normalize()
        if goal is not None:
            self.fields["milestones"].initial = "\n".join(
                f"{m.due_date.isoformat()} {m.title}" for m in goal.milestones.all()
            )

    def clean_milestones(self) -> list[tuple[str, dt.date]]:
        rows = []
        for number, line in enumerate(self.cleaned_data["milestones"].splitlines(), start=1):
            line = line.strip()
            if not line:
                continue
            date_text, _space, title = line.partition(" ")
            try:
                due = dt.date.fromisoformat(date_text)
            except ValueError:
                raise forms.ValidationError(
                    _("Line %(line)d: start with a date such as 2026-06-30.") % {"line": number}
                ) from None
            if not title.strip():
                raise forms.ValidationError(
                    _("Line %(line)d: say what is to be done by %(date)s.")
                    % {"line": number, "date": date_text}
                )
            rows.append((title.strip(), due))
        return rows

    def service_arguments(self) -> dict[str, Any]:
        """The cleaned data as the keyword arguments of add_goal / update_goal."""
        data = dict(self.cleaned_data)
        data["targets"] = {
            node.code: data.pop(f"target_{node.code}")
            for node in self.time_nodes
            if data.get(f"target_{node.code}") is not None
        }
        for node in self.time_nodes:
            data.pop(f"target_{node.code}", None)
        return data

    def target_fields(self) -> list[Any]:
        return [self[f"target_{node.code}"] for node in self.time_nodes]

    def goal_fields(self) -> list[Any]:
        return [self[name] for name in self.Meta.fields if not name.startswith("benchmark_")]

    def benchmark_fields(self) -> list[Any]:
        return [self[name] for name in self.Meta.fields if name.startswith("benchmark_")]


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", _("Approve")), ("return", _("Return for revision"))]
    )
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class SubmitForm(forms.Form):
    note = forms.CharField(
        label=_("Note to the reviewers"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RulesForm(forms.Form):
    min_key = forms.IntegerField(label=_("Fewest key goals"), min_value=0)
    max_key = forms.IntegerField(label=_("Most key goals"), min_value=0)
    min_excellence = forms.IntegerField(label=_("Fewest excellence goals"), min_value=0)
    max_excellence = forms.IntegerField(label=_("Most excellence goals"), min_value=0)


class DeadlinesForm(forms.Form):
    """One due date per review level."""

    def __init__(self, *args: Any, initial_dates: dict[str, dt.date], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for level in ReviewLevel:
            self.fields[level.value] = forms.DateField(
                label=level.label,
                required=False,
                initial=initial_dates.get(level.value),
                widget=forms.DateInput(attrs={"type": "date"}),
            )


class SuggestionDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("accept", _("Accept")), ("adjust", _("Adjust"))])
    value = forms.FloatField(label=_("Target"), required=False)
    reason = forms.CharField(label=_("Reason for the adjustment"), required=False)
