"""The catalogue and its admission requests, read here; writes through kaohe.indicators.services."""

from django.contrib import admin

from kaohe.core.admin import ReadOnlyAdmin
from kaohe.indicators.models import AdmissionRequest, Indicator


@admin.register(Indicator)
class IndicatorAdmin(ReadOnlyAdmin):
    list_display = ["code", "name_zh", "unit_zh", "direction", "frequency", "status"]
    list_filter = ["status", "frequency", "direction"]
    search_fields = ["code", "name_zh", "name_en"]


@admin.register(AdmissionRequest)
class AdmissionRequestAdmin(ReadOnlyAdmin):
    list_display = ["indicator", "proposed_by_unit", "status", "created_at"]
    list_filter = ["status"]
