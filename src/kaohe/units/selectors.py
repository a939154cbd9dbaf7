"""Reads of the unit tree that pages and documents share."""

from __future__ import annotations

from kaohe.units.models import Unit


def city_unit() -> Unit | None:
    """The city at the root of the tree (its name heads templates and pages), if one exists."""
    return Unit.objects.filter(kind=Unit.Kind.CITY, depth=1).order_by("path").first()
