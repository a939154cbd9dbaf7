"""The scoped queryset: every scoped query goes through `.restrict(user, action)`."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models
from django.db.models import Q

from kaohe.core.access import unit_scope

_M = TypeVar("_M", bound=models.Model)


class ScopedQuerySet(models.QuerySet[_M]):
    """A queryset whose `.restrict(user, action)` keeps only rows in the user's unit scope.

    The model names the path from a row to its unit in `scope_path` ("" when the row is a unit);
    a model may widen the scope with `extra_scope_q(user, action)` (e.g. a responsible
    department seeing its indicators across units)."""

    def restrict(self, user: Any, action: str = "view") -> ScopedQuerySet[_M]:
        scope = unit_scope(user, action)
        if scope.everything:
            return self.all()
        path: str = self.model.scope_path  # type: ignore[attr-defined]
        condition = scope.q(path) if scope.unit_ids else Q(pk__in=[])
        extra = getattr(self.model, "extra_scope_q", None)
        if extra is not None:
            widened = extra(user, action)
            if widened is not None:
                condition |= widened
        return self.filter(condition)


class ScopedManager(models.Manager[_M]):
    """Default manager of scoped models."""

    def get_queryset(self) -> ScopedQuerySet[_M]:
        return ScopedQuerySet(self.model, using=self._db)

    def restrict(self, user: Any, action: str = "view") -> ScopedQuerySet[_M]:
        return self.get_queryset().restrict(user, action)
