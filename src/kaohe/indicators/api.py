"""REST API for the indicator catalogue and the admission review."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from kaohe.core.api import ScopedReadOnlyViewSet, ServiceCallMixin
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


class IndicatorViewSet(ServiceCallMixin, viewsets.ModelViewSet):
    """The catalogue. Anyone signed in reads it (sensitive entries only where entitled); the
    office creates and edits entries through the catalogue services."""

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
