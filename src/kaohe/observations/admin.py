"""Observations, read here; values change only through the ingestion pipeline (versioned)."""

from django.contrib import admin

from kaohe.core.admin import ReadOnlyAdmin
from kaohe.observations.models import Observation


@admin.register(Observation)
class ObservationAdmin(ReadOnlyAdmin):
    list_display = ["unit", "indicator", "time_node", "value", "version_count"]
    list_select_related = ["unit", "indicator", "time_node"]
