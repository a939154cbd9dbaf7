"""Read-only admin views of the register (every write goes through the services)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from kaohe.projects.models import KeyProject, ProgressReport


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(KeyProject)
class KeyProjectAdmin(ReadOnly):
    list_display = ["code", "name_zh", "cycle", "owner", "district", "category", "status"]
    list_filter = ["cycle", "category", "status"]
    search_fields = ["code", "name_zh", "name_en"]


@admin.register(ProgressReport)
class ProgressReportAdmin(ReadOnly):
    list_display = ["project", "month", "version", "invested", "status", "reported_at"]
    list_filter = ["project__cycle"]
