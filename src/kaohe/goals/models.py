"""Key and excellence goals (重点目标 + 创优目标) per unit and cycle, their four-level joint review
(四级联审) with frozen versions, decomposition to divisions and posts, and district target
suggestions (个性化目标)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kaohe.core.access import roles_of
from kaohe.core.models import TimeStampedModel
from kaohe.core.querysets import ScopedManager
from kaohe.core.roles import Role


class ReviewLevel(models.TextChoices):
    """The four levels of the joint review, in order."""

    OFFICE = "office", _("Assessment office")
    COMPREHENSIVE = "comprehensive", _("Comprehensive departments")
    LEADER = "leader", _("Leader in charge")
    COMMITTEE = "committee", _("Assessment committee")


LEVEL_ORDER = [level.value for level in ReviewLevel]


def next_level(level: str) -> str | None:
    index = LEVEL_ORDER.index(level)
    return LEVEL_ORDER[index + 1] if index + 1 < len(LEVEL_ORDER) else None


def _reviewer_q(user: Any, prefix: str) -> Q | None:
    """Comprehensive-department reviewers read every goal set that has been submitted (they
    review each department's goals in their field), not only their own unit's."""
    if Role.REVIEWER not in roles_of(user):
        return None
    return Q(**{f"{prefix}version_count__gt": 0})


class GoalPortfolioRules(TimeStampedModel):
    """How many key and excellence goals a unit's portfolio must hold in one cycle."""

    cycle = models.OneToOneField(
        "schemes.Cycle", on_delete=models.PROTECT, related_name="goal_rules"
    )
    min_key = models.PositiveSmallIntegerField(_("fewest key goals"), default=5)
    max_key = models.PositiveSmallIntegerField(_("most key goals"), default=9)
    min_excellence = models.PositiveSmallIntegerField(_("fewest excellence goals"), default=1)
    max_excellence = models.PositiveSmallIntegerField(_("most excellence goals"), default=3)

    class Meta:
        verbose_name = _("goal portfolio rules")
        verbose_name_plural = _("goal portfolio rules")
        constraints = [
            models.CheckConstraint(
                condition=Q(min_key__lte=models.F("max_key"))
                & Q(min_excellence__lte=models.F("max_excellence")),
                name="goal_rules_ordered",
            )
        ]

    def __str__(self) -> str:
        key = f"{self.min_key}–{self.max_key}"
        return f"{self.cycle}: {key} / {self.min_excellence}–{self.max_excellence}"


class ReviewDeadline(TimeStampedModel):
    """The date by which one review level should have decided, per cycle."""

    cycle = models.ForeignKey(
        "schemes.Cycle", on_delete=models.PROTECT, related_name="goal_deadlines"
    )
    level = models.CharField(_("review level"), max_length=16, choices=ReviewLevel.choices)
    due_date = models.DateField(_("due"))

    class Meta:
        verbose_name = _("review deadline")
        verbose_name_plural = _("review deadlines")
        ordering = ["cycle", "due_date"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "level"], name="one_deadline_per_level")
        ]

    def __str__(self) -> str:
        return f"{self.cycle} {self.get_level_display()} {self.due_date}"


class GoalSet(TimeStampedModel):
    """A unit's goal portfolio for one cycle and where it stands in the joint review."""

    class State(models.TextChoices):
        DRAFT = "draft", _("draft")
        IN_REVIEW = "in_review", _("in review")
        RETURNED = "returned", _("returned for revision")
        APPROVED = "approved", _("approved")

    unit = models.ForeignKey(
        "units.Unit", on_delete=models.PROTECT, related_name="goal_sets", verbose_name=_("unit")
    )
    cycle = models.ForeignKey(
        "schemes.Cycle", on_delete=models.PROTECT, related_name="goal_sets", verbose_name=_("cycle")
    )
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default="draft")
    level = models.CharField(
        _("review level"),
        max_length=16,
        choices=ReviewLevel.choices,
        blank=True,
        help_text=_("In review: the level deciding now. Returned: the level that returned it."),
    )
    version_count = models.PositiveIntegerField(_("versions"), default=0)
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)

    scope_path: ClassVar[str] = "unit"
    objects = ScopedManager["GoalSet"]()

    class Meta:
        verbose_name = _("goal portfolio")
        verbose_name_plural = _("goal portfolios")
        ordering = ["-cycle__year", "unit__path"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "cycle"], name="one_goal_set_per_unit_cycle")
        ]

    def __str__(self) -> str:
        return f"{self.unit} · {self.cycle}"

    @classmethod
    def extra_scope_q(cls, user: Any, action: str) -> Q | None:
        return _reviewer_q(user, "") if action == "view" else None

    @property
    def editable(self) -> bool:
        return self.state in {self.State.DRAFT, self.State.RETURNED}

    @property
    def status_label(self) -> str:
        if self.state == self.State.IN_REVIEW:
            return f"{self.get_state_display()}: {self.get_level_display()}"
        if self.state == self.State.RETURNED:
            return f"{self.get_state_display()} ({self.get_level_display()})"
        return str(self.get_state_display())


class Goal(TimeStampedModel):
    """One key or excellence goal: what, how measured, its target; an excellence goal names the
    benchmark it must not fall short of."""

    class Kind(models.TextChoices):
        KEY = "key", _("key goal")
        EXCELLENCE = "excellence", _("excellence goal")

    class Direction(models.TextChoices):
        HIGHER = "higher", _("higher is better")
        LOWER = "lower", _("lower is better")

    goal_set = models.ForeignKey(GoalSet, on_delete=models.CASCADE, related_name="goals")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default="key")
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    title_zh = models.CharField(_("goal (Chinese)"), max_length=200)
    title_en = models.CharField(_("goal (English)"), max_length=250, blank=True)
    description = models.TextField(_("what the goal covers"), blank=True)
    indicator = models.ForeignKey(
        "indicators.Indicator",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="goals",
        verbose_name=_("indicator"),
        help_text=_("Progress is then read from this indicator's observations."),
    )
    direction = models.CharField(
        _("direction"), max_length=8, choices=Direction.choices, default="higher"
    )
    target_value = models.DecimalField(
        _("target"), null=True, blank=True, max_digits=20, decimal_places=4
    )
    unit_of_measure = models.CharField(_("unit of measure"), max_length=40, blank=True)
    benchmark_name = models.CharField(
        _("benchmark (peer city or unit)"), max_length=200, blank=True
    )
    benchmark_value = models.DecimalField(
        _("benchmark value"), null=True, blank=True, max_digits=20, decimal_places=4
    )
    benchmark_year = models.PositiveSmallIntegerField(_("benchmark year"), null=True, blank=True)
    benchmark_source = models.CharField(_("benchmark source"), max_length=300, blank=True)

    scope_path: ClassVar[str] = "goal_set__unit"
    objects = ScopedManager["Goal"]()

    class Meta:
        verbose_name = _("goal")
        verbose_name_plural = _("goals")
        ordering = ["goal_set", "kind", "order", "id"]

    def __str__(self) -> str:
        return self.title

    @classmethod
    def extra_scope_q(cls, user: Any, action: str) -> Q | None:
        return _reviewer_q(user, "goal_set__") if action == "view" else None

    @property
    def title(self) -> str:

        if (get_language() or "").startswith("en") and self.title_en:
            return self.title_en
        return self.title_zh

    @property
    def share_total(self) -> Decimal:
        return sum((s.share for s in self.shares.all()), Decimal(0))


class GoalTarget(models.Model):
    """The goal's quantitative target at one time node (cumulative, like the observations)."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="targets")
    time_node = models.ForeignKey("schemes.TimeNode", on_delete=models.PROTECT, related_name="+")
    value = models.DecimalField(_("target"), max_digits=20, decimal_places=4)

    class Meta:
        verbose_name = _("time-node target")
        verbose_name_plural = _("time-node targets")
        ordering = ["goal", "time_node__order"]
        constraints = [
            models.UniqueConstraint(fields=["goal", "time_node"], name="one_target_per_node")
        ]

    def __str__(self) -> str:
        return f"{self.time_node.code}: {self.value}"


class GoalMilestone(models.Model):
    """A dated step of a goal (for goals without a figure, or beside it)."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(_("milestone"), max_length=200)
    due_date = models.DateField(_("due"))
    done = models.BooleanField(_("done"), default=False)

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["goal", "due_date", "id"]

    def __str__(self) -> str:
        return f"{self.due_date} {self.title}"


class GoalSetVersion(models.Model):
    """The portfolio as submitted: frozen at each submission so any two can be compared."""

    goal_set = models.ForeignKey(GoalSet, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    snapshot = models.JSONField(_("content"))
    note = models.TextField(_("note"), blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted"), auto_now_add=True)

    scope_path: ClassVar[str] = "goal_set__unit"
    objects = ScopedManager["GoalSetVersion"]()

    class Meta:
        verbose_name = _("goal portfolio version")
        verbose_name_plural = _("goal portfolio versions")
        ordering = ["goal_set", "number"]
        constraints = [
            models.UniqueConstraint(fields=["goal_set", "number"], name="one_goal_set_version")
        ]

    def __str__(self) -> str:
        return f"{self.goal_set} v{self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("Submitted versions never change")
        super().save(*args, **kwargs)

    @classmethod
    def extra_scope_q(cls, user: Any, action: str) -> Q | None:
        return _reviewer_q(user, "goal_set__") if action == "view" else None


class ReviewAction(models.Model):
    """One decision at one review level: approve, or return with comments."""

    class Decision(models.TextChoices):
        APPROVE = "approve", _("approved")
        RETURN = "return", _("returned for revision")

    goal_set = models.ForeignKey(GoalSet, on_delete=models.CASCADE, related_name="actions")
    version = models.ForeignKey(GoalSetVersion, on_delete=models.PROTECT, related_name="actions")
    level = models.CharField(_("review level"), max_length=16, choices=ReviewLevel.choices)
    decision = models.CharField(_("decision"), max_length=8, choices=Decision.choices)
    comment = models.TextField(_("comment"), blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("when"), auto_now_add=True)

    scope_path: ClassVar[str] = "goal_set__unit"
    objects = ScopedManager["ReviewAction"]()

    class Meta:
        verbose_name = _("review decision")
        verbose_name_plural = _("review decisions")
        ordering = ["goal_set", "at", "id"]

    def __str__(self) -> str:
        return f"{self.get_level_display()}: {self.get_decision_display()}"

    @classmethod
    def extra_scope_q(cls, user: Any, action: str) -> Q | None:
        return _reviewer_q(user, "goal_set__") if action == "view" else None


class GoalShare(models.Model):
    """A division's or a post's share of responsibility for an approved goal (for 考人)."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="shares")
    division = models.ForeignKey(
        "units.Unit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="goal_shares",
        verbose_name=_("division"),
    )
    post = models.ForeignKey(
        "units.Post",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="goal_shares",
        verbose_name=_("post"),
    )
    share = models.DecimalField(_("share (%)"), max_digits=6, decimal_places=2)

    scope_path: ClassVar[str] = "goal__goal_set__unit"
    objects = ScopedManager["GoalShare"]()

    class Meta:
        verbose_name = _("goal share")
        verbose_name_plural = _("goal shares")
        ordering = ["goal", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(division__isnull=False) & Q(post__isnull=True))
                | (Q(division__isnull=True) & Q(post__isnull=False)),
                name="goal_share_division_xor_post",
            ),
            models.CheckConstraint(
                condition=Q(share__gt=0) & Q(share__lte=100), name="goal_share_in_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.division or self.post}: {self.share}%"

    @property
    def holder(self) -> Any:
        return self.division or self.post


class TargetSuggestion(TimeStampedModel):
    """A suggested target for a district and indicator, from its own history, with the range,
    the method, the reason and its backtest record; the office accepts or adjusts it."""

    class State(models.TextChoices):
        SUGGESTED = "suggested", _("suggested")
        ACCEPTED = "accepted", _("accepted")
        ADJUSTED = "adjusted", _("adjusted")

    unit = models.ForeignKey(
        "units.Unit", on_delete=models.PROTECT, related_name="target_suggestions"
    )
    indicator = models.ForeignKey(
        "indicators.Indicator", on_delete=models.PROTECT, related_name="target_suggestions"
    )
    cycle = models.ForeignKey(
        "schemes.Cycle", on_delete=models.PROTECT, related_name="target_suggestions"
    )
    period = models.CharField(_("target period"), max_length=12)
    history = models.JSONField(_("history used"), default=dict)
    target = models.FloatField(_("suggested target"))
    low = models.FloatField(_("range low"))
    high = models.FloatField(_("range high"))
    method = models.CharField(_("method"), max_length=40)
    reason_zh = models.TextField(_("reason (Chinese)"))
    reason_en = models.TextField(_("reason (English)"))
    has_break = models.BooleanField(_("level shift"), default=False)
    backtest_mase = models.FloatField(_("backtest MASE"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default="suggested")
    accepted_value = models.FloatField(_("target set"), null=True, blank=True)
    adjusted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    adjustment_reason = models.TextField(_("reason for the adjustment"), blank=True)

    scope_path: ClassVar[str] = "unit"
    objects = ScopedManager["TargetSuggestion"]()

    class Meta:
        verbose_name = _("target suggestion")
        verbose_name_plural = _("target suggestions")
        ordering = ["unit__path", "indicator__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "indicator", "cycle"], name="one_suggestion_per_slot"
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit} {self.indicator.code} {self.period}"

    @property
    def reason(self) -> str:

        return self.reason_en if (get_language() or "").startswith("en") else self.reason_zh
