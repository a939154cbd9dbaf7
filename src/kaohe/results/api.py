"""REST API for scoring runs: list, compute, publish, results and one unit's explanation."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse

from kaohe.core.api import (
    JobSerializer,
    ReasonSerializer,
    ScopedReadOnlyViewSet,
    ServiceCallMixin,
    job_accepted,
)
from kaohe.results import jobs, public, reports, selectors, services
from kaohe.results.diagnosis import diagnose
from kaohe.results.filters import ProvisionalStandingFilterSet, ScoringRunFilterSet
from kaohe.results.models import ProvisionalStanding, Report, ScoringRun, UnitResult
from kaohe.schemes.models import SchemeVersion


class ScoringRunSerializer(serializers.ModelSerializer):
    cycle = serializers.IntegerField(source="cycle.year", read_only=True)
    category = serializers.CharField(source="category.code", read_only=True)
    scheme = serializers.CharField(source="scheme_version.scheme.code", read_only=True)
    scheme_version = serializers.IntegerField(source="scheme_version.number", read_only=True)

    class Meta:
        model = ScoringRun
        fields = [
            "id",
            "cycle",
            "category",
            "scheme",
            "scheme_version",
            "number",
            "status",
            "snapshot_at",
            "node_code",
            "input_fingerprint",
            "result_fingerprint",
            "reason",
            "units_scored",
            "units_not_scored",
            "robustness",
            "published_at",
        ]


class UnitResultSerializer(serializers.ModelSerializer):
    """A unit's line of a run. Its node scores (`nodes`) follow the unit page's rule: they are
    given for the units the caller may open (``UnitResult.objects.restrict``) and are null for
    the others, whose ranking line everyone signed in sees, as on the ranking page."""

    unit = serializers.CharField(source="unit.code", read_only=True)

    class Meta:
        model = UnitResult
        fields = [
            "unit",
            "category_code",
            "total",
            "total_rounded",
            "rank",
            "previous_rank",
            "rank_change",
            "grade",
            "status",
            "reason",
            "flags",
            "nodes",
            "robustness",
        ]

    def to_representation(self, instance: UnitResult) -> dict[str, Any]:
        data = super().to_representation(instance)
        detail = self.context.get("detail_units")
        if detail is not None and instance.unit_id not in detail:
            data["nodes"] = None
        return data


class DiagnosisStandingSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    share = serializers.FloatField()
    peer_median = serializers.FloatField()
    peer_upper_quartile = serializers.FloatField()
    place = serializers.IntegerField()
    peers = serializers.IntegerField()
    points_at_median = serializers.FloatField(allow_null=True)


class DiagnosisGoalSerializer(serializers.Serializer):
    title = serializers.CharField()
    kind = serializers.CharField()
    indicator = serializers.CharField()
    target = serializers.FloatField(allow_null=True)
    actual = serializers.FloatField(allow_null=True)
    met = serializers.BooleanField(allow_null=True)
    benchmark = serializers.CharField()
    benchmark_value = serializers.FloatField(allow_null=True)
    benchmark_met = serializers.BooleanField(allow_null=True)


class DiagnosisWarningSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    severity = serializers.CharField()
    state = serializers.CharField()
    message = serializers.CharField()


class DiagnosisSerializer(serializers.Serializer):
    run = serializers.IntegerField()
    unit = serializers.CharField()
    rank = serializers.IntegerField(allow_null=True)
    peers = serializers.IntegerField()
    score = serializers.FloatField(allow_null=True)
    grade = serializers.CharField()
    summary = serializers.ListField(child=serializers.CharField())
    weakest = DiagnosisStandingSerializer(many=True)
    strongest = DiagnosisStandingSerializer(many=True)
    goals = DiagnosisGoalSerializer(many=True)
    warnings = DiagnosisWarningSerializer(many=True)
    citizens = serializers.CharField()
    suggestions = serializers.ListField(child=serializers.CharField())

    def to_representation(self, instance: Any) -> dict[str, Any]:
        return super().to_representation(instance.as_dict())


class ReportSerializer(serializers.ModelSerializer):
    run = serializers.IntegerField(source="run_id", read_only=True)
    unit = serializers.CharField(source="unit.code", default=None, allow_null=True)
    download = serializers.SerializerMethodField()

    class Meta:
        model = Report
        fields = [
            "id",
            "kind",
            "run",
            "unit",
            "language",
            "sha256",
            "byte_size",
            "pages",
            "created_at",
            "download",
        ]

    def get_download(self, obj: Report) -> str:
        return reverse("report-pdf", kwargs={"pk": obj.pk}, request=self.context.get("request"))


class StartRunSerializer(serializers.Serializer):
    scheme = serializers.CharField()
    version = serializers.IntegerField(min_value=1)
    snapshot_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    node_code = serializers.ChoiceField(choices=["Q1", "H1", "Q3", "Y"], default="Y")
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class ScoringRunViewSet(ServiceCallMixin, viewsets.ReadOnlyModelViewSet):
    """Runs visible to the caller (drafts only for the office, committee and auditors).
    `…/results/` is the ranking; `…/units/{code}/` one unit's explanation (scoped)."""

    serializer_class = ScoringRunSerializer
    filterset_class = ScoringRunFilterSet

    def get_queryset(self) -> QuerySet[ScoringRun]:
        return selectors.visible_runs(self.request.user)

    @extend_schema(request=StartRunSerializer, responses={202: JobSerializer})
    def create(self, request: Request) -> Response:
        """Queue a run: 202 with the job (`Location` is its URL); the run exists once the job
        has succeeded (`result`)."""
        payload = StartRunSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data: dict[str, Any] = payload.validated_data
        version = SchemeVersion.objects.filter(
            scheme__code=data["scheme"], number=data["version"]
        ).first()
        if version is None:
            return Response(
                {"scheme": ["no such scheme version"]}, status=status.HTTP_400_BAD_REQUEST
            )
        job = self.call_service(
            jobs.start_scoring_run,
            version,
            acting_user=request.user,
            snapshot_at=data["snapshot_at"],
            node_code=data["node_code"],
            reason=data["reason"],
        )
        return job_accepted(job, request)

    @extend_schema(request=ReasonSerializer, responses=ScoringRunSerializer)
    @action(detail=True, methods=["post"], serializer_class=ReasonSerializer)
    def publish(self, request: Request, pk: str | None = None) -> Response:
        payload = ReasonSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        run = self.call_service(
            services.publish_scoring_run,
            self.get_object(),
            acting_user=request.user,
            reason=payload.validated_data["reason"],
        )
        return Response(ScoringRunSerializer(run).data)

    @extend_schema(responses=UnitResultSerializer(many=True))
    @action(
        detail=True,
        methods=["get"],
        pagination_class=None,
        filter_backends=[],
        serializer_class=UnitResultSerializer,
    )
    def results(self, request: Request, pk: str | None = None) -> Response:
        run = self.get_object()
        rows = run.results.select_related("unit").order_by("category_code", "rank", "unit__code")
        detail = set(
            UnitResult.objects.restrict(request.user)
            .filter(run=run)
            .values_list("unit_id", flat=True)
        )
        return Response(
            UnitResultSerializer(rows, many=True, context={"detail_units": detail}).data
        )

    @extend_schema(responses=DiagnosisSerializer)
    @action(detail=True, methods=["get"], url_path=r"units/(?P<code>[-\w]+)/diagnosis")
    def diagnosis(self, request: Request, pk: str | None = None, code: str = "") -> Response:
        """The unit's diagnosis in this run, in the request's language (scoped as its result)."""
        result = reports.diagnosis_result(request.user, self.get_object().pk, code)
        return Response(DiagnosisSerializer(diagnose(request.user, result.run, result)).data)

    @extend_schema(request=None, responses={202: JobSerializer})
    @action(detail=True, methods=["post"], url_path=r"units/(?P<code>[-\w]+)/diagnosis/pdf")
    def diagnosis_pdf(self, request: Request, pk: str | None = None, code: str = "") -> Response:
        """Queue the diagnosis PDF: 202 with the job; its `result` is the report."""
        result = reports.diagnosis_result(request.user, self.get_object().pk, code)
        return job_accepted(
            self.call_service(jobs.start_diagnosis_pdf, result, acting_user=request.user), request
        )

    @extend_schema(request=None, responses={202: JobSerializer})
    @action(detail=True, methods=["post"], url_path="bulletin")
    def bulletin(self, request: Request, pk: str | None = None) -> Response:
        """Queue the bulletin PDF of a published run (the office): 202 with the job."""
        run = self.get_object()
        return job_accepted(
            self.call_service(jobs.start_bulletin_pdf, run, acting_user=request.user), request
        )

    @action(detail=True, methods=["get"], url_path=r"units/(?P<code>[-\w]+)")
    def unit(self, request: Request, pk: str | None = None, code: str = "") -> Response:
        run = self.get_object()
        result = UnitResult.objects.restrict(request.user).filter(run=run, unit__code=code).first()
        if result is None:
            raise NotFound
        return Response({**UnitResultSerializer(result).data, "explanation": result.explanation})


class ProvisionalStandingSerializer(serializers.ModelSerializer):
    unit = serializers.CharField(source="unit.code", read_only=True)
    cycle = serializers.IntegerField(source="scheme_version.scheme.cycle.year", read_only=True)
    scheme = serializers.CharField(source="scheme_version.scheme.code", read_only=True)

    class Meta:
        model = ProvisionalStanding
        fields = [
            "unit",
            "cycle",
            "scheme",
            "category_code",
            "node_code",
            "score",
            "rank",
            "coverage",
            "missing",
            "computed_at",
            "batch",
        ]


class ProvisionalStandingViewSet(ScopedReadOnlyViewSet):
    """Where each unit stands so far this year (refreshed by every accepted batch); a unit's
    users see their own unit. Filters: `category`, `unit`, `cycle`."""

    queryset = ProvisionalStanding.objects.select_related(
        "unit", "scheme_version__scheme__cycle"
    ).order_by("scheme_version_id", "category_code", "rank", "unit__code")
    serializer_class = ProvisionalStandingSerializer
    pagination_class = None
    filterset_class = ProvisionalStandingFilterSet


class PublicRunSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    cycle = serializers.IntegerField(source="cycle.year")
    category = serializers.CharField(source="category.code")
    category_name = serializers.CharField(source="category.name")
    published_at = serializers.DateTimeField(allow_null=True)


class PublicLineSerializer(serializers.Serializer):
    rank = serializers.IntegerField(allow_null=True)
    unit = serializers.CharField()
    name = serializers.CharField()
    score = serializers.FloatField(allow_null=True)
    grade = serializers.CharField()
    flags = serializers.ListField(child=serializers.CharField())
    scored = serializers.BooleanField()


class PublicBulletinSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    cycle = serializers.IntegerField()
    category = serializers.CharField()
    category_name = serializers.CharField()
    published_at = serializers.DateTimeField(allow_null=True)
    ranking = PublicLineSerializer(many=True)
    progress_awards = PublicLineSerializer(many=True)
    backward_list = PublicLineSerializer(many=True)


class PublicResultViewSet(viewsets.ReadOnlyModelViewSet):
    """Published results, for anyone (no sign-in): the list of published runs, and one run's
    bulletin — ranking, grades, progress awards and the backward list; nothing else."""

    permission_classes = [AllowAny]
    serializer_class = PublicRunSerializer
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[ScoringRun]:
        return public.public_runs()

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path="bulletin-pdf")
    def bulletin_pdf(self, request: Request, pk: str | None = None) -> HttpResponse:
        """The latest bulletin PDF of the run (404 when the office has made none)."""
        report = reports.public_bulletin(self.get_object().pk)
        if report is None:
            raise Http404
        return pdf_response(report)

    @extend_schema(responses=PublicBulletinSerializer)
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(PublicBulletinSerializer(public.bulletin(self.get_object()).as_dict()).data)


def pdf_response(report: Report) -> HttpResponse:
    response = HttpResponse(bytes(report.content), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{report.filename}"'
    return response


class ReportViewSet(viewsets.ReadOnlyModelViewSet):
    """PDF reports the caller may download: diagnoses of unit results they may open, bulletins
    of runs they may see. `…/pdf/` is the file. Reports are made by jobs (see the runs)."""

    serializer_class = ReportSerializer
    filterset_fields = {"kind": ["exact"], "run": ["exact"]}

    def get_queryset(self) -> QuerySet[Report]:
        return reports.readable_reports(self.request.user).defer("content")

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path="pdf", url_name="pdf")
    def pdf(self, request: Request, pk: str | None = None) -> HttpResponse:
        return pdf_response(reports.readable_reports(request.user).get(pk=self.get_object().pk))
