from django.contrib import admin

from kaohe.results.models import ScoringRun


@admin.register(ScoringRun)
class ScoringRunAdmin(admin.ModelAdmin):
    """Read-only: runs are computed and published through kaohe.results.services (audited)."""

    list_display = ["cycle", "category", "number", "status", "units_scored", "result_fingerprint"]
    list_filter = ["status", "category"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
