"""Reads of the unit tree that pages and documents share."""

from __future__ import annotations

from kaohe.units.models import CityMap, Unit


def city_unit() -> Unit | None:
    """The city at the root of the tree (its name heads templates and pages), if one exists."""
    return Unit.objects.filter(kind=Unit.Kind.CITY, depth=1).order_by("path").first()


def map_unit_names(city_map: CityMap) -> list[tuple[str, str]]:
    """(code, name in the reader's language) for each feature of the map, in its order."""
    names = {u.code: u.name for u in Unit.objects.filter(code__in=city_map.codes)}
    return [(code, names.get(code, code)) for code in city_map.codes]


def districts_off_the_map(city_map: CityMap | None) -> list[Unit]:
    """Assessed districts and county-level cities that the map does not draw."""
    units = Unit.objects.filter(
        is_assessed=True, active=True, kind__in=[Unit.Kind.DISTRICT, Unit.Kind.COUNTY_CITY]
    )
    if city_map is not None:
        units = units.exclude(code__in=city_map.codes)
    return list(units)
