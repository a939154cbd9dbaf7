"""The demo's logins: their shared password and how one is created (through the audit trail,
as the user admin would). Used by the loader and by each part of the demo story."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model

from kaohe.core import audit
from kaohe.core.events import EventType

DEMO_PASSWORD = "Kaohe-demo-2026"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    description: str


def create_user(username: str, first_name: str, *, superuser: bool = False) -> Any:
    """A demo user with the demo password, its creation in the audit trail."""
    User = get_user_model()
    user = User(
        username=username, first_name=first_name, is_staff=superuser, is_superuser=superuser
    )
    user.set_password(DEMO_PASSWORD)
    user.save()
    audit.record(EventType.USER_CREATED, acting_user=None, obj=user, extra={"superuser": superuser})
    return user
