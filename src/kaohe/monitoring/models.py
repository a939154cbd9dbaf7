"""Monitoring rules (stored as data, parsed by the engine) and the warnings they raise."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kaohe.core.models import BilingualNameMixin, TimeStampedModel
from kaohe.core.querysets import ScopedManager


class Severity(models.TextChoices):
    INFO = "info", _("information")
    WARNING = "warning", _("warning")
    SERIOUS = "serious", _("serious")


RULE_KINDS = {
    "threshold": _("threshold"),
    "drop": _("drop against an earlier period"),
    "pace": _("behind the target's pace"),
    "peer_outlier": _("outlier among peers"),
    "hb": _("implausible change (Hidiroglou–Berthelot)"),
    "cross_check": _("cross-check"),
    "schedule": _("behind schedule (key projects and major tasks)"),
}

# rule kinds the platform evaluates itself rather than the engine's monitoring rules
PLATFORM_RULE_KINDS = frozenset({"schedule"})


class MonitoringRule(BilingualNameMixin, TimeStampedModel):
    """One rule: `spec` is the engine's rule mapping (kind, indicator or expression, limits)."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=160, blank=True)
    kind = models.CharField(_("kind"), max_length=16)
    spec = models.JSONField(_("rule"))
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("monitoring rule")
        verbose_name_plural = _("monitoring rules")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def kind_label(self) -> str:
        return str(RULE_KINDS.get(self.kind, self.kind))


class WarningQuerySet(models.QuerySet["Warning"]):
    def active(self) -> WarningQuerySet:
        return self.exclude(state=Warning.State.CLOSED)


class Warning(TimeStampedModel):
    """A rule fired for a unit at a time node. Its life: open → acknowledged → explained or
    rectified → closed (accepted, or cleared when new data no longer trips the rule)."""

    class State(models.TextChoices):
        OPEN = "open", _("open")
        ACKNOWLEDGED = "acknowledged", _("acknowledged")
        EXPLAINED = "explained", _("explained")
        RECTIFIED = "rectified", _("rectified")
        CLOSED = "closed", _("closed")

    class Resolution(models.TextChoices):
        ACCEPTED = "accepted", _("explanation accepted")
        RECTIFIED = "rectified", _("rectified")
        CLEARED = "cleared", _("cleared by new data")
        DISMISSED = "dismissed", _("dismissed")

    rule = models.ForeignKey(MonitoringRule, on_delete=models.PROTECT, related_name="warnings")
    unit = models.ForeignKey("units.Unit", on_delete=models.PROTECT, related_name="warnings")
    time_node = models.ForeignKey(
        "schemes.TimeNode", on_delete=models.PROTECT, related_name="warnings"
    )
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices)
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default="open")
    subject = models.CharField(
        _("subject"),
        max_length=40,
        blank=True,
        default="",
        help_text=_("What the warning is about beyond its unit, e.g. project:12 or milestone:7."),
    )
    details = models.JSONField(_("figures"), default=dict)
    message_zh = models.TextField(_("message (Chinese)"))
    message_en = models.TextField(_("message (English)"), blank=True)
    raised_by_batch = models.ForeignKey(
        "observations.IngestionBatch",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    explanation = models.TextField(_("the unit's explanation"), blank=True)
    rectification = models.TextField(_("rectification report"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decision = models.TextField(_("reviewer's decision"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolution = models.CharField(
        _("resolution"), max_length=10, choices=Resolution.choices, blank=True
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    scope_path: ClassVar[str] = "unit"
    objects = ScopedManager["Warning"]()
    board = WarningQuerySet.as_manager()

    @classmethod
    def extra_scope_q(cls, user: Any, action: str) -> Q | None:
        """A sender (e.g. a responsible department reporting for every district) sees the
        warnings its own batches raised; answering them stays with the unit."""
        if action != "view" or not getattr(user, "is_authenticated", False):
            return None
        return Q(raised_by_batch__sender=user)

    class Meta:
        verbose_name = _("warning")
        verbose_name_plural = _("warnings")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "unit", "time_node", "subject"],
                condition=~Q(state="closed"),
                name="one_active_warning_per_rule_unit_node_subject",
            )
        ]

    def __str__(self) -> str:
        return f"{self.rule.code} · {self.unit_id} · {self.time_node_id}"

    @property
    def message(self) -> str:

        if (get_language() or "").startswith("en") and self.message_en:
            return self.message_en
        return self.message_zh
