"""Admin: grants are managed here, through the grant services; every other model is read-only
here (`ReadOnlyAdmin`), because every write goes through a service with its audit record."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from kaohe.core.models import AuditEvent, Grant, ObjectChange
from kaohe.units import services as unit_services


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown for reading: no add, change or delete (nor the bulk delete action) in the admin."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Grant)
class GrantAdmin(admin.ModelAdmin):
    list_display = ["user", "group", "role", "unit", "include_descendants"]
    list_filter = ["role"]
    autocomplete_fields = ["user", "unit"]

    def save_model(self, request: HttpRequest, obj: Grant, form: Any, change: bool) -> None:
        if change:
            # A grant is never edited in place: revoke and re-add keeps the trail readable.
            old = Grant.objects.get(pk=obj.pk)
            unit_services.revoke_grant(old, acting_user=request.user, reason="changed in admin")
        unit_services.add_grant(
            acting_user=request.user,
            role=obj.role,
            user=obj.user,
            group=obj.group,
            unit=obj.unit,
            include_descendants=obj.include_descendants,
        )

    def delete_model(self, request: HttpRequest, obj: Grant) -> None:
        unit_services.revoke_grant(obj, acting_user=request.user, reason="deleted in admin")

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Grant]) -> None:
        """The bulk delete action: each grant revoked through the service, all or none."""
        with transaction.atomic():
            for grant in queryset.select_related("user", "unit").order_by("pk"):
                unit_services.revoke_grant(
                    grant, acting_user=request.user, reason="deleted in admin"
                )


class ObjectChangeInline(admin.TabularInline):
    model = ObjectChange
    extra = 0
    can_delete = False
    readonly_fields = ["action", "object_repr", "before", "after"]
    fields = ["action", "object_repr", "before", "after"]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["occurred_at", "event_type", "acting_user", "unit", "object_repr", "request_id"]
    list_filter = ["event_type"]
    search_fields = ["object_repr", "request_id", "acting_user__username"]
    inlines = [ObjectChangeInline]
