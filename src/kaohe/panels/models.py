"""Expert panels (四维评价): a cycle's panel of expert raters, the excellence goals put before it,
who rates which goal, the experts' declared conflicts of interest and their ratings on the four
dimensions (创优性, 攻坚性, 创新性, 效益性), 0–100 each.

Who sees what (`restrict`): the office, the committee and auditors see everything; an expert
sees only their own assignments, ratings and declarations; a unit sees the aggregated result of
its own goals (`PanelGoal`), never a rating or who rated. The scope of a unit is not enough here:
an expert's grant covers the whole city, so these models name the expert instead."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kaohe.core import access
from kaohe.core.models import BilingualNameMixin, TimeStampedModel
from kaohe.core.querysets import ScopedQuerySet
from kaohe.core.roles import Action, Role
from kaohe.panels.rubric import SCALE_MAX, SCALE_MIN


class Dimension(models.TextChoices):
    """The four dimensions, in the engine's order (`kaohe.engine.evaluation.DIMENSIONS`)."""

    EXCELLENCE = "excellence", _("excellence (创优性)")
    DIFFICULTY = "difficulty", _("difficulty (攻坚性)")
    INNOVATION = "innovation", _("innovation (创新性)")
    BENEFIT = "benefit", _("benefit (效益性)")


def oversees_panels(user: Any) -> bool:
    """The office, the committee and auditors: they see every panel, rating and rater."""
    return any(
        access.has_citywide(user, action)
        for action in (Action.ADMINISTER, Action.APPROVE, Action.AUDIT)
    )


def _active(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


class ExpertQuerySet(models.QuerySet[Any]):
    """Rows of one expert (`expert_path` names the expert user): the expert sees their own; the
    office, the committee and auditors see all ("view"). Only the expert may "rate"."""

    def restrict(self, user: Any, action: str = "view") -> ExpertQuerySet:
        if not _active(user):
            return self.none()
        path: str = self.model.expert_path
        if action == Action.RATE:
            return self.filter(**{path: user})
        if oversees_panels(user):
            return self.all()
        if not path:
            return self.none()
        return self.filter(**{path: user})


class PanelGoalQuerySet(ScopedQuerySet[Any]):
    """A goal's aggregated result: the office, the committee and auditors see all; a unit's
    people see their own units' goals (the unit scope); an expert sees none (they see only
    their assignments)."""

    def restrict(self, user: Any, action: str = "view") -> PanelGoalQuerySet:
        if not _active(user):
            return self.none()
        if oversees_panels(user):
            return self.all()
        if Role.EXPERT in access.roles_of(user):
            return self.none()
        return super().restrict(user, action)  # type: ignore[return-value]


class Panel(BilingualNameMixin, TimeStampedModel):
    """A cycle's expert panel: its experts rate the excellence goals put before it on the four
    dimensions; its results feed the indicator it names."""

    class State(models.TextChoices):
        OPEN = "open", _("open for ratings")
        CLOSED = "closed", _("closed")

    cycle = models.ForeignKey(
        "schemes.Cycle", on_delete=models.PROTECT, related_name="panels", verbose_name=_("cycle")
    )
    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    indicator = models.ForeignKey(
        "indicators.Indicator",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("indicator fed"),
        help_text=_("Each unit's excellence score from this panel is recorded on this indicator."),
    )
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default="open")
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    expert_path: ClassVar[str] = ""  # a panel as a whole is the office's
    objects = ExpertQuerySet.as_manager()

    class Meta:
        verbose_name = _("expert panel")
        verbose_name_plural = _("expert panels")
        ordering = ["-cycle__year", "pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_open(self) -> bool:
        return self.state == self.State.OPEN


class PanelDimension(models.Model):
    """One of a panel's four dimensions: its weight in the overall score and its rubric (the
    anchored description of each score band, Chinese and English)."""

    panel = models.ForeignKey(Panel, on_delete=models.CASCADE, related_name="dimensions")
    code = models.CharField(_("dimension"), max_length=12, choices=Dimension.choices)
    order = models.PositiveSmallIntegerField(_("order"))
    weight = models.DecimalField(_("weight"), max_digits=6, decimal_places=4)
    rubric = models.JSONField(_("rubric"))

    class Meta:
        verbose_name = _("panel dimension")
        verbose_name_plural = _("panel dimensions")
        ordering = ["panel", "order"]
        constraints = [
            models.UniqueConstraint(fields=["panel", "code"], name="one_dimension_per_panel"),
            models.CheckConstraint(condition=Q(weight__gte=0), name="dimension_weight_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.panel}: {self.get_code_display()}"


class PanelMember(TimeStampedModel):
    """An expert sitting on a panel."""

    panel = models.ForeignKey(Panel, on_delete=models.CASCADE, related_name="members")
    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="panel_seats",
        verbose_name=_("expert"),
    )

    expert_path: ClassVar[str] = "expert"
    objects = ExpertQuerySet.as_manager()

    class Meta:
        verbose_name = _("panel member")
        verbose_name_plural = _("panel members")
        ordering = ["panel", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["panel", "expert"], name="one_seat_per_expert")
        ]

    def __str__(self) -> str:
        return f"{self.panel}: {expert_name(self.expert)}"


def expert_name(user: Any) -> str:
    """An expert as the office's pages name them."""
    full = (user.get_full_name() or "").strip()
    return f"{full} ({user.username})" if full else str(user.username)


class ConflictDeclaration(TimeStampedModel):
    """An expert's declared conflict of interest with a unit (and its sub-units): they are
    never assigned its goals, and open assignments of them are withdrawn."""

    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="panel_conflicts",
        verbose_name=_("expert"),
    )
    unit = models.ForeignKey(
        "units.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    reason = models.TextField(_("reason"))
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    expert_path: ClassVar[str] = "expert"
    objects = ExpertQuerySet.as_manager()

    class Meta:
        verbose_name = _("declared conflict of interest")
        verbose_name_plural = _("declared conflicts of interest")
        ordering = ["expert", "unit__path"]
        constraints = [
            models.UniqueConstraint(fields=["expert", "unit"], name="one_conflict_per_unit")
        ]

    def __str__(self) -> str:
        return f"{expert_name(self.expert)} ↔ {self.unit}"


class PanelGoal(TimeStampedModel):
    """An excellence goal put before a panel (a goal is before one panel at most); its
    aggregated result is what the goal's unit sees."""

    panel = models.ForeignKey(Panel, on_delete=models.CASCADE, related_name="goals")
    goal = models.OneToOneField(
        "goals.Goal", on_delete=models.PROTECT, related_name="panel_item", verbose_name=_("goal")
    )

    scope_path: ClassVar[str] = "goal__goal_set__unit"
    objects = PanelGoalQuerySet.as_manager()

    class Meta:
        verbose_name = _("goal before a panel")
        verbose_name_plural = _("goals before panels")
        ordering = ["panel", "goal__goal_set__unit__path", "goal__order", "goal__pk"]

    def __str__(self) -> str:
        return f"{self.panel}: {self.goal}"

    @property
    def unit(self) -> Any:
        return self.goal.goal_set.unit


class Assignment(TimeStampedModel):
    """One expert asked to rate one goal. Open until rated; withdrawn (with the reason) when the
    office takes it back or the expert declares a conflict with the goal's unit."""

    class State(models.TextChoices):
        OPEN = "open", _("to rate")
        RATED = "rated", _("rated")
        WITHDRAWN = "withdrawn", _("withdrawn")

    item = models.ForeignKey(PanelGoal, on_delete=models.CASCADE, related_name="assignments")
    member = models.ForeignKey(PanelMember, on_delete=models.PROTECT, related_name="assignments")
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default="open")
    withdrawn_reason = models.TextField(_("why withdrawn"), blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    expert_path: ClassVar[str] = "member__expert"
    objects = ExpertQuerySet.as_manager()

    class Meta:
        verbose_name = _("panel assignment")
        verbose_name_plural = _("panel assignments")
        ordering = ["item__panel", "member", "item"]
        constraints = [
            models.UniqueConstraint(fields=["item", "member"], name="one_assignment_per_expert")
        ]

    def __str__(self) -> str:
        return f"{self.item.goal} ← {self.member.expert.username}"


class Rating(models.Model):
    """An expert's rating of one assigned goal: 0–100 on each dimension and a comment. Final
    once submitted (`save` of a stored rating and `delete` refuse)."""

    assignment = models.OneToOneField(Assignment, on_delete=models.PROTECT, related_name="rating")
    excellence = models.PositiveSmallIntegerField(_("excellence (创优性)"))
    difficulty = models.PositiveSmallIntegerField(_("difficulty (攻坚性)"))
    innovation = models.PositiveSmallIntegerField(_("innovation (创新性)"))
    benefit = models.PositiveSmallIntegerField(_("benefit (效益性)"))
    comment = models.TextField(_("comment"), blank=True)
    submitted_at = models.DateTimeField(_("submitted"), auto_now_add=True)

    expert_path: ClassVar[str] = "assignment__member__expert"
    objects = ExpertQuerySet.as_manager()

    class Meta:
        verbose_name = _("expert rating")
        verbose_name_plural = _("expert ratings")
        ordering = ["assignment__item__panel", "assignment__item", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    **{f"{code}__gte": SCALE_MIN for code in Dimension.values},
                    **{f"{code}__lte": SCALE_MAX for code in Dimension.values},
                ),
                name="rating_within_scale",
            )
        ]

    def __str__(self) -> str:
        return f"{self.assignment}: {self.scores}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("A submitted rating never changes")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ValueError("A submitted rating is never deleted")

    @property
    def scores(self) -> dict[str, int]:
        return {code: getattr(self, code) for code in Dimension.values}
