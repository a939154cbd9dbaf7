"""Interview and rectification items (约谈、整改, PRODUCT.md §5.3): a unit on a published run's
interview list gets an item, and so does a unit a survey comment asks to put something right
(群众评议: the office turns the comment into an item); it submits a rectification plan with
measures and deadlines, the office returns or accepts it, the unit reports progress, and the
office closes the item."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kaohe.core.models import TimeStampedModel
from kaohe.core.querysets import ScopedManager


class RectificationItem(TimeStampedModel):
    class State(models.TextChoices):
        OPEN = "open", _("waiting for the plan")
        SUBMITTED = "submitted", _("plan submitted")
        RETURNED = "returned", _("plan returned")
        ACCEPTED = "accepted", _("plan accepted, in progress")
        CLOSED = "closed", _("closed")

    class Origin(models.TextChoices):
        INTERVIEW = "interview", _("a published run's results")
        SURVEY = "survey", _("a survey comment")

    origin = models.CharField(
        _("comes from"), max_length=10, choices=Origin.choices, default=Origin.INTERVIEW
    )
    cycle = models.ForeignKey(
        "schemes.Cycle", on_delete=models.PROTECT, related_name="rectification_items"
    )
    # the run whose results put the unit on the interview list (origin "interview")
    run = models.ForeignKey(
        "results.ScoringRun",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rectification_items",
    )
    # the survey comment the office turned into this item (origin "survey")
    comment = models.ForeignKey(
        "surveys.SurveyComment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rectification_items",
        verbose_name=_("survey comment"),
    )
    unit = models.ForeignKey(
        "units.Unit", on_delete=models.PROTECT, related_name="rectification_items"
    )
    cause_zh = models.CharField(_("why (Chinese)"), max_length=300)
    cause_en = models.CharField(_("why (English)"), max_length=300, blank=True)
    due_date = models.DateField(_("plan due"))
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default="open")
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    scope_path: ClassVar[str] = "unit"
    objects = ScopedManager["RectificationItem"]()

    class Meta:
        verbose_name = _("rectification item")
        verbose_name_plural = _("rectification items")
        ordering = ["-cycle__year", "unit__code", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["run", "unit"], name="one_rectification_per_run_unit"),
            models.UniqueConstraint(
                fields=["comment"],
                condition=models.Q(comment__isnull=False),
                name="one_rectification_per_comment",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(origin="interview", run__isnull=False, comment__isnull=True)
                    | models.Q(origin="survey", run__isnull=True, comment__isnull=False)
                ),
                name="rectification_origin_matches",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit} · {self.cycle}"

    @property
    def cause(self) -> str:
        english = (get_language() or "").startswith("en")
        return (self.cause_en if english else "") or self.cause_zh

    @property
    def is_open(self) -> bool:
        return self.state != self.State.CLOSED


class RectificationEntry(models.Model):
    """One step of an item's history: a plan (with its measures), a progress report, or the
    office's review; never changed."""

    class Kind(models.TextChoices):
        PLAN = "plan", _("rectification plan")
        PROGRESS = "progress", _("progress report")
        RETURNED = "returned", _("returned")
        ACCEPTED = "accepted", _("accepted")
        CLOSED = "closed", _("closed")

    item = models.ForeignKey(RectificationItem, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    text = models.TextField(_("text"))
    # plan: [{"measure": "…", "deadline": "2026-06-30"}, …]
    measures = models.JSONField(_("measures"), default=list, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("rectification entry")
        verbose_name_plural = _("rectification entries")

    def __str__(self) -> str:
        return f"{self.item} · {self.get_kind_display()}"


class Commendation(TimeStampedModel):
    """A commendation (通报表扬) of a unit among the award places of a published run: a top
    place or the progress award. Issued by the office once per unit, run and reason."""

    class Reason(models.TextChoices):
        TOP = "top", _("top place")
        PROGRESS = "progress_award", _("progress award")

    run = models.ForeignKey(
        "results.ScoringRun", on_delete=models.PROTECT, related_name="commendations"
    )
    unit = models.ForeignKey("units.Unit", on_delete=models.PROTECT, related_name="commendations")
    reason = models.CharField(_("for"), max_length=16, choices=Reason.choices)
    citation_zh = models.CharField(_("citation (Chinese)"), max_length=300)
    citation_en = models.CharField(_("citation (English)"), max_length=300)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    scope_path: ClassVar[str] = "unit"
    objects = ScopedManager["Commendation"]()

    class Meta:
        verbose_name = _("commendation")
        verbose_name_plural = _("commendations")
        ordering = ["-run__cycle__year", "run__category__order", "reason", "unit__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "unit", "reason"], name="one_commendation_per_run_unit_reason"
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit} · {self.get_reason_display()}"

    @property
    def citation(self) -> str:
        english = (get_language() or "").startswith("en")
        return self.citation_en if english else self.citation_zh
