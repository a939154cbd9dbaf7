"""Admin: grants and logins are managed here, through their services; every other model is
read-only here (`ReadOnlyAdmin`), because every write goes through a service with its audit
record."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from kaohe.core import accounts, audit
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


class AuditedPasswordForm(AdminPasswordChangeForm):
    """The admin's "change password" form; the change is the audited service."""

    def save(self, commit: bool = True) -> Any:
        password = (
            self.cleaned_data["password1"] if self.cleaned_data["set_usable_password"] else None
        )
        accounts.set_password(
            self.user, acting_user=accounts.acting_administrator.get(), new_password=password
        )
        return self.user


User = get_user_model()
admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class AccountAdmin(UserAdmin):
    """Logins: created and changed through the account services, each write audited. A login
    is never deleted (its audit trail points at it): turn "active" off instead."""

    change_password_form = AuditedPasswordForm
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "email")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    readonly_fields = ["last_login", "date_joined"]
    actions = None

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        before = (
            audit.snapshot(User.objects.get(pk=obj.pk), accounts.USER_FIELDS) if change else None
        )
        accounts.save_user(
            obj,
            acting_user=request.user,
            created=not change,
            before=before,
            groups=form.cleaned_data.get("groups"),
        )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Groups were saved by the service with the login; there are no inlines."""

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        token = accounts.acting_administrator.set(request.user)
        try:
            return super().user_change_password(request, id, form_url)
        finally:
            accounts.acting_administrator.reset(token)


@admin.register(Group)
class ReadOnlyGroupAdmin(ReadOnlyAdmin, GroupAdmin):
    """Groups are read here; who belongs to one is set on the login (audited)."""
