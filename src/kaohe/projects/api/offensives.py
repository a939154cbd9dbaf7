"""REST API of the major tasks (攻坚战): the tasks (the office sets one up), their milestones
with each participating unit's part and its board status, and the milestone reports (a
participating unit sends one for its own part, multipart with its evidence files; the office
confirms or returns it).

Thin: serializers validate the shape, the services decide, and every object is fetched through
`.restrict()`: a unit reaches the tasks it takes part in, the office everything."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from kaohe.core import access
from kaohe.core.api import MAX_ID, ReasonSerializer, ScopedReadOnlyViewSet
from kaohe.core.roles import Action
from kaohe.flows import tasks as tasks_flow
from kaohe.observations.evidence import EvidenceFile
from kaohe.projects.models import (
    MilestoneReport,
    Offensive,
    OffensiveMilestone,
    Role,
)
from kaohe.projects.offensives import selectors, services
from kaohe.projects.offensives.filters import (
    MilestoneFilterSet,
    MilestoneReportFilterSet,
    OffensiveFilterSet,
)
from kaohe.projects.offensives.services import MilestoneSpec
from kaohe.schemes.models import Cycle
from kaohe.units.models import Unit


class MilestoneInlineSerializer(serializers.ModelSerializer):
    class Meta:
        model = OffensiveMilestone
        fields = ["id", "seq", "name_zh", "name_en", "due", "weight", "evidence_required"]


class OffensiveSerializer(serializers.ModelSerializer):
    cycle = serializers.IntegerField(source="cycle.year")
    lead = serializers.SerializerMethodField()
    cooperating = serializers.SerializerMethodField()
    milestones = MilestoneInlineSerializer(many=True, read_only=True)

    class Meta:
        model = Offensive
        fields = [
            "id",
            "cycle",
            "code",
            "name_zh",
            "name_en",
            "description",
            "lead",
            "cooperating",
            "milestones",
        ]

    def get_lead(self, offensive: Offensive) -> str | None:
        return next(
            (p.unit.code for p in offensive.participants.all() if p.role == Role.LEAD), None
        )

    def get_cooperating(self, offensive: Offensive) -> list[str]:
        return [p.unit.code for p in offensive.participants.all() if p.role == Role.COOPERATING]


class MilestoneSpecSerializer(serializers.Serializer):
    seq = serializers.IntegerField(min_value=1, max_value=32767, required=False)
    name_zh = serializers.CharField(max_length=200)
    name_en = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    due = serializers.DateField()
    weight = serializers.DecimalField(max_digits=6, decimal_places=2, default=Decimal(1))
    evidence_required = serializers.CharField(required=False, allow_blank=True, default="")


class OffensiveCreateSerializer(serializers.Serializer):
    cycle = serializers.SlugRelatedField(slug_field="year", queryset=Cycle.objects.all())
    code = serializers.CharField(max_length=40, help_text="the scheme input its milestones feed")
    name_zh = serializers.CharField(max_length=200)
    name_en = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    description = serializers.CharField(required=False, allow_blank=True, default="")
    lead = serializers.SlugRelatedField(slug_field="code", queryset=Unit.objects.all())
    cooperating = serializers.ListField(
        child=serializers.SlugRelatedField(slug_field="code", queryset=Unit.objects.all()),
        required=False,
        default=list,
        max_length=100,
    )
    milestones = MilestoneSpecSerializer(many=True)


class OffensiveViewSet(ScopedReadOnlyViewSet):
    """Major tasks in scope; the office sets one up."""

    queryset = (
        Offensive.objects.select_related("cycle")
        .prefetch_related("participants__unit", "milestones")
        .order_by("-cycle__year", "code")
    )
    serializer_class = OffensiveSerializer
    filterset_class = OffensiveFilterSet

    @extend_schema(request=OffensiveCreateSerializer, responses={201: OffensiveSerializer})
    def create(self, request: Request) -> Response:
        access.check_citywide(request.user, Action.ADMINISTER)  # the office's, before the body
        payload = OffensiveCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        milestones = [MilestoneSpec(**row) for row in data.pop("milestones")]
        offensive = self.call_service(
            services.create_offensive,
            data.pop("cycle"),
            milestones=milestones,
            acting_user=request.user,
            **data,
        )
        fresh = self.queryset.get(pk=offensive.pk)
        return Response(OffensiveSerializer(fresh).data, status=status.HTTP_201_CREATED)


class PartSerializer(serializers.Serializer):
    """A participating unit's part of a milestone, with its board status."""

    unit = serializers.CharField(source="unit.code")
    role = serializers.ChoiceField(choices=Role.choices)
    status = serializers.ChoiceField(choices=selectors.STATUSES)
    report = serializers.IntegerField(source="report_id", allow_null=True)
    completed_on = serializers.DateField(allow_null=True)
    days_late = serializers.IntegerField(allow_null=True)


class OffensiveMilestoneSerializer(serializers.ModelSerializer):
    offensive_code = serializers.CharField(source="offensive.code")
    cycle = serializers.IntegerField(source="offensive.cycle.year")
    parts = serializers.SerializerMethodField()

    class Meta:
        model = OffensiveMilestone
        fields = [
            "id",
            "offensive",
            "offensive_code",
            "cycle",
            "seq",
            "name_zh",
            "name_en",
            "due",
            "weight",
            "evidence_required",
            "parts",
        ]

    @extend_schema_field(PartSerializer(many=True))
    def get_parts(self, milestone: OffensiveMilestone) -> list[dict[str, Any]]:
        rows = self.context.get("parts", {}).get(milestone.pk, [])
        return list(PartSerializer(rows, many=True).data)


class OffensiveMilestoneViewSet(ScopedReadOnlyViewSet):
    """Milestones of the tasks in scope, each with its participating units' parts and their
    status (as on the board). The filters (the board's) select parts: a milestone is listed
    when one of its parts matches, with the parts that match."""

    queryset = OffensiveMilestone.objects.select_related("offensive__cycle").order_by(
        "offensive__cycle__year", "offensive__code", "seq"
    )
    serializer_class = OffensiveMilestoneSerializer
    filterset_class = MilestoneFilterSet
    cache_lists = False  # the status moves with the date (upcoming → overdue) without an event

    def filter_queryset(self, queryset: Any) -> Any:
        parts = super().filter_queryset(selectors.in_board_order(selectors.with_status(queryset)))
        self._parts = selectors.parts_by_milestone(parts)
        return queryset.filter(pk__in=sorted(self._parts))

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "parts": getattr(self, "_parts", {})}


class EvidenceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()


class MilestoneReportSerializer(serializers.ModelSerializer):
    unit = serializers.CharField(source="unit.code")
    offensive = serializers.IntegerField(source="milestone.offensive_id")
    reported_by = serializers.CharField(source="reported_by.username")
    evidence = EvidenceSerializer(many=True, read_only=True)

    class Meta:
        model = MilestoneReport
        fields = [
            "id",
            "milestone",
            "offensive",
            "unit",
            "completed_on",
            "note",
            "state",
            "reported_by",
            "reported_at",
            "decided_at",
            "decision",
            "evidence",
        ]


class MilestoneReportCreateSerializer(serializers.Serializer):
    milestone = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    unit = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Unit.objects.all(),
        required=False,
        allow_null=True,
        default=None,
        help_text="the participating unit whose part it is (needed only when you may report "
        "for several)",
    )
    completed_on = serializers.DateField()
    note = serializers.CharField(max_length=4000)
    files = serializers.ListField(
        child=serializers.FileField(), required=False, default=list, max_length=20
    )


class ConfirmSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)


class MilestoneReportViewSet(ScopedReadOnlyViewSet):
    """Milestone reports of the tasks in scope: a participating unit sends one for its own part
    (multipart, with its evidence files as `files`; `unit` when the user may report for
    several), the office confirms or returns it."""

    queryset = (
        MilestoneReport.objects.select_related("unit", "milestone", "reported_by")
        .prefetch_related("evidence")
        .order_by("milestone", "reported_at", "pk")
    )
    serializer_class = MilestoneReportSerializer
    filterset_class = MilestoneReportFilterSet

    def _fresh(self, report: MilestoneReport) -> MilestoneReport:
        return self.queryset.get(pk=report.pk)

    @extend_schema(
        request={"multipart/form-data": MilestoneReportCreateSerializer},
        responses={201: MilestoneReportSerializer},
    )
    def create(self, request: Request) -> Response:
        payload = MilestoneReportCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        milestone = (
            OffensiveMilestone.objects.restrict(request.user).filter(pk=data["milestone"]).first()
        )
        if milestone is None:
            return Response(
                {"milestone": ["unknown milestone"]}, status=status.HTTP_400_BAD_REQUEST
            )
        files = [EvidenceFile(f.name or "", f.read()) for f in data["files"]]
        report = self.call_service(
            services.report_milestone,
            milestone,
            unit=data["unit"],
            completed_on=data["completed_on"],
            note=data["note"],
            files=files,
            acting_user=request.user,
        )
        return Response(
            MilestoneReportSerializer(self._fresh(report)).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=ConfirmSerializer, responses=MilestoneReportSerializer)
    @action(detail=True, methods=["post"], serializer_class=ConfirmSerializer)
    def confirm(self, request: Request, pk: str | None = None) -> Response:
        """The office confirms the report: {"note": "..."} (optional)."""
        report = self.get_object()
        payload = ConfirmSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        self.call_service(
            tasks_flow.confirm_part,
            report,
            acting_user=request.user,
            note=payload.validated_data["note"],
        )
        return Response(MilestoneReportSerializer(self._fresh(report)).data)

    @extend_schema(request=ReasonSerializer, responses=MilestoneReportSerializer)
    @action(
        detail=True,
        methods=["post"],
        url_path="return",
        url_name="return",
        serializer_class=ReasonSerializer,
    )
    def return_report(self, request: Request, pk: str | None = None) -> Response:
        """The office returns the report, saying why: {"reason": "..."}."""
        report = self.get_object()
        payload = ReasonSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        self.call_service(
            services.return_milestone,
            report,
            acting_user=request.user,
            reason=payload.validated_data["reason"],
        )
        return Response(MilestoneReportSerializer(self._fresh(report)).data)


def register(router: DefaultRouter) -> None:
    """Add this part's endpoints to /api/v1/."""
    router.register("offensives", OffensiveViewSet, basename="offensive")
    router.register(
        "offensive-milestones", OffensiveMilestoneViewSet, basename="offensivemilestone"
    )
    router.register("milestone-reports", MilestoneReportViewSet, basename="milestonereport")
