"""Surveys (群众评议, PRODUCT.md §4.1) and the live citizen-rating event (向市民报告).

A **questionnaire** is the office's set of questions, kept as numbered versions; a version is
frozen once a survey using it opens. A **survey** fields one version over some units for some
**respondent groups** (weights, quotas); people answer with a one-time **access code** (a batch
per group, printed as a sheet or QR codes) or through the survey's open link.

Anonymity (as LimeSurvey promises it): a **response** holds its answers, its group, how it came
(code or link) and the day — nothing else. It has a random key (no order of arrival), no
time of day, no user, session, address or code; the code row only says "burned" (no time, no
response). Suspicious open-link responses are kept and flagged for the office's review.

When a survey closes its statistics are computed once (`kaohe.engine.evaluation`) and frozen as
**results** per unit and group; the index then enters the scheme through the ingestion pipeline.
"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from kaohe.core.models import BilingualNameMixin, TimeStampedModel
from kaohe.core.querysets import ScopedManager


class Questionnaire(BilingualNameMixin, TimeStampedModel):
    """A questionnaire of the office; its questions live in numbered versions."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("questionnaire")
        verbose_name_plural = _("questionnaires")

    def __str__(self) -> str:
        return self.name

    def latest_version(self) -> QuestionnaireVersion | None:
        return self.versions.order_by("-number").first()


class QuestionnaireVersion(models.Model):
    """One version of a questionnaire's questions, checked by `surveys.questions.check_questions`
    (a list of question dicts: key, kind, texts in both languages, scale or options). Frozen —
    never changed again — once a survey using it opens."""

    questionnaire = models.ForeignKey(
        Questionnaire, on_delete=models.PROTECT, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    intro_zh = models.TextField(_("introduction (Chinese)"), blank=True)
    intro_en = models.TextField(_("introduction (English)"), blank=True)
    questions = models.JSONField(_("questions"), default=list)
    frozen_at = models.DateTimeField(_("frozen"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["questionnaire", "number"]
        verbose_name = _("questionnaire version")
        verbose_name_plural = _("questionnaire versions")
        constraints = [
            models.UniqueConstraint(
                fields=["questionnaire", "number"], name="one_questionnaire_version_number"
            )
        ]

    def __str__(self) -> str:
        return f"{self.questionnaire} v{self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            stored = QuestionnaireVersion.objects.filter(pk=self.pk).values("frozen_at").first()
            if stored is not None and stored["frozen_at"] is not None:
                raise ValidationError(_("A frozen questionnaire version is never changed."))
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        if self.frozen:
            raise ValidationError(_("A frozen questionnaire version is never deleted."))
        return super().delete(*args, **kwargs)

    @property
    def frozen(self) -> bool:
        return self.frozen_at is not None

    def question(self, key: str) -> dict[str, Any] | None:
        return next((q for q in self.questions if q.get("key") == key), None)


class Survey(BilingualNameMixin, TimeStampedModel):
    """A questionnaire version fielded over units for respondent groups: draft → open → closed.
    A live event (向市民报告) is a survey shown on the big screen while people rate."""

    class State(models.TextChoices):
        DRAFT = "draft", _("being prepared")
        OPEN = "open", _("open")
        CLOSED = "closed", _("closed")

    class Kind(models.TextChoices):
        SURVEY = "survey", _("questionnaire survey")
        LIVE = "live", _("live rating event")

    cycle = models.ForeignKey("schemes.Cycle", on_delete=models.PROTECT, related_name="surveys")
    version = models.ForeignKey(
        QuestionnaireVersion, on_delete=models.PROTECT, related_name="surveys"
    )
    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.SURVEY)
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.DRAFT)
    units = models.ManyToManyField("units.Unit", related_name="surveys", verbose_name=_("units"))
    # the Likert or matrix question whose answers make the satisfaction index
    index_question = models.CharField(_("index question"), max_length=40)
    # where the index goes when the survey closes (none: results are kept, nothing is fed)
    indicator = models.ForeignKey(
        "indicators.Indicator",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("indicator fed"),
    )

    class Measure(models.TextChoices):
        INDEX = "index", _("group-weighted mean score (0–100)")
        RATE = "rate", _("group-weighted satisfaction rate (%)")

    measure = models.CharField(
        _("figure fed"), max_length=6, choices=Measure.choices, default=Measure.RATE
    )
    period = models.CharField(_("period fed"), max_length=8, default="Y")
    min_n = models.PositiveSmallIntegerField(_("fewest answers for a group to count"), default=5)
    # the open link (no code): its group, and the token in its address
    link_group = models.ForeignKey(
        "RespondentGroup",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("group of the open link"),
    )
    link_token = models.CharField(_("open link token"), max_length=32, unique=True)
    opened_at = models.DateTimeField(_("opened"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-cycle__year", "pk"]
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")

    def __str__(self) -> str:
        return self.name

    @property
    def is_open(self) -> bool:
        return self.state == self.State.OPEN


class RespondentGroup(BilingualNameMixin, models.Model):
    """Who answers (党代表、人大代表、政协委员, enterprises, citizens …): the group's weight in
    the index, how many responses are wanted per unit (the quota) and, when known, how many
    people the group has (for the finite-population correction)."""

    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="groups")
    code = models.SlugField(_("code"), max_length=40)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    weight = models.DecimalField(_("weight"), max_digits=6, decimal_places=4)
    quota = models.PositiveIntegerField(_("responses wanted per unit"))
    population = models.PositiveIntegerField(_("people in the group"), null=True, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["survey", "order", "code"]
        verbose_name = _("respondent group")
        verbose_name_plural = _("respondent groups")
        constraints = [
            models.UniqueConstraint(fields=["survey", "code"], name="one_group_code_per_survey"),
            models.CheckConstraint(condition=models.Q(weight__gt=0), name="group_weight_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class UnitQuota(models.Model):
    """A group's quota for one unit where it differs from the group's own."""

    group = models.ForeignKey(RespondentGroup, on_delete=models.PROTECT, related_name="unit_quotas")
    unit = models.ForeignKey("units.Unit", on_delete=models.PROTECT, related_name="+")
    quota = models.PositiveIntegerField(_("responses wanted"))

    class Meta:
        verbose_name = _("unit quota")
        verbose_name_plural = _("unit quotas")
        constraints = [
            models.UniqueConstraint(fields=["group", "unit"], name="one_quota_per_group_unit")
        ]

    def __str__(self) -> str:
        return f"{self.group} · {self.unit}: {self.quota}"


class CodeBatch(models.Model):
    """A batch of one-time access codes made for a group (printed as a sheet or QR codes)."""

    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="code_batches")
    group = models.ForeignKey(RespondentGroup, on_delete=models.PROTECT, related_name="batches")
    size = models.PositiveIntegerField(_("codes"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["survey", "pk"]
        verbose_name = _("code batch")
        verbose_name_plural = _("code batches")

    def __str__(self) -> str:
        return f"{self.survey} · {self.group} · {self.size}"


class AccessCode(models.Model):
    """A one-time code. Burned when its response is stored; it records nothing else — no time,
    no response, no address — so nothing links it to the answers."""

    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="codes")
    group = models.ForeignKey(RespondentGroup, on_delete=models.PROTECT, related_name="codes")
    batch = models.ForeignKey(CodeBatch, on_delete=models.PROTECT, related_name="codes")
    code = models.CharField(_("code"), max_length=16, unique=True)
    burned = models.BooleanField(_("used"), default=False)

    class Meta:
        ordering = ["batch", "code"]
        verbose_name = _("access code")
        verbose_name_plural = _("access codes")

    def __str__(self) -> str:
        return self.code


class Response(models.Model):
    """One submitted questionnaire: the answers and the little the statistics need. The key is
    random (it says nothing of the order of arrival) and the day is the only time kept.

    `answers`: {question key: value} — a Likert or single-choice code (int), a list of codes
    (multiple choice), a text, or for a matrix {unit id (str): code}; a matrix's per-unit
    comments under "<key>#comment" as {unit id: text}."""

    class Via(models.TextChoices):
        CODE = "code", _("access code")
        LINK = "link", _("open link")

    class Review(models.TextChoices):
        NONE = "", _("not flagged")
        PENDING = "pending", _("flagged, waiting for review")
        KEPT = "kept", _("flagged, kept")
        EXCLUDED = "excluded", _("flagged, excluded")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="responses")
    group = models.ForeignKey(RespondentGroup, on_delete=models.PROTECT, related_name="responses")
    via = models.CharField(_("came by"), max_length=4, choices=Via.choices)
    day = models.DateField(_("day"))
    answers = models.JSONField(_("answers"))
    flag = models.CharField(_("suspicion"), max_length=40, blank=True)
    review = models.CharField(
        _("review"), max_length=8, choices=Review.choices, blank=True, default=""
    )

    class Meta:
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        indexes = [models.Index(fields=["survey", "group"], name="response_survey_group")]

    def __str__(self) -> str:
        return f"{self.survey} · {self.group} · {self.day}"

    @property
    def counted(self) -> bool:
        return self.review != self.Review.EXCLUDED and self.review != self.Review.PENDING


class SurveyResult(models.Model):
    """A unit's frozen figures of a closed survey, per respondent group (group null: the unit's
    group-weighted index). Computed once, at close, by the engine; never changed."""

    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="results")
    unit = models.ForeignKey("units.Unit", on_delete=models.PROTECT, related_name="survey_results")
    group = models.ForeignKey(
        RespondentGroup, null=True, blank=True, on_delete=models.PROTECT, related_name="results"
    )
    responses = models.PositiveIntegerField(_("responses"))
    answers = models.PositiveIntegerField(_("answers"))
    quota = models.PositiveIntegerField(_("quota"))
    satisfaction_rate = models.FloatField(_("satisfaction rate"), null=True)
    rate_low = models.FloatField(_("rate, low end of the interval (95%)"), null=True)
    rate_high = models.FloatField(_("rate, high end of the interval (95%)"), null=True)
    index = models.FloatField(_("index (0–100)"), null=True)
    index_low = models.FloatField(_("index, low end of the interval (95%)"), null=True)
    index_high = models.FloatField(_("index, high end of the interval (95%)"), null=True)
    response_rate = models.FloatField(_("response rate"), null=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    scope_path: ClassVar[str] = "unit"
    objects = ScopedManager["SurveyResult"]()

    class Meta:
        ordering = ["survey", "unit__code", "group__order"]
        verbose_name = _("survey result")
        verbose_name_plural = _("survey results")
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "unit", "group"],
                name="one_survey_result_per_unit_group",
                nulls_distinct=False,
            )
        ]

    def __str__(self) -> str:
        return f"{self.survey} · {self.unit} · {self.group or '—'}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValidationError(_("A survey's frozen results are never changed."))
        super().save(*args, **kwargs)


class SurveyComment(models.Model):
    """A comment left in a response, copied out at close so the office can act on it (turn it
    into a rectification item for its unit). Holds no link to its response."""

    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="comments")
    unit = models.ForeignKey(
        "units.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    group = models.ForeignKey(RespondentGroup, on_delete=models.PROTECT, related_name="+")
    question = models.CharField(_("question"), max_length=40)
    text = models.TextField(_("comment"))

    scope_path: ClassVar[str] = "unit"
    objects = ScopedManager["SurveyComment"]()

    class Meta:
        ordering = ["survey", "unit__code", "pk"]
        verbose_name = _("survey comment")
        verbose_name_plural = _("survey comments")

    def __str__(self) -> str:
        return self.text[:40]
