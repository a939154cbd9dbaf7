"""Indicators (what is measured), their scale/speed/quality components and admission requests."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kaohe.core import access
from kaohe.core.models import BilingualNameMixin, TimeStampedModel
from kaohe.core.querysets import ScopedManager
from kaohe.indicators.values import MAX_LABEL, ValueKind

indicator_code_validator = RegexValidator(
    r"^[a-z][a-z0-9_]{0,47}$",
    _("Use lower-case letters, digits and underscores, starting with a letter."),
)


class Direction(models.TextChoices):
    HIGHER = "higher", _("higher is better")
    LOWER = "lower", _("lower is better")


class Frequency(models.TextChoices):
    MONTHLY = "monthly", _("monthly")
    QUARTERLY = "quarterly", _("quarterly")
    ANNUAL = "annual", _("annual")


class ValueType(models.TextChoices):
    AMOUNT = "amount", _("amount")
    RATE = "rate", _("rate (%)")
    COUNT = "count", _("count")
    INDEX = "index", _("index")
    GRADE = "grade", _("graded rating")


class ReportedBy(models.TextChoices):
    DEPARTMENT = "department", _("the responsible department only")
    UNIT = "unit", _("the assessed unit or the responsible department")


def _valid_labels(labels: Any) -> bool:
    """Grades are a non-empty list of distinct, trimmed texts of 1 to MAX_LABEL characters."""
    return (
        isinstance(labels, list)
        and bool(labels)
        and all(isinstance(x, str) and x.strip() == x and 0 < len(x) <= MAX_LABEL for x in labels)
        and len(set(labels)) == len(labels)
    )


class IndicatorQuerySet(models.QuerySet["Indicator"]):
    def active(self) -> IndicatorQuerySet:
        return self.filter(status=Indicator.Status.ACTIVE)

    def on_dashboards(self) -> IndicatorQuerySet:
        """The active indicators the overview and the unit pages show, in their order."""
        return (
            self.active().filter(dashboard_order__isnull=False).order_by("dashboard_order", "code")
        )

    def visible_to(self, user: Any) -> IndicatorQuerySet:
        """Sensitive indicators only for the office, auditors and their responsible department;
        an indicator not (yet) in the catalogue — proposed, or rejected — only for city-wide
        readers and the people of the unit that proposed it."""
        if access.has_citywide(user, "view"):
            return self
        responsible = access.responsible_unit_ids(user, "view")
        scope = access.unit_scope(user, "view")
        proposed_here = AdmissionRequest.objects.filter(
            proposed_by_unit__in=sorted(scope.unit_ids)
        ).values("indicator_id")
        catalogued = [Indicator.Status.ACTIVE, Indicator.Status.RETIRED]
        return self.filter(
            models.Q(status__in=catalogued) | models.Q(pk__in=proposed_here),
            models.Q(sensitive=False) | models.Q(responsible_department__in=sorted(responsible)),
        )


class Indicator(BilingualNameMixin, TimeStampedModel):
    """A catalogued measure: what it means, how it is measured, who supplies it."""

    class DashboardChart(models.TextChoices):
        RANKING = "ranking", _("units ranked on the latest year")
        TREND = "trend", _("each unit over the years")
        COMPARE = "compare", _("side by side with the other compared indicators")

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("proposed")
        ACTIVE = "active", _("in the catalogue")
        REJECTED = "rejected", _("rejected")
        RETIRED = "retired", _("retired")

    code = models.CharField(
        _("code"), max_length=48, unique=True, validators=[indicator_code_validator]
    )
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=150, blank=True)
    unit_zh = models.CharField(_("unit of measure (Chinese)"), max_length=20, blank=True)
    unit_en = models.CharField(_("unit of measure (English)"), max_length=40, blank=True)
    direction = models.CharField(
        _("direction"), max_length=8, choices=Direction.choices, default=Direction.HIGHER
    )
    frequency = models.CharField(
        _("frequency"), max_length=10, choices=Frequency.choices, default=Frequency.QUARTERLY
    )
    value_type = models.CharField(
        _("value type"), max_length=8, choices=ValueType.choices, default=ValueType.AMOUNT
    )
    decimals = models.PositiveSmallIntegerField(_("decimals"), default=2)
    grade_labels = models.JSONField(
        _("grades"),
        default=list,
        blank=True,
        help_text=_("For a graded rating: the labels a value may take, best first."),
    )
    min_value = models.FloatField(_("lowest plausible value"), null=True, blank=True)
    max_value = models.FloatField(_("highest plausible value"), null=True, blank=True)
    responsible_department = models.ForeignKey(
        "units.Unit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="responsible_for",
        verbose_name=_("responsible department"),
    )
    reported_by = models.CharField(
        _("reported by"),
        max_length=10,
        choices=ReportedBy.choices,
        default=ReportedBy.DEPARTMENT,
        help_text=_(
            "Who may send its values: the responsible department only (ratings, surveys, "
            "events — judgements on a unit; the office alone when no department is "
            "named), or also the assessed unit itself (its own statistics, which the "
            "department can check and correct)."
        ),
    )
    formula = models.CharField(
        _("formula"),
        max_length=400,
        blank=True,
        help_text=_("For a derived indicator: an expression over other indicator codes."),
    )
    description_zh = models.TextField(_("description (Chinese)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    sensitive = models.BooleanField(_("sensitive"), default=False)
    dashboard_order = models.PositiveSmallIntegerField(
        _("place on the dashboards"),
        null=True,
        blank=True,
        help_text=_(
            "Shown on the city overview and the unit pages in this order; empty: not shown."
        ),
    )
    dashboard_chart = models.CharField(
        _("dashboard chart"),
        max_length=10,
        choices=DashboardChart.choices,
        blank=True,
        help_text=_("How the city overview draws it besides its column in the table."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE
    )

    objects = IndicatorQuerySet.as_manager()

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(min_value__isnull=True)
                | models.Q(max_value__isnull=True)
                | models.Q(min_value__lte=models.F("max_value")),
                name="indicator_range_ordered",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def clean(self) -> None:
        """The kind and its rules agree: a graded rating lists its grades (distinct, at most 40
        characters each) and no range; a count's range starts at 0 or above."""
        super().clean()
        labels = self.grade_labels
        if self.value_type == ValueType.GRADE:
            if not _valid_labels(labels):
                raise ValidationError(
                    {
                        "grade_labels": _(
                            "A graded rating lists its grades: distinct labels of 1 to 40 "
                            "characters, best first."
                        )
                    }
                )
            if self.min_value is not None or self.max_value is not None:
                raise ValidationError(
                    {"min_value": _("A graded rating takes a label, not a range of numbers.")}
                )
        elif labels:
            raise ValidationError({"grade_labels": _("Only a graded rating lists grades.")})
        if self.value_type == ValueType.COUNT and self.min_value is not None and self.min_value < 0:
            raise ValidationError({"min_value": _("A count cannot be negative.")})
        low, high = self.min_value, self.max_value
        if low is not None and high is not None and low > high:
            raise ValidationError(
                {"max_value": _("The highest plausible value is below the lowest.")}
            )

    @property
    def value_kind(self) -> ValueKind:
        """What a value of this indicator may be (the rules of kaohe.indicators.values)."""
        return ValueKind(
            self.value_type, self.min_value, self.max_value, tuple(self.grade_labels or ())
        )

    @property
    def is_derived(self) -> bool:
        return bool(self.formula)

    @property
    def unit_of_measure(self) -> str:
        if (get_language() or "").startswith("en") and self.unit_en:
            return self.unit_en
        return self.unit_zh


class IndicatorComponent(models.Model):
    """One aspect (scale, speed or quality) of a key development indicator (规模、速度、质量)."""

    class Aspect(models.TextChoices):
        SCALE = "scale", _("scale")
        SPEED = "speed", _("speed")
        QUALITY = "quality", _("quality")

    key_indicator = models.ForeignKey(
        Indicator, on_delete=models.CASCADE, related_name="components"
    )
    aspect = models.CharField(_("aspect"), max_length=8, choices=Aspect.choices)
    component = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    default_weight = models.DecimalField(
        _("default weight"), max_digits=6, decimal_places=3, default=1
    )

    class Meta:
        verbose_name = _("indicator component")
        verbose_name_plural = _("indicator components")
        ordering = ["key_indicator", "aspect"]
        constraints = [
            models.UniqueConstraint(fields=["key_indicator", "aspect"], name="one_per_aspect")
        ]

    def __str__(self) -> str:
        return f"{self.key_indicator.code}.{self.aspect} = {self.component.code}"


class AdmissionRequest(TimeStampedModel):
    """A department's proposal to add an indicator to the assessment, and the office's decision.

    The office rejects routine and process work so that the catalogue stays small (§1.4)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")

    indicator = models.ForeignKey(
        Indicator, on_delete=models.PROTECT, related_name="admission_requests"
    )
    proposed_by_unit = models.ForeignKey(
        "units.Unit",
        on_delete=models.PROTECT,
        related_name="admission_requests",
        verbose_name=_("proposing unit"),
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("reason for assessing it"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_reason = models.TextField(_("decision reason"), blank=True)

    scope_path: ClassVar[str] = "proposed_by_unit"
    objects = ScopedManager["AdmissionRequest"]()

    class Meta:
        verbose_name = _("admission request")
        verbose_name_plural = _("admission requests")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.indicator.code} ← {self.proposed_by_unit}"
