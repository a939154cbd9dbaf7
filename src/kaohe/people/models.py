"""Assessing people (考人): each civil servant's score, annual grade and reward in a cycle.

The rule of a cycle (`StaffRule`, append-only versions) says how a person's score combines the
unit's result, the person's share of the decomposed goals and the evaluations (a small scheme
in the scheme language), the minimum scores of the four grades and the reward coefficients. A
staff run (`StaffRun`) scores every person of the assessed units once, from a fixed moment, and
is never changed: its `StaffResult` rows keep the inputs and the explanation. Each unit's
grading (`UnitGrading`) carries the quota of "excellent" that the unit's grade allows; the unit
head proposes the grades, the office confirms them (an exception past the quota needs a reason).
A reward pool (`RewardPool`) is split into tiers by grade and score and confirmed once.

Who sees what (`restrict(user, "personnel")`): the office and the organisation department every
person; a unit head the people of their unit; a civil servant their own record. Nothing here is
ever public."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kaohe.core.models import TimeStampedModel
from kaohe.core.querysets import ScopedManager
from kaohe.core.roles import Action


def _own_record(path: str, user: Any, action: str) -> Q | None:
    """A civil servant always sees their own rows (`path` leads from a row to its person)."""
    if action in (Action.VIEW, Action.PERSONNEL) and getattr(user, "is_authenticated", False):
        return Q(**{f"{path}user": user})
    return None


class StaffGrade(models.TextChoices):
    """The annual grades of civil servants, best first (`kaohe.engine.people.STAFF_GRADES`)."""

    EXCELLENT = "excellent", _("Excellent")
    COMPETENT = "competent", _("Competent")
    BASIC = "basic", _("Basically competent")
    INCOMPETENT = "incompetent", _("Incompetent")


class RatingSource(models.TextChoices):
    """Who evaluated the person."""

    LEADER = "leader", _("leaders")
    PEER = "peer", _("peers")
    UPWARD = "upward", _("staff below (anonymous)")


class Dimension(models.TextChoices):
    """The dimensions the office rates people on (德能勤绩廉)."""

    CONDUCT = "conduct", _("Political conduct")
    ABILITY = "ability", _("Ability")
    DILIGENCE = "diligence", _("Diligence")
    PERFORMANCE = "performance", _("Performance")
    INTEGRITY = "integrity", _("Integrity")


class StaffRule(models.Model):
    """One version of a cycle's rule for assessing people; append-only, the newest is current."""

    cycle = models.ForeignKey("schemes.Cycle", on_delete=models.PROTECT, related_name="staff_rules")
    number = models.PositiveIntegerField(_("version"))
    score_scheme = models.TextField(_("individual score (scheme language)"))
    excellent_min = models.DecimalField(_("excellent from"), max_digits=6, decimal_places=2)
    competent_min = models.DecimalField(_("competent from"), max_digits=6, decimal_places=2)
    basic_min = models.DecimalField(_("basically competent from"), max_digits=6, decimal_places=2)
    default_share = models.DecimalField(
        _("share of excellent where the unit's grade sets none"), max_digits=4, decimal_places=3
    )
    reward_coefficients = models.JSONField(_("reward coefficient per grade"))
    score_weighted = models.BooleanField(_("rewards weighted by score"), default=True)
    note = models.TextField(_("what changed"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("staff assessment rule")
        verbose_name_plural = _("staff assessment rules")
        ordering = ["cycle", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "number"], name="staff_rule_version_once")
        ]

    def __str__(self) -> str:
        return f"{self.cycle} v{self.number}"


class StaffRating(TimeStampedModel):
    """An evaluation of a person in a cycle by one source on one dimension (0–100), with the
    number of raters it summarises. A later entry for the same slot is a new row: the latest
    counts, the earlier ones stay."""

    cycle = models.ForeignKey("schemes.Cycle", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(
        "units.Person", on_delete=models.PROTECT, related_name="staff_ratings"
    )
    source = models.CharField(_("rated by"), max_length=8, choices=RatingSource.choices)
    dimension = models.CharField(_("dimension"), max_length=12, choices=Dimension.choices)
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=2)
    raters = models.PositiveIntegerField(_("raters"), default=1)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    scope_path: ClassVar[str] = "person__unit"
    objects = ScopedManager["StaffRating"]()

    class Meta:
        verbose_name = _("staff rating")
        verbose_name_plural = _("staff ratings")
        ordering = ["cycle", "person", "source", "dimension", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(score__gte=0) & Q(score__lte=100), name="staff_rating_in_range"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.source}/{self.dimension}: {self.score}"

    @classmethod
    def extra_scope_q(cls, user: Any, action: str) -> Q | None:
        return _own_record("person__", user, action)


class StaffRun(models.Model):
    """One scoring of every person of the cycle's assessed units under one rule version."""

    cycle = models.ForeignKey("schemes.Cycle", on_delete=models.PROTECT, related_name="staff_runs")
    number = models.PositiveIntegerField(_("run"))
    rule = models.ForeignKey(StaffRule, on_delete=models.PROTECT, related_name="runs")
    snapshot_at = models.DateTimeField(_("inputs as of"))
    input_fingerprint = models.CharField(_("inputs fingerprint"), max_length=64)
    people_scored = models.PositiveIntegerField(_("people scored"), default=0)
    people_not_scored = models.PositiveIntegerField(_("people not scored"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("computed"), auto_now_add=True)

    class Meta:
        verbose_name = _("staff run")
        verbose_name_plural = _("staff runs")
        ordering = ["cycle", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "number"], name="staff_run_number_once")
        ]

    def __str__(self) -> str:
        return f"{self.cycle} #{self.number}"


class StaffResult(models.Model):
    """A person's score in a staff run, with the inputs it used and its explanation."""

    run = models.ForeignKey(StaffRun, on_delete=models.PROTECT, related_name="results")
    person = models.ForeignKey("units.Person", on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey("units.Unit", on_delete=models.PROTECT, related_name="+")
    score = models.FloatField(_("score"), null=True)
    rank_in_unit = models.PositiveIntegerField(_("rank in the unit"), null=True)
    suggested_grade = models.CharField(
        _("grade the rule gives"), max_length=12, choices=StaffGrade.choices, blank=True
    )
    reason = models.TextField(_("why not scored"), blank=True)
    inputs = models.JSONField(_("inputs"), default=dict)
    explanation = models.JSONField(_("explanation"), default=dict)

    scope_path: ClassVar[str] = "unit"
    objects = ScopedManager["StaffResult"]()

    class Meta:
        verbose_name = _("staff result")
        verbose_name_plural = _("staff results")
        ordering = ["run", "unit__path", "rank_in_unit", "person__code"]
        constraints = [
            models.UniqueConstraint(fields=["run", "person"], name="staff_result_once_per_run")
        ]

    def __str__(self) -> str:
        return f"{self.person}: {self.score}"

    @classmethod
    def extra_scope_q(cls, user: Any, action: str) -> Q | None:
        return _own_record("person__", user, action)


class UnitGrading(TimeStampedModel):
    """A unit's staff grading on a staff run: its quota of excellent, from its own grade."""

    class State(models.TextChoices):
        OPEN = "open", _("to propose")
        PROPOSED = "proposed", _("proposed by the unit head")
        CONFIRMED = "confirmed", _("confirmed by the office")

    run = models.ForeignKey(StaffRun, on_delete=models.PROTECT, related_name="gradings")
    unit = models.ForeignKey("units.Unit", on_delete=models.PROTECT, related_name="+")
    unit_grade = models.CharField(_("unit's grade"), max_length=32, blank=True)
    unit_grade_names = models.JSONField(_("unit's grade (names)"), default=dict, blank=True)
    share = models.DecimalField(_("share of excellent"), max_digits=4, decimal_places=3)
    headcount = models.PositiveIntegerField(_("people assessed"))
    quota = models.PositiveIntegerField(_("excellent at most"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default="open")
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(_("proposed"), null=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("confirmed"), null=True)
    exception_reason = models.TextField(_("reason for an exception"), blank=True)

    scope_path: ClassVar[str] = "unit"
    objects = ScopedManager["UnitGrading"]()

    class Meta:
        verbose_name = _("unit staff grading")
        verbose_name_plural = _("unit staff gradings")
        ordering = ["run", "unit__path"]
        constraints = [
            models.UniqueConstraint(fields=["run", "unit"], name="unit_grading_once_per_run")
        ]

    def __str__(self) -> str:
        return f"{self.unit} ({self.run})"

    @property
    def unit_grade_label(self) -> str:
        """The unit's grade in the current language (its code when the scheme names none)."""
        lang = "en" if (get_language() or "").startswith("en") else "zh"
        return self.unit_grade_names.get(lang) or self.unit_grade_names.get("zh") or self.unit_grade


class PersonGrade(models.Model):
    """A person's grade in a unit grading: proposed by the head, then final once confirmed."""

    grading = models.ForeignKey(UnitGrading, on_delete=models.PROTECT, related_name="grades")
    person = models.ForeignKey("units.Person", on_delete=models.PROTECT, related_name="grades")
    result = models.ForeignKey(StaffResult, on_delete=models.PROTECT, related_name="+")
    proposed = models.CharField(_("proposed"), max_length=12, choices=StaffGrade.choices)
    final = models.CharField(_("grade"), max_length=12, choices=StaffGrade.choices, blank=True)

    scope_path: ClassVar[str] = "grading__unit"
    objects = ScopedManager["PersonGrade"]()

    class Meta:
        verbose_name = _("person's grade")
        verbose_name_plural = _("people's grades")
        ordering = ["grading", "person__code"]
        constraints = [
            models.UniqueConstraint(fields=["grading", "person"], name="person_grade_once")
        ]

    def __str__(self) -> str:
        return f"{self.person}: {self.final or self.proposed}"

    @classmethod
    def extra_scope_q(cls, user: Any, action: str) -> Q | None:
        return _own_record("person__", user, action)


class RewardPool(TimeStampedModel):
    """A unit's reward pool for a confirmed grading, split into tiers (no equal shares)."""

    class State(models.TextChoices):
        DRAFT = "draft", _("draft")
        CONFIRMED = "confirmed", _("confirmed")

    grading = models.OneToOneField(
        UnitGrading, on_delete=models.PROTECT, related_name="reward_pool"
    )
    amount_cents = models.PositiveBigIntegerField(_("pool (fen)"))
    coefficients = models.JSONField(_("coefficient per grade"))
    score_weighted = models.BooleanField(_("weighted by score"), default=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default="draft")
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("confirmed"), null=True)

    scope_path: ClassVar[str] = "grading__unit"
    objects = ScopedManager["RewardPool"]()

    class Meta:
        verbose_name = _("reward pool")
        verbose_name_plural = _("reward pools")
        ordering = ["grading"]

    def __str__(self) -> str:
        return f"{self.grading.unit}: {self.amount_cents / 100:.2f}"


class RewardShare(models.Model):
    """A person's share of a confirmed reward pool."""

    pool = models.ForeignKey(RewardPool, on_delete=models.PROTECT, related_name="shares")
    person = models.ForeignKey("units.Person", on_delete=models.PROTECT, related_name="+")
    grade = models.CharField(_("grade"), max_length=12, choices=StaffGrade.choices)
    score = models.FloatField(_("score"), null=True)
    coefficient = models.FloatField(_("coefficient"))
    amount_cents = models.PositiveBigIntegerField(_("amount (fen)"))

    scope_path: ClassVar[str] = "pool__grading__unit"
    objects = ScopedManager["RewardShare"]()

    class Meta:
        verbose_name = _("reward share")
        verbose_name_plural = _("reward shares")
        ordering = ["pool", "-amount_cents", "person__code"]
        constraints = [models.UniqueConstraint(fields=["pool", "person"], name="reward_share_once")]

    def __str__(self) -> str:
        return f"{self.person}: {self.amount_cents / 100:.2f}"

    @classmethod
    def extra_scope_q(cls, user: Any, action: str) -> Q | None:
        return _own_record("person__", user, action)


class UpwardSurvey(models.Model):
    """An anonymous upward rating of a unit's leaders, fielded as a survey of that unit (its
    one-time codes handed to the unit's staff, burned on submit, nothing linking a code to its
    answers); fed into the leaders' `upward_rating` once closed."""

    survey = models.OneToOneField("surveys.Survey", on_delete=models.PROTECT, related_name="upward")
    cycle = models.ForeignKey("schemes.Cycle", on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey("units.Unit", on_delete=models.PROTECT, related_name="+")
    rated = models.ManyToManyField("units.Person", related_name="+", verbose_name=_("rated"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    fed_at = models.DateTimeField(_("fed"), null=True, blank=True)
    fed = models.JSONField(_("what was fed"), default=dict, blank=True)

    scope_path: ClassVar[str] = "unit"
    objects = ScopedManager["UpwardSurvey"]()

    class Meta:
        verbose_name = _("upward survey")
        verbose_name_plural = _("upward surveys")
        ordering = ["cycle", "unit__path", "pk"]

    def __str__(self) -> str:
        return f"{self.unit} {self.cycle.year}"
