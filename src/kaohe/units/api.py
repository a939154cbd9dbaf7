"""REST API for units, categories, posts and people (read; writes via the admin and services)."""

from __future__ import annotations

from rest_framework import serializers, viewsets

from kaohe.core.api import ScopedReadOnlyViewSet
from kaohe.units.filters import PersonFilterSet, PostFilterSet, UnitFilterSet
from kaohe.units.models import Category, Person, Post, Unit


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
        # One query for the whole page instead of one per unit.
        paths = self.context.setdefault(
            "_unit_codes_by_path", dict(Unit.objects.values_list("path", "code"))
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
