from django.contrib import admin

from kaohe.schemes.models import Cycle, Scheme, SchemeVersion, TimeNode


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown for reading; every change goes through kaohe.schemes.services (audited)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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
