"""Scoring runs, read here: computed and published through kaohe.results.services (audited)."""

from django.contrib import admin

from kaohe.core.admin import ReadOnlyAdmin
from kaohe.results.models import ScoringRun


@admin.register(ScoringRun)
class ScoringRunAdmin(ReadOnlyAdmin):
    list_display = ["cycle", "category", "number", "status", "units_scored", "result_fingerprint"]
    list_filter = ["status", "category"]
