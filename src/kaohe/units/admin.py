"""Admin views of units, posts and people (read here; writes through the services)."""

from __future__ import annotations

from django.contrib import admin
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from kaohe.core.admin import ReadOnlyAdmin
from kaohe.units.models import Category, CityMap, Person, Post, Unit


@admin.register(Category)
class CategoryAdmin(ReadOnlyAdmin):
    list_display = ["code", "name_zh", "name_en", "kind", "parent", "order"]


@admin.register(Unit)
class UnitAdmin(ReadOnlyAdmin, TreeAdmin):
    form = movenodeform_factory(Unit)
    list_display = ["name_zh", "code", "kind", "category", "is_assessed"]
    list_filter = ["kind", "category"]
    search_fields = ["code", "name_zh", "name_en"]


@admin.register(Post)
class PostAdmin(ReadOnlyAdmin):
    list_display = ["code", "title_zh", "unit", "rank"]
    search_fields = ["code", "title_zh"]
    list_select_related = ["unit"]


@admin.register(Person)
class PersonAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "unit", "post"]
    search_fields = ["code", "name"]
    list_select_related = ["unit", "post"]


@admin.register(CityMap)
class CityMapAdmin(ReadOnlyAdmin):
    list_display = ["version", "feature_count", "byte_size", "created_at", "created_by", "note"]
    exclude = ["geojson"]  # thousands of coordinates; the map page draws it
