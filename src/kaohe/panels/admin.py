"""Admin: the panels, their experts, goals, assignments, conflicts and ratings, read-only (every
write goes through the panel services with its audit record)."""

from __future__ import annotations

from django.contrib import admin

from kaohe.core.admin import ReadOnlyAdmin
from kaohe.panels.models import (
    Assignment,
    ConflictDeclaration,
    Panel,
    PanelGoal,
    PanelMember,
    Rating,
)


@admin.register(Panel)
class PanelAdmin(ReadOnlyAdmin):
    list_display = ["name_zh", "cycle", "state", "indicator"]
    list_filter = ["state", "cycle"]


@admin.register(PanelMember)
class PanelMemberAdmin(ReadOnlyAdmin):
    list_display = ["panel", "expert"]


@admin.register(PanelGoal)
class PanelGoalAdmin(ReadOnlyAdmin):
    list_display = ["panel", "goal"]


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdmin):
    list_display = ["item", "member", "state"]
    list_filter = ["state"]


@admin.register(ConflictDeclaration)
class ConflictDeclarationAdmin(ReadOnlyAdmin):
    list_display = ["expert", "unit", "created_at"]


@admin.register(Rating)
class RatingAdmin(ReadOnlyAdmin):
    list_display = ["assignment", "excellence", "difficulty", "innovation", "benefit"]
