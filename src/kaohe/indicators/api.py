"""REST API for the indicator catalogue and the admission review."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from kaohe.core.api import ScopedReadOnlyViewSet, ServiceCallMixin
from kaohe.goals import trends
from kaohe.indicators import services
from kaohe.indicators.filters import AdmissionRequestFilterSet, IndicatorFilterSet
from kaohe.indicators.models import AdmissionRequest, Indicator
from kaohe.units.models import Unit, visible_units


class IndicatorSerializer(serializers.ModelSerializer):
    responsible_department = serializers.SlugRelatedField(
        slug_field="code", queryset=Unit.objects.all(), required=False, allow_null=True
    )
    components = serializers.SerializerMethodField()

    class Meta:
        model = Indicator
        fields = [
            "id",
            "code",
            "name_zh",
            "name_en",
            "unit_zh",
            "unit_en",
            "direction",
            "frequency",
            "value_type",
            "decimals",
            "grade_labels",
            "min_value",
            "max_value",
            "responsible_department",
            "reported_by",
            "formula",
            "description_zh",
            "description_en",
            "sensitive",
            "status",
            "components",
        ]
        read_only_fields = ["id", "status", "components"]

    def get_components(self, indicator: Indicator) -> dict[str, Any]:
        return {
            c.aspect: {"indicator": c.component.code, "weight": float(c.default_weight)}
            for c in indicator.components.all()
        }


class TrendPointSerializer(serializers.Serializer):
    period = serializers.CharField()
    value = serializers.FloatField()


class ForesightSerializer(serializers.Serializer):
    period = serializers.CharField()
    value = serializers.FloatField()
    low = serializers.FloatField(allow_null=True)
    high = serializers.FloatField(allow_null=True)
    coverage = serializers.FloatField()
    method = serializers.CharField()
    reason = serializers.CharField()
    # "source" shadows Field.source in the stubs; the API names it so on purpose.
    source = serializers.CharField(  # type: ignore[assignment]
        help_text="suggestion: the office's target suggestion; forecast: the engine's, here"
    )
    state = serializers.CharField(allow_blank=True)
    target_set = serializers.FloatField(allow_null=True, source="decided")


class IndicatorTrendSerializer(serializers.Serializer):
    """One unit's full-year values of the indicator and the next year's value with its range
    (`foresight`, null when the series is too short); `units` are the units one may ask for."""

    indicator = serializers.CharField()
    unit = serializers.CharField(allow_null=True)
    unit_name = serializers.CharField(allow_null=True)
    unit_of_measure = serializers.CharField(allow_blank=True)
    history = TrendPointSerializer(many=True)
    foresight = ForesightSerializer(allow_null=True)
    units = serializers.ListField(child=serializers.CharField())


class IndicatorViewSet(ServiceCallMixin, viewsets.ModelViewSet):
    """The catalogue. Anyone signed in reads it (sensitive entries only where entitled); the
    office creates and edits entries through the catalogue services. `…/{code}/trend/?unit=`
    is one unit's series with its foresight, as on the indicator page."""

    serializer_class = IndicatorSerializer
    lookup_field = "code"
    filterset_class = IndicatorFilterSet
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> QuerySet[Indicator]:
        return (
            Indicator.objects.visible_to(self.request.user)
            .select_related("responsible_department")
            .prefetch_related("components__component")
        )

    def perform_create(self, serializer: serializers.BaseSerializer[Any]) -> None:
        data = dict(serializer.validated_data)
        code = data.pop("code")
        serializer.instance = self.call_service(
            services.create_indicator, acting_user=self.request.user, code=code, **data
        )

    def perform_update(self, serializer: serializers.BaseSerializer[Any]) -> None:
        data = dict(serializer.validated_data)
        data.pop("code", None)
        serializer.instance = self.call_service(
            services.update_indicator,
            serializer.instance,
            acting_user=self.request.user,
            reason=str(self.request.data.get("reason", "")),
            **data,
        )

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "unit",
                str,
                description="a unit's code (default: the first unit with full-year values)",
            )
        ],
        responses={
            200: IndicatorTrendSerializer,
            404: OpenApiResponse(
                description="no such indicator, or the unit is not one "
                "whose values of it the caller may see"
            ),
        },
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def trend(self, request: Request, code: str | None = None) -> Response:
        """One unit's full-year values and the next year's value with its 80% range: the
        office's target suggestion when there is one, else the engine's forecast."""
        indicator = self.get_object()
        filters = trends.trend_filter(
            request.user, indicator, request.query_params, request=request
        )
        if filters.errors:  # a unit out of the caller's view or without values: not found
            raise NotFound
        trend = trends.indicator_trend(request.user, indicator, filters)
        units = filters.form.fields["unit"].queryset.values_list("code", flat=True)
        return Response(
            IndicatorTrendSerializer(
                {
                    "indicator": indicator.code,
                    "unit": trend.unit.code if trend else None,
                    "unit_name": trend.unit.name if trend else None,
                    "unit_of_measure": indicator.unit_of_measure,
                    "history": [{"period": p, "value": v} for p, v in trend.history]
                    if trend
                    else [],
                    "foresight": trend.foresight if trend else None,
                    "units": list(units),
                }
            ).data
        )


class AdmissionRequestSerializer(serializers.ModelSerializer):
    indicator = IndicatorSerializer(read_only=True)
    proposed_by_unit: serializers.SlugRelatedField[Unit] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )

    class Meta:
        model = AdmissionRequest
        fields = [
            "id",
            "indicator",
            "proposed_by_unit",
            "reason",
            "status",
            "decided_at",
            "decision_reason",
            "created_at",
        ]


class ProposalSerializer(IndicatorSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", queryset=Unit.objects.all())
    reason = serializers.CharField()

    class Meta(IndicatorSerializer.Meta):
        fields = [*IndicatorSerializer.Meta.fields, "unit", "reason"]


class DecisionSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class AdmissionRequestViewSet(ScopedReadOnlyViewSet):
    """Proposals to admit an indicator (a unit sees its own; the office sees all and decides)."""

    queryset = AdmissionRequest.objects.select_related("indicator", "proposed_by_unit")
    serializer_class = AdmissionRequestSerializer
    filterset_class = AdmissionRequestFilterSet

    def create(self, request: Request) -> Response:
        payload = ProposalSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        unit = data.pop("unit")
        if not visible_units(request.user).filter(pk=unit.pk).exists():
            return Response({"unit": ["unknown unit"]}, status=status.HTTP_400_BAD_REQUEST)
        code = data.pop("code")
        reason = data.pop("reason")
        proposal = self.call_service(
            services.propose_indicator,
            acting_user=request.user,
            unit=unit,
            code=code,
            reason=reason,
            **data,
        )
        return Response(AdmissionRequestSerializer(proposal).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=DecisionSerializer, responses=AdmissionRequestSerializer)
    @action(detail=True, methods=["post"], serializer_class=DecisionSerializer)
    def approve(self, request: Request, pk: str | None = None) -> Response:
        payload = DecisionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        decided = self.call_service(
            services.approve_admission,
            self.get_object(),
            acting_user=request.user,
            reason=payload.validated_data["reason"],
        )
        return Response(AdmissionRequestSerializer(decided).data)

    @extend_schema(request=DecisionSerializer, responses=AdmissionRequestSerializer)
    @action(detail=True, methods=["post"], serializer_class=DecisionSerializer)
    def reject(self, request: Request, pk: str | None = None) -> Response:
        payload = DecisionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        decided = self.call_service(
            services.reject_admission,
            self.get_object(),
            acting_user=request.user,
            reason=payload.validated_data["reason"],
        )
        return Response(AdmissionRequestSerializer(decided).data)
