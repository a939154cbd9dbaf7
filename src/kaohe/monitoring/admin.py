from django.contrib import admin

from kaohe.monitoring.models import MonitoringRule, Warning


@admin.register(MonitoringRule)
class MonitoringRuleAdmin(admin.ModelAdmin):
    """Read here; rules are saved through kaohe.monitoring.services (validated and audited)."""

    list_display = ["code", "name_zh", "kind", "severity", "active"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Warning)
class WarningAdmin(admin.ModelAdmin):
    list_display = ["rule", "unit", "time_node", "severity", "state"]
    list_filter = ["state", "severity"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
