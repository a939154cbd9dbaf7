"""Forms: a scheme version from YAML (typed or uploaded), and a reason for stage changes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

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
