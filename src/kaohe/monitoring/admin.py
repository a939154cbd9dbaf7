"""Rules and warnings, read here; written through kaohe.monitoring.services (validated, audited)."""

from django.contrib import admin

from kaohe.core.admin import ReadOnlyAdmin
from kaohe.monitoring.models import MonitoringRule, Warning


@admin.register(MonitoringRule)
class MonitoringRuleAdmin(ReadOnlyAdmin):
    list_display = ["code", "name_zh", "kind", "severity", "active"]


@admin.register(Warning)
class WarningAdmin(ReadOnlyAdmin):
    list_display = ["rule", "unit", "time_node", "severity", "state"]
    list_filter = ["state", "severity"]
