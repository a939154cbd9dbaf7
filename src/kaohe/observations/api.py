"""REST API for observations: scoped reads, each value's history, and batch recording."""

from __future__ import annotations

import json
from typing import IO, Any

from django.db.models import QuerySet
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import BaseParser
from rest_framework.request import Request
from rest_framework.response import Response

from kaohe.core.api import ScopedReadOnlyViewSet
from kaohe.core.parsers import NulFreeFormParser, NulFreeJSONParser, NulFreeMultiPartParser
from kaohe.flows.ingest import IngestResult, ingest
from kaohe.flows.uploads import ingest_numbered
from kaohe.indicators.models import Indicator
from kaohe.observations import services
from kaohe.observations.csvfile import parse_csv
from kaohe.observations.evidence import EvidenceFile
from kaohe.observations.excel import MAX_BYTES
from kaohe.observations.filters import ObservationFilterSet
from kaohe.observations.models import Evidence, Observation, ObservationVersion, Source


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
    sent_by = serializers.CharField(source="sent_by.username", default=None, allow_null=True)
    source_unit = serializers.CharField(source="source_unit.code", default=None, allow_null=True)
    evidence = serializers.SerializerMethodField()

    def get_evidence(self, version: ObservationVersion) -> list[dict[str, Any]]:
        if version.batch_id is None:
            return []
        return [
            {
                "name": e.name,
                "size": e.size,
                "sha256": e.sha256,
                "url": reverse("observations:evidence", args=[e.pk]),
            }
            for e in Evidence.objects.filter(batch_id=version.batch_id)
        ]

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
            "evidence",
        ]


class ValueRowSerializer(serializers.Serializer):
    unit = serializers.CharField(max_length=40)
    indicator = serializers.CharField(max_length=48)
    period = serializers.CharField(max_length=12)
    value = serializers.JSONField()
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    unit_of_measure = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=40
    )


class BatchSerializer(serializers.Serializer):
    rows = ValueRowSerializer(many=True, max_length=50_000)  # type: ignore[call-arg]
    client_key = serializers.CharField(max_length=128, required=False, allow_blank=True)
    allow_partial = serializers.BooleanField(default=False)


class CsvBodyParser(BaseParser):
    """A ``text/csv`` body, handed on as ``{"csv": bytes}`` for
    `kaohe.observations.csvfile.parse_csv` (read up to one byte past its size limit, which it
    then reports)."""

    media_type = "text/csv"

    def parse(
        self,
        stream: IO[bytes] | None,
        media_type: str | None = None,
        parser_context: Any = None,
    ) -> dict[str, bytes]:
        return {"csv": stream.read(MAX_BYTES + 1) if stream is not None else b""}


def ingest_csv_body(data: bytes, *, user: Any, client_key: str) -> IngestResult:
    """A CSV body (the CSV door's format, each row naming its period) through the pipeline,
    all or nothing; errors name the rows as a spreadsheet numbers them (header = 1)."""
    parsed = parse_csv(data)
    rows = [
        services.ValueRow(r.unit_code, r.indicator_code, r.period, r.raw_value, reason=r.reason)
        for r in parsed.rows
    ]
    return ingest_numbered(
        rows,
        [(r.row, {}) for r in parsed.rows],
        acting_user=user,
        source=Source.API,
        client_key=client_key,
    )


class ObservationViewSet(ScopedReadOnlyViewSet):
    """Current values in scope, filterable by unit, indicator and period; POST records a batch
    (all or nothing) as JSON or as a ``text/csv`` body; `…/{id}/versions/` is the value's
    history."""

    queryset = Observation.objects.select_related("unit", "indicator", "time_node")
    serializer_class = ObservationSerializer
    parser_classes = [NulFreeJSONParser, NulFreeFormParser, NulFreeMultiPartParser, CsvBodyParser]
    filterset_class = ObservationFilterSet

    def get_queryset(self) -> QuerySet[Observation]:
        return super().get_queryset().filter(indicator__in=self._visible_indicators())

    def _visible_indicators(self) -> QuerySet[Any]:
        return Indicator.objects.visible_to(self.request.user).values("pk")

    @extend_schema(responses=ObservationVersionSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def versions(self, request: Request, pk: str | None = None) -> Response:
        observation = self.get_object()
        rows = observation.versions.select_related("sent_by", "source_unit")
        return Response(ObservationVersionSerializer(rows, many=True).data)

    def create(self, request: Request) -> Response:
        """Record a batch through the ingestion pipeline. Idempotent by `client_key` (or the
        `Idempotency-Key` header): a repeat answers 200 with the first result. A ``text/csv``
        body holds the rows in the CSV door's format (key in the header; never partial)."""
        body = request.data
        if isinstance(body, dict) and isinstance(body.get("csv"), bytes):  # CsvBodyParser's
            key = request.headers.get("Idempotency-Key", "")
            result = self.call_service(
                ingest_csv_body, body["csv"], user=request.user, client_key=key[:128]
            )
            return self._batch_response(result)
        evidence: list[EvidenceFile] = []
        body = request.data
        if (request.content_type or "").startswith("multipart/"):
            # rows as a JSON text field beside the evidence files
            try:
                rows_in = json.loads(request.data.get("rows") or "null")
            except ValueError:
                raise ValidationError({"rows": ["must be a JSON list of rows"]}) from None
            body = {
                "rows": rows_in,
                "client_key": request.data.get("client_key", ""),
                "allow_partial": request.data.get("allow_partial", "false"),
            }
            evidence = [
                EvidenceFile(f.name or "", f.read()) for f in request.FILES.getlist("evidence")
            ]
        payload = BatchSerializer(data=body)
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
            evidence=evidence,
        )
        return self._batch_response(result)

    def _batch_response(self, result: IngestResult) -> Response:
        return Response(
            {**result.batch.summary(), "duplicate": result.duplicate},
            status=status.HTTP_200_OK if result.duplicate else status.HTTP_201_CREATED,
        )
