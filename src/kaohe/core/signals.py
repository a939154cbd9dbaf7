"""Login events into the audit trail (django-axes keeps its own attempt log beside it)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db import transaction
from django.dispatch import receiver

from kaohe.core import audit
from kaohe.core.events import EventType


@receiver(user_logged_in, dispatch_uid="kaohe_audit_login")
def audit_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    with transaction.atomic():
        audit.record(EventType.USER_LOGGED_IN, acting_user=user, obj=user)


@receiver(user_login_failed, dispatch_uid="kaohe_audit_login_failed")
def audit_login_failed(sender: Any, credentials: dict[str, Any], **kwargs: Any) -> None:
    username = str(credentials.get("username", ""))[:150]
    with transaction.atomic():
        audit.record(EventType.USER_LOGIN_FAILED, acting_user=None, extra={"username": username})
