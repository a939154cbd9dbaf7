"""Key projects (重点项目, PRODUCT.md §3.7) and major tasks (攻坚战, §1.5).

A key project is on the office's register for a cycle: its owner unit (who reports on it), the
district it lies in and its point on the map, its monthly investment plan and milestones. The
owner reports progress month by month (investment, status, milestones reached, photos and
documents); a second report for the same month is a new version and the first is kept.

A major task (offensive) has a lead unit and cooperating units and milestones with due dates and
weights. Each participating unit reports its own part of a milestone done with evidence, the
office confirms or returns each unit's report; a unit's confirmed dates are what the scheme's
`milestones` method scores for it (docs/scheme-format.md).

Who sees what (`restrict`): the office and citywide viewers everything; a unit's people the
projects it owns and the offensives it takes part in."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kaohe.core.access import unit_scope
from kaohe.core.models import BilingualNameMixin, TimeStampedModel
from kaohe.core.querysets import ScopedManager, ScopedQuerySet

# an offensive's code is the input code the scheme's milestones leaf reads
OFFENSIVE_CODE = RegexValidator(
    r"^[A-Za-z_][A-Za-z0-9_]*$",
    _("Letters, digits and underscores, not starting with a digit (a scheme input code)."),
)


class ThroughParticipants(ScopedQuerySet[Any]):
    """Rows reached through an offensive's participants: a row is in scope when one of its
    participating units is, and comes back once however many are."""

    def restrict(self, user: Any, action: str = "view") -> ScopedQuerySet[Any]:
        if unit_scope(user, action).everything:
            return self.all()
        inner: ScopedQuerySet[Any] = ScopedQuerySet(self.model, using=self.db)
        return self.filter(pk__in=inner.restrict(user, action).values("pk"))


class ProjectCategory(models.TextChoices):
    INDUSTRY = "industry", _("industry")
    INFRASTRUCTURE = "infrastructure", _("infrastructure")
    SOCIAL = "social", _("public services")
    ECOLOGY = "ecology", _("ecology and environment")
    INNOVATION = "innovation", _("science and innovation")
    URBAN = "urban", _("urban renewal")


class KeyProject(BilingualNameMixin, TimeStampedModel):
    """A project on the cycle's register. Investment in 万元 (10,000 yuan)."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("not started")
        UNDER_WAY = "under_way", _("under way")
        COMPLETED = "completed", _("completed")
        SUSPENDED = "suspended", _("suspended")

    cycle = models.ForeignKey(
        "schemes.Cycle", on_delete=models.PROTECT, related_name="projects", verbose_name=_("cycle")
    )
    code = models.SlugField(_("code"), max_length=40)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    owner = models.ForeignKey(
        "units.Unit",
        on_delete=models.PROTECT,
        related_name="owned_projects",
        verbose_name=_("owner unit"),
    )
    district = models.ForeignKey(
        "units.Unit",
        on_delete=models.PROTECT,
        related_name="located_projects",
        verbose_name=_("district"),
    )
    category = models.CharField(_("category"), max_length=16, choices=ProjectCategory.choices)
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=8,
        decimal_places=6,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    planned_start = models.DateField(_("planned start"))
    planned_end = models.DateField(_("planned completion"))
    actual_start = models.DateField(_("actual start"), null=True, blank=True)
    actual_end = models.DateField(_("actual completion"), null=True, blank=True)
    total_investment = models.DecimalField(
        _("total investment (10,000 yuan)"), max_digits=14, decimal_places=2
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PLANNED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    scope_path: ClassVar[str] = "owner"
    objects = ScopedManager["KeyProject"]()

    class Meta:
        verbose_name = _("key project")
        verbose_name_plural = _("key projects")
        ordering = ["cycle", "code"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "code"], name="one_project_code_per_cycle"),
            models.CheckConstraint(
                condition=Q(planned_end__gte=models.F("planned_start")),
                name="project_ends_after_it_starts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class PlanMonth(models.Model):
    """The investment planned for one month (万元); `month` is its first day."""

    project = models.ForeignKey(KeyProject, on_delete=models.CASCADE, related_name="plan")
    month = models.DateField(_("month"))
    planned = models.DecimalField(_("planned investment"), max_digits=14, decimal_places=2)

    scope_path: ClassVar[str] = "project__owner"
    objects = ScopedManager["PlanMonth"]()

    class Meta:
        verbose_name = _("planned month")
        verbose_name_plural = _("planned months")
        ordering = ["project", "month"]
        constraints = [
            models.UniqueConstraint(fields=["project", "month"], name="one_plan_per_project_month")
        ]

    def __str__(self) -> str:
        return f"{self.project_id} {self.month:%Y-%m}"


class ProjectMilestone(BilingualNameMixin, models.Model):
    """A milestone of a project's plan (e.g. 开工, 主体结顶, 竣工验收)."""

    project = models.ForeignKey(KeyProject, on_delete=models.CASCADE, related_name="milestones")
    seq = models.PositiveSmallIntegerField(_("number"))
    name_zh = models.CharField(_("name (Chinese)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=160, blank=True)
    due = models.DateField(_("due"))

    scope_path: ClassVar[str] = "project__owner"
    objects = ScopedManager["ProjectMilestone"]()

    class Meta:
        verbose_name = _("project milestone")
        verbose_name_plural = _("project milestones")
        ordering = ["project", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["project", "seq"], name="one_milestone_per_seq")
        ]

    def __str__(self) -> str:
        return f"{self.seq}. {self.name}"


class AppendOnly(models.Model):
    """Rows that are written once: a new version is a new row."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not getattr(self, "_allow_update", False):
            raise ValueError(f"{type(self).__name__} rows are never changed; add a new one")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ValueError(f"{type(self).__name__} rows are never deleted")


class ProgressReport(AppendOnly):
    """The owner unit's report on a project for one month. Never changed: a new report for the
    same month is the next version, and the latest version counts."""

    project = models.ForeignKey(KeyProject, on_delete=models.PROTECT, related_name="reports")
    month = models.DateField(_("month"))
    version = models.PositiveSmallIntegerField(_("version"))
    invested = models.DecimalField(
        _("investment in the month (10,000 yuan)"), max_digits=14, decimal_places=2
    )
    status = models.CharField(_("status"), max_length=12, choices=KeyProject.Status.choices)
    milestones_done = models.JSONField(
        _("milestones reached"), default=dict, blank=True
    )  # {"seq": "YYYY-MM-DD"}
    note = models.TextField(_("progress"), blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reported_at = models.DateTimeField(_("reported"), auto_now_add=True)

    scope_path: ClassVar[str] = "project__owner"
    objects = ScopedManager["ProgressReport"]()

    class Meta:
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        ordering = ["project", "month", "version"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "month", "version"], name="one_report_version_per_month"
            )
        ]

    def __str__(self) -> str:
        return f"{self.project.code} {self.month:%Y-%m} v{self.version}"


def _evidence_path(instance: EvidenceBase, filename: str) -> str:
    # content-addressed, as the observations' evidence: the name says nothing about the unit
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"evidence/{instance.sha256[:2]}/{instance.sha256}.{suffix}"


PHOTO_SUFFIXES = ("jpg", "jpeg", "png")


class EvidenceBase(AppendOnly):
    """A stored evidence file, checked as the observations' evidence (type, content, size)."""

    file = models.FileField(_("file"), upload_to=_evidence_path, max_length=200)
    name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def is_photo(self) -> bool:
        return self.name.rsplit(".", 1)[-1].lower() in PHOTO_SUFFIXES


class ProgressEvidence(EvidenceBase):
    report = models.ForeignKey(ProgressReport, on_delete=models.PROTECT, related_name="evidence")

    scope_path: ClassVar[str] = "report__project__owner"
    objects = ScopedManager["ProgressEvidence"]()

    class Meta:
        verbose_name = _("progress evidence")
        verbose_name_plural = _("progress evidence")
        ordering = ["report", "pk"]


class Role(models.TextChoices):
    LEAD = "lead", _("lead unit")
    COOPERATING = "cooperating", _("cooperating unit")


class Offensive(BilingualNameMixin, TimeStampedModel):
    """A major task of the cycle (攻坚战). `code` is the scheme input its milestones feed."""

    cycle = models.ForeignKey(
        "schemes.Cycle",
        on_delete=models.PROTECT,
        related_name="offensives",
        verbose_name=_("cycle"),
    )
    code = models.CharField(_("code"), max_length=40, validators=[OFFENSIVE_CODE])
    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    scope_path: ClassVar[str] = "participants__unit"
    objects = ThroughParticipants.as_manager()

    class Meta:
        verbose_name = _("major task")
        verbose_name_plural = _("major tasks")
        ordering = ["cycle", "code"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "code"], name="one_offensive_code_per_cycle")
        ]

    def __str__(self) -> str:
        return self.name


class OffensiveUnit(models.Model):
    """A unit taking part in an offensive, as its lead or a cooperating unit."""

    offensive = models.ForeignKey(Offensive, on_delete=models.CASCADE, related_name="participants")
    unit = models.ForeignKey("units.Unit", on_delete=models.PROTECT, related_name="offensives")
    role = models.CharField(_("role"), max_length=12, choices=Role.choices)

    scope_path: ClassVar[str] = "unit"
    objects = ScopedManager["OffensiveUnit"]()

    class Meta:
        verbose_name = _("participating unit")
        verbose_name_plural = _("participating units")
        ordering = ["offensive", "role", "unit__code"]
        constraints = [
            models.UniqueConstraint(fields=["offensive", "unit"], name="one_role_per_unit"),
            models.UniqueConstraint(
                fields=["offensive"], condition=Q(role="lead"), name="one_lead_per_offensive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.offensive_id} {self.unit_id} {self.role}"


class OffensiveMilestone(BilingualNameMixin, models.Model):
    """A milestone of an offensive: due date, weight among its milestones, evidence expected."""

    offensive = models.ForeignKey(Offensive, on_delete=models.CASCADE, related_name="milestones")
    seq = models.PositiveSmallIntegerField(_("number"))
    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    due = models.DateField(_("due"))
    weight = models.DecimalField(
        _("weight"),
        max_digits=6,
        decimal_places=2,
        default=1,
        validators=[MinValueValidator(0)],
    )
    evidence_required = models.TextField(_("evidence expected"), blank=True)

    scope_path: ClassVar[str] = "offensive__participants__unit"
    objects = ThroughParticipants.as_manager()

    class Meta:
        verbose_name = _("task milestone")
        verbose_name_plural = _("task milestones")
        ordering = ["offensive", "seq"]
        constraints = [
            models.UniqueConstraint(
                fields=["offensive", "seq"], name="one_offensive_milestone_per_seq"
            ),
            models.CheckConstraint(condition=Q(weight__gt=0), name="milestone_weight_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.seq}. {self.name}"


class MilestoneReport(AppendOnly):
    """A participating unit's report that its part of a milestone is done (`unit` is the unit
    whose part it is), with evidence. Its content never
    changes; the office's decision (confirm or return, with a note) is written once. A returned
    report is followed by a new one."""

    class State(models.TextChoices):
        SUBMITTED = "submitted", _("awaiting confirmation")
        CONFIRMED = "confirmed", _("confirmed")
        RETURNED = "returned", _("returned")

    milestone = models.ForeignKey(
        OffensiveMilestone, on_delete=models.PROTECT, related_name="reports"
    )
    unit = models.ForeignKey("units.Unit", on_delete=models.PROTECT, related_name="+")
    completed_on = models.DateField(_("completed on"))
    note = models.TextField(_("what was done"))
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.SUBMITTED
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reported_at = models.DateTimeField(_("reported"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision = models.TextField(_("office's note"), blank=True)

    scope_path: ClassVar[str] = "milestone__offensive__participants__unit"
    objects = ThroughParticipants.as_manager()

    class Meta:
        verbose_name = _("milestone report")
        verbose_name_plural = _("milestone reports")
        ordering = ["milestone", "reported_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["milestone", "unit"],
                condition=Q(state__in=["submitted", "confirmed"]),
                name="one_live_report_per_milestone",
            )
        ]

    def __str__(self) -> str:
        return f"{self.milestone_id} {self.completed_on} {self.state}"


class MilestoneEvidence(EvidenceBase):
    report = models.ForeignKey(MilestoneReport, on_delete=models.PROTECT, related_name="evidence")

    scope_path: ClassVar[str] = "report__milestone__offensive__participants__unit"
    objects = ThroughParticipants.as_manager()

    class Meta:
        verbose_name = _("milestone evidence")
        verbose_name_plural = _("milestone evidence")
        ordering = ["report", "pk"]


class InvestmentFeed(TimeStampedModel):
    """Where a cycle's project investment goes: each district's cumulative actual investment
    over its key projects is recorded on this indicator at each time node, so that a monitoring
    cross-check can hold the district's reported fixed-asset investment against it."""

    cycle = models.OneToOneField(
        "schemes.Cycle", on_delete=models.PROTECT, related_name="investment_feed"
    )
    indicator = models.ForeignKey(
        "indicators.Indicator", on_delete=models.PROTECT, related_name="+"
    )
    min_pace = models.DecimalField(
        _("least investment pace"),
        max_digits=4,
        decimal_places=2,
        default=0.8,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text=_(
            "A project whose cumulative investment falls below this share of its plan is behind."
        ),
    )

    class Meta:
        verbose_name = _("project settings of a cycle")
        verbose_name_plural = _("project settings of cycles")
