"""REST API of the rectification items: read in scope; plan, progress, review and close as
the services allow; the office opens a run's interview items and sends reminders."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from kaohe.core import access
from kaohe.core.api import ScopedReadOnlyViewSet
from kaohe.core.roles import Action
from kaohe.rectification import services
from kaohe.rectification.filters import CommendationFilterSet, RectificationFilterSet
from kaohe.rectification.models import Commendation, RectificationEntry, RectificationItem
from kaohe.results.models import ScoringRun


class EntrySerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username")

    class Meta:
        model = RectificationEntry
        fields = ["kind", "text", "measures", "actor", "created_at"]


class ItemSerializer(serializers.ModelSerializer):
    unit = serializers.CharField(source="unit.code")
    cycle = serializers.IntegerField(source="cycle.year")
    entries = EntrySerializer(many=True, read_only=True)
    cause = serializers.CharField(read_only=True)

    class Meta:
        model = RectificationItem
        fields = [
            "id",
            "unit",
            "cycle",
            "origin",
            "run",
            "comment",
            "cause",
            "due_date",
            "state",
            "closed_at",
            "entries",
        ]


class MeasureSerializer(serializers.Serializer):
    measure = serializers.CharField(allow_blank=True, max_length=2000)
    deadline = serializers.CharField(allow_blank=True, max_length=40)


class PlanSerializer(serializers.Serializer):
    text = serializers.CharField(allow_blank=True, max_length=20000)
    measures = MeasureSerializer(many=True)


class ProgressSerializer(serializers.Serializer):
    text = serializers.CharField(allow_blank=True, max_length=20000)


class ReviewSerializer(serializers.Serializer):
    accept = serializers.BooleanField()
    comment = serializers.CharField(allow_blank=True, max_length=20000)


class CloseSerializer(serializers.Serializer):
    comment = serializers.CharField(allow_blank=True, max_length=20000)


class OpenSerializer(serializers.Serializer):
    run = serializers.PrimaryKeyRelatedField(queryset=ScoringRun.objects.all())
    due_date = serializers.DateField()


class RectificationItemViewSet(ScopedReadOnlyViewSet):
    """Interview and rectification items of the caller's units."""

    queryset = RectificationItem.objects.select_related("unit", "cycle").prefetch_related(
        "entries__actor"
    )
    serializer_class = ItemSerializer
    filterset_class = RectificationFilterSet

    def _office_only(self, request: Request) -> None:
        self.call_service(access.check_citywide, request.user, Action.ADMINISTER)

    def _done(self, item: RectificationItem) -> Response:
        return Response(ItemSerializer(self.get_queryset().get(pk=item.pk)).data)

    def _payload(
        self, serializer: type[serializers.Serializer], request: Request
    ) -> dict[str, Any]:
        payload = serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return dict(payload.validated_data)

    @extend_schema(request=PlanSerializer, responses=ItemSerializer)
    @action(detail=True, methods=["post"], serializer_class=PlanSerializer)
    def plan(self, request: Request, pk: str | None = None) -> Response:
        data = self._payload(PlanSerializer, request)
        item = self.call_service(
            services.submit_plan,
            self.get_object(),
            acting_user=request.user,
            text=data["text"],
            measures=[services.Measure(m["measure"], m["deadline"]) for m in data["measures"]],
        )
        return self._done(item)

    @extend_schema(request=ProgressSerializer, responses=ItemSerializer)
    @action(detail=True, methods=["post"], serializer_class=ProgressSerializer)
    def progress(self, request: Request, pk: str | None = None) -> Response:
        data = self._payload(ProgressSerializer, request)
        item = self.call_service(
            services.report_progress, self.get_object(), acting_user=request.user, text=data["text"]
        )
        return self._done(item)

    @extend_schema(request=ReviewSerializer, responses=ItemSerializer)
    @action(detail=True, methods=["post"], serializer_class=ReviewSerializer)
    def review(self, request: Request, pk: str | None = None) -> Response:
        data = self._payload(ReviewSerializer, request)
        item = self.call_service(
            services.review_plan,
            self.get_object(),
            acting_user=request.user,
            accept=data["accept"],
            comment=data["comment"],
        )
        return self._done(item)

    @extend_schema(request=CloseSerializer, responses=ItemSerializer)
    @action(detail=True, methods=["post"], serializer_class=CloseSerializer)
    def close(self, request: Request, pk: str | None = None) -> Response:
        data = self._payload(CloseSerializer, request)
        item = self.call_service(
            services.close_item,
            self.get_object(),
            acting_user=request.user,
            comment=data["comment"],
        )
        return self._done(item)

    @extend_schema(request=OpenSerializer, responses={201: ItemSerializer(many=True)})
    @action(detail=False, methods=["post"], serializer_class=OpenSerializer, url_path="open")
    def open_items(self, request: Request) -> Response:
        """The office opens an item for each unit on a published run's interview list."""
        self._office_only(request)  # before the body: others learn nothing of the runs
        data = self._payload(OpenSerializer, request)
        made = self.call_service(
            services.open_interview_items,
            data["run"],
            acting_user=request.user,
            due_date=data["due_date"],
        )
        return Response(ItemSerializer(made, many=True).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=None,
        responses=inline_serializer("RemindersSent", {"sent": serializers.IntegerField()}),
    )
    @action(detail=False, methods=["post"], serializer_class=None)
    def remind(self, request: Request) -> Response:
        """The office reminds the units whose plan is overdue."""
        return Response(
            {"sent": self.call_service(services.remind_overdue, acting_user=request.user)}
        )


class CommendationSerializer(serializers.ModelSerializer):
    unit = serializers.CharField(source="unit.code")
    cycle = serializers.IntegerField(source="run.cycle.year")
    run = serializers.IntegerField(source="run_id")
    citation = serializers.CharField(read_only=True)

    class Meta:
        model = Commendation
        fields = ["id", "run", "cycle", "unit", "reason", "citation", "created_at"]


class CommendSerializer(serializers.Serializer):
    run = serializers.PrimaryKeyRelatedField(queryset=ScoringRun.objects.all())


class CommendationViewSet(ScopedReadOnlyViewSet):
    """Commendations of the caller's units; the office issues a run's (`…/issue/`)."""

    queryset = Commendation.objects.select_related("unit", "run__cycle")
    serializer_class = CommendationSerializer
    filterset_class = CommendationFilterSet

    @extend_schema(request=CommendSerializer, responses={201: CommendationSerializer(many=True)})
    @action(detail=False, methods=["post"], serializer_class=CommendSerializer)
    def issue(self, request: Request) -> Response:
        """The office commends the award units of a published run (each once)."""
        self.call_service(access.check_citywide, request.user, Action.ADMINISTER)
        payload = CommendSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        made = self.call_service(
            services.issue_commendations, payload.validated_data["run"], acting_user=request.user
        )
        return Response(
            CommendationSerializer(made, many=True).data, status=status.HTTP_201_CREATED
        )
