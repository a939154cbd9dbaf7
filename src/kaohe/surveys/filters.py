"""The survey lists' filters, one FilterSet per list shared by the page and the API:
surveys (`/surveys/`, `/api/v1/surveys/`), flagged responses, code batches and codes."""

from __future__ import annotations

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from kaohe.core.filters import ListFilterSet
from kaohe.surveys.models import AccessCode, CodeBatch, Response, Survey, SurveyResult

MAX_ID = 2**63 - 1  # the largest id a database holds: more is refused, not sent to it


class IdFilter(django_filters.NumberFilter):
    """An object's id: a whole number within the database's range."""

    field_class = forms.IntegerField

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class SurveyFilterSet(ListFilterSet):
    cycle = IdFilter(field_name="cycle__year", label=_("Cycle"))
    state = django_filters.ChoiceFilter(choices=Survey.State.choices, label=_("State"))
    kind = django_filters.ChoiceFilter(choices=Survey.Kind.choices, label=_("Kind"))

    class Meta:
        model = Survey
        fields = ["cycle", "state", "kind"]


class FlaggedFilterSet(ListFilterSet):
    """Flagged responses: `review=pending` (the review page's default), `kept`, `excluded`."""

    survey = IdFilter(field_name="survey_id", label=_("Survey"))
    review = django_filters.ChoiceFilter(
        choices=[c for c in Response.Review.choices if c[0]], label=_("Review")
    )

    class Meta:
        model = Response
        fields = ["survey", "review"]


class CodeBatchFilterSet(ListFilterSet):
    survey = IdFilter(field_name="survey_id", label=_("Survey"))

    class Meta:
        model = CodeBatch
        fields = ["survey"]


class AccessCodeFilterSet(ListFilterSet):
    batch = IdFilter(field_name="batch_id", label=_("Batch"))
    survey = IdFilter(field_name="survey_id", label=_("Survey"))
    burned = django_filters.BooleanFilter(label=_("Used"))

    class Meta:
        model = AccessCode
        fields = ["batch", "survey", "burned"]


# --- results (helper C) -------------------------------------------------------------------------


class SurveyResultFilterSet(ListFilterSet):
    """A closed survey's frozen figures (`/api/v1/survey-results/`): by survey, unit (code)
    and group (code); `index=true` keeps each unit's group-weighted index rows only."""

    survey = IdFilter(field_name="survey_id", label=_("Survey"))
    unit = django_filters.CharFilter(field_name="unit__code", label=_("Unit"))
    group = django_filters.CharFilter(field_name="group__code", label=_("Group"))
    index = django_filters.BooleanFilter(
        field_name="group", lookup_expr="isnull", label=_("Index rows only")
    )

    class Meta:
        model = SurveyResult
        fields = ["survey", "unit", "group", "index"]
