"""Navigation by role, for the base layout."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.http import HttpRequest
from django.urls import get_script_prefix, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kaohe.core.access import roles_of
from kaohe.core.roles import Role
from kaohe.web.pagecache import (
    BADGE_PLACEHOLDER,
    CSRF_PLACEHOLDER,
    notification_badge,
    placeholders_wanted,
)


@dataclass(frozen=True)
class NavItem:
    url_name: str
    label: str | Promise
    roles: frozenset[str] | None  # None: everyone signed in


R = Role
NAV = (
    NavItem("web:overview", _("Overview"), None),
    NavItem("units:list", _("Units"), None),
    NavItem("indicators:list", _("Indicators"), None),
    NavItem(
        "indicators:admission_list",
        _("Admission review"),
        frozenset({R.OFFICE_ADMIN, R.UNIT_HEAD, R.REPORTER}),
    ),
    NavItem(
        "schemes:cycle_list",
        _("Cycles"),
        frozenset({R.OFFICE_ADMIN, R.COMMITTEE, R.LEADER, R.REVIEWER, R.AUDITOR}),
    ),
    NavItem("schemes:list", _("Schemes"), None),
    NavItem("results:list", _("Results"), None),
    NavItem(
        "goals:list",
        _("Goals"),
        frozenset({R.OFFICE_ADMIN, R.COMMITTEE, R.LEADER, R.REVIEWER, R.UNIT_HEAD, R.REPORTER}),
    ),
    NavItem(
        "goals:inbox",
        _("Goal review"),
        frozenset({R.OFFICE_ADMIN, R.COMMITTEE, R.LEADER, R.REVIEWER}),
    ),
    NavItem(
        "goals:suggestions",
        _("Targets"),
        frozenset({R.OFFICE_ADMIN, R.COMMITTEE, R.LEADER, R.UNIT_HEAD, R.REPORTER}),
    ),
    NavItem(
        "observations:upload",
        _("Data upload"),
        frozenset({R.OFFICE_ADMIN, R.UNIT_HEAD, R.REPORTER}),
    ),
    NavItem(
        "monitoring:board",
        _("Warnings"),
        frozenset(
            {R.OFFICE_ADMIN, R.COMMITTEE, R.REVIEWER, R.LEADER, R.UNIT_HEAD, R.REPORTER, R.AUDITOR}
        ),
    ),
    NavItem(
        "rectification:list",
        _("Rectification"),
        frozenset({R.OFFICE_ADMIN, R.COMMITTEE, R.LEADER, R.UNIT_HEAD, R.REPORTER, R.AUDITOR}),
    ),
    NavItem("panels:mine", _("My ratings"), frozenset({R.EXPERT})),
    NavItem("panels:list", _("Expert panels"), frozenset({R.OFFICE_ADMIN, R.COMMITTEE, R.AUDITOR})),
    NavItem(
        "panels:results",
        _("Excellence scores"),
        frozenset({R.UNIT_HEAD, R.REPORTER, R.LEADER}),
    ),
    NavItem(
        "projects:map",
        _("Key projects"),
        frozenset({R.OFFICE_ADMIN, R.COMMITTEE, R.LEADER, R.UNIT_HEAD, R.REPORTER, R.AUDITOR}),
    ),
    NavItem(
        "projects:board",
        _("Major tasks"),
        frozenset({R.OFFICE_ADMIN, R.COMMITTEE, R.LEADER, R.UNIT_HEAD, R.REPORTER, R.AUDITOR}),
    ),
    NavItem("surveys:list", _("Surveys"), frozenset({R.OFFICE_ADMIN, R.SURVEY_MANAGER})),
    NavItem(
        "people:home", _("Staff grades"), frozenset({R.OFFICE_ADMIN, R.ORGANISATION, R.UNIT_HEAD})
    ),
    NavItem("people:flags", _("Leader flags"), frozenset({R.OFFICE_ADMIN, R.ORGANISATION})),
    NavItem("people:mine", _("My record"), frozenset({R.CIVIL_SERVANT})),
    NavItem("core:jobs", _("Jobs"), frozenset({R.OFFICE_ADMIN})),
    # the screen needs a city-wide grant, which these roles hold (a leader's names their units)
    NavItem("web:screen", _("Big screen"), frozenset({R.OFFICE_ADMIN, R.COMMITTEE, R.AUDITOR})),
    NavItem("web:audit", _("Audit trail"), frozenset({R.OFFICE_ADMIN, R.AUDITOR})),
)


@lru_cache(maxsize=256)
def _items_for(roles: frozenset[str], prefix: str) -> tuple[tuple[str, Any], ...]:
    """The (url, label) of each item these roles see (the URLs do not change while the process
    runs; `prefix` is the script prefix they were reversed under)."""
    return tuple(
        (reverse(item.url_name), item.label)
        for item in NAV
        if item.roles is None or roles & item.roles
    )


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "user_roles": [], "notification_badge": ""}
    roles = roles_of(user)
    path = request.path
    items = [
        {
            "url": url,
            "label": label,
            "active": path == url or (url != "/" and path.startswith(url)),
        }
        for url, label in _items_for(roles, get_script_prefix())
    ]
    role_labels = [Role(r).label for r in sorted(roles)]
    if placeholders_wanted(request):  # rendered for the page cache: filled on every answer
        return {
            "nav_items": items,
            "user_roles": role_labels,
            "notification_badge": BADGE_PLACEHOLDER,
            "csrf_token": CSRF_PLACEHOLDER,
        }
    return {
        "nav_items": items,
        "user_roles": role_labels,
        "notification_badge": notification_badge(user),
    }
