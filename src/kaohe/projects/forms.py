"""Forms of the register's pages: a project (the office), the workbook upload, the owner unit's
progress report, the schedule check and the investment feed settings. Rules stay in the
services: a form only turns the page's fields into a service's arguments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kaohe.indicators.models import Indicator
from kaohe.projects.models import KeyProject, ProjectCategory
from kaohe.schemes.models import Cycle
from kaohe.units.models import Unit

DATE = forms.DateInput(attrs={"type": "date"})


def open_cycles() -> Any:
    return Cycle.objects.exclude(state=Cycle.State.CLOSED).order_by("-year")


class UnitCodeField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.code} {obj.name}"


class ProjectForm(forms.Form):
    code = forms.SlugField(label=_("Code"), max_length=40)
    name_zh = forms.CharField(label=_("Name (Chinese)"), max_length=200)
    name_en = forms.CharField(label=_("Name (English)"), max_length=200, required=False)
    owner = UnitCodeField(
        label=_("Owner unit"),
        queryset=Unit.objects.filter(active=True).order_by("path"),
        to_field_name="code",
    )
    district = UnitCodeField(
        label=_("District"),
        queryset=Unit.objects.filter(
            active=True, kind__in=[Unit.Kind.DISTRICT, Unit.Kind.COUNTY_CITY]
        ).order_by("path"),
        to_field_name="code",
    )
    category = forms.ChoiceField(label=_("Category"), choices=ProjectCategory.choices)
    longitude = forms.DecimalField(label=_("Longitude"), max_digits=9, decimal_places=6)
    latitude = forms.DecimalField(label=_("Latitude"), max_digits=8, decimal_places=6)
    planned_start = forms.DateField(label=_("Planned start"), widget=DATE)
    planned_end = forms.DateField(label=_("Planned completion"), widget=DATE)
    total_investment = forms.DecimalField(
        label=_("Total investment (10,000 yuan)"), max_digits=14, decimal_places=2
    )
    status = forms.ChoiceField(label=_("Status"), choices=KeyProject.Status.choices)
    plan = forms.CharField(
        label=_("Monthly plan"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "class": "code"}),
        help_text=_("One month a line: YYYY-MM and the planned investment, e.g. 2025-03 120"),
    )
    milestones = forms.CharField(
        label=_("Milestones"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "class": "code"}),
        help_text=_(
            "One a line: number | Chinese name | due date | English name (optional), "
            "e.g. 1 | 开工 | 2025-03-31 | Start"
        ),
    )

    def __init__(self, *args: Any, project: KeyProject | None = None, **kwargs: Any) -> None:
        if project is not None and "initial" not in kwargs:
            kwargs["initial"] = initial_of(project)
        super().__init__(*args, **kwargs)
        if project is None:
            self.fields["cycle"] = forms.ModelChoiceField(
                label=_("Cycle"), queryset=open_cycles(), to_field_name="year"
            )
            self.order_fields(["cycle"])
        else:
            self.fields["reason"] = forms.CharField(
                label=_("Reason for the change"), widget=forms.Textarea(attrs={"rows": 2})
            )

    def clean_plan(self) -> list[tuple[str, Decimal]]:
        out = []
        for number, line in enumerate(self.cleaned_data["plan"].splitlines(), start=1):
            parts = line.replace(",", " ").replace("\t", " ").split()
            if not parts:
                continue
            try:
                month = dt.datetime.strptime(parts[0], "%Y-%m").strftime("%Y-%m")
                out.append((month, Decimal(parts[1])))
            except (ValueError, IndexError, ArithmeticError):
                raise forms.ValidationError(
                    _("Line %(n)d: a month YYYY-MM and a number.") % {"n": number}
                ) from None
        return out

    def clean_milestones(self) -> list[dict[str, Any]]:
        out = []
        for number, line in enumerate(self.cleaned_data["milestones"].splitlines(), start=1):
            if not line.strip():
                continue
            parts = [p.strip() for p in line.split("|")]
            try:
                out.append(
                    {
                        "seq": int(parts[0]),
                        "name_zh": parts[1],
                        "due": dt.date.fromisoformat(parts[2]),
                        "name_en": parts[3] if len(parts) > 3 else "",
                    }
                )
            except (ValueError, IndexError):
                raise forms.ValidationError(
                    _("Line %(n)d: number | Chinese name | YYYY-MM-DD.") % {"n": number}
                ) from None
        return out

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("cycle", None)
        data.pop("reason", None)
        return data


def initial_of(project: KeyProject) -> dict[str, Any]:
    return {
        "code": project.code,
        "name_zh": project.name_zh,
        "name_en": project.name_en,
        "owner": project.owner.code,
        "district": project.district.code,
        "category": project.category,
        "longitude": project.longitude,
        "latitude": project.latitude,
        "planned_start": project.planned_start,
        "planned_end": project.planned_end,
        "total_investment": project.total_investment,
        "status": project.status,
        "plan": "\n".join(f"{p.month:%Y-%m} {p.planned}" for p in project.plan.all()),
        "milestones": "\n".join(
            f"{m.seq} | {m.name_zh} | {m.due.isoformat()}"
            + (f" | {m.name_en}" if m.name_en else "")
            for m in project.milestones.all()
        ),
    }


class ImportForm(forms.Form):
    cycle = forms.ModelChoiceField(label=_("Cycle"), queryset=open_cycles(), to_field_name="year")
    workbook = forms.FileField(label=_("Register workbook (.xlsx)"))


class ReportForm(forms.Form):
    """The owner unit's monthly report; one date field per milestone not reached yet."""

    month = forms.CharField(
        label=_("Month"), widget=forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"})
    )
    invested = forms.DecimalField(
        label=_("Investment in the month (10,000 yuan)"),
        max_digits=14,
        decimal_places=2,
        min_value=0,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
    )
    status = forms.ChoiceField(label=_("Status"), choices=KeyProject.Status.choices)
    note = forms.CharField(
        label=_("Progress"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, project: KeyProject, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"status": project.status})
        super().__init__(*args, **kwargs)
        self.milestone_fields = []
        for m in project.milestones.all():
            name = f"milestone_{m.seq}"
            self.fields[name] = forms.DateField(
                label=_("%(seq)d. %(name)s reached on") % {"seq": m.seq, "name": m.name},
                required=False,
                widget=DATE,
                help_text=_("due %(due)s") % {"due": m.due.isoformat()},
            )
            self.milestone_fields.append(name)

    def milestones_done(self) -> dict[int, dt.date]:
        return {
            int(name.split("_", 1)[1]): self.cleaned_data[name]
            for name in self.milestone_fields
            if self.cleaned_data.get(name)
        }


class CheckForm(forms.Form):
    cycle = forms.ModelChoiceField(label=_("Cycle"), queryset=open_cycles(), to_field_name="year")
    as_of = forms.DateField(label=_("As of"), required=False, widget=DATE)
    action = forms.ChoiceField(
        label=_("What"),
        choices=[("check", _("Check the schedules")), ("feed", _("Send the investment"))],
        initial="check",
    )


class FeedSettingsForm(forms.Form):
    cycle = forms.ModelChoiceField(label=_("Cycle"), queryset=open_cycles(), to_field_name="year")
    indicator = forms.ModelChoiceField(
        label=_("Indicator the investment is recorded on"),
        queryset=Indicator.objects.filter(status=Indicator.Status.ACTIVE, formula="").order_by(
            "code"
        ),
        to_field_name="code",
    )
    min_pace = forms.DecimalField(
        label=_("Least investment pace"),
        min_value=0,
        max_value=1,
        decimal_places=2,
        initial=Decimal("0.8"),
    )
