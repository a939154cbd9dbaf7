"""REST API of assessing people; `register` adds its viewsets to the project router.

Thin: serializers validate, the people services write, and every object is fetched through
`.restrict(user, "personnel")`: a civil servant reaches their own rows, a unit head their
unit's, the office and the organisation department everyone's. Nothing here is public."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from kaohe.core import access
from kaohe.core.api import ReasonSerializer, ScopedReadOnlyViewSet
from kaohe.core.roles import Action
from kaohe.people import jobs, services, upward
from kaohe.people.filters import RewardShareFilterSet, StaffResultFilterSet, UnitGradingFilterSet
from kaohe.people.models import (
    PersonGrade,
    RewardShare,
    StaffGrade,
    StaffRating,
    StaffResult,
    UnitGrading,
    UpwardSurvey,
)
from kaohe.people.services import RatingRow
from kaohe.schemes.models import Cycle
from kaohe.units.models import Person, Unit


class StaffResultSerializer(serializers.ModelSerializer):
    cycle = serializers.IntegerField(source="run.cycle.year")
    run = serializers.IntegerField(source="run.number")
    person = serializers.CharField(source="person.code")
    name = serializers.CharField(source="person.name")
    unit = serializers.CharField(source="unit.code")

    class Meta:
        model = StaffResult
        fields = [
            "id", "cycle", "run", "person", "name", "unit", "score", "rank_in_unit",
            "suggested_grade", "reason", "inputs", "explanation",
        ]  # fmt: skip


class PersonGradeSerializer(serializers.ModelSerializer):
    person = serializers.CharField(source="person.code")

    class Meta:
        model = PersonGrade
        fields = ["person", "proposed", "final"]


class UnitGradingSerializer(serializers.ModelSerializer):
    cycle = serializers.IntegerField(source="run.cycle.year")
    run = serializers.IntegerField(source="run.number")
    unit = serializers.CharField(source="unit.code")
    grades = PersonGradeSerializer(many=True, read_only=True)

    class Meta:
        model = UnitGrading
        fields = [
            "id", "cycle", "run", "unit", "unit_grade", "share", "headcount", "quota", "state",
            "proposed_at", "confirmed_at", "exception_reason", "grades",
        ]  # fmt: skip


class GradesSerializer(serializers.Serializer):
    """A proposal or a confirmation: person code → grade, and a reason (an exception)."""

    grades = serializers.DictField(child=serializers.ChoiceField(choices=StaffGrade.choices))
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class RewardShareSerializer(serializers.ModelSerializer):
    cycle = serializers.IntegerField(source="pool.grading.run.cycle.year")
    unit = serializers.CharField(source="pool.grading.unit.code")
    person = serializers.CharField(source="person.code")

    class Meta:
        model = RewardShare
        fields = ["id", "cycle", "unit", "person", "grade", "score", "coefficient", "amount_cents"]


class StaffRatingSerializer(serializers.ModelSerializer):
    cycle = serializers.IntegerField(source="cycle.year")
    person = serializers.CharField(source="person.code")

    class Meta:
        model = StaffRating
        fields = ["id", "cycle", "person", "source", "dimension", "score", "raters", "created_at"]


class RatingRowSerializer(serializers.Serializer):
    """One evaluation; `rated_by` is the source (leader, peer, upward)."""

    person = serializers.CharField()
    rated_by = serializers.CharField()
    dimension = serializers.CharField()
    score = serializers.CharField()
    raters = serializers.CharField(required=False, default="1")


class RatingsRequestSerializer(serializers.Serializer):
    """Evaluations to store, all or none (each problem names its row and field)."""

    cycle = serializers.IntegerField()
    rows = RatingRowSerializer(many=True)


class RunRequestSerializer(serializers.Serializer):
    cycle = serializers.IntegerField()


def _by_code(grading: UnitGrading, grades: dict[str, str]) -> dict[int, str]:
    """Person ids for the codes of a request (an unknown code is refused by the service as a
    person without a grade, and a code outside the unit is ignored)."""
    ids = dict(
        Person.objects.filter(unit=grading.unit_id, code__in=list(grades)).values_list("code", "pk")
    )
    return {ids[code]: grade for code, grade in grades.items() if code in ids}


class StaffResultViewSet(ScopedReadOnlyViewSet):
    """Each person's score in a staff run, with its inputs and explanation; the office asks for
    a new run (`POST /staff-results/run/`, a job)."""

    scope_action = Action.PERSONNEL
    queryset = StaffResult.objects.select_related("run__cycle", "person", "unit")
    serializer_class = StaffResultSerializer
    filterset_class = StaffResultFilterSet

    @extend_schema(request=RunRequestSerializer, responses={202: None})
    @action(detail=False, methods=["post"], serializer_class=RunRequestSerializer)
    def run(self, request: Request) -> Response:
        payload = RunRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        cycle = Cycle.objects.filter(year=payload.validated_data["cycle"]).first()
        if cycle is None:
            raise serializers.ValidationError({"cycle": "no such cycle"})
        job = self.call_service(jobs.start_staff_run, cycle, acting_user=request.user)
        return Response({"job": job.pk}, status=status.HTTP_202_ACCEPTED)


class UnitGradingViewSet(ScopedReadOnlyViewSet):
    """Each unit's staff grading; the unit head proposes, the office confirms or returns."""

    scope_action = Action.PERSONNEL
    queryset = UnitGrading.objects.select_related(
        "run__cycle", "run__rule", "unit"
    ).prefetch_related("grades__person")
    serializer_class = UnitGradingSerializer
    filterset_class = UnitGradingFilterSet

    def _answer(self, grading: UnitGrading) -> Response:
        return Response(UnitGradingSerializer(self.get_queryset().get(pk=grading.pk)).data)

    @extend_schema(request=GradesSerializer, responses=UnitGradingSerializer)
    @action(detail=True, methods=["post"], serializer_class=GradesSerializer)
    def propose(self, request: Request, pk: str | None = None) -> Response:
        grading = self.get_object()
        payload = GradesSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        grades = _by_code(grading, payload.validated_data["grades"])
        done = self.call_service(services.propose_grades, grading, grades, acting_user=request.user)
        return self._answer(done)

    @extend_schema(request=GradesSerializer, responses=UnitGradingSerializer)
    @action(detail=True, methods=["post"], serializer_class=GradesSerializer)
    def confirm(self, request: Request, pk: str | None = None) -> Response:
        grading = self.get_object()
        payload = GradesSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        done = self.call_service(
            services.confirm_grades,
            grading,
            acting_user=request.user,
            changes=_by_code(grading, payload.validated_data["grades"]),
            reason=payload.validated_data["reason"],
        )
        return self._answer(done)

    @extend_schema(request=ReasonSerializer, responses=UnitGradingSerializer)
    @action(detail=True, methods=["post"], serializer_class=ReasonSerializer, url_path="return")
    def send_back(self, request: Request, pk: str | None = None) -> Response:
        grading = self.get_object()
        payload = ReasonSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        done = self.call_service(
            services.return_grades,
            grading,
            acting_user=request.user,
            reason=payload.validated_data["reason"],
        )
        return self._answer(done)


class StaffRatingViewSet(ScopedReadOnlyViewSet):
    """Evaluations: a person's own, a unit head's unit's, the office's all; a unit head or the
    office stores a batch of them."""

    scope_action = Action.PERSONNEL
    queryset = StaffRating.objects.select_related("cycle", "person")
    serializer_class = StaffRatingSerializer
    filterset_fields = ["source", "dimension"]

    @extend_schema(request=RatingsRequestSerializer, responses={201: None})
    def create(self, request: Request) -> Response:
        payload = RatingsRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        cycle = Cycle.objects.filter(year=payload.validated_data["cycle"]).first()
        if cycle is None:
            raise serializers.ValidationError({"cycle": "no such cycle"})
        rows = [
            RatingRow(r["person"], r["rated_by"], r["dimension"], r["score"], r["raters"])
            for r in payload.validated_data["rows"]
        ]
        stored = self.call_service(services.record_ratings, cycle, rows, acting_user=request.user)
        return Response({"stored": stored}, status=status.HTTP_201_CREATED)


class RewardShareViewSet(ScopedReadOnlyViewSet):
    """Confirmed reward shares: a person's own, a unit head's unit's, the office's all."""

    scope_action = Action.PERSONNEL
    queryset = RewardShare.objects.select_related(
        "pool__grading__run__cycle", "pool__grading__unit", "person"
    )
    serializer_class = RewardShareSerializer
    filterset_class = RewardShareFilterSet

    def get_queryset(self) -> Any:
        return super().get_queryset().filter(pool__state="confirmed")


class UpwardSurveySerializer(serializers.ModelSerializer):
    cycle = serializers.IntegerField(source="cycle.year")
    unit = serializers.CharField(source="unit.code")
    rated: serializers.SlugRelatedField[Person] = serializers.SlugRelatedField(
        many=True, read_only=True, slug_field="code"
    )
    state = serializers.CharField(source="survey.state")

    class Meta:
        model = UpwardSurvey
        fields = ["id", "cycle", "unit", "survey", "state", "rated", "fed_at", "fed"]


class UpwardRequestSerializer(serializers.Serializer):
    cycle = serializers.IntegerField()
    unit = serializers.CharField()


class UpwardSurveyViewSet(ScopedReadOnlyViewSet):
    """Anonymous upward surveys of a unit's leaders: the office fields one (a survey with
    codes for the unit's staff) and feeds its closed answers into the upward ratings."""

    scope_action = Action.PERSONNEL
    queryset = UpwardSurvey.objects.select_related("cycle", "unit", "survey").prefetch_related(
        "rated"
    )
    serializer_class = UpwardSurveySerializer

    @extend_schema(request=UpwardRequestSerializer, responses={201: UpwardSurveySerializer})
    def create(self, request: Request) -> Response:
        payload = UpwardRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        cycle = Cycle.objects.filter(year=payload.validated_data["cycle"]).first()
        unit = (
            Unit.objects.restrict(request.user).filter(code=payload.validated_data["unit"]).first()
        )
        if cycle is None or unit is None:
            raise serializers.ValidationError({"unit": "no such cycle or unit"})
        made = self.call_service(upward.create_upward_survey, cycle, unit, acting_user=request.user)
        return Response(
            UpwardSurveySerializer(self.get_queryset().get(pk=made.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=None, responses=UpwardSurveySerializer)
    @action(detail=True, methods=["post"])
    def feed(self, request: Request, pk: str | None = None) -> Response:
        item = self.get_object()
        self.call_service(access.check_citywide, request.user, Action.ADMINISTER)
        self.call_service(upward.feed_upward_ratings, item, acting_user=request.user)
        return Response(UpwardSurveySerializer(self.get_queryset().get(pk=item.pk)).data)


def register(router: DefaultRouter) -> None:
    """Add the people endpoints to /api/v1/."""
    router.register("staff-results", StaffResultViewSet, basename="staffresult")
    router.register("staff-gradings", UnitGradingViewSet, basename="staffgrading")
    router.register("reward-shares", RewardShareViewSet, basename="rewardshare")
    router.register("staff-ratings", StaffRatingViewSet, basename="staffrating")
    router.register("upward-surveys", UpwardSurveyViewSet, basename="upwardsurvey")
