from django.contrib import admin

from kaohe.observations.models import Observation


@admin.register(Observation)
class ObservationAdmin(admin.ModelAdmin):
    list_display = ["unit", "indicator", "time_node", "value", "version_count"]
    list_select_related = ["unit", "indicator", "time_node"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
