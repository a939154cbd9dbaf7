"""Assessed units as a tree, their categories, divisions, posts and people."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node, MP_NodeManager, MP_NodeQuerySet

from kaohe.core.access import unit_scope
from kaohe.core.models import BilingualNameMixin, TimeStampedModel
from kaohe.core.querysets import ScopedManager, ScopedQuerySet


class Category(BilingualNameMixin, TimeStampedModel):
    """A comparison group: units are ranked only against units of the same category.

    Top level: districts and county-level cities (区市) and municipal departments (市直单位); the
    departments have sub-categories (综合、经济、社会、党群), and a unit belongs to a leaf."""

    class Kind(models.TextChoices):
        DISTRICT = "district", _("Districts and county-level cities")
        DEPARTMENT = "department", _("Municipal departments")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("parent category"),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name


class UnitQuerySet(MP_NodeQuerySet, ScopedQuerySet["Unit"]):
    """Units, with scope and "this unit and below"."""

    def subtree(self, unit: Unit) -> UnitQuerySet:
        """This unit and every unit below it."""
        return self.filter(path__startswith=unit.path)

    def assessed(self) -> UnitQuerySet:
        return self.filter(is_assessed=True)


class UnitManager(MP_NodeManager):
    def get_queryset(self) -> UnitQuerySet:
        return UnitQuerySet(self.model, using=self._db).order_by("path")

    def restrict(self, user: Any, action: str = "view") -> UnitQuerySet:
        return self.get_queryset().restrict(user, action)  # type: ignore[return-value]

    def subtree(self, unit: Unit) -> UnitQuerySet:
        return self.get_queryset().subtree(unit)


class Unit(BilingualNameMixin, MP_Node, TimeStampedModel):
    """An organisation in the city's tree: the city, districts, departments and their divisions."""

    class Kind(models.TextChoices):
        CITY = "city", _("City")
        OFFICE = "office", _("Assessment office")
        DISTRICT = "district", _("District")
        COUNTY_CITY = "county_city", _("County-level city")
        DEPARTMENT = "department", _("Municipal department")
        DIVISION = "division", _("Division")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=150, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    category = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="units",
        verbose_name=_("category"),
    )
    is_assessed = models.BooleanField(_("assessed"), default=False)
    active = models.BooleanField(_("active"), default=True)

    node_order_by: ClassVar[list[str]] = ["code"]
    scope_path: ClassVar[str] = ""
    objects = UnitManager()

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")

    def __str__(self) -> str:
        return self.name

    @property
    def assessed_unit(self) -> Unit | None:
        """The nearest assessed unit at or above this one (a division's department)."""
        if self.is_assessed:
            return self
        return (
            Unit.objects.filter(is_assessed=True, path__in=self._ancestor_paths())
            .order_by("-depth")
            .first()
        )

    def _ancestor_paths(self) -> list[str]:
        step = self.steplen
        return [self.path[:i] for i in range(step, len(self.path), step)]


class Post(TimeStampedModel):
    """A post (岗位) in a unit or one of its divisions."""

    class Rank(models.TextChoices):
        HEAD = "head", _("Head")
        DEPUTY_HEAD = "deputy_head", _("Deputy head")
        DIVISION_CHIEF = "division_chief", _("Division chief")
        STAFF = "staff", _("Staff")

    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="posts", verbose_name=_("unit")
    )
    code = models.SlugField(_("code"), max_length=40, unique=True)
    title_zh = models.CharField(_("title (Chinese)"), max_length=100)
    title_en = models.CharField(_("title (English)"), max_length=150, blank=True)
    rank = models.CharField(_("rank"), max_length=16, choices=Rank.choices)

    scope_path: ClassVar[str] = "unit"
    objects = ScopedManager["Post"]()

    class Meta:
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        ordering = ["unit__path", "code"]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:

        if (get_language() or "").startswith("en") and self.title_en:
            return self.title_en
        return self.title_zh


class Person(TimeStampedModel):
    """A civil servant: belongs to an assessed unit, holds at most one post, may have a login."""

    class Gender(models.TextChoices):
        MALE = "M", _("male")
        FEMALE = "F", _("female")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=60)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices)
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="people", verbose_name=_("unit")
    )
    post = models.OneToOneField(
        Post,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="holder",
        verbose_name=_("post"),
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
        verbose_name=_("login"),
    )

    scope_path: ClassVar[str] = "unit"
    objects = ScopedManager["Person"]()

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["unit__path", "code"]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def extra_scope_q(cls, user: Any, action: str) -> Q | None:
        """A civil servant always sees their own record (and their personnel record)."""
        if action in ("view", "personnel") and getattr(user, "is_authenticated", False):
            return Q(user=user)
        return None


class CityMap(models.Model):
    """One version of the city's map of its units: a GeoJSON FeatureCollection whose features
    carry `properties.code`, a unit's code. Append-only: an upload is a new version, the
    newest one is current, and no version is ever changed or deleted."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    geojson = models.JSONField(_("GeoJSON"))
    codes = models.JSONField(_("unit codes"), default=list)
    feature_count = models.PositiveIntegerField(_("features"))
    byte_size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("fingerprint"), max_length=64)
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )

    class Meta:
        verbose_name = _("city map")
        verbose_name_plural = _("city maps")
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"{_('city map')} v{self.version}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("A city map version never changes: upload a new version")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ValueError("City map versions are kept: upload a new version instead")

    @classmethod
    def current(cls) -> CityMap | None:
        """The newest version, or None before the first upload."""
        return cls.objects.order_by("-version").first()


def visible_units(user: Any, action: str = "view") -> UnitQuerySet:
    """Units in the user's scope (a shortcut used by pages and the API)."""
    scope = unit_scope(user, action)
    queryset = Unit.objects.get_queryset()
    if scope.everything:
        return queryset
    return queryset.filter(pk__in=sorted(scope.unit_ids))
