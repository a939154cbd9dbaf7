"""REST API for warnings (scoped) with their life-cycle steps, and the rules."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from kaohe.core.api import ScopedReadOnlyViewSet
from kaohe.monitoring import services
from kaohe.monitoring.filters import MonitoringRuleFilterSet, WarningFilterSet
from kaohe.monitoring.models import MonitoringRule, Warning


class MonitoringRuleSerializer(serializers.ModelSerializer):
    class Meta:
        model = MonitoringRule
        fields = ["code", "name_zh", "name_en", "kind", "severity", "spec", "active"]


class WarningSerializer(serializers.ModelSerializer):
    rule = serializers.CharField(source="rule.code", read_only=True)
    unit = serializers.CharField(source="unit.code", read_only=True)
    period = serializers.CharField(source="time_node.period", read_only=True)

    class Meta:
        model = Warning
        fields = [
            "id",
            "rule",
            "unit",
            "period",
            "severity",
            "state",
            "resolution",
            "details",
            "message_zh",
            "message_en",
            "explanation",
            "rectification",
            "decision",
            "created_at",
            "closed_at",
        ]


class TextSerializer(serializers.Serializer):
    text = serializers.CharField(required=False, allow_blank=True, default="")
    accept = serializers.BooleanField(required=False, default=False)


class MonitoringRuleViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = MonitoringRule.objects.all()
    serializer_class = MonitoringRuleSerializer
    lookup_field = "code"
    filterset_class = MonitoringRuleFilterSet


class WarningViewSet(ScopedReadOnlyViewSet):
    """Warnings of the caller's units; POST …/acknowledge|explain|rectify|decide/."""

    queryset = Warning.objects.select_related("rule", "unit", "time_node")
    serializer_class = WarningSerializer
    filterset_class = WarningFilterSet

    def get_queryset(self) -> QuerySet[Warning]:
        return super().get_queryset()

    def _step(self, request: Request, func: Any, **kwargs: Any) -> Response:
        payload = TextSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        values = {k: data["text"] if v == "text" else data[v] for k, v in kwargs.items()}
        warning = self.call_service(func, self.get_object(), acting_user=request.user, **values)
        return Response(WarningSerializer(warning).data)

    @extend_schema(request=TextSerializer, responses=WarningSerializer)
    @action(detail=True, methods=["post"], serializer_class=TextSerializer)
    def acknowledge(self, request: Request, pk: str | None = None) -> Response:
        return self._step(request, services.acknowledge_warning)

    @extend_schema(request=TextSerializer, responses=WarningSerializer)
    @action(detail=True, methods=["post"], serializer_class=TextSerializer)
    def explain(self, request: Request, pk: str | None = None) -> Response:
        return self._step(request, services.explain_warning, explanation="text")

    @extend_schema(request=TextSerializer, responses=WarningSerializer)
    @action(detail=True, methods=["post"], serializer_class=TextSerializer)
    def rectify(self, request: Request, pk: str | None = None) -> Response:
        return self._step(request, services.rectify_warning, report="text")

    @extend_schema(request=TextSerializer, responses=WarningSerializer)
    @action(detail=True, methods=["post"], serializer_class=TextSerializer)
    def decide(self, request: Request, pk: str | None = None) -> Response:
        return self._step(request, services.decide_warning, decision="text", accept="accept")
