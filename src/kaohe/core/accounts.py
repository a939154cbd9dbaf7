"""Services on accounts: one's own password, and the administrator's user writes."""

from __future__ import annotations

import contextvars
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kaohe.core import audit
from kaohe.core.events import EventType


@transaction.atomic
def change_password(user: Any, *, old_password: str, new_password: str) -> None:
    """Change the user's own password: the old one must be right and the new one pass the
    password policy. The audit event records that it changed, never the password."""
    if not user.check_password(old_password):
        raise ValidationError({"old_password": _("The current password is not right.")})
    try:
        validate_password(new_password, user)
    except ValidationError as exc:
        raise ValidationError({"new_password1": exc.messages}) from exc
    user.set_password(new_password)
    user.save(update_fields=["password"])
    audit.record(EventType.USER_PASSWORD_CHANGED, acting_user=user, obj=user)


# The fields of a login the audit trail shows (never the password hash).
USER_FIELDS = (
    "username",
    "first_name",
    "last_name",
    "email",
    "is_active",
    "is_staff",
    "is_superuser",
)


def _groups(user: Any) -> list[str]:
    return sorted(user.groups.values_list("name", flat=True))


@transaction.atomic
def save_user(
    user: Any, *, acting_user: Any, created: bool, before: dict[str, Any] | None, groups: Any
) -> Any:
    """Save a login written in the admin, with its groups (which may carry grants), and record
    the creation or the changed fields. `before` is the stored snapshot for a change."""
    user.save()
    old_groups = [] if created else _groups(user)
    if groups is not None:
        user.groups.set(groups)
    new_groups = _groups(user)
    extra = {"groups": new_groups} if created or old_groups != new_groups else {}
    if created:
        audit.record(
            EventType.USER_CREATED,
            acting_user=acting_user,
            obj=user,
            extra=extra,
            changes=[audit.Change(user, None, audit.snapshot(user, USER_FIELDS))],
        )
    else:
        if old_groups != new_groups:
            extra["groups_before"] = old_groups
        audit.record(
            EventType.USER_UPDATED,
            acting_user=acting_user,
            obj=user,
            extra=extra,
            changes=[audit.updated(user, before or {})],
        )
    return user


# The administrator acting in the admin's password view (a request-local value: Django's view
# builds the form with the user being changed, not the one changing it).
acting_administrator: contextvars.ContextVar[Any] = contextvars.ContextVar(
    "kaohe_acting_administrator", default=None
)


@transaction.atomic
def set_password(user: Any, *, acting_user: Any, new_password: str | None) -> None:
    """The administrator sets another login's password (checked against the policy), or,
    with None, turns password sign-in off for it."""
    if new_password is None:
        user.set_unusable_password()
    else:
        validate_password(new_password, user)
        user.set_password(new_password)
    user.save(update_fields=["password"])
    audit.record(
        EventType.USER_PASSWORD_SET,
        acting_user=acting_user,
        obj=user,
        extra={"usable": new_password is not None},
    )
