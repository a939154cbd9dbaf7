"""A scoring run: one scheme version evaluated on the observation versions current at a stated
moment. Its results and the exact inputs it used are stored; a published run never changes."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kaohe.core.models import TimeStampedModel
from kaohe.core.querysets import ScopedManager


class ScoringRun(TimeStampedModel):
    """One evaluation of a published scheme version on a frozen snapshot of inputs."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        PUBLISHED = "published", _("published")
        SUPERSEDED = "superseded", _("superseded")

    cycle = models.ForeignKey("schemes.Cycle", on_delete=models.PROTECT, related_name="runs")
    scheme_version = models.ForeignKey(
        "schemes.SchemeVersion", on_delete=models.PROTECT, related_name="runs"
    )
    category = models.ForeignKey("units.Category", on_delete=models.PROTECT, related_name="runs")
    number = models.PositiveIntegerField(_("run"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default="draft")
    snapshot_at = models.DateTimeField(
        _("inputs as of"), help_text=_("Values recorded up to this moment are used.")
    )
    node_code = models.CharField(_("reporting period"), max_length=8, default="Y")
    input_fingerprint = models.CharField(_("inputs fingerprint"), max_length=64)
    result_fingerprint = models.CharField(_("results fingerprint"), max_length=64)
    reason = models.TextField(_("reason"), blank=True)
    supersedes = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    previous_run = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("previous cycle's run"),
    )
    units_scored = models.PositiveIntegerField(_("units scored"), default=0)
    units_not_scored = models.PositiveIntegerField(_("units not scored"), default=0)
    robustness = models.JSONField(_("robustness settings"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("scoring run")
        verbose_name_plural = _("scoring runs")
        ordering = ["-cycle__year", "category__order", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "category", "number"], name="run_number_per_cycle_category"
            )
        ]

    def __str__(self) -> str:
        return f"{self.cycle.year} {self.category} #{self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            stored = ScoringRun.objects.filter(pk=self.pk).values("status").first()
            # A published run may only move on to "superseded"; nothing else of it changes.
            if stored and stored["status"] != self.Status.DRAFT:
                allowed = {"status", "updated_at"}
                fields = set(kwargs.get("update_fields") or ())
                if not fields or not fields <= allowed:
                    raise ValueError(f"{self} is {stored['status']}: its results cannot change")
        super().save(*args, **kwargs)


class UnitResult(models.Model):
    """One unit's result in a run, with its explanation tree (JSON) as computed."""

    run = models.ForeignKey(ScoringRun, on_delete=models.PROTECT, related_name="results")
    unit = models.ForeignKey("units.Unit", on_delete=models.PROTECT, related_name="results")
    category_code = models.CharField(_("category"), max_length=40)
    total = models.FloatField(_("score"), null=True)
    total_rounded = models.FloatField(_("score (rounded)"), null=True)
    rank = models.PositiveIntegerField(_("rank"), null=True)
    previous_rank = models.PositiveIntegerField(_("previous rank"), null=True)
    rank_change = models.IntegerField(_("rank change"), null=True)
    grade = models.CharField(_("grade"), max_length=32, blank=True)
    status = models.CharField(_("status"), max_length=12)
    reason = models.TextField(_("why not scored"), blank=True)
    flags = models.JSONField(_("flags"), default=list)
    nodes = models.JSONField(_("node values"), default=dict)
    robustness = models.JSONField(_("rank interval"), default=dict, blank=True)
    explanation = models.JSONField(_("explanation"), default=dict)

    scope_path: ClassVar[str] = "unit"
    objects = ScopedManager["UnitResult"]()

    class Meta:
        verbose_name = _("unit result")
        verbose_name_plural = _("unit results")
        ordering = ["run", "category_code", "rank", "unit__code"]
        constraints = [models.UniqueConstraint(fields=["run", "unit"], name="one_result_per_unit")]

    def __str__(self) -> str:
        return f"{self.run} {self.unit_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("Unit results are written once with their run")
        super().save(*args, **kwargs)


class RunInput(models.Model):
    """Which value (and which observation version) a run used for one unit and input column."""

    run = models.ForeignKey(ScoringRun, on_delete=models.PROTECT, related_name="inputs")
    unit = models.ForeignKey("units.Unit", on_delete=models.PROTECT, related_name="+")
    code = models.CharField(_("input"), max_length=64)
    version = models.ForeignKey(
        "observations.ObservationVersion",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    value = models.FloatField(null=True)
    text = models.CharField(max_length=40, blank=True)
    derived_from = models.JSONField(default=list, blank=True)
    # a structured input (an offensive's milestones for the unit), with the reports behind it
    record = models.JSONField(null=True, blank=True)

    scope_path: ClassVar[str] = "unit"
    objects = ScopedManager["RunInput"]()

    class Meta:
        verbose_name = _("run input")
        verbose_name_plural = _("run inputs")
        constraints = [
            models.UniqueConstraint(fields=["run", "unit", "code"], name="one_input_per_cell")
        ]

    def __str__(self) -> str:
        return f"{self.run_id}/{self.unit_id}/{self.code}"


class ProvisionalStanding(models.Model):
    """A unit's provisional score and rank under a scheme, as of the latest accepted batch.

    A cache recomputed by the ingestion pipeline from the current values (see
    results/provisional.py): it decides nothing, so it is replaced, not versioned. Official
    results are scoring runs."""

    scheme_version = models.ForeignKey(
        "schemes.SchemeVersion", on_delete=models.CASCADE, related_name="provisional"
    )
    unit = models.ForeignKey("units.Unit", on_delete=models.CASCADE, related_name="+")
    category_code = models.CharField(_("category"), max_length=40)
    node_code = models.CharField(_("as of period"), max_length=8)
    score = models.FloatField(_("provisional score"), null=True)
    rank = models.PositiveIntegerField(_("provisional rank"), null=True)
    coverage = models.FloatField(_("share of points with data"), default=0.0)
    missing = models.JSONField(_("items without a value"), default=list, blank=True)
    computed_at = models.DateTimeField(_("computed"))
    batch = models.ForeignKey(
        "observations.IngestionBatch",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    scope_path: ClassVar[str] = "unit"
    objects = ScopedManager["ProvisionalStanding"]()

    class Meta:
        verbose_name = _("provisional standing")
        verbose_name_plural = _("provisional standings")
        ordering = ["scheme_version", "category_code", "rank", "unit__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["scheme_version", "unit"], name="one_provisional_standing_per_unit"
            )
        ]

    def __str__(self) -> str:
        return f"{self.scheme_version_id}/{self.unit_id} {self.rank}"


class Report(models.Model):
    """A PDF made from a run: a unit's diagnosis or the run's bulletin (通报). Written once by
    its job with the hash of its bytes; a new PDF of the same run is a new report, so a report
    once handed out never changes."""

    class Kind(models.TextChoices):
        DIAGNOSIS = "diagnosis", _("diagnosis")
        BULLETIN = "bulletin", _("bulletin")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    run = models.ForeignKey(ScoringRun, on_delete=models.PROTECT, related_name="reports")
    unit = models.ForeignKey(
        "units.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    language = models.CharField(_("language"), max_length=12)
    content = models.BinaryField(_("PDF"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    byte_size = models.PositiveIntegerField(_("size (bytes)"))
    pages = models.PositiveIntegerField(_("pages"))
    created_at = models.DateTimeField(_("made"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    scope_path: ClassVar[str] = "unit"
    objects = ScopedManager["Report"]()

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["run", "kind", "unit"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.run_id}/{self.unit_id or '-'}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("A report is written once")
        super().save(*args, **kwargs)

    @property
    def filename(self) -> str:
        who = f"-{self.unit.code}" if self.unit_id and self.unit else ""
        return f"{self.kind}-{self.run.cycle.year}-{self.run.category.code}{who}-{self.pk}.pdf"
