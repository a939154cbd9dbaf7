"""Roles and the actions each may take. A grant gives a role over a unit (and its sub-units)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """The people of PRODUCT.md "Who uses it", as grantable roles."""

    OFFICE_ADMIN = "office_admin", _("Assessment office administrator")
    COMMITTEE = "committee", _("Assessment committee member")
    REVIEWER = "reviewer", _("Comprehensive-department reviewer")
    LEADER = "leader", _("Leader in charge")
    UNIT_HEAD = "unit_head", _("Unit head")
    REPORTER = "reporter", _("Unit reporter")
    EXPERT = "expert", _("Expert rater")
    SURVEY_MANAGER = "survey_manager", _("Survey manager")
    CIVIL_SERVANT = "civil_servant", _("Civil servant")
    AUDITOR = "auditor", _("Auditor / discipline inspector")
    ORGANISATION = "organisation", _("Organisation department")


class Action(models.TextChoices):
    """What a user may do with a scoped object."""

    VIEW = "view", _("view")
    CHANGE = "change", _("change")
    REPORT = "report", _("report data")
    SUBMIT = "submit", _("submit")
    REVIEW = "review", _("review")
    APPROVE = "approve", _("approve")
    RATE = "rate", _("rate")
    ADMINISTER = "administer", _("administer")
    AUDIT = "audit", _("read the audit trail")
    SURVEY = "survey", _("run surveys")
    PERSONNEL = "personnel", _("personnel records")


A = Action
ROLE_ACTIONS: dict[str, frozenset[str]] = {
    Role.OFFICE_ADMIN: frozenset(a.value for a in Action),
    Role.COMMITTEE: frozenset({A.VIEW, A.APPROVE}),
    Role.REVIEWER: frozenset({A.VIEW, A.REVIEW}),
    Role.LEADER: frozenset({A.VIEW, A.REVIEW}),
    Role.UNIT_HEAD: frozenset({A.VIEW, A.CHANGE, A.REPORT, A.SUBMIT, A.PERSONNEL}),
    Role.REPORTER: frozenset({A.VIEW, A.CHANGE, A.REPORT}),
    Role.EXPERT: frozenset({A.VIEW, A.RATE}),
    Role.SURVEY_MANAGER: frozenset({A.VIEW, A.SURVEY}),
    Role.CIVIL_SERVANT: frozenset({A.VIEW}),
    Role.AUDITOR: frozenset({A.VIEW, A.AUDIT}),
    # the personnel records of every civil servant: grades, flags, rewards (干部档案)
    Role.ORGANISATION: frozenset({A.VIEW, A.PERSONNEL}),
}

# Roles whose holders act for their own unit as a responsible department (考核责任单位): they see
# the indicators their unit is responsible for across all assessed units.
RESPONSIBLE_DEPARTMENT_ROLES = frozenset({Role.REVIEWER, Role.UNIT_HEAD, Role.REPORTER})


def role_allows(role: str, action: str) -> bool:
    return action in ROLE_ACTIONS.get(role, frozenset())
