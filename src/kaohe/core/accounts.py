"""Services on one's own account."""

from __future__ import annotations

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
