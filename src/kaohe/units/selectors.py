"""Reads of the unit tree that pages and documents share."""

from __future__ import annotations

from collections.abc import Collection
from typing import NamedTuple

from kaohe.core import sql
from kaohe.units.models import Category, CityMap, Unit


class CategoryRow(NamedTuple):
    """What the ingestion pipeline reads of a category (`unit_rows`)."""

    pk: int
    code: str
    parent_id: int | None


class UnitRow(NamedTuple):
    """What the ingestion pipeline reads of a unit: a plain row, not a model instance (reading
    the units of a batch as models cost more than writing the batch). The names are the
    model's, so a step reads a row as it would read a `Unit`."""

    pk: int
    code: str
    name_zh: str
    is_assessed: bool
    active: bool
    category_id: int | None
    category: CategoryRow | None


def unit_rows(
    *, codes: Collection[str] = (), ids: Collection[int] = (), assessed: bool = False
) -> list[UnitRow]:
    """The units with these codes or ids and, when `assessed`, every active assessed unit, in
    code order, each with its category (one query; one `CategoryRow` per category)."""
    u, c = "u", "c"
    conditions, params = sql.among_any(Unit, u, {"code": codes, "id": ids})
    if assessed:
        conditions.append(
            f"({sql.column(Unit, 'is_assessed', u)} = %s AND {sql.column(Unit, 'active', u)} = %s)"
        )
        params += [True, True]
    if not conditions:
        return []
    rows = sql.fetch(
        f"SELECT {sql.column(Unit, 'id', u)}, {sql.column(Unit, 'code', u)}, "
        f"{sql.column(Unit, 'name_zh', u)}, {sql.column(Unit, 'is_assessed', u)}, "
        f"{sql.column(Unit, 'active', u)}, {sql.column(Unit, 'category', u)}, "
        f"{sql.column(Category, 'code', c)}, {sql.column(Category, 'parent', c)} "
        f"FROM {sql.table(Unit)} {u} LEFT JOIN {sql.table(Category)} {c} "
        f"ON {sql.column(Category, 'id', c)} = {sql.column(Unit, 'category', u)} "
        f"WHERE {' OR '.join(conditions)} ORDER BY {sql.column(Unit, 'code', u)}",
        params,
    )
    categories: dict[int, CategoryRow] = {}
    out = []
    for pk, code, name_zh, is_assessed, active, category_id, category_code, parent_id in rows:
        category = None
        if category_id is not None:
            category = categories.get(category_id)
            if category is None:
                category = categories[category_id] = CategoryRow(
                    category_id, category_code, parent_id
                )
        out.append(
            UnitRow(pk, code, name_zh, bool(is_assessed), bool(active), category_id, category)
        )
    return out


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
