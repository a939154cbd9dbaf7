"""What the unit pages post: the city map upload."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class CityMapUploadForm(forms.Form):
    """A GeoJSON file of the city's units and a note on what changed."""

    file = forms.FileField(
        label=_("GeoJSON file"),
        help_text=_(
            "A FeatureCollection of Polygon or MultiPolygon features, each with "
            "properties.code naming a unit; at most 2 MiB."
        ),
    )
    note = forms.CharField(label=_("Note"), max_length=500, required=False)
