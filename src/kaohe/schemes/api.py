"""REST API for cycles, time nodes, schemes and their versions (YAML in and out)."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from kaohe.core import access
from kaohe.core.api import ReasonSerializer, ServiceCallMixin
from kaohe.core.roles import Action
from kaohe.flows import cycles as cycle_flow
from kaohe.schemes import services
from kaohe.schemes.filters import CycleFilterSet, SchemeFilterSet
from kaohe.schemes.models import Cycle, Scheme, SchemeVersion, TimeNode
from kaohe.units.models import Category


class TimeNodeSerializer(serializers.ModelSerializer):
    cycle = serializers.IntegerField(source="cycle.year", read_only=True)

    class Meta:
        model = TimeNode
        fields = [
            "id",
            "cycle",
            "code",
            "period",
            "kind",
            "name_zh",
            "name_en",
            "period_start",
            "period_end",
            "due_date",
            "locked",
        ]


class CycleSerializer(serializers.ModelSerializer):
    time_nodes = TimeNodeSerializer(many=True, read_only=True)
    monthly = serializers.BooleanField(
        write_only=True,
        required=False,
        allow_null=True,
        default=None,
        help_text="Monthly periods besides the cumulative ones; null: when the catalogue has "
        "monthly indicators.",
    )
    next_stage_gaps = serializers.SerializerMethodField(
        help_text="What the cycle lacks to move to its next stage (empty: nothing)."
    )

    class Meta:
        model = Cycle
        fields = [
            "id",
            "year",
            "name_zh",
            "name_en",
            "state",
            "time_nodes",
            "monthly",
            "next_stage_gaps",
        ]
        read_only_fields = ["id", "state", "time_nodes"]

    def get_next_stage_gaps(self, cycle: Cycle) -> list[str]:
        """For city-wide readers only: a gap may name units (their open warnings)."""
        request = self.context.get("request")
        if request is None or not access.has_citywide(request.user, Action.VIEW):
            return []
        return cycle_flow.stage_gaps(cycle) if cycle.next_state else []


class AdvanceSerializer(ReasonSerializer):
    override = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Go on without what the stage needs (a reason is then required).",
    )


class CycleViewSet(ServiceCallMixin, viewsets.ModelViewSet):
    """Annual cycles; the office creates them and moves them through their stages."""

    queryset = Cycle.objects.prefetch_related("time_nodes")
    serializer_class = CycleSerializer
    lookup_field = "year"
    filterset_class = CycleFilterSet
    http_method_names = ["get", "post", "head", "options"]

    def perform_create(self, serializer: serializers.BaseSerializer[Any]) -> None:
        serializer.instance = self.call_service(
            services.create_cycle, acting_user=self.request.user, **serializer.validated_data
        )

    @extend_schema(request=AdvanceSerializer, responses=CycleSerializer)
    @action(detail=True, methods=["post"], serializer_class=AdvanceSerializer)
    def advance(self, request: Request, year: str | None = None) -> Response:
        """The next stage, if the cycle has what it needs (400 lists what is missing)."""
        payload = AdvanceSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        cycle = self.call_service(
            cycle_flow.advance_cycle,
            self.get_object(),
            acting_user=request.user,
            reason=payload.validated_data["reason"],
            override=payload.validated_data["override"],
        )
        return Response(CycleSerializer(cycle, context=self.get_serializer_context()).data)

    @extend_schema(request=ReasonSerializer, responses=CycleSerializer)
    @action(detail=True, methods=["post"], serializer_class=ReasonSerializer)
    def reopen(self, request: Request, year: str | None = None) -> Response:
        """Open a closed cycle again for a correction (the reason is required)."""
        payload = ReasonSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        cycle = self.call_service(
            services.reopen_cycle,
            self.get_object(),
            acting_user=request.user,
            reason=payload.validated_data["reason"],
        )
        return Response(CycleSerializer(cycle, context=self.get_serializer_context()).data)


class SchemeVersionSerializer(serializers.ModelSerializer):
    scheme: serializers.SlugRelatedField[Scheme] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )

    class Meta:
        model = SchemeVersion
        fields = [
            "id",
            "scheme",
            "number",
            "status",
            "fingerprint",
            "change_note",
            "document",
            "yaml_text",
            "created_at",
            "published_at",
        ]
        read_only_fields = fields


class SchemeSerializer(serializers.ModelSerializer):
    cycle = serializers.SlugRelatedField(slug_field="year", queryset=Cycle.objects.all())
    category = serializers.SlugRelatedField(slug_field="code", queryset=Category.objects.all())
    versions = serializers.SerializerMethodField()
    yaml_text = serializers.CharField(write_only=True)

    class Meta:
        model = Scheme
        fields = ["id", "code", "name_zh", "name_en", "cycle", "category", "versions", "yaml_text"]

    @extend_schema_field(
        {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "number": {"type": "integer"},
                    "status": {"type": "string"},
                    "fingerprint": {"type": "string"},
                },
            },
        }
    )
    def get_versions(self, scheme: Scheme) -> list[dict[str, object]]:
        return [
            {"number": v.number, "status": v.status, "fingerprint": v.fingerprint}
            for v in scheme.versions.all()
        ]


class NewVersionSerializer(serializers.Serializer):
    yaml_text = serializers.CharField(required=False)
    change_note = serializers.CharField(required=False, allow_blank=True, default="")


class CopySerializer(serializers.Serializer):
    cycle = serializers.SlugRelatedField(slug_field="year", queryset=Cycle.objects.all())
    version = serializers.IntegerField(
        min_value=1, required=False, help_text="The version copied (default: the latest)."
    )
    code = serializers.SlugField(required=False, allow_blank=True, default="")


class SchemeViewSet(ServiceCallMixin, viewsets.ModelViewSet):
    """Schemes and their versions. `GET …/versions/N/yaml/` exports a version as YAML."""

    queryset = Scheme.objects.select_related("cycle", "category").prefetch_related("versions")
    serializer_class = SchemeSerializer
    lookup_field = "code"
    http_method_names = ["get", "post", "head", "options"]
    filterset_class = SchemeFilterSet

    def perform_create(self, serializer: serializers.BaseSerializer[Any]) -> None:
        version = self.call_service(
            services.create_scheme, acting_user=self.request.user, **serializer.validated_data
        )
        serializer.instance = version.scheme

    def _version(self, number: str) -> SchemeVersion:
        if len(number) > 9:  # past any version number, and past what the database can compare
            raise Http404
        return get_object_or_404(SchemeVersion, scheme=self.get_object(), number=number)

    @extend_schema(methods=["GET"], request=None, responses=SchemeVersionSerializer(many=True))
    @extend_schema(
        methods=["POST"], request=NewVersionSerializer, responses={201: SchemeVersionSerializer}
    )
    @action(
        detail=True,
        methods=["get", "post"],
        url_path="versions",
        serializer_class=NewVersionSerializer,
        pagination_class=None,
        filter_backends=[],
    )
    def versions(self, request: Request, code: str | None = None) -> Response:
        scheme = self.get_object()
        if request.method == "GET":
            data = SchemeVersionSerializer(scheme.versions.all(), many=True).data
            return Response(data)
        payload = NewVersionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        version = self.call_service(
            services.create_scheme_version,
            scheme,
            acting_user=request.user,
            yaml_text=payload.validated_data.get("yaml_text"),
            change_note=payload.validated_data["change_note"],
        )
        return Response(SchemeVersionSerializer(version).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CopySerializer, responses={201: SchemeVersionSerializer})
    @action(detail=True, methods=["post"], serializer_class=CopySerializer)
    def copy(self, request: Request, code: str | None = None) -> Response:
        """A scheme for another cycle from a copy of this one's version (a draft)."""
        payload = CopySerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        scheme = self.get_object()
        if "version" in data:
            source = self._version(str(data["version"]))
        else:
            source = scheme.versions.order_by("-number").first()
        version = self.call_service(
            services.copy_scheme,
            source,
            acting_user=request.user,
            cycle=data["cycle"],
            code=data["code"],
        )
        return Response(SchemeVersionSerializer(version).data, status=status.HTTP_201_CREATED)

    @extend_schema(operation_id="schemes_version_retrieve", responses=SchemeVersionSerializer)
    @action(detail=True, methods=["get"], url_path=r"versions/(?P<number>\d+)")
    def version(self, request: Request, code: str | None = None, number: str = "") -> Response:
        return Response(SchemeVersionSerializer(self._version(number)).data)

    # the YAML text of the scheme document, a mapping (which is what a YAML reader makes of it)
    @extend_schema(responses={(200, "application/yaml"): OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get"], url_path=r"versions/(?P<number>\d+)/yaml")
    def version_yaml(
        self, request: Request, code: str | None = None, number: str = ""
    ) -> HttpResponse:
        version = self._version(number)
        response = HttpResponse(version.yaml_text, content_type="application/yaml; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="{version.scheme.code}-v{version.number}.yaml"'
        )
        return response

    @extend_schema(request=ReasonSerializer, responses=SchemeVersionSerializer)
    @action(
        detail=True,
        methods=["post"],
        url_path=r"versions/(?P<number>\d+)/publish",
        serializer_class=ReasonSerializer,
    )
    def publish(self, request: Request, code: str | None = None, number: str = "") -> Response:
        payload = ReasonSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        version = self.call_service(
            services.publish_scheme_version,
            self._version(number),
            acting_user=request.user,
            reason=payload.validated_data["reason"],
        )
        return Response(SchemeVersionSerializer(version).data)

    @extend_schema(
        responses=inline_serializer(
            "SchemeDiff",
            {
                "from": serializers.IntegerField(),
                "to": serializers.IntegerField(),
                "changes": serializers.ListField(child=serializers.DictField()),
            },
        )
    )
    @action(detail=True, methods=["get"], url_path=r"diff/(?P<a>\d+)/(?P<b>\d+)")
    def diff(self, request: Request, code: str | None = None, a: str = "", b: str = "") -> Response:
        old, new = self._version(a), self._version(b)
        return Response(
            {
                "from": old.number,
                "to": new.number,
                "changes": services.scheme_diff_rows(old.document, new.document),
            }
        )
