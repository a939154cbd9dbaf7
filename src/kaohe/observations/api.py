"""REST API for observations: scoped reads, each value's history, and batch recording."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from kaohe.core.api import ScopedReadOnlyViewSet
from kaohe.observations import services
from kaohe.observations.models import Observation, ObservationVersion, Source
from kaohe.observations.pipeline import ingest


class ObservationSerializer(serializers.ModelSerializer):
    unit = serializers.CharField(source="unit.code")
    indicator = serializers.CharField(source="indicator.code")
    period = serializers.CharField(source="time_node.period")

    class Meta:
        model = Observation
        fields = [
            "id",
            "unit",
            "indicator",
            "period",
            "value",
            "text",
            "version_count",
            "updated_at",
        ]


class ObservationVersionSerializer(serializers.ModelSerializer):
    sent_by = serializers.CharField(source="sent_by.username", default=None)
    source_unit = serializers.CharField(source="source_unit.code", default=None)

    class Meta:
        model = ObservationVersion
        fields = [
            "number",
            "value",
            "text",
            "source",
            "source_unit",
            "sent_by",
            "recorded_at",
            "reason",
            "event",
        ]


class ValueRowSerializer(serializers.Serializer):
    unit = serializers.CharField(max_length=40)
    indicator = serializers.CharField(max_length=48)
    period = serializers.CharField(max_length=12)
    value = serializers.JSONField()
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class BatchSerializer(serializers.Serializer):
    rows = ValueRowSerializer(many=True, max_length=50_000)  # type: ignore[call-arg]
    client_key = serializers.CharField(max_length=128, required=False, allow_blank=True)
    allow_partial = serializers.BooleanField(default=False)


class ObservationViewSet(ScopedReadOnlyViewSet):
    """Current values in scope, filterable by unit, indicator and period; POST records a batch
    (all or nothing); `…/{id}/versions/` is the value's history."""

    queryset = Observation.objects.select_related("unit", "indicator", "time_node")
    serializer_class = ObservationSerializer
    filterset_fields = {
        "unit__code": ["exact"],
        "indicator__code": ["exact"],
        "time_node__period": ["exact"],
        "time_node__cycle__year": ["exact"],
    }

    def get_queryset(self) -> QuerySet[Observation]:
        return super().get_queryset().filter(indicator__in=self._visible_indicators())

    def _visible_indicators(self) -> QuerySet[Any]:
        from kaohe.indicators.models import Indicator

        return Indicator.objects.visible_to(self.request.user).values("pk")

    @action(detail=True, methods=["get"])
    def versions(self, request: Request, pk: str | None = None) -> Response:
        observation = self.get_object()
        rows = observation.versions.select_related("sent_by", "source_unit")
        return Response(ObservationVersionSerializer(rows, many=True).data)

    def create(self, request: Request) -> Response:
        """Record a batch through the ingestion pipeline. Idempotent by `client_key` (or the
        `Idempotency-Key` header): a repeat answers 200 with the first result."""
        payload = BatchSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        rows = [services.ValueRow(**row) for row in data["rows"]]
        key = data.get("client_key") or request.headers.get("Idempotency-Key", "")
        result = self.call_service(
            ingest,
            rows,
            acting_user=request.user,
            source=Source.API,
            client_key=key[:128],
            allow_partial=data["allow_partial"],
        )
        return Response(
            {**result.batch.summary(), "duplicate": result.duplicate},
            status=status.HTTP_200_OK if result.duplicate else status.HTTP_201_CREATED,
        )
