"""Forms: a cycle, a scheme copied from another cycle's, a scheme version from YAML (typed or
uploaded), and a reason for stage changes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kaohe.schemes.models import FIRST_YEAR, LAST_YEAR, Cycle, SchemeVersion

MAX_YAML_BYTES = 512 * 1024


class SchemeYamlForm(forms.Form):
    yaml_text = forms.CharField(
        label=_("Scheme document (YAML)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 18, "class": "code", "spellcheck": "false"}),
    )
    yaml_file = forms.FileField(label=_("…or upload a YAML file"), required=False)
    change_note = forms.CharField(label=_("What changed"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload = data.get("yaml_file")
        if upload is not None:
            if upload.size > MAX_YAML_BYTES:
                raise forms.ValidationError(_("The file is larger than 512 KiB."))
            try:
                data["yaml_text"] = upload.read().decode("utf-8")
            except UnicodeDecodeError:
                raise forms.ValidationError(_("The file is not UTF-8 text.")) from None
        if not (data.get("yaml_text") or "").strip():
            raise forms.ValidationError(_("Give the scheme document as text or as a file."))
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), required=False)


class AdvanceForm(ReasonForm):
    override = forms.BooleanField(
        label=_("Go on without what is missing (the reason is required and recorded)"),
        required=False,
    )


class CycleForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=FIRST_YEAR, max_value=LAST_YEAR)
    name_zh = forms.CharField(label=_("Name (Chinese)"), required=False, max_length=100)
    name_en = forms.CharField(label=_("Name (English)"), required=False, max_length=150)
    monthly = forms.ChoiceField(
        label=_("Monthly reporting periods"),
        choices=[
            ("auto", _("when the catalogue has monthly indicators")),
            ("yes", _("yes")),
            ("no", _("no")),
        ],
        initial="auto",
    )

    def monthly_choice(self) -> bool | None:
        return {"auto": None, "yes": True, "no": False}[self.cleaned_data["monthly"]]


class SchemeCopyForm(forms.Form):
    source = forms.ModelChoiceField(
        label=_("Copy from"),
        queryset=SchemeVersion.objects.none(),
    )
    cycle = forms.ModelChoiceField(
        label=_("Into the cycle"), queryset=Cycle.objects.exclude(state=Cycle.State.CLOSED)
    )
    code = forms.SlugField(label=_("Code (blank: the source's, with the new year)"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = (  # type: ignore[attr-defined]
            SchemeVersion.objects.select_related("scheme__cycle")
            .exclude(status=SchemeVersion.Status.DRAFT)
            .order_by("-scheme__cycle__year", "scheme__code", "-number")
        )
        self.fields["source"].label_from_instance = (  # type: ignore[attr-defined]
            lambda v: f"{v.scheme.name} · v{v.number} ({v.get_status_display()})"
        )
