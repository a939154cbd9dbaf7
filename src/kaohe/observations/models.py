"""An observation is the slot (unit, indicator, time node); its values are immutable versions."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kaohe.core import access
from kaohe.core.querysets import ScopedManager


class Source(models.TextChoices):
    FORM = "form", _("web form")
    EXCEL = "excel", _("Excel upload")
    CSV = "csv", _("CSV upload")
    API = "api", _("REST API")
    STREAM = "stream", _("event stream")
    DERIVED = "derived", _("derived")
    IMPORT = "import", _("initial import")
    SURVEY = "survey", _("survey results")
    PANEL = "panel", _("expert panel ratings")
    PROJECTS = "projects", _("key projects register")


def _observation_extra_scope(user: Any, action: str, indicator_path: str) -> Q | None:
    """A responsible department (考核责任单位) sees and reports its indicators for every unit;
    sensitive indicators stay with the office, auditors and their responsible department."""
    responsible = access.responsible_unit_ids(user, action)
    if not responsible:
        return None
    return Q(**{f"{indicator_path}__responsible_department__in": sorted(responsible)})


class IngestionBatch(models.Model):
    """One delivery of values through any door (form, Excel, CSV, API, stream), as accepted.

    A client key makes a delivery idempotent: the same key from the same sender is answered
    with the stored result and writes nothing again."""

    client_key = models.CharField(_("client key"), max_length=128, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    source_unit = models.ForeignKey(
        "units.Unit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    received_at = models.DateTimeField(_("received"), auto_now_add=True, db_index=True)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    created = models.PositiveIntegerField(_("new values"), default=0)
    corrected = models.PositiveIntegerField(_("corrections"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    derived = models.PositiveIntegerField(_("derived values"), default=0)
    rejected = models.JSONField(_("rows left out"), default=list, blank=True)
    warnings_raised = models.PositiveIntegerField(_("warnings raised"), default=0)
    warnings_resolved = models.PositiveIntegerField(_("warnings resolved"), default=0)
    file_name = models.CharField(_("file"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("ingestion batch")
        verbose_name_plural = _("ingestion batches")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["sender", "client_key"],
                condition=~models.Q(client_key=""),
                name="one_batch_per_client_key",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_source_display()} ({self.rows})"

    def summary(self) -> dict[str, Any]:
        return {
            "batch": self.pk,
            "client_key": self.client_key or None,
            "rows": self.rows,
            "created": self.created,
            "corrected": self.corrected,
            "unchanged": self.unchanged,
            "derived": self.derived,
            "rejected": self.rejected,
            "warnings_raised": self.warnings_raised,
            "warnings_resolved": self.warnings_resolved,
        }


class Observation(models.Model):
    """The current value of (unit, indicator, time node) — a cache of its latest version."""

    unit = models.ForeignKey(
        "units.Unit", on_delete=models.PROTECT, related_name="observations", verbose_name=_("unit")
    )
    indicator = models.ForeignKey(
        "indicators.Indicator",
        on_delete=models.PROTECT,
        related_name="observations",
        verbose_name=_("indicator"),
    )
    time_node = models.ForeignKey(
        "schemes.TimeNode",
        on_delete=models.PROTECT,
        related_name="observations",
        verbose_name=_("time node"),
    )
    value = models.DecimalField(_("value"), max_digits=24, decimal_places=6, null=True, blank=True)
    text = models.CharField(_("graded value"), max_length=40, blank=True)
    version_count = models.PositiveIntegerField(_("versions"), default=0)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    scope_path: ClassVar[str] = "unit"
    objects = ScopedManager["Observation"]()

    class Meta:
        verbose_name = _("observation")
        verbose_name_plural = _("observations")
        ordering = ["time_node__period", "unit__path", "indicator__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "indicator", "time_node"], name="one_observation_per_slot"
            )
        ]
        indexes = [models.Index(fields=["indicator", "time_node"])]

    def __str__(self) -> str:
        return f"{self.unit_id}/{self.indicator_id}/{self.time_node_id}"

    @classmethod
    def extra_scope_q(cls, user: Any, action: str) -> Q | None:
        return _observation_extra_scope(user, action, "indicator")

    @property
    def display_value(self) -> str:
        if self.text:
            return self.text
        if self.value is None:
            return ""
        return f"{self.value:.{self.indicator.decimals}f}"


class ObservationVersion(models.Model):
    """One value as it was sent: who, when, from where, why. Never updated, never deleted."""

    observation = models.ForeignKey(Observation, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    value = models.DecimalField(_("value"), max_digits=24, decimal_places=6, null=True, blank=True)
    text = models.CharField(_("graded value"), max_length=40, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    source_unit = models.ForeignKey(
        "units.Unit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("sending department"),
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("sent by"),
    )
    recorded_at = models.DateTimeField(_("recorded"), db_index=True)
    reason = models.TextField(_("reason for the correction"), blank=True)
    event = models.ForeignKey(
        "core.AuditEvent", on_delete=models.PROTECT, related_name="+", null=True
    )
    batch = models.ForeignKey(
        "observations.IngestionBatch",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="versions",
    )

    scope_path: ClassVar[str] = "observation__unit"
    objects = ScopedManager["ObservationVersion"]()

    class Meta:
        verbose_name = _("observation version")
        verbose_name_plural = _("observation versions")
        ordering = ["observation", "number"]
        constraints = [
            models.UniqueConstraint(fields=["observation", "number"], name="version_number")
        ]

    def __str__(self) -> str:
        return f"{self.observation} v{self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("Observation versions are never changed; record a new version")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ValueError("Observation versions are never deleted")

    @classmethod
    def extra_scope_q(cls, user: Any, action: str) -> Q | None:
        return _observation_extra_scope(user, action, "observation__indicator")


def _evidence_path(instance: Evidence, filename: str) -> str:
    # content-addressed: the stored name says nothing about the unit and cannot collide
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"evidence/{instance.sha256[:2]}/{instance.sha256}.{suffix}"


class Evidence(models.Model):
    """A supporting document sent with a batch (a statistical bulletin, a tax office's letter,
    a signed correction request). Every value version of the batch keeps it. Never changed."""

    batch = models.ForeignKey(IngestionBatch, on_delete=models.PROTECT, related_name="evidence")
    file = models.FileField(_("file"), upload_to=_evidence_path, max_length=200)
    name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")
        ordering = ["batch", "pk"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("Evidence files are never changed; send a new one")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ValueError("Evidence files are never deleted")
