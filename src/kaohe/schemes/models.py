"""Cycles (年度考核周期), their reporting time nodes, and schemes stored as versioned YAML data."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from kaohe.core.models import BilingualNameMixin, TimeStampedModel

# The years a cycle may have: from the earliest yearbook series a city imports to far ahead.
FIRST_YEAR = 1990
LAST_YEAR = 2100


class Cycle(BilingualNameMixin, TimeStampedModel):
    """One annual assessment, moving through its stages in order."""

    class State(models.TextChoices):
        PLANNING = "planning", _("planning")
        GOAL_SETTING = "goal_setting", _("goal setting")
        IN_PROGRESS = "in_progress", _("in progress")
        YEAR_END = "year_end", _("year-end evaluation")
        PUBLISHED = "published", _("results published")
        CLOSED = "closed", _("closed")

    ORDER = [s.value for s in State]

    year = models.PositiveSmallIntegerField(
        _("year"),
        unique=True,
        validators=[MinValueValidator(FIRST_YEAR), MaxValueValidator(LAST_YEAR)],
    )
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=150, blank=True)
    state = models.CharField(_("stage"), max_length=16, choices=State.choices, default="planning")

    class Meta:
        verbose_name = _("cycle")
        verbose_name_plural = _("cycles")
        ordering = ["-year"]

    def __str__(self) -> str:
        return self.name

    @property
    def next_state(self) -> str | None:
        index = self.ORDER.index(self.state)
        return self.ORDER[index + 1] if index + 1 < len(self.ORDER) else None


class TimeNode(BilingualNameMixin, TimeStampedModel):
    """A reporting period of a cycle. Quarterly figures are cumulative as statistics report them:
    Q1, first half (H1), first three quarters (Q3) and the full year (Y)."""

    class Kind(models.TextChoices):
        MONTH = "month", _("month")
        QUARTER = "quarter", _("quarter")
        HALF = "half", _("half year")
        THREE_QUARTERS = "three_quarters", _("first three quarters")
        YEAR = "year", _("year")

    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="time_nodes")
    code = models.CharField(_("code"), max_length=8)  # Q1, H1, Q3, Y, M01 …
    period = models.CharField(_("period"), max_length=12, unique=True)  # 2025Q1, 2025Y …
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name_zh = models.CharField(_("name (Chinese)"), max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=80, blank=True)
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    due_date = models.DateField(_("reporting deadline"))
    order = models.PositiveSmallIntegerField(_("order"))
    locked = models.BooleanField(_("locked"), default=False)

    class Meta:
        verbose_name = _("time node")
        verbose_name_plural = _("time nodes")
        ordering = ["cycle__year", "order"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "code"], name="time_node_code_per_cycle"),
            models.CheckConstraint(
                condition=models.Q(period_start__lte=models.F("period_end")),
                name="time_node_period_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Scheme(BilingualNameMixin, TimeStampedModel):
    """The assessment scheme of one category in one cycle; its content lives in versions."""

    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="schemes")
    category = models.ForeignKey("units.Category", on_delete=models.PROTECT, related_name="schemes")
    code = models.SlugField(_("code"), max_length=60, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=150)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("scheme")
        verbose_name_plural = _("schemes")
        ordering = ["-cycle__year", "category__order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "category"], name="one_scheme_per_category")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def published_version(self) -> SchemeVersion | None:
        return (
            self.versions.filter(status=SchemeVersion.Status.PUBLISHED).order_by("-number").first()
        )

    @property
    def latest_version(self) -> SchemeVersion | None:
        return self.versions.order_by("-number").first()


class SchemeVersionQuerySet(models.QuerySet["SchemeVersion"]):
    def published(self) -> SchemeVersionQuerySet:
        return self.filter(status=SchemeVersion.Status.PUBLISHED)


class SchemeVersion(TimeStampedModel):
    """One version of a scheme's document. Drafts may be edited; a published version never
    changes again (a change is a new version)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        PUBLISHED = "published", _("published")
        SUPERSEDED = "superseded", _("superseded")

    scheme = models.ForeignKey(Scheme, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default="draft")
    yaml_text = models.TextField(_("scheme document (YAML)"))
    document = models.JSONField(_("scheme document"))
    fingerprint = models.CharField(_("fingerprint"), max_length=64)
    change_note = models.TextField(_("what changed"), blank=True)
    based_on = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = SchemeVersionQuerySet.as_manager()

    class Meta:
        verbose_name = _("scheme version")
        verbose_name_plural = _("scheme versions")
        ordering = ["scheme", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "number"], name="scheme_version_number")
        ]

    def __str__(self) -> str:
        return f"{self.scheme.code} v{self.number}"

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A published document is immutable: only its status may move on to "superseded".
        if self.pk is not None:
            stored = SchemeVersion.objects.filter(pk=self.pk).values("status", "fingerprint")
            row = stored.first()
            if (
                row
                and row["status"] != self.Status.DRAFT
                and row["fingerprint"] != self.fingerprint
            ):
                raise ValueError(f"{self} is {row['status']}: its document cannot change")
        super().save(*args, **kwargs)
