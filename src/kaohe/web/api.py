"""REST API of the big screen: the figures `/screen/` shows, as data (for city-wide viewers)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import exceptions, serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from kaohe.results.models import ScoringRun
from kaohe.web import screen as big_screen


class ScreenRowSerializer(serializers.Serializer):
    rank = serializers.IntegerField(allow_null=True)
    unit = serializers.CharField()
    name = serializers.CharField()
    score = serializers.FloatField(allow_null=True)
    grade = serializers.CharField(allow_blank=True)
    grade_name = serializers.CharField(allow_blank=True)


class ScreenCountSerializer(serializers.Serializer):
    code = serializers.CharField()
    # "label" shadows Field.label in the stubs; the API names it so on purpose.
    label = serializers.CharField()  # type: ignore[assignment]
    count = serializers.IntegerField()


class ScreenGradeSerializer(serializers.Serializer):
    name = serializers.CharField()
    count = serializers.IntegerField()


class ScreenGroupSerializer(serializers.Serializer):
    name = serializers.CharField(allow_blank=True)
    top = ScreenRowSerializer(many=True)


class ScreenRunSerializer(serializers.Serializer):
    run = serializers.IntegerField()
    cycle = serializers.IntegerField()
    category = serializers.CharField()
    category_name = serializers.CharField()
    grades = ScreenGradeSerializer(many=True)
    top = ScreenRowSerializer(many=True)
    bottom = ScreenRowSerializer(many=True)
    groups = ScreenGroupSerializer(many=True, help_text="a category's sub-groups, each its top")


class ScreenRegionSerializer(serializers.Serializer):
    unit = serializers.CharField()
    name = serializers.CharField()
    score = serializers.FloatField(allow_null=True)
    rank = serializers.IntegerField(allow_null=True)
    grade = serializers.CharField(allow_blank=True)
    grade_name = serializers.CharField(allow_blank=True)
    colour = serializers.CharField(allow_null=True)


class ScreenMapSerializer(serializers.Serializer):
    version = serializers.IntegerField(allow_null=True, help_text="null: no map uploaded yet")
    run = serializers.IntegerField(allow_null=True, help_text="the district run colouring it")
    regions = ScreenRegionSerializer(many=True)


class ScreenSurveySerializer(serializers.Serializer):
    name = serializers.CharField()
    responses = serializers.IntegerField()
    target = serializers.IntegerField(allow_null=True)


class ScreenSurveysSerializer(serializers.Serializer):
    surveys = ScreenSurveySerializer(many=True)
    empty_reason = serializers.CharField(allow_blank=True)


# The screen's `list` answers one summary, not a list of rows: `many=False` tells the schema so.
@extend_schema_serializer(many=False)
class ScreenSerializer(serializers.Serializer):
    cycle = serializers.IntegerField(allow_null=True)
    runs = ScreenRunSerializer(many=True)
    map = ScreenMapSerializer()
    warnings = ScreenCountSerializer(many=True)
    open_warnings = serializers.IntegerField()
    rectification = ScreenCountSerializer(many=True)
    surveys = ScreenSurveysSerializer()
    as_of = serializers.DateTimeField(allow_null=True)


def _row(result: Any) -> dict[str, Any]:
    return {
        "rank": result.rank,
        "unit": result.unit.code,
        "name": result.unit.name,
        "score": result.total_rounded,
        "grade": result.grade,
        "grade_name": getattr(result, "grade_name", result.grade),
    }


def screen_data(screen: big_screen.Screen) -> dict[str, Any]:
    """The screen as plain data, in the reader's language."""
    look, panel = screen.look, screen.map
    return {
        "cycle": screen.cycle.year if screen.cycle else None,
        "runs": [
            {
                "run": g.run.pk,
                "cycle": g.run.cycle.year,
                "category": g.run.category.code,
                "category_name": g.run.category.name,
                "grades": [{"name": name, "count": n} for name, n in g.grades],
                "top": [_row(r) for r in g.top],
                "bottom": [_row(r) for r in g.bottom],
                "groups": [{"name": name, "top": [_row(r) for r in top]} for name, top in g.groups],
            }
            for g in look.runs
        ],
        "map": {
            "version": panel.city_map.version if panel.city_map else None,
            "run": panel.glance.run.pk if panel.glance else None,
            "regions": [
                {
                    "unit": r.code,
                    "name": r.name,
                    "score": r.score,
                    "rank": r.rank,
                    "grade": r.grade,
                    "grade_name": r.grade_name,
                    "colour": r.tone,
                }
                for r in panel.regions
            ],
        },
        "warnings": [{"code": c, "label": label, "count": n} for c, label, n in look.warnings],
        "open_warnings": look.open_warnings,
        "rectification": [
            {"code": c, "label": label, "count": n} for c, label, n in look.rectification
        ],
        "surveys": {
            "surveys": [
                {"name": s.name, "responses": s.responses, "target": s.target}
                for s in screen.surveys.surveys
            ],
            "empty_reason": screen.surveys.empty_reason,
        },
        "as_of": screen.as_of,
    }


class ScreenViewSet(viewsets.GenericViewSet):
    """What the big screen shows: last published runs per category, the district map's
    colouring, open warnings by severity, rectification, live survey figures. City-wide
    viewers only (403 for others)."""

    # The screen is read from the published runs; the queryset only names its model.
    queryset = ScoringRun.objects.none()
    serializer_class = ScreenSerializer
    pagination_class = None
    filter_backends: list[Any] = []

    @extend_schema(responses=ScreenSerializer)
    def list(self, request: Request) -> Response:
        if not big_screen.may_see_screen(request.user):
            raise exceptions.PermissionDenied(
                _("The big screen shows the whole city: it needs a city-wide grant.")
            )
        return Response(ScreenSerializer(screen_data(big_screen.screen(request.user))).data)
