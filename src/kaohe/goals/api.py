"""REST API of the goals app; `register` adds its viewsets to the project router.

Thin: serializers validate, the same services as the pages write, and every object is fetched
through `.restrict()` so another unit's goals are 404."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from kaohe.core.api import (
    MAX_ID,
    JobSerializer,
    ReasonSerializer,
    ScopedReadOnlyViewSet,
    job_accepted,
)
from kaohe.goals import jobs, selectors, services
from kaohe.goals.filters import GoalFilterSet, GoalSetFilterSet, TargetSuggestionFilterSet
from kaohe.goals.models import (
    Goal,
    GoalSet,
    GoalSetVersion,
    ReviewAction,
    TargetSuggestion,
)
from kaohe.indicators.models import Indicator
from kaohe.schemes.models import Cycle
from kaohe.units.models import Post, Unit, visible_units


class GoalSerializer(serializers.ModelSerializer):
    # An id, looked up within the caller's scope by the view (so no existence is revealed).
    goal_set = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    indicator = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Indicator.objects.active(),
        required=False,
        allow_null=True,
    )
    targets = serializers.DictField(
        child=serializers.DecimalField(max_digits=20, decimal_places=4), required=False
    )
    milestones = serializers.ListField(child=serializers.DictField(), required=False)
    shares = serializers.SerializerMethodField()

    class Meta:
        model = Goal
        fields = [
            "id",
            "goal_set",
            "kind",
            "order",
            "title_zh",
            "title_en",
            "description",
            "indicator",
            "direction",
            "target_value",
            "unit_of_measure",
            "benchmark_name",
            "benchmark_value",
            "benchmark_year",
            "benchmark_source",
            "targets",
            "milestones",
            "shares",
        ]
        read_only_fields = ["id", "shares"]

    def to_representation(self, goal: Goal) -> dict[str, Any]:
        data = services.goal_snapshot(goal)
        data["goal_set"] = goal.goal_set_id
        data["milestones"] = [
            {"due_date": due, "title": title, "done": done}
            for due, title, done in data["milestones"]
        ]
        data["shares"] = self.get_shares(goal)
        return data

    def get_shares(self, goal: Goal) -> list[dict[str, Any]]:
        return [
            {
                "division": s.division.code if s.division else None,
                "post": s.post.code if s.post else None,
                "share": str(s.share),
            }
            for s in goal.shares.all()  # with division and post: services.GOAL_PREFETCH
        ]


class ReviewActionSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username")
    version = serializers.IntegerField(source="version.number")

    class Meta:
        model = ReviewAction
        fields = ["level", "decision", "comment", "actor", "at", "version"]


class GoalSetSerializer(serializers.ModelSerializer):
    unit = serializers.CharField(source="unit.code")
    cycle = serializers.IntegerField(source="cycle.year")
    goals = serializers.SerializerMethodField()
    actions = ReviewActionSerializer(many=True, read_only=True)
    deadline = serializers.SerializerMethodField()

    class Meta:
        model = GoalSet
        fields = [
            "id",
            "unit",
            "cycle",
            "state",
            "level",
            "version_count",
            "approved_at",
            "deadline",
            "goals",
            "actions",
        ]

    def get_goals(self, goal_set: GoalSet) -> list[dict[str, Any]]:
        return [GoalSerializer(g).data for g in services.sort_goals(goal_set.goals.all())]

    def get_deadline(self, goal_set: GoalSet) -> str | None:
        # one lookup per cycle and level for a whole list
        known: dict[tuple[int, str], Any] = self.context.setdefault("_deadlines", {})
        key = (goal_set.cycle_id, goal_set.level)
        if key not in known:
            known[key] = services.deadline_for(goal_set)
        due = known[key]
        return due.isoformat() if due else None


class GoalSetCreateSerializer(serializers.Serializer):
    unit = serializers.SlugRelatedField(slug_field="code", queryset=Unit.objects.all())
    cycle = serializers.SlugRelatedField(slug_field="year", queryset=Cycle.objects.all())


class CommentSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class BatchSerializer(serializers.Serializer):
    goal_sets = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        allow_empty=False,
        max_length=1000,
    )
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class VersionSerializer(serializers.ModelSerializer):
    submitted_by = serializers.CharField(source="submitted_by.username")

    class Meta:
        model = GoalSetVersion
        fields = ["number", "submitted_by", "submitted_at", "note", "snapshot"]


class GoalSetViewSet(ScopedReadOnlyViewSet):
    """Goal portfolios with their goals and review decisions; the review actions."""

    queryset = GoalSet.objects.select_related("unit", "cycle").prefetch_related(
        Prefetch("actions", queryset=ReviewAction.objects.select_related("actor", "version")),
        Prefetch(
            "goals",
            queryset=Goal.objects.select_related("indicator").prefetch_related(
                *services.GOAL_PREFETCH
            ),
        ),
    )
    serializer_class = GoalSetSerializer
    filterset_class = GoalSetFilterSet

    def create(self, request: Request) -> Response:
        payload = GoalSetCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        unit = payload.validated_data["unit"]
        if not visible_units(request.user).filter(pk=unit.pk).exists():
            return Response({"unit": ["unknown unit"]}, status=status.HTTP_400_BAD_REQUEST)
        goal_set = self.call_service(
            services.create_goal_set,
            unit,
            payload.validated_data["cycle"],
            acting_user=request.user,
        )
        return Response(GoalSetSerializer(goal_set).data, status=status.HTTP_201_CREATED)

    def _done(self, goal_set: GoalSet) -> Response:
        goal_set = self.get_queryset().get(pk=goal_set.pk)
        return Response(GoalSetSerializer(goal_set).data)

    @extend_schema(request=NoteSerializer, responses=GoalSetSerializer)
    @action(detail=True, methods=["post"], serializer_class=NoteSerializer)
    def submit(self, request: Request, pk: str | None = None) -> Response:
        payload = NoteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        goal_set = self.get_object()
        self.call_service(
            services.submit_goal_set,
            goal_set,
            acting_user=request.user,
            note=payload.validated_data["note"],
        )
        return self._done(goal_set)

    @extend_schema(request=CommentSerializer, responses=GoalSetSerializer)
    @action(detail=True, methods=["post"], serializer_class=CommentSerializer)
    def approve(self, request: Request, pk: str | None = None) -> Response:
        payload = CommentSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        goal_set = self.get_object()
        self.call_service(
            services.approve_goal_set,
            goal_set,
            acting_user=request.user,
            comment=payload.validated_data["comment"],
        )
        return self._done(goal_set)

    @extend_schema(request=CommentSerializer, responses=GoalSetSerializer)
    @action(detail=True, methods=["post"], url_path="return", serializer_class=CommentSerializer)
    def return_for_revision(self, request: Request, pk: str | None = None) -> Response:
        payload = CommentSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        goal_set = self.get_object()
        self.call_service(
            services.return_goal_set_for_revision,
            goal_set,
            acting_user=request.user,
            comment=payload.validated_data["comment"],
        )
        return self._done(goal_set)

    @extend_schema(request=BatchSerializer, responses=GoalSetSerializer(many=True))
    @action(
        detail=False, methods=["post"], url_path="batch-approve", serializer_class=BatchSerializer
    )
    def batch_approve(self, request: Request) -> Response:
        payload = BatchSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        ids = set(payload.validated_data["goal_sets"])
        chosen = list(self.get_queryset().filter(pk__in=sorted(ids)))
        if len(chosen) != len(ids):
            raise Http404
        self.call_service(
            services.approve_goal_sets_in_batch,
            chosen,
            acting_user=request.user,
            comment=payload.validated_data["comment"],
        )
        return Response(
            GoalSetSerializer(self.get_queryset().filter(pk__in=sorted(ids)), many=True).data
        )

    @extend_schema(responses=VersionSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def versions(self, request: Request, pk: str | None = None) -> Response:
        goal_set = self.get_object()
        return Response(VersionSerializer(goal_set.versions.order_by("number"), many=True).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("a", int, required=True, description="the older version number"),
            OpenApiParameter("b", int, required=True, description="the newer version number"),
        ],
        responses={
            200: inline_serializer(
                "GoalSetDiffRow",
                {
                    "goal": serializers.IntegerField(allow_null=True),
                    "title": serializers.CharField(),
                    "status": serializers.CharField(),
                    "changes": serializers.ListField(child=serializers.DictField()),
                },
                many=True,
            ),
            400: inline_serializer("DiffRefused", {"detail": serializers.CharField()}),
        },
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def diff(self, request: Request, pk: str | None = None) -> Response:
        """Two versions compared goal by goal: ?a=1&b=2."""
        goal_set = self.get_object()
        versions = {v.number: v for v in goal_set.versions.all()}
        try:
            left, right = (
                versions[int(request.query_params["a"])],
                versions[int(request.query_params["b"])],
            )
        except (KeyError, ValueError):
            return Response(
                {"detail": "give two version numbers as ?a= and ?b="},
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response(
            [
                {
                    "goal": d.goal_id,
                    "title": d.title,
                    "status": d.status,
                    "changes": [
                        {"field": label, "a": a, "b": b}
                        for label, a, b, changed in d.rows
                        if changed
                    ],
                }
                for d in selectors.diff_snapshots(left.snapshot, right.snapshot)
            ]
        )


class ShareSerializer(serializers.Serializer):
    division = serializers.CharField(required=False)
    post = serializers.CharField(required=False)
    share = serializers.DecimalField(max_digits=6, decimal_places=2)


class DecomposeSerializer(serializers.Serializer):
    shares = ShareSerializer(many=True)


class GoalViewSet(ScopedReadOnlyViewSet):
    """Goals: read in scope; drafted, changed and removed through the goal services."""

    queryset = Goal.objects.select_related("goal_set__unit", "indicator").prefetch_related(
        *services.GOAL_PREFETCH
    )
    serializer_class = GoalSerializer
    filterset_class = GoalFilterSet
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def _arguments(self, data: dict[str, Any]) -> dict[str, Any]:
        data.pop("goal_set", None)
        if "milestones" in data:
            data["milestones"] = [
                {
                    "title": m.get("title", ""),
                    "due_date": m.get("due_date", ""),
                    "done": m.get("done", False),
                }
                for m in data["milestones"]
            ]
        return data

    def create(self, request: Request) -> Response:
        payload = GoalSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        goal_set = GoalSet.objects.restrict(request.user).filter(pk=data["goal_set"]).first()
        if goal_set is None:
            return Response({"goal_set": ["unknown goal set"]}, status=status.HTTP_400_BAD_REQUEST)
        goal = self.call_service(
            services.add_goal, goal_set, acting_user=request.user, **self._arguments(data)
        )
        return Response(GoalSerializer(goal).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        goal = self.get_object()
        payload = GoalSerializer(goal, data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        goal = self.call_service(
            services.update_goal,
            goal,
            acting_user=request.user,
            **self._arguments(dict(payload.validated_data)),
        )
        return Response(GoalSerializer(goal).data)

    def destroy(self, request: Request, pk: str | None = None) -> Response:
        goal = self.get_object()
        self.call_service(
            services.remove_goal,
            goal,
            acting_user=request.user,
            reason=str(request.data.get("reason", "")) if hasattr(request.data, "get") else "",
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=DecomposeSerializer, responses=GoalSerializer)
    @action(detail=True, methods=["post"], serializer_class=DecomposeSerializer)
    def decompose(self, request: Request, pk: str | None = None) -> Response:
        """Body: {"shares": [{"division": "CODE", "share": 60}, {"post": "CODE", "share": 40}]}"""
        goal = self.get_object()
        payload = DecomposeSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        unit = goal.goal_set.unit
        rows = []
        for item in payload.validated_data["shares"]:
            holder: Unit | Post | None
            if item.get("division"):
                holder = Unit.objects.filter(
                    code=item["division"], path__startswith=unit.path
                ).first()
            else:
                holder = Post.objects.filter(
                    code=item.get("post", ""), unit__path__startswith=unit.path
                ).first()
            if holder is None:
                return Response(
                    {"shares": [f"unknown division or post of {unit.code}"]},
                    status=status.HTTP_400_BAD_REQUEST,
                )
            rows.append(services.ShareRow(holder, item["share"]))
        self.call_service(services.decompose_goal, goal, acting_user=request.user, shares=rows)
        goal = Goal.objects.get(pk=goal.pk)
        return Response(GoalSerializer(goal).data)


class TargetSuggestionSerializer(serializers.ModelSerializer):
    unit = serializers.CharField(source="unit.code")
    indicator = serializers.CharField(source="indicator.code")
    cycle = serializers.IntegerField(source="cycle.year")
    adjusted_by = serializers.CharField(
        source="adjusted_by.username", default=None, allow_null=True
    )

    class Meta:
        model = TargetSuggestion
        fields = [
            "id",
            "unit",
            "indicator",
            "cycle",
            "period",
            "history",
            "target",
            "low",
            "high",
            "method",
            "reason_zh",
            "reason_en",
            "has_break",
            "backtest_mase",
            "state",
            "accepted_value",
            "adjusted_by",
            "decided_at",
            "adjustment_reason",
        ]


class AdjustSerializer(serializers.Serializer):
    value = serializers.FloatField()
    reason = serializers.CharField(allow_blank=True)


class ComputeSuggestionsSerializer(serializers.Serializer):
    cycle = serializers.IntegerField(help_text="the cycle's year")


class TargetSuggestionViewSet(ScopedReadOnlyViewSet):
    """District target suggestions; the office accepts or adjusts them."""

    queryset = TargetSuggestion.objects.select_related("unit", "indicator", "cycle", "adjusted_by")
    serializer_class = TargetSuggestionSerializer
    filterset_class = TargetSuggestionFilterSet

    @extend_schema(request=ComputeSuggestionsSerializer, responses={202: JobSerializer})
    @action(detail=False, methods=["post"], serializer_class=ComputeSuggestionsSerializer)
    def compute(self, request: Request) -> Response:
        """Queue the suggestions of a cycle for every district (the office): 202 with the job."""
        payload = ComputeSuggestionsSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        cycle = get_object_or_404(Cycle, year=payload.validated_data["cycle"])
        job = self.call_service(jobs.start_suggestions, cycle, acting_user=request.user)
        return job_accepted(job, request)

    @extend_schema(request=ReasonSerializer, responses=TargetSuggestionSerializer)
    @action(detail=True, methods=["post"], serializer_class=ReasonSerializer)
    def accept(self, request: Request, pk: str | None = None) -> Response:
        decided = self.call_service(
            services.accept_suggestion, self.get_object(), acting_user=request.user
        )
        return Response(TargetSuggestionSerializer(decided).data)

    @extend_schema(request=AdjustSerializer, responses=TargetSuggestionSerializer)
    @action(detail=True, methods=["post"], serializer_class=AdjustSerializer)
    def adjust(self, request: Request, pk: str | None = None) -> Response:
        suggestion = self.get_object()  # out of scope: 404 before the body is read
        payload = AdjustSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        decided = self.call_service(
            services.adjust_suggestion,
            suggestion,
            acting_user=request.user,
            value=payload.validated_data["value"],
            reason=payload.validated_data["reason"],
        )
        return Response(TargetSuggestionSerializer(decided).data)


def register(router: DefaultRouter) -> None:
    """Add the goals endpoints to /api/v1/."""
    router.register("goal-sets", GoalSetViewSet, basename="goalset")
    router.register("goals", GoalViewSet, basename="goal")
    router.register("target-suggestions", TargetSuggestionViewSet, basename="targetsuggestion")
