"""Forms of the panel pages: building a panel, seating an expert, putting a goal before the
panel, withdrawing an assignment, declaring a conflict, closing, and the expert's rating."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kaohe.core.roles import Role
from kaohe.goals.models import Goal, GoalSet
from kaohe.indicators.models import Indicator, ValueType
from kaohe.panels.models import Dimension, Panel, PanelMember, expert_name
from kaohe.panels.rubric import SCALE_MAX, SCALE_MIN
from kaohe.schemes.models import Cycle
from kaohe.units.models import Unit


class ExpertChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return expert_name(obj)


class ExpertsChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return expert_name(obj)


def expert_users() -> QuerySet[Any]:
    """Logins holding the expert role."""
    return (
        get_user_model()
        .objects.filter(is_active=True, kaohe_grants__role=Role.EXPERT)
        .distinct()
        .order_by("username")
    )


def feedable_indicators() -> QuerySet[Indicator]:
    return (
        Indicator.objects.active()
        .filter(formula="")
        .exclude(value_type__in=[ValueType.GRADE, ValueType.COUNT])
        .order_by("code")
    )


class PanelForm(forms.Form):
    cycle = forms.ModelChoiceField(
        label=_("Cycle"),
        queryset=Cycle.objects.exclude(state=Cycle.State.CLOSED),
        to_field_name="year",
    )
    name_zh = forms.CharField(label=_("Name (Chinese)"), max_length=200)
    name_en = forms.CharField(label=_("Name (English)"), max_length=200, required=False)
    indicator = forms.ModelChoiceField(
        label=_("Indicator fed"),
        queryset=feedable_indicators(),
        to_field_name="code",
        required=False,
        help_text=_("Each unit's excellence score is recorded on this indicator."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["cycle"].queryset = Cycle.objects.exclude(state=Cycle.State.CLOSED).order_by(  # type: ignore[attr-defined]
            "-year"
        )
        self.fields["indicator"].queryset = feedable_indicators()  # type: ignore[attr-defined]
        for code, label in Dimension.choices:
            self.fields[f"weight_{code}"] = forms.DecimalField(
                label=_("Weight: %(dimension)s") % {"dimension": label},
                min_value=0,
                max_value=100,
                decimal_places=4,
                initial=1,
            )

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "cycle": data["cycle"],
            "name_zh": data["name_zh"],
            "name_en": data["name_en"],
            "indicator": data["indicator"],
            "weights": {code: data[f"weight_{code}"] for code in Dimension.values},
        }


class MemberForm(forms.Form):
    expert = ExpertChoiceField(label=_("Expert"), queryset=get_user_model().objects.none())

    def __init__(self, *args: Any, panel: Panel, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        seated = PanelMember.objects.filter(panel=panel).values("expert")
        self.fields["expert"].queryset = expert_users().exclude(pk__in=seated)  # type: ignore[attr-defined]


def assignable_goals(panel: Panel) -> QuerySet[Goal]:
    """Approved excellence goals of the panel's cycle not before another panel."""
    return (
        Goal.objects.filter(
            kind=Goal.Kind.EXCELLENCE,
            goal_set__cycle=panel.cycle,
            goal_set__state=GoalSet.State.APPROVED,
        )
        .exclude(panel_item__panel__in=Panel.objects.exclude(pk=panel.pk))
        .select_related("goal_set__unit")
        .order_by("goal_set__unit__path", "order", "pk")
    )


class GoalChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.goal_set.unit} · {obj.title}"


class AssignForm(forms.Form):
    goal = GoalChoiceField(label=_("Excellence goal"), queryset=Goal.objects.none())
    experts = ExpertsChoiceField(
        label=_("Experts"),
        queryset=get_user_model().objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, panel: Panel, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["goal"].queryset = assignable_goals(panel)  # type: ignore[attr-defined]
        self.fields["experts"].queryset = (  # type: ignore[attr-defined]
            get_user_model().objects.filter(panel_seats__panel=panel).order_by("panel_seats__pk")
        )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class CloseForm(forms.Form):
    reason = forms.CharField(
        label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ConflictForm(forms.Form):
    """A declared conflict of interest; the office names the expert, an expert declares their
    own."""

    unit = forms.ModelChoiceField(
        label=_("Unit"), queryset=Unit.objects.none(), to_field_name="code"
    )
    reason = forms.CharField(
        label=_("What the conflict is"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    expert = ExpertChoiceField(
        label=_("Expert"), queryset=get_user_model().objects.none(), required=False
    )

    def __init__(self, *args: Any, for_office: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.filter(is_assessed=True).order_by("path")  # type: ignore[attr-defined]
        if for_office:
            self.fields["expert"].queryset = expert_users()  # type: ignore[attr-defined]
        else:
            del self.fields["expert"]


class RatingForm(forms.Form):
    """The four scores, 0–100 each, and a comment."""

    comment = forms.CharField(
        label=_("Comment"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        scores = {}
        for code, label in Dimension.choices:
            scores[code] = forms.IntegerField(
                label=label,
                min_value=SCALE_MIN,
                max_value=SCALE_MAX,
                widget=forms.NumberInput(attrs={"step": 1, "inputmode": "numeric"}),
            )
        self.fields = {**scores, "comment": self.fields["comment"]}

    def scores(self) -> dict[str, int]:
        return {code: self.cleaned_data[code] for code in Dimension.values}
