"""REST API for units, categories, posts and people (read; writes via the admin and services),
and the city map (read by everyone signed in; a new version uploaded by the office)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from kaohe.core import access
from kaohe.core.api import ScopedReadOnlyViewSet, ServiceCallMixin
from kaohe.core.parsers import NulFreeFormParser, NulFreeMultiPartParser
from kaohe.core.roles import Action
from kaohe.units import services
from kaohe.units.filters import PersonFilterSet, PostFilterSet, UnitFilterSet
from kaohe.units.geojson import read_upload
from kaohe.units.models import Category, CityMap, Person, Post, Unit


class CategorySerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)  # type: ignore[assignment,var-annotated]

    class Meta:
        model = Category
        fields = ["id", "code", "name_zh", "name_en", "kind", "parent"]


class UnitSerializer(serializers.ModelSerializer):
    category: serializers.SlugRelatedField[Category] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )
    # "parent" shadows Field.parent in the stubs; the API names it so on purpose.
    parent = serializers.SerializerMethodField()  # type: ignore[assignment]

    class Meta:
        model = Unit
        fields = [
            "id",
            "code",
            "name_zh",
            "name_en",
            "kind",
            "category",
            "is_assessed",
            "parent",
            "depth",
        ]

    def get_parent(self, unit: Unit) -> str | None:
        if unit.depth <= 1:
            return None
        # One query for the whole page instead of one per unit (built on the first call only).
        paths = self.context.get("_unit_codes_by_path")
        if paths is None:
            paths = self.context["_unit_codes_by_path"] = dict(
                Unit.objects.values_list("path", "code")
            )
        return paths.get(unit.path[: -Unit.steplen])


class PostSerializer(serializers.ModelSerializer):
    unit: serializers.SlugRelatedField[Unit] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )

    class Meta:
        model = Post
        fields = ["id", "code", "unit", "title_zh", "title_en", "rank"]


class PersonSerializer(serializers.ModelSerializer):
    unit: serializers.SlugRelatedField[Unit] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    post: serializers.SlugRelatedField[Post] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )

    class Meta:
        model = Person
        fields = ["id", "code", "name", "gender", "unit", "post"]


class CategoryViewSet(viewsets.ReadOnlyModelViewSet):
    """Comparison categories (public within the platform)."""

    queryset = Category.objects.select_related("parent")
    serializer_class = CategorySerializer
    lookup_field = "code"


class UnitViewSet(ScopedReadOnlyViewSet):
    """Units in the caller's scope; others answer 404."""

    queryset = Unit.objects.select_related("category")
    serializer_class = UnitSerializer
    lookup_field = "code"
    filterset_class = UnitFilterSet


class PostViewSet(ScopedReadOnlyViewSet):
    queryset = Post.objects.select_related("unit")
    serializer_class = PostSerializer
    lookup_field = "code"
    filterset_class = PostFilterSet


class PersonViewSet(ScopedReadOnlyViewSet):
    queryset = Person.objects.select_related("unit", "post")
    serializer_class = PersonSerializer
    lookup_field = "code"
    filterset_class = PersonFilterSet


class CityMapSerializer(serializers.ModelSerializer):
    """A map version without its geometry."""

    created_by = serializers.CharField(source="created_by.username", default=None, allow_null=True)

    class Meta:
        model = CityMap
        fields = [
            "version",
            "feature_count",
            "codes",
            "byte_size",
            "sha256",
            "note",
            "created_at",
            "created_by",
        ]


class CityMapDetailSerializer(CityMapSerializer):
    """A map version with its GeoJSON FeatureCollection."""

    geojson = serializers.JSONField()

    class Meta(CityMapSerializer.Meta):
        fields = [*CityMapSerializer.Meta.fields, "geojson"]


class CityMapUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="GeoJSON FeatureCollection, UTF-8, at most 2 MiB")
    note = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class CityMapViewSet(
    ServiceCallMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The versions of the city map (GeoJSON of the units, by `properties.code`), newest first.
    `current/` is the map the big screen draws."""

    queryset = CityMap.objects.select_related("created_by")
    serializer_class = CityMapSerializer
    lookup_field = "version"
    lookup_value_regex = r"[0-9]+"
    parser_classes = [NulFreeMultiPartParser, NulFreeFormParser]
    filter_backends: list[Any] = []  # a handful of versions, newest first

    def get_serializer_class(self) -> type[serializers.BaseSerializer[Any]]:
        if self.action == "retrieve":
            return CityMapDetailSerializer
        if self.action == "create":
            return CityMapUploadSerializer
        return CityMapSerializer

    def _upload(self, user: Any, upload: Any, note: str) -> CityMap:
        return services.upload_city_map(
            acting_user=user, content=read_upload(upload, upload.size), note=note
        )

    @extend_schema(
        request={"multipart/form-data": CityMapUploadSerializer},
        responses={201: CityMapSerializer},
    )
    def create(self, request: Request) -> Response:
        """Upload a new version (the office). The whole file is checked first; a refused file
        answers 400 with every problem by feature (`row`), field and rule, and stores nothing."""
        self.call_service(access.check_citywide, request.user, Action.ADMINISTER)
        payload = CityMapUploadSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        made = self.call_service(
            self._upload,
            request.user,
            payload.validated_data["file"],
            payload.validated_data["note"],
        )
        return Response(CityMapSerializer(made).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="GeoJSON FeatureCollection"),
            404: OpenApiResponse(description="no map has been uploaded yet"),
        }
    )
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def current(self, request: Request) -> Response:
        """The current map as a GeoJSON FeatureCollection; each feature's `properties.code` is
        a unit's code."""
        city_map = CityMap.current()
        if city_map is None:
            raise exceptions.NotFound(_("No map of the districts has been uploaded yet."))
        return Response(city_map.geojson)
