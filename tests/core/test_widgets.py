"""The quick select box renders Django's `Select` markup (the same tags, attributes and text;
without the whitespace between tags that Django's templates leave)."""

from __future__ import annotations

import re

import pytest
from django import forms

from kaohe.core.widgets import QuickSelect, quicken


def tags(html: object) -> str:
    return re.sub(r">\s+<", "><", str(html)).strip()


CHOICES = [
    ("", "all"),
    ("D01", "东区 <East> & co"),
    ("D02", 'West "quoted"'),
    ("Departments", [("SWJ", "商务局"), ("FGW", "发改委")]),
    (7, "seven"),
]


@pytest.mark.parametrize("value", [None, "", "D02", "FGW", 7, "7", "nonesuch"])
@pytest.mark.parametrize(
    "attrs", [None, {"id": "f-unit"}, {"id": "f-unit", "class": "wide", "required": True}]
)
def test_the_markup_is_djangos(value, attrs) -> None:  # type: ignore[no-untyped-def]
    django = forms.Select(choices=CHOICES).render("unit", value, attrs)
    quick = QuickSelect(choices=CHOICES).render("unit", value, attrs)
    assert tags(quick) == tags(django)


def test_a_form_keeps_its_fields_and_values(db) -> None:  # type: ignore[no-untyped-def]
    class Filters(forms.Form):
        unit = forms.ChoiceField(choices=CHOICES, required=False)
        state = forms.ChoiceField(
            choices=[("open", "open"), ("closed", "closed")], widget=forms.RadioSelect
        )
        name = forms.CharField(required=False)

    plain = Filters({"unit": "SWJ", "state": "open"}, auto_id="f-%s")
    quick = quicken(Filters({"unit": "SWJ", "state": "open"}, auto_id="f-%s"))
    assert isinstance(quick.fields["unit"].widget, QuickSelect)
    assert isinstance(quick.fields["state"].widget, forms.RadioSelect)  # only plain selects
    assert tags(quick["unit"]) == tags(plain["unit"])
    assert 'value="SWJ" selected' in str(quick["unit"])
    assert tags(quick) == tags(plain)
