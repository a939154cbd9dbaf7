"""Cycles and schemes, read here; every change goes through kaohe.schemes.services (audited)."""

from django.contrib import admin

from kaohe.core.admin import ReadOnlyAdmin
from kaohe.schemes.models import Cycle, Scheme, SchemeVersion, TimeNode


@admin.register(Cycle)
class CycleAdmin(ReadOnlyAdmin):
    list_display = ["year", "name_zh", "state"]


@admin.register(TimeNode)
class TimeNodeAdmin(ReadOnlyAdmin):
    list_display = ["period", "name_zh", "due_date", "locked"]


@admin.register(Scheme)
class SchemeAdmin(ReadOnlyAdmin):
    list_display = ["code", "name_zh", "cycle", "category"]


@admin.register(SchemeVersion)
class SchemeVersionAdmin(ReadOnlyAdmin):
    list_display = ["scheme", "number", "status", "fingerprint"]
