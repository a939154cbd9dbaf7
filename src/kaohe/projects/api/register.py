"""The register's endpoints: `key-projects` (list with the register's filter, detail with plan,
actual and milestones, create and partial update for the office, the workbook `import`, the
`map` points, the schedule `check` job and the investment `feed`) and `project-reports` (the
reports in scope; the owner unit sends one as multipart with its files)."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from kaohe.core import access
from kaohe.core.api import ScopedReadOnlyViewSet, job_accepted
from kaohe.core.roles import Action
from kaohe.flows.projects import feed_investment
from kaohe.observations.evidence import EvidenceFile
from kaohe.projects import excel, jobs, selectors, services
from kaohe.projects.filters import KeyProjectFilterSet, ProgressReportFilterSet
from kaohe.projects.models import KeyProject, ProgressEvidence, ProgressReport
from kaohe.schemes.models import Cycle


class KeyProjectSerializer(serializers.ModelSerializer):
    cycle = serializers.IntegerField(source="cycle.year", read_only=True)
    owner = serializers.CharField(source="owner.code", read_only=True)
    district = serializers.CharField(source="district.code", read_only=True)
    shown_status = serializers.SerializerMethodField()
    planned_to_date = serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True)
    actual_to_date = serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True)

    class Meta:
        model = KeyProject
        fields = [
            "id",
            "cycle",
            "code",
            "name_zh",
            "name_en",
            "owner",
            "district",
            "category",
            "longitude",
            "latitude",
            "planned_start",
            "planned_end",
            "actual_start",
            "actual_end",
            "total_investment",
            "status",
            "shown_status",
            "planned_to_date",
            "actual_to_date",
        ]

    def get_shown_status(self, project: KeyProject) -> str:
        return selectors.shown_status(project)


class MonthSerializer(serializers.Serializer):
    month = serializers.DateField()
    planned = serializers.DecimalField(max_digits=16, decimal_places=2)
    actual = serializers.DecimalField(max_digits=16, decimal_places=2, allow_null=True)
    cumulative_planned = serializers.DecimalField(max_digits=16, decimal_places=2)
    cumulative_actual = serializers.DecimalField(max_digits=16, decimal_places=2)
    pace = serializers.FloatField(allow_null=True)


class MilestoneRowSerializer(serializers.Serializer):
    seq = serializers.IntegerField(source="milestone.seq")
    name_zh = serializers.CharField(source="milestone.name_zh")
    name_en = serializers.CharField(source="milestone.name_en")
    due = serializers.DateField(source="milestone.due")
    reached = serializers.DateField(allow_null=True)


class KeyProjectDetailSerializer(KeyProjectSerializer):
    months = serializers.SerializerMethodField()
    milestones = serializers.SerializerMethodField()

    class Meta(KeyProjectSerializer.Meta):
        fields = [*KeyProjectSerializer.Meta.fields, "months", "milestones"]

    def _progress(self, project: KeyProject) -> selectors.Progress:
        cache = self.context.setdefault("progress", {})
        if project.pk not in cache:
            cache[project.pk] = selectors.project_progress(project)
        return cache[project.pk]

    @extend_schema_field(MonthSerializer(many=True))
    def get_months(self, project: KeyProject) -> Any:
        return MonthSerializer(self._progress(project).months, many=True).data

    @extend_schema_field(MilestoneRowSerializer(many=True))
    def get_milestones(self, project: KeyProject) -> Any:
        return MilestoneRowSerializer(self._progress(project).milestones, many=True).data


class ProjectWriteSerializer(serializers.Serializer):
    """A project as the office sends it: units by code; `plan` maps "YYYY-MM" to the planned
    investment; `milestones` lists {seq, name_zh, name_en, due}."""

    code = serializers.CharField(max_length=40)
    name_zh = serializers.CharField(max_length=200)
    name_en = serializers.CharField(max_length=200, required=False, allow_blank=True)
    owner = serializers.CharField()
    district = serializers.CharField()
    category = serializers.CharField()
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6)
    latitude = serializers.DecimalField(max_digits=8, decimal_places=6)
    planned_start = serializers.DateField()
    planned_end = serializers.DateField()
    total_investment = serializers.DecimalField(max_digits=14, decimal_places=2)
    status = serializers.CharField(required=False)
    plan = serializers.DictField(
        child=serializers.DecimalField(max_digits=14, decimal_places=2), required=False
    )
    milestones = serializers.ListField(child=serializers.DictField(), required=False)


class ProjectCreateSerializer(ProjectWriteSerializer):
    cycle = serializers.IntegerField()


class ProjectChangeSerializer(ProjectWriteSerializer):
    reason = serializers.CharField(required=False, allow_blank=True)
    actual_start = serializers.DateField(required=False, allow_null=True)
    actual_end = serializers.DateField(required=False, allow_null=True)


class MapPointSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    code = serializers.CharField()
    name = serializers.CharField()
    owner = serializers.CharField()
    district = serializers.CharField()
    category = serializers.CharField()
    longitude = serializers.FloatField()
    latitude = serializers.FloatField()
    status = serializers.CharField()
    project_status = serializers.CharField()
    pace = serializers.FloatField(allow_null=True)
    url = serializers.CharField()


class ImportSerializer(serializers.Serializer):
    cycle = serializers.IntegerField()
    file = serializers.FileField()


class CheckSerializer(serializers.Serializer):
    cycle = serializers.IntegerField()
    as_of = serializers.DateField(required=False)


class ProjectCycleSerializer(serializers.Serializer):
    cycle = serializers.IntegerField()


class FeedResultSerializer(serializers.Serializer):
    batch = serializers.IntegerField(allow_null=True)
    duplicate = serializers.BooleanField()
    rows = serializers.IntegerField()


def _cycle(year: int) -> Cycle:
    cycle = Cycle.objects.filter(year=year).first()
    if cycle is None:
        raise serializers.ValidationError({"cycle": "no such cycle"})
    return cycle


class KeyProjectViewSet(ScopedReadOnlyViewSet):
    """Key projects in scope (the office all, a unit its own)."""

    queryset = KeyProject.objects.select_related("cycle", "owner", "district")
    serializer_class = KeyProjectSerializer
    filterset_class = KeyProjectFilterSet
    cache_lists = False  # the shown status follows warnings

    def get_queryset(self) -> Any:
        return selectors.with_figures(super().get_queryset()).order_by("cycle__year", "code")

    def get_serializer_class(self) -> Any:
        return KeyProjectDetailSerializer if self.action == "retrieve" else KeyProjectSerializer

    def _answer(self, project: KeyProject, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=project.pk)
        return Response(KeyProjectDetailSerializer(fresh).data, status=code)

    @extend_schema(request=ProjectCreateSerializer, responses={201: KeyProjectDetailSerializer})
    def create(self, request: Request) -> Response:
        access_check(request)
        payload = ProjectCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        cycle = _cycle(data.pop("cycle"))
        project = self.call_service(
            services.register_project, cycle, data, acting_user=request.user
        )
        return self._answer(project, status.HTTP_201_CREATED)

    @extend_schema(request=ProjectChangeSerializer, responses=KeyProjectDetailSerializer)
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        project = self.get_object()
        access_check(request)
        payload = ProjectChangeSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        reason = data.pop("reason", "")
        project = self.call_service(
            services.update_project, project, acting_user=request.user, reason=reason, **data
        )
        return self._answer(project)

    @extend_schema(request=ImportSerializer, responses={201: KeyProjectSerializer(many=True)})
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        parser_classes=[MultiPartParser, FormParser],
        serializer_class=ImportSerializer,
    )
    def import_register(self, request: Request) -> Response:
        access_check(request)
        payload = ImportSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        cycle = _cycle(payload.validated_data["cycle"])
        data = payload.validated_data["file"].read()
        rows = self.call_service(excel.read_register, cycle, data)
        stored = self.call_service(services.import_projects, cycle, rows, acting_user=request.user)
        fresh = self.get_queryset().filter(pk__in=[p.pk for p in stored])
        return Response(KeyProjectSerializer(fresh, many=True).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=MapPointSerializer(many=True))
    @action(
        detail=False, methods=["get"], serializer_class=MapPointSerializer, pagination_class=None
    )
    def map(self, request: Request) -> Response:
        queryset = self.filter_queryset(
            KeyProject.objects.restrict(request.user).select_related("cycle", "owner", "district")
        )
        return Response(MapPointSerializer(selectors.map_points(queryset), many=True).data)

    @extend_schema(request=CheckSerializer, responses={202: None})
    @action(detail=False, methods=["post"], serializer_class=CheckSerializer)
    def check(self, request: Request) -> Response:
        payload = CheckSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        cycle = _cycle(payload.validated_data["cycle"])
        job = self.call_service(
            jobs.start_check,
            cycle,
            acting_user=request.user,
            as_of=payload.validated_data.get("as_of"),
        )
        return job_accepted(job, request)

    @extend_schema(request=ProjectCycleSerializer, responses=FeedResultSerializer)
    @action(detail=False, methods=["post"], serializer_class=ProjectCycleSerializer)
    def feed(self, request: Request) -> Response:
        payload = ProjectCycleSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        cycle = _cycle(payload.validated_data["cycle"])
        result = self.call_service(feed_investment, cycle, acting_user=request.user)
        return Response(
            {
                "batch": result.batch.pk if result else None,
                "duplicate": bool(result and result.duplicate),
                "rows": result.batch.rows if result else 0,
            }
        )


def access_check(request: Request) -> None:
    """Office-only writes: a 403 for others (what they may see is still scoped)."""
    if not access.has_citywide(request.user, Action.ADMINISTER):
        raise PermissionDenied("the office only")


class ProgressEvidenceSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = ProgressEvidence
        fields = ["id", "name", "size", "sha256", "is_photo", "url"]

    def get_url(self, evidence: ProgressEvidence) -> str:
        return reverse("projects:evidence", args=[evidence.pk])


class ProgressReportSerializer(serializers.ModelSerializer):
    project = serializers.IntegerField(source="project_id", read_only=True)
    project_code = serializers.CharField(source="project.code", read_only=True)
    reported_by = serializers.CharField(source="reported_by.username", read_only=True)
    evidence = ProgressEvidenceSerializer(many=True, read_only=True)

    class Meta:
        model = ProgressReport
        fields = [
            "id",
            "project",
            "project_code",
            "month",
            "version",
            "invested",
            "status",
            "milestones_done",
            "note",
            "reported_by",
            "reported_at",
            "evidence",
        ]


class ProgressReportCreateSerializer(serializers.Serializer):
    """A month's report: `month` as YYYY-MM, `milestones_done` as {seq: date} (JSON text in a
    multipart form), `files` the photos and documents."""

    project = serializers.IntegerField()
    month = serializers.CharField()
    invested = serializers.DecimalField(max_digits=14, decimal_places=2)
    status = serializers.CharField()
    milestones_done = serializers.JSONField(required=False)
    note = serializers.CharField(required=False, allow_blank=True)
    files = serializers.ListField(child=serializers.FileField(), required=False)


class ProgressReportViewSet(ScopedReadOnlyViewSet):
    """Progress reports in scope, every version; the owner unit sends a new one."""

    queryset = ProgressReport.objects.select_related("project", "reported_by").prefetch_related(
        "evidence"
    )
    serializer_class = ProgressReportSerializer
    filterset_class = ProgressReportFilterSet
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(
        request=ProgressReportCreateSerializer, responses={201: ProgressReportSerializer}
    )
    def create(self, request: Request) -> Response:
        payload = ProgressReportCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        project = get_object_or_404(
            KeyProject.objects.restrict(request.user, Action.REPORT), pk=data["project"]
        )
        files = [EvidenceFile(f.name or "", f.read()) for f in request.FILES.getlist("files")]
        report = self.call_service(
            services.report_progress,
            project,
            month=data["month"],
            invested=data["invested"],
            status=data["status"],
            milestones_done=data.get("milestones_done") or {},
            note=data.get("note", ""),
            files=files,
            acting_user=request.user,
        )
        return Response(
            ProgressReportSerializer(self.get_queryset().get(pk=report.pk)).data,
            status=status.HTTP_201_CREATED,
        )


def register(router: DefaultRouter) -> None:
    """Add this part's endpoints to /api/v1/."""
    router.register("key-projects", KeyProjectViewSet, basename="keyproject")
    router.register("project-reports", ProgressReportViewSet, basename="projectreport")
