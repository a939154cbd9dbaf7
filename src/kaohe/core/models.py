"""Base models, typed grants and the audit trail."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kaohe.core.events import EventType, event_type_choices
from kaohe.core.querysets import ScopedManager
from kaohe.core.roles import Role


class TimeStampedModel(models.Model):
    """Created and updated stamps for every domain row."""

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class BilingualNameMixin:
    """`name` in the active language from `name_zh` / `name_en` (Chinese when English is empty)."""

    name_zh: Any
    name_en: Any

    @property
    def name(self) -> str:

        if (get_language() or "").startswith("en") and self.name_en:
            return str(self.name_en)
        return str(self.name_zh)


class Grant(TimeStampedModel):
    """A role given to a user or a group over a unit (null: the whole city), optionally with its
    sub-units."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="kaohe_grants",
        verbose_name=_("user"),
    )
    group = models.ForeignKey(
        "auth.Group",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="kaohe_grants",
        verbose_name=_("group"),
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    unit = models.ForeignKey(
        "units.Unit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="grants",
        verbose_name=_("unit"),
        help_text=_("Empty means the whole city."),
    )
    include_descendants = models.BooleanField(_("includes sub-units"), default=True)

    class Meta:
        verbose_name = _("grant")
        verbose_name_plural = _("grants")
        constraints = [
            models.CheckConstraint(
                condition=(Q(user__isnull=False) & Q(group__isnull=True))
                | (Q(user__isnull=True) & Q(group__isnull=False)),
                name="grant_user_xor_group",
            )
        ]

    def __str__(self) -> str:
        who = self.user or self.group
        where = self.unit or _("whole city")
        return f"{who}: {self.get_role_display()} @ {where}"


class AuditEvent(models.Model):
    """A typed domain event (who did what, when, to which object, with which values).

    Written by service functions inside their transaction; never updated or deleted."""

    event_type = models.PositiveIntegerField(_("event"), choices=event_type_choices)
    occurred_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    acting_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("who"),
    )
    unit = models.ForeignKey(
        "units.Unit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("unit"),
    )
    content_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=255, blank=True)
    extra_data = models.JSONField(_("details"), default=dict, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True, db_index=True)
    reason = models.TextField(_("reason"), blank=True)

    objects = ScopedManager["AuditEvent"]()

    scope_path: ClassVar[str] = "unit"

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.get_event_type_display()} {self.object_repr}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("Audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ValueError("Audit events are append-only")

    @property
    def event(self) -> EventType:
        return EventType(self.event_type)


class ObjectChange(models.Model):
    """A field-level change (before/after) belonging to one audit event."""

    class Action(models.TextChoices):
        CREATE = "create", _("created")
        UPDATE = "update", _("updated")
        DELETE = "delete", _("deleted")

    event = models.ForeignKey(AuditEvent, on_delete=models.PROTECT, related_name="changes")
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=255)
    action = models.CharField(max_length=8, choices=Action.choices)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    class Meta:
        verbose_name = _("object change")
        verbose_name_plural = _("object changes")
        ordering = ["id"]
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.object_repr}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("Object changes are append-only")
        super().save(*args, **kwargs)

    @property
    def changed_fields(self) -> list[tuple[str, Any, Any]]:
        before = self.before or {}
        after = self.after or {}
        keys = sorted(set(before) | set(after))
        return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]


class NotificationManager(models.Manager["Notification"]):
    def notify(self, users: Any, text: str, link: str = "") -> list[Notification]:
        """Leave an in-app message for each user (once per user). Callers write it inside their
        own service transaction, so a refused action leaves no message behind."""
        return self.bulk_create(self.build(users, text, link))

    def build(self, users: Any, text: str, link: str = "") -> list[Notification]:
        """The unsaved messages `notify` writes (for callers that write many at once)."""
        seen: set[int] = set()
        rows = []
        for user in users:
            if user is None or user.pk in seen:
                continue
            seen.add(user.pk)
            rows.append(Notification(user=user, text=str(text)[:500], link=link))
        return rows

    def build_for_ids(self, user_ids: Any, text: str, link: str = "") -> list[Notification]:
        """`build` for users known by their ids (once per user, in their order), for a caller
        that has read the ids alone."""
        text = str(text)[:500]
        return [
            Notification(user_id=user_id, text=text, link=link)
            for user_id in dict.fromkeys(user_ids)
        ]

    def unread_for(self, user: Any) -> models.QuerySet[Notification]:
        return self.filter(user=user, read_at__isnull=True)


class Notification(models.Model):
    """An in-app message to one user: a task waiting at their review level, a reminder of a
    deadline, a decision on their unit's goals. Read in the app, never sent out."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="kaohe_notifications",
        verbose_name=_("user"),
    )
    text = models.CharField(_("message"), max_length=500)
    link = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    objects = NotificationManager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return self.text[:60]


class Job(TimeStampedModel):
    """Long work run by a worker (`kaohe worker`): who asked for it, the unit it concerns (none:
    city-level), where it stands, and the object it produced. Written by `kaohe.core.jobs`."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        SUCCEEDED = "succeeded", _("done")
        FAILED = "failed", _("failed")

    kind = models.CharField(_("kind"), max_length=64, db_index=True)
    label = models.CharField(_("what"), max_length=255, blank=True)
    task_path = models.CharField(_("task"), max_length=255)
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    language = models.CharField(_("language"), max_length=16, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="kaohe_jobs",
        verbose_name=_("asked by"),
    )
    unit = models.ForeignKey(
        "units.Unit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("unit"),
        help_text=_("Empty means a city-level job."),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    progress = models.PositiveSmallIntegerField(_("progress"), default=0)
    message = models.CharField(_("step"), max_length=255, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    max_attempts = models.PositiveSmallIntegerField(_("attempts allowed"), default=3)
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    task_result_id = models.CharField(_("task result id"), max_length=64, blank=True)
    error = models.TextField(_("reason of failure"), blank=True)
    result_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    result_id = models.CharField(max_length=64, blank=True)
    result_url = models.CharField(_("result"), max_length=300, blank=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    objects = ScopedManager["Job"]()

    scope_path: ClassVar[str] = "unit"

    class Meta:
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="job_progress_0_100")
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"

    @classmethod
    def extra_scope_q(cls, user: Any, action: str) -> Q | None:
        """The one who asked for a job always sees it."""
        return Q(requested_by=user) if getattr(user, "is_authenticated", False) else None

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)

    @property
    def result(self) -> models.Model | None:
        """The object the job produced (None until it succeeded, or if it made none)."""
        if self.result_type is None or not self.result_id:
            return None
        model = self.result_type.model_class()
        if model is None:
            return None
        return model._default_manager.filter(pk=self.result_id).first()


class DataVersion(models.Model):
    """A counter raised after every commit that wrote an audit event (`kaohe.core.fragments`):
    with the audit trail's highest id, the version cached pages are keyed on. One row."""

    number = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("data version")
        verbose_name_plural = _("data versions")

    def __str__(self) -> str:
        return str(self.number)
