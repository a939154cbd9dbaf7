"""REST API of the surveys.

The office's part (first): questionnaires and their versions (a version from JSON, refused
whole with a RowError per problem), surveys (create, open, close, a unit's quota), code batches
(and their codes as a list that answers CSV), flagged responses and their review. For those who
run surveys (`Action.SURVEY`); for anyone else a list is a 403 and an object a 404."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response as ApiResponse
from rest_framework.routers import DefaultRouter

from kaohe.core import access
from kaohe.core.api import ScopedReadOnlyViewSet
from kaohe.core.renderers import lists_rows
from kaohe.core.roles import Action
from kaohe.flows.surveys import close_and_feed
from kaohe.indicators.models import Indicator
from kaohe.schemes.models import Cycle
from kaohe.surveys import selectors, services, sheets
from kaohe.surveys.filters import (
    AccessCodeFilterSet,
    CodeBatchFilterSet,
    FlaggedFilterSet,
    SurveyFilterSet,
    SurveyResultFilterSet,
)
from kaohe.surveys.models import (
    AccessCode,
    CodeBatch,
    Questionnaire,
    QuestionnaireVersion,
    RespondentGroup,
    Response,
    Survey,
    SurveyResult,
)
from kaohe.units.models import Unit

# --- the office's API (helper B) ---------------------------------------------------------------

FLAG_WORDS = {
    "repeat_of_previous": "the same answers as the previous response from this connection",
    "many_from_client": "many responses from one connection",
    "same_answer_everywhere": "the same rating for every unit",
    "too_fast": "answered faster than a person reads the questions",
}


class ManagerViewSet(ScopedReadOnlyViewSet):
    """Read-only lists and objects for those who run surveys (the selectors give nobody else
    anything: an object is a 404); a list asked for by anyone else is a 403."""

    selector: Any = None

    def get_queryset(self) -> QuerySet[Any]:
        return type(self).selector(self.request.user)

    def _check_manager(self, request: Request) -> None:
        self.call_service(access.check_citywide, request.user, Action.SURVEY)

    @lists_rows
    def list(self, request: Request, *args: Any, **kwargs: Any) -> ApiResponse:
        self._check_manager(request)
        return super().list(request, *args, **kwargs)

    def _payload(self, serializer: type[serializers.Serializer], request: Request) -> Any:
        payload = serializer(data=request.data, context={"request": request})
        payload.is_valid(raise_exception=True)
        return payload.validated_data


class QuestionnaireVersionSerializer(serializers.ModelSerializer):
    questions = serializers.ListField(child=serializers.DictField())

    class Meta:
        model = QuestionnaireVersion
        fields = ["number", "intro_zh", "intro_en", "questions", "frozen_at", "created_at"]


class QuestionnaireSerializer(serializers.ModelSerializer):
    versions = QuestionnaireVersionSerializer(many=True, read_only=True)

    class Meta:
        model = Questionnaire
        fields = ["code", "name_zh", "name_en", "versions"]


class QuestionnaireCreateSerializer(serializers.Serializer):
    code = serializers.SlugField(max_length=40)
    name_zh = serializers.CharField(max_length=200)
    name_en = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class QuestionnaireVersionCreateSerializer(serializers.Serializer):
    questions = serializers.JSONField(
        help_text="the list of questions (see kaohe.surveys.questions): checked whole; each "
        "problem is named by question number (row), field and rule"
    )
    intro_zh = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    intro_en = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class QuestionnaireViewSet(ManagerViewSet):
    """Questionnaires with their versions; a new version from JSON (`…/versions/`)."""

    queryset = Questionnaire.objects.prefetch_related("versions")
    serializer_class = QuestionnaireSerializer
    lookup_field = "code"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"
    selector = staticmethod(
        lambda user: selectors.questionnaires(user).prefetch_related("versions")
    )

    @extend_schema(request=QuestionnaireCreateSerializer, responses={201: QuestionnaireSerializer})
    def create(self, request: Request) -> ApiResponse:
        self._check_manager(request)
        data = self._payload(QuestionnaireCreateSerializer, request)
        made = self.call_service(services.create_questionnaire, acting_user=request.user, **data)
        return ApiResponse(QuestionnaireSerializer(made).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=QuestionnaireVersionCreateSerializer,
        responses={201: QuestionnaireVersionSerializer},
    )
    @action(detail=True, methods=["post"], serializer_class=QuestionnaireVersionCreateSerializer)
    def versions(self, request: Request, code: str | None = None) -> ApiResponse:
        """A new version of the questions (400 with `errors`: row, field, rule, value)."""
        questionnaire = self.get_object()
        data = self._payload(QuestionnaireVersionCreateSerializer, request)
        version = self.call_service(
            services.add_version, questionnaire, acting_user=request.user, **data
        )
        return ApiResponse(
            QuestionnaireVersionSerializer(version).data, status=status.HTTP_201_CREATED
        )


class SurveyUnitQuotaSerializer(serializers.Serializer):
    unit = serializers.CharField(source="unit.code")
    quota = serializers.IntegerField()


class RespondentGroupSerializer(serializers.ModelSerializer):
    unit_quotas = SurveyUnitQuotaSerializer(many=True, read_only=True)

    class Meta:
        model = RespondentGroup
        fields = ["code", "name_zh", "name_en", "weight", "quota", "population", "unit_quotas"]


class SurveySerializer(serializers.ModelSerializer):
    cycle = serializers.IntegerField(source="cycle.year")
    questionnaire = serializers.CharField(source="version.questionnaire.code")
    version = serializers.IntegerField(source="version.number")
    units = serializers.SerializerMethodField()
    indicator = serializers.CharField(source="indicator.code", default=None, allow_null=True)
    link_group = serializers.CharField(source="link_group.code", default=None, allow_null=True)
    link = serializers.SerializerMethodField()
    groups = RespondentGroupSerializer(many=True, read_only=True)
    responses = serializers.SerializerMethodField()
    pending = serializers.SerializerMethodField()

    class Meta:
        model = Survey
        fields = [
            "id",
            "cycle",
            "questionnaire",
            "version",
            "name_zh",
            "name_en",
            "kind",
            "state",
            "units",
            "index_question",
            "indicator",
            "measure",
            "period",
            "min_n",
            "link_group",
            "link",
            "groups",
            "responses",
            "pending",
            "opened_at",
            "closed_at",
        ]

    def get_units(self, survey: Survey) -> list[str]:
        """The codes of the units rated."""
        return [unit.code for unit in survey.units.all()]

    def get_link(self, survey: Survey) -> str | None:
        """The open link's absolute address (null: the survey is answered with codes only)."""
        request = self.context.get("request")
        if survey.link_group_id is None or request is None:
            return None
        return sheets.link_address(request.build_absolute_uri("/"), survey)

    def get_responses(self, survey: Survey) -> int:
        return int(getattr(survey, "response_count", survey.responses.count()))

    def get_pending(self, survey: Survey) -> int:
        """Flagged responses waiting for review (the survey closes only when none waits)."""
        found = getattr(survey, "pending_count", None)
        if found is None:
            found = survey.responses.filter(review=Response.Review.PENDING).count()
        return int(found)


class RespondentGroupSpecSerializer(serializers.Serializer):
    code = serializers.SlugField(max_length=40)
    name_zh = serializers.CharField(max_length=100)
    name_en = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    weight = serializers.DecimalField(max_digits=6, decimal_places=4)
    quota = serializers.IntegerField(min_value=1, max_value=1_000_000)
    population = serializers.IntegerField(
        min_value=1, max_value=2_000_000_000, required=False, allow_null=True, default=None
    )


class SurveyCreateSerializer(serializers.Serializer):
    cycle = serializers.SlugRelatedField(slug_field="year", queryset=Cycle.objects.all())
    questionnaire = serializers.SlugRelatedField(
        slug_field="code", queryset=Questionnaire.objects.all()
    )
    version = serializers.IntegerField(min_value=1, max_value=100_000)
    name_zh = serializers.CharField(max_length=200)
    name_en = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    kind = serializers.ChoiceField(choices=Survey.Kind.choices, default=Survey.Kind.SURVEY)
    units = serializers.ListField(
        child=serializers.SlugRelatedField(
            slug_field="code", queryset=Unit.objects.filter(is_assessed=True)
        ),
        max_length=1000,
    )
    groups = RespondentGroupSpecSerializer(many=True)
    index_question = serializers.CharField(max_length=40)
    indicator = serializers.SlugRelatedField(
        slug_field="code", queryset=Indicator.objects.all(), required=False, allow_null=True
    )
    measure = serializers.ChoiceField(choices=Survey.Measure.choices, default=Survey.Measure.RATE)
    period = serializers.CharField(max_length=8, default="Y")
    link_group = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    min_n = serializers.IntegerField(min_value=2, max_value=10_000, default=5)

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        version = data["questionnaire"].versions.filter(number=data.pop("version")).first()
        if version is None:
            raise serializers.ValidationError({"version": ["no such version"]})
        data["version"] = version
        del data["questionnaire"]
        if len(data["groups"]) > 50:
            raise serializers.ValidationError({"groups": ["at most 50 groups"]})
        data["groups"] = [services.GroupSpec(**g) for g in data["groups"]]
        return data


class SurveyQuotaSetSerializer(serializers.Serializer):
    group = serializers.SlugField(max_length=40)
    unit = serializers.CharField(max_length=40)
    quota = serializers.IntegerField(min_value=1, max_value=1_000_000)


class SurveyViewSet(ManagerViewSet):
    """Surveys and live rating events: prepare, set a unit's quota, open, close."""

    queryset = Survey.objects.all()
    serializer_class = SurveySerializer
    filterset_class = SurveyFilterSet
    cache_lists = False  # the response counts move without an audit event (anonymity)
    selector = staticmethod(
        lambda user: selectors.surveys(user).prefetch_related("units", "groups__unit_quotas__unit")
    )

    def _done(self, survey: Survey, code: int = status.HTTP_200_OK) -> ApiResponse:
        fresh = self.get_queryset().get(pk=survey.pk)
        return ApiResponse(SurveySerializer(fresh, context={"request": self.request}).data, code)

    @extend_schema(request=SurveyCreateSerializer, responses={201: SurveySerializer})
    def create(self, request: Request) -> ApiResponse:
        self._check_manager(request)  # before the body: others learn nothing
        data = self._payload(SurveyCreateSerializer, request)
        survey = self.call_service(services.create_survey, acting_user=request.user, **data)
        return self._done(survey, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=SurveySerializer)
    @action(detail=True, methods=["post"], serializer_class=None)
    def open(self, request: Request, pk: str | None = None) -> ApiResponse:
        """Open for answers; the questionnaire version is frozen from now on."""
        survey = self.get_object()
        return self._done(self.call_service(services.open_survey, survey, acting_user=request.user))

    @extend_schema(request=None, responses=SurveySerializer)
    @action(detail=True, methods=["post"], serializer_class=None)
    def close(self, request: Request, pk: str | None = None) -> ApiResponse:
        """Close, freeze the results and feed the index to the scheme's indicator, if named
        (400 while flagged responses wait for review, or with the pipeline's problems)."""
        survey = self.get_object()
        self.call_service(close_and_feed, survey, acting_user=request.user)
        return self._done(survey)

    @extend_schema(request=SurveyQuotaSetSerializer, responses=SurveySerializer)
    @action(detail=True, methods=["post"], serializer_class=SurveyQuotaSetSerializer)
    def quotas(self, request: Request, pk: str | None = None) -> ApiResponse:
        """A group's quota for one of the survey's units: {"group", "unit", "quota"}."""
        survey = self.get_object()
        data = self._payload(SurveyQuotaSetSerializer, request)
        group = survey.groups.filter(code=data["group"]).first()
        unit = survey.units.filter(code=data["unit"]).first()
        problems = {}
        if group is None:
            problems["group"] = ["not a group of this survey"]
        if unit is None:
            problems["unit"] = ["not a unit of this survey"]
        if problems:
            raise serializers.ValidationError(problems)
        self.call_service(
            services.set_unit_quota, group, unit, data["quota"], acting_user=request.user
        )
        return self._done(survey)


class CodeBatchSerializer(serializers.ModelSerializer):
    group = serializers.CharField(source="group.code")
    burned = serializers.SerializerMethodField()
    created_by = serializers.CharField(source="created_by.username")

    class Meta:
        model = CodeBatch
        fields = ["id", "survey", "group", "size", "burned", "created_by", "created_at"]

    def get_burned(self, batch: CodeBatch) -> int:
        found = getattr(batch, "burned_count", None)
        return int(found if found is not None else batch.codes.filter(burned=True).count())


class CodeBatchCreateSerializer(serializers.Serializer):
    survey = serializers.PrimaryKeyRelatedField(queryset=Survey.objects.all())
    group = serializers.SlugField(max_length=40)
    count = serializers.IntegerField(min_value=1, max_value=services.MAX_BATCH)


class CodeBatchViewSet(ManagerViewSet):
    """Batches of one-time codes; their codes are `/access-codes/?batch=<id>` (add
    `format=csv` for the download)."""

    queryset = CodeBatch.objects.all()
    serializer_class = CodeBatchSerializer
    filterset_class = CodeBatchFilterSet
    cache_lists = False  # codes are burned without an audit event (anonymity)
    selector = staticmethod(selectors.batches)

    @extend_schema(request=CodeBatchCreateSerializer, responses={201: CodeBatchSerializer})
    def create(self, request: Request) -> ApiResponse:
        self._check_manager(request)
        data = self._payload(CodeBatchCreateSerializer, request)
        group = data["survey"].groups.filter(code=data["group"]).first()
        if group is None:
            raise serializers.ValidationError({"group": ["not a group of this survey"]})
        batch = self.call_service(
            services.make_codes, group, data["count"], acting_user=request.user
        )
        fresh = self.get_queryset().get(pk=batch.pk)
        return ApiResponse(CodeBatchSerializer(fresh).data, status=status.HTTP_201_CREATED)


class AccessCodeSerializer(serializers.ModelSerializer):
    group = serializers.CharField(source="group.code")
    address = serializers.SerializerMethodField()

    class Meta:
        model = AccessCode
        fields = ["code", "survey", "group", "batch", "burned", "address"]

    def get_address(self, code: AccessCode) -> str:
        """The code's own answer address (what its QR code holds)."""
        request = self.context.get("request")
        base = request.build_absolute_uri("/") if request is not None else ""
        return sheets.code_address(base, code.code)


class AccessCodeViewSet(ManagerViewSet):
    """The office's access codes (filter by `batch`); `format=csv` gives them as a download."""

    queryset = AccessCode.objects.all()
    serializer_class = AccessCodeSerializer
    filterset_class = AccessCodeFilterSet
    lookup_field = "code"
    cache_lists = False  # burned without an audit event
    selector = staticmethod(selectors.access_codes)


class FlaggedResponseSerializer(serializers.ModelSerializer):
    group = serializers.CharField(source="group.code")
    reason = serializers.SerializerMethodField()
    answers = serializers.DictField()

    class Meta:
        model = Response
        fields = ["id", "survey", "group", "via", "day", "flag", "reason", "review", "answers"]

    def get_reason(self, response: Response) -> str:
        return FLAG_WORDS.get(response.flag, response.flag)


class FlaggedReviewSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(
        choices=[Response.Review.KEPT.value, Response.Review.EXCLUDED.value]
    )


class FlaggedResponseViewSet(ManagerViewSet):
    """Suspicious open-link responses, kept for the office's decision (`…/review/`)."""

    queryset = Response.objects.exclude(flag="")
    serializer_class = FlaggedResponseSerializer
    filterset_class = FlaggedFilterSet
    cache_lists = False  # flagged responses arrive without an audit event
    selector = staticmethod(selectors.flagged)

    @extend_schema(request=FlaggedReviewSerializer, responses=FlaggedResponseSerializer)
    @action(detail=True, methods=["post"], serializer_class=FlaggedReviewSerializer)
    def review(self, request: Request, pk: str | None = None) -> ApiResponse:
        """Keep (it counts) or exclude (it does not) a flagged response of an open survey."""
        found = self.get_object()
        data = self._payload(FlaggedReviewSerializer, request)
        done = self.call_service(
            services.review_response, found, data["decision"], acting_user=request.user
        )
        return ApiResponse(FlaggedResponseSerializer(self.get_queryset().get(pk=done.pk)).data)


def register_office(router: DefaultRouter) -> None:
    """Add the office's survey viewsets to the project router."""
    router.register("questionnaires", QuestionnaireViewSet, basename="questionnaire")
    router.register("surveys", SurveyViewSet, basename="survey")
    router.register("code-batches", CodeBatchViewSet, basename="codebatch")
    router.register("access-codes", AccessCodeViewSet, basename="accesscode")
    router.register("flagged-responses", FlaggedResponseViewSet, basename="flaggedresponse")


# --- end of the office's API ------------------------------------------------------------------


# --- results (helper C) -------------------------------------------------------------------------


class SurveyResultSerializer(serializers.ModelSerializer):
    survey = serializers.IntegerField(source="survey_id")
    unit = serializers.CharField(source="unit.code")
    group = serializers.CharField(source="group.code", default=None, allow_null=True)

    class Meta:
        model = SurveyResult
        fields = [
            "id",
            "survey",
            "unit",
            "group",
            "responses",
            "answers",
            "quota",
            "response_rate",
            "satisfaction_rate",
            "rate_low",
            "rate_high",
            "index",
            "index_low",
            "index_high",
            "note",
        ]


class SurveyResultViewSet(ScopedReadOnlyViewSet):
    """A closed survey's frozen figures per unit and group (group null: the unit's
    group-weighted index, with its 95% interval; rates are shares 0–1, the index 0–100).
    City-wide viewers read every unit's, a unit's people their own unit's; never a response.
    The rows are made once, by the audited close, so the list is cached like others."""

    queryset = SurveyResult.objects.select_related("unit", "group").order_by(
        "survey_id", "unit__code", "group__order", "pk"
    )
    serializer_class = SurveyResultSerializer
    filterset_class = SurveyResultFilterSet


class LiveUnitSerializer(serializers.Serializer):
    unit = serializers.CharField(source="unit.code")
    name = serializers.CharField(source="unit.name")
    answers = serializers.IntegerField()
    mean = serializers.FloatField(allow_null=True)
    low = serializers.FloatField(allow_null=True)
    high = serializers.FloatField(allow_null=True)


class LiveGroupSerializer(serializers.Serializer):
    group = serializers.CharField(source="group.code")
    responses = serializers.IntegerField()
    wanted = serializers.IntegerField()


class LiveSerializer(serializers.Serializer):
    """A live event's figures as its big screen shows them: per unit the answers so far and
    the mean score (0–100; the index with its 95% interval once closed), per group the
    responses against what is wanted."""

    survey = serializers.IntegerField(source="survey.pk")
    state = serializers.CharField(source="survey.state")
    final = serializers.BooleanField()
    responses = serializers.IntegerField()
    wanted = serializers.IntegerField()
    units = LiveUnitSerializer(many=True)
    groups = LiveGroupSerializer(many=True)


class LiveViewSet(ScopedReadOnlyViewSet):
    """The live figures of a live rating event (`/api/v1/survey-live/{id}/`), for city-wide
    viewers, as fresh as the screen's (never from the list cache): 404 for anyone else."""

    queryset = Survey.objects.filter(kind=Survey.Kind.LIVE).select_related("cycle", "version")
    serializer_class = LiveSerializer
    cache_lists = False

    def get_queryset(self) -> QuerySet[Any]:
        if not selectors.sees_all_results(self.request.user):
            return Survey.objects.none()
        return self.queryset.all() if self.queryset is not None else Survey.objects.none()

    def list(self, request: Request, *args: Any, **kwargs: Any) -> ApiResponse:
        """The events, newest first, paginated as every list is."""
        surveys = self.paginate_queryset(self.filter_queryset(self.get_queryset()).order_by("-pk"))
        assert surveys is not None  # the project's lists are paginated
        return self.get_paginated_response(
            [LiveSerializer(selectors.live_figures(s)).data for s in surveys]
        )

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> ApiResponse:
        return ApiResponse(LiveSerializer(selectors.live_figures(self.get_object())).data)


def register_results(router: DefaultRouter) -> None:
    router.register("survey-results", SurveyResultViewSet, basename="surveyresult")
    router.register("survey-live", LiveViewSet, basename="surveylive")
