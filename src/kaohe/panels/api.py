"""REST API of the expert panels; `register` adds its viewsets to the project router.

Thin: serializers validate, the panel services and the feed flow write, and every object is
fetched through `.restrict()`: an expert reaches only their own assignments and ratings, a unit
only its goals' aggregated results, the office everything."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from kaohe.core.api import MAX_ID, ReasonSerializer, ScopedReadOnlyViewSet
from kaohe.core.roles import Action
from kaohe.flows.panels import feed_panel_scores
from kaohe.goals.models import Goal
from kaohe.indicators.models import Indicator
from kaohe.panels import selectors, services
from kaohe.panels.filters import (
    AssignmentFilterSet,
    ConflictFilterSet,
    PanelFilterSet,
    PanelGoalFilterSet,
    RatingFilterSet,
)
from kaohe.panels.models import (
    Assignment,
    ConflictDeclaration,
    Dimension,
    Panel,
    PanelGoal,
    Rating,
)
from kaohe.panels.rubric import SCALE_MAX, SCALE_MIN
from kaohe.schemes.models import Cycle
from kaohe.units.models import Unit


class DimensionSerializer(serializers.Serializer):
    code = serializers.CharField()
    weight = serializers.DecimalField(max_digits=6, decimal_places=4)
    rubric = serializers.ListField(child=serializers.DictField())


class PanelSerializer(serializers.ModelSerializer):
    cycle = serializers.IntegerField(source="cycle.year")
    indicator = serializers.CharField(source="indicator.code", default=None, allow_null=True)
    dimensions = DimensionSerializer(many=True, read_only=True)
    experts = serializers.SerializerMethodField()

    class Meta:
        model = Panel
        fields = [
            "id",
            "cycle",
            "name_zh",
            "name_en",
            "indicator",
            "state",
            "closed_at",
            "dimensions",
            "experts",
        ]

    def get_experts(self, panel: Panel) -> list[str]:
        return [m.expert.username for m in panel.members.all()]


class PanelCreateSerializer(serializers.Serializer):
    cycle = serializers.SlugRelatedField(slug_field="year", queryset=Cycle.objects.all())
    name_zh = serializers.CharField(max_length=200)
    name_en = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    indicator = serializers.SlugRelatedField(
        slug_field="code", queryset=Indicator.objects.all(), required=False, allow_null=True
    )
    weights = serializers.DictField(
        child=serializers.DecimalField(max_digits=10, decimal_places=4), required=False
    )
    rubric = serializers.JSONField(
        required=False,
        help_text="per dimension, bands {low, high, zh, en} from 100 down to 0; default rubric "
        "when left out",
    )


class ExpertSerializer(serializers.Serializer):
    expert = serializers.SlugRelatedField(
        slug_field="username", queryset=get_user_model().objects.all()
    )


class AssignSerializer(serializers.Serializer):
    goal = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    experts = serializers.ListField(
        child=serializers.SlugRelatedField(
            slug_field="username", queryset=get_user_model().objects.all()
        ),
        allow_empty=False,
        max_length=100,
    )


class AssignmentSerializer(serializers.ModelSerializer):
    panel = serializers.IntegerField(source="item.panel_id")
    goal = serializers.IntegerField(source="item.goal_id")
    goal_title = serializers.CharField(source="item.goal.title")
    unit = serializers.CharField(source="item.goal.goal_set.unit.code")
    expert = serializers.CharField(source="member.expert.username")

    class Meta:
        model = Assignment
        fields = [
            "id",
            "panel",
            "goal",
            "goal_title",
            "unit",
            "expert",
            "state",
            "withdrawn_reason",
            "created_at",
        ]


class RatingSerializer(serializers.ModelSerializer):
    expert = serializers.CharField(source="assignment.member.expert.username")
    goal = serializers.IntegerField(source="assignment.item.goal_id")
    counts = serializers.SerializerMethodField()

    class Meta:
        model = Rating
        fields = [
            "id",
            "assignment",
            "goal",
            "expert",
            *Dimension.values,
            "comment",
            "submitted_at",
            "counts",
        ]

    def get_counts(self, rating: Rating) -> bool:
        """False once the assignment is withdrawn: the rating stays on record, not counted."""
        return rating.assignment.state == Assignment.State.RATED


class RatingCreateSerializer(serializers.Serializer):
    assignment = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    excellence = serializers.IntegerField(min_value=SCALE_MIN, max_value=SCALE_MAX)
    difficulty = serializers.IntegerField(min_value=SCALE_MIN, max_value=SCALE_MAX)
    innovation = serializers.IntegerField(min_value=SCALE_MIN, max_value=SCALE_MAX)
    benefit = serializers.IntegerField(min_value=SCALE_MIN, max_value=SCALE_MAX)
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)


class ConflictSerializer(serializers.ModelSerializer):
    expert = serializers.CharField(source="expert.username")
    unit = serializers.CharField(source="unit.code")

    class Meta:
        model = ConflictDeclaration
        fields = ["id", "expert", "unit", "reason", "created_at"]


class ConflictCreateSerializer(serializers.Serializer):
    unit = serializers.SlugRelatedField(
        slug_field="code", queryset=Unit.objects.filter(is_assessed=True)
    )
    reason = serializers.CharField(max_length=2000)
    expert = serializers.SlugRelatedField(
        slug_field="username",
        queryset=get_user_model().objects.all(),
        required=False,
        help_text="the office declares for this expert; an expert leaves it out",
    )


class DimensionScoreSerializer(serializers.Serializer):
    code = serializers.CharField()
    count = serializers.IntegerField()
    trimmed = serializers.BooleanField(help_text="3 or more ratings: highest and lowest dropped")
    score = serializers.FloatField(allow_null=True)


class PanelGoalSerializer(serializers.ModelSerializer):
    """A goal's aggregated result: never a single rating or who gave it."""

    cycle = serializers.IntegerField(source="panel.cycle.year")
    unit = serializers.CharField(source="goal.goal_set.unit.code")
    goal_title = serializers.CharField(source="goal.title")
    ratings = serializers.SerializerMethodField()
    dimensions = serializers.SerializerMethodField()
    score = serializers.SerializerMethodField()
    notes = serializers.SerializerMethodField()

    class Meta:
        model = PanelGoal
        fields = [
            "id",
            "panel",
            "cycle",
            "unit",
            "goal",
            "goal_title",
            "ratings",
            "dimensions",
            "score",
            "notes",
        ]

    def _result(self, item: PanelGoal) -> selectors.GoalResult:
        # one aggregation per panel for a whole list
        known: dict[int, selectors.PanelResults] = self.context.setdefault("_panels", {})
        if item.panel_id not in known:
            known[item.panel_id] = selectors.panel_results(item.panel)
        return known[item.panel_id].for_item(item)

    def get_ratings(self, item: PanelGoal) -> int:
        return self._result(item).ratings

    @extend_schema_field(DimensionScoreSerializer(many=True))
    def get_dimensions(self, item: PanelGoal) -> list[dict[str, Any]]:
        return [
            {"code": d.code, "count": d.count, "trimmed": d.trimmed, "score": d.score}
            for d in self._result(item).dimensions
        ]

    def get_score(self, item: PanelGoal) -> float | None:
        return self._result(item).score

    def get_notes(self, item: PanelGoal) -> list[str]:
        return list(self._result(item).notes)


class PanelViewSet(ScopedReadOnlyViewSet):
    """Expert panels (the office, the committee, auditors): build, seat experts, assign goals,
    close, and send the scores into the scheme."""

    queryset = Panel.objects.select_related("cycle", "indicator").prefetch_related(
        "dimensions", "members__expert"
    )
    serializer_class = PanelSerializer
    filterset_class = PanelFilterSet

    @extend_schema(request=PanelCreateSerializer, responses={201: PanelSerializer})
    def create(self, request: Request) -> Response:
        payload = PanelCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        panel = self.call_service(
            services.create_panel, acting_user=request.user, **payload.validated_data
        )
        return Response(PanelSerializer(self._fresh(panel)).data, status=status.HTTP_201_CREATED)

    def _fresh(self, panel: Panel) -> Panel:
        return self.queryset.get(pk=panel.pk)

    @extend_schema(request=ExpertSerializer, responses=PanelSerializer)
    @action(detail=True, methods=["post"], serializer_class=ExpertSerializer)
    def members(self, request: Request, pk: str | None = None) -> Response:
        """Seat an expert: {"expert": "<username>"}."""
        panel = self.get_object()
        payload = ExpertSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        self.call_service(
            services.add_member, panel, payload.validated_data["expert"], acting_user=request.user
        )
        return Response(PanelSerializer(self._fresh(panel)).data)

    @extend_schema(request=AssignSerializer, responses=AssignmentSerializer(many=True))
    @action(detail=True, methods=["post"], serializer_class=AssignSerializer)
    def assign(self, request: Request, pk: str | None = None) -> Response:
        """Put an approved excellence goal before the panel for these experts."""
        panel = self.get_object()
        payload = AssignSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        goal = Goal.objects.restrict(request.user).filter(pk=payload.validated_data["goal"]).first()
        if goal is None:
            return Response({"goal": ["unknown goal"]}, status=status.HTTP_400_BAD_REQUEST)
        made = self.call_service(
            services.assign_goal,
            panel,
            goal,
            acting_user=request.user,
            experts=payload.validated_data["experts"],
        )
        return Response(AssignmentSerializer(made, many=True).data)

    @extend_schema(request=ReasonSerializer, responses=PanelSerializer)
    @action(detail=True, methods=["post"], serializer_class=ReasonSerializer)
    def close(self, request: Request, pk: str | None = None) -> Response:
        panel = self.get_object()
        payload = ReasonSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        self.call_service(
            services.close_panel,
            panel,
            acting_user=request.user,
            reason=payload.validated_data["reason"],
        )
        return Response(PanelSerializer(self._fresh(panel)).data)

    @extend_schema(
        request=None,
        responses=inline_serializer(
            "PanelFeed",
            {
                "batch": serializers.IntegerField(),
                "rows": serializers.IntegerField(),
                "created": serializers.IntegerField(),
                "corrected": serializers.IntegerField(),
                "unchanged": serializers.IntegerField(),
                "duplicate": serializers.BooleanField(),
            },
        ),
    )
    @action(detail=True, methods=["post"])
    def feed(self, request: Request, pk: str | None = None) -> Response:
        """Send a closed panel's unit scores into the indicator it names."""
        result = self.call_service(feed_panel_scores, self.get_object(), acting_user=request.user)
        batch = result.batch
        return Response(
            {
                "batch": batch.pk,
                "rows": batch.rows,
                "created": batch.created,
                "corrected": batch.corrected,
                "unchanged": batch.unchanged,
                "duplicate": result.duplicate,
            }
        )

    @extend_schema(
        responses=inline_serializer(
            "PanelResults",
            {
                "goals": PanelGoalSerializer(many=True),
                "agreement": serializers.ListField(child=serializers.DictField()),
                "raters": serializers.ListField(child=serializers.DictField()),
            },
        )
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def results(self, request: Request, pk: str | None = None) -> Response:
        """The whole panel: each goal's result, the agreement in words, the outlying raters."""
        panel = self.get_object()
        results = selectors.panel_results(panel)
        context = {"_panels": {panel.pk: results}}
        items = [g.item for g in results.goals]
        return Response(
            {
                "goals": PanelGoalSerializer(items, many=True, context=context).data,
                "agreement": [
                    {"label": label, "text": list(lines)} for label, lines in results.agreement
                ],
                "raters": [
                    {
                        "expert": r.member.expert.username,
                        "compared": r.cells,
                        "mean_distance": r.mad,
                        "bias": r.bias,
                        "correlation": r.correlation,
                        "outlying": r.outlying,
                        "notes": list(r.notes),
                    }
                    for r in results.raters
                ],
            }
        )


class AssignmentViewSet(ScopedReadOnlyViewSet):
    """Assignments: an expert sees their own, the office all; the office withdraws one."""

    queryset = Assignment.objects.select_related("item__goal__goal_set__unit", "member__expert")
    serializer_class = AssignmentSerializer
    filterset_class = AssignmentFilterSet

    @extend_schema(request=ReasonSerializer, responses=AssignmentSerializer)
    @action(detail=True, methods=["post"], serializer_class=ReasonSerializer)
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        assignment = self.get_object()
        payload = ReasonSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        done = self.call_service(
            services.withdraw_assignment,
            assignment,
            acting_user=request.user,
            reason=payload.validated_data["reason"],
        )
        return Response(AssignmentSerializer(self.get_queryset().get(pk=done.pk)).data)


class RatingViewSet(ScopedReadOnlyViewSet):
    """Ratings: an expert submits and reads their own (final once submitted); the office reads
    all."""

    queryset = Rating.objects.select_related("assignment__member__expert", "assignment__item")
    serializer_class = RatingSerializer
    filterset_class = RatingFilterSet

    @extend_schema(request=RatingCreateSerializer, responses={201: RatingSerializer})
    def create(self, request: Request) -> Response:
        payload = RatingCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        assignment = get_object_or_404(
            Assignment.objects.restrict(request.user, Action.VIEW), pk=data.pop("assignment")
        )
        comment = data.pop("comment")
        rating = self.call_service(
            services.submit_rating,
            assignment,
            acting_user=request.user,
            scores=data,
            comment=comment,
        )
        return Response(
            RatingSerializer(self.get_queryset().get(pk=rating.pk)).data,
            status=status.HTTP_201_CREATED,
        )


class ConflictViewSet(ScopedReadOnlyViewSet):
    """Declared conflicts of interest: an expert declares and reads their own; the office
    declares for an expert and reads all. Declaring withdraws the expert's assignments of that
    unit's goals."""

    queryset = ConflictDeclaration.objects.select_related("expert", "unit")
    serializer_class = ConflictSerializer
    filterset_class = ConflictFilterSet

    @extend_schema(request=ConflictCreateSerializer, responses={201: ConflictSerializer})
    def create(self, request: Request) -> Response:
        payload = ConflictCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        expert = payload.validated_data.get("expert") or request.user
        declaration, _withdrawn = self.call_service(
            services.declare_conflict,
            acting_user=request.user,
            expert=expert,
            unit=payload.validated_data["unit"],
            reason=payload.validated_data["reason"],
        )
        return Response(ConflictSerializer(declaration).data, status=status.HTTP_201_CREATED)


class PanelGoalViewSet(ScopedReadOnlyViewSet):
    """Aggregated results per goal: a unit sees its own goals', the office every goal's; never
    a single rating or who rated."""

    queryset = PanelGoal.objects.select_related("panel__cycle", "goal__goal_set__unit")
    serializer_class = PanelGoalSerializer
    filterset_class = PanelGoalFilterSet


def register(router: DefaultRouter) -> None:
    """Add the panel endpoints to /api/v1/."""
    router.register("panels", PanelViewSet, basename="panel")
    router.register("panel-assignments", AssignmentViewSet, basename="panelassignment")
    router.register("panel-ratings", RatingViewSet, basename="panelrating")
    router.register("panel-conflicts", ConflictViewSet, basename="panelconflict")
    router.register("panel-results", PanelGoalViewSet, basename="panelresult")
