from django.contrib import admin

from kaohe.indicators.models import AdmissionRequest, Indicator


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "unit_zh", "direction", "frequency", "status"]
    list_filter = ["status", "frequency", "direction"]
    search_fields = ["code", "name_zh", "name_en"]

    def has_change_permission(self, request, obj=None):
        return False  # edits go through kaohe.indicators.services (audited), on the pages

    def has_add_permission(self, request):
        return False


@admin.register(AdmissionRequest)
class AdmissionRequestAdmin(admin.ModelAdmin):
    list_display = ["indicator", "proposed_by_unit", "status", "created_at"]
    list_filter = ["status"]

    def has_change_permission(self, request, obj=None):
        return False
