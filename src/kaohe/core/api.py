"""API building blocks shared by the apps: scoped viewsets, error mapping, the audit endpoint."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse

from kaohe.core import fragments, jobs
from kaohe.core.errors import BatchRejected
from kaohe.core.filters import AuditEventFilterSet
from kaohe.core.models import AuditEvent, Job, ObjectChange
from kaohe.core.renderers import lists_rows

# The largest id a database can hold (a signed 64-bit integer): an id field refuses more,
# instead of the database failing on it.
MAX_ID = 2**63 - 1


class BatchRejectedError(exceptions.APIException):
    """400 with the per-row report as structured data (row numbers stay numbers)."""

    status_code = 400
    default_code = "batch_rejected"

    def __init__(self, data: dict[str, Any]) -> None:
        self.detail = data


def service_errors_to_api(exc: Exception) -> exceptions.APIException:
    """Turn a service's Django or batch error into the API's 400/403."""
    if isinstance(exc, BatchRejected):
        return BatchRejectedError(
            {
                "detail": str(exc),
                "errors": [
                    {"row": e.row, "field": e.field, "rule": e.rule, "value": e.value}
                    for e in exc.errors
                ],
            }
        )
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            return exceptions.ValidationError(exc.message_dict)
        return exceptions.ValidationError({"detail": exc.messages})
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied(str(exc) or None)
    raise exc


class ServiceCallMixin:
    """Run a service function and map its errors to API responses."""

    def call_service(self, func: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (BatchRejected, DjangoValidationError, DjangoPermissionDenied) as exc:
            raise service_errors_to_api(exc) from exc


class ScopedReadOnlyViewSet(ServiceCallMixin, viewsets.ReadOnlyModelViewSet):
    """List and detail restricted to the caller's scope: objects outside it are 404."""

    scope_action = "view"
    # Lists answer from the cache while the data has not changed (`kaohe.core.fragments`);
    # off for what changes without an audit event.
    cache_lists = True

    @lists_rows
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        rows = viewsets.ReadOnlyModelViewSet.list
        if not self.cache_lists or getattr(request.accepted_renderer, "format", "") == "csv":
            return rows(self, request, *args, **kwargs)
        data = fragments.cached(
            request, f"api:{self.basename}", lambda: rows(self, request, *args, **kwargs).data
        )
        return Response(data)

    def get_queryset(self) -> QuerySet[Any]:
        assert self.queryset is not None, "a scoped viewset names its queryset"
        # The queryset comes from a ScopedManager, so it carries .restrict().
        return self.queryset.all().restrict(self.request.user, self.scope_action)  # type: ignore[attr-defined]


class ReasonSerializer(serializers.Serializer):
    """The body of an action that only takes an optional reason (publish, advance, …)."""

    reason = serializers.CharField(required=False, allow_blank=True, default="")


class ObjectChangeSerializer(serializers.ModelSerializer):
    class Meta:
        model = ObjectChange
        fields = ["action", "object_repr", "object_id", "before", "after"]


class AuditEventSerializer(serializers.ModelSerializer):
    event = serializers.CharField(source="get_event_type_display")
    acting_user = serializers.CharField(
        source="acting_user.username", default=None, allow_null=True
    )
    unit = serializers.CharField(source="unit.code", default=None, allow_null=True)
    changes = ObjectChangeSerializer(many=True)

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "event_type",
            "event",
            "occurred_at",
            "acting_user",
            "unit",
            "object_repr",
            "object_id",
            "extra_data",
            "request_id",
            "reason",
            "changes",
        ]


class AuditEventViewSet(viewsets.ReadOnlyModelViewSet):
    """The audit trail, for auditors and the office (and a unit's own events for its heads)."""

    serializer_class = AuditEventSerializer
    filterset_class = AuditEventFilterSet

    def get_queryset(self) -> QuerySet[AuditEvent]:
        return (
            AuditEvent.objects.restrict(self.request.user, "audit")
            .select_related("acting_user", "unit")
            .prefetch_related("changes")
        )


class JobSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    title = serializers.SerializerMethodField()
    message = serializers.SerializerMethodField()
    error = serializers.SerializerMethodField()
    requested_by = serializers.CharField(
        source="requested_by.username", default=None, allow_null=True
    )
    unit = serializers.CharField(source="unit.code", default=None, allow_null=True)
    result = serializers.SerializerMethodField()

    class Meta:
        model = Job
        fields = [
            "id",
            "url",
            "kind",
            "title",
            "label",
            "status",
            "progress",
            "message",
            "attempts",
            "max_attempts",
            "heartbeat_at",
            "error",
            "requested_by",
            "unit",
            "result",
            "result_url",
            "created_at",
            "started_at",
            "finished_at",
        ]

    def get_url(self, job: Job) -> str:
        return reverse("job-detail", args=[job.pk], request=self.context.get("request"))

    def get_title(self, job: Job) -> str:
        return jobs.job_title(job)

    def get_message(self, job: Job) -> str:
        return gettext(job.message) if job.message else ""

    def get_error(self, job: Job) -> str:
        return gettext(job.error) if job.error else ""

    def get_result(self, job: Job) -> dict[str, str] | None:
        """The object the job made: its type ("app_label.model") and id; null until done."""
        if job.result_type is None:
            return None
        return {"type": f"{job.result_type.app_label}.{job.result_type.model}", "id": job.result_id}


def job_accepted(job: Job, request: Request) -> Response:
    """202 Accepted for work handed to a job: the job, with its URL in `Location`."""
    data = JobSerializer(job, context={"request": request}).data
    return Response(data, status=status.HTTP_202_ACCEPTED, headers={"Location": data["url"]})


class JobViewSet(ScopedReadOnlyViewSet):
    """Jobs the caller asked for, or that concern units in the caller's scope (city-level jobs:
    city-wide roles). Poll a job's `status` and `progress`; `result` names what it made."""

    queryset = Job.objects.select_related("requested_by", "unit", "result_type")
    serializer_class = JobSerializer
    cache_lists = False  # progress moves without an audit event
    filterset_fields = {"status": ["exact"], "kind": ["exact"]}

    @extend_schema(request=None, responses={202: JobSerializer})
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk: str | None = None) -> Response:
        """Queue a failed job again (the office, or who asked for it)."""
        job = self.call_service(jobs.retry_job, self.get_object(), acting_user=request.user)
        return job_accepted(job, request)
