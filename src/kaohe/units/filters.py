"""Filters of the unit, post and people lists, and the scoped unit choice the other lists use."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters.widgets import BooleanWidget

from kaohe.core.access import unit_scope
from kaohe.core.filters import ListFilterSet, user_of
from kaohe.units.models import Category, Person, Post, Unit


def units_seen_in(model: Any, path: str = "unit") -> Callable[[Any], QuerySet[Unit]]:
    """A callable queryset for a list's unit choice: the units in the user's scope, and those
    a widened scope lets the user see rows of in `model`'s list (`model.extra_scope_q`), so the
    choice never offers a unit the list would not show."""

    def choices(request: Any) -> QuerySet[Unit]:
        user = user_of(request)
        scope = unit_scope(user, "view")
        units = Unit.objects.order_by("path")
        if scope.everything:
            return units
        in_scope = Q(pk__in=sorted(scope.unit_ids))
        if getattr(model, "extra_scope_q", None) is not None and user is not None:
            in_scope |= Q(pk__in=model.objects.restrict(user).values(path))
        return units.filter(in_scope)

    return choices


def unit_choice(model: Any, path: str = "unit", **kwargs: Any) -> django_filters.Filter:
    """A unit filter by code (`?unit=D01`) offering only the units `units_seen_in` gives."""
    return django_filters.ModelChoiceFilter(
        field_name=kwargs.pop("field_name", path),
        to_field_name="code",
        queryset=units_seen_in(model, path),
        label=kwargs.pop("label", _("Unit")),
        **kwargs,
    )


def categories_seen(request: Any) -> QuerySet[Category]:
    """Categories of the units in the user's scope (the unit list's category choice)."""
    scope = unit_scope(user_of(request), "view")
    categories = Category.objects.all()
    if scope.everything:
        return categories
    return categories.filter(units__in=sorted(scope.unit_ids)).distinct()


class UnitFilterSet(ListFilterSet):
    """Units (page `/units/`, `/api/v1/units/`)."""

    category = django_filters.ModelChoiceFilter(
        to_field_name="code", queryset=categories_seen, label=_("Category")
    )
    is_assessed = django_filters.BooleanFilter(widget=BooleanWidget, label=_("assessed"))

    aliases: ClassVar[dict[str, str]] = {"category__code": "category"}

    class Meta:
        model = Unit
        fields = ["kind", "category", "is_assessed"]


class PostFilterSet(ListFilterSet):
    """Posts (`/api/v1/posts/`)."""

    unit = unit_choice(Post)

    aliases: ClassVar[dict[str, str]] = {"unit__code": "unit"}

    class Meta:
        model = Post
        fields = ["unit", "rank"]


class PersonFilterSet(ListFilterSet):
    """People (`/api/v1/people/`)."""

    unit = unit_choice(Person)

    aliases: ClassVar[dict[str, str]] = {"unit__code": "unit"}

    class Meta:
        model = Person
        fields = ["unit", "gender"]
