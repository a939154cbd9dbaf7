"""The base of every list's FilterSet, and the audit trail's.

One FilterSet per list serves its page (`FilterSet(request.GET, queryset=<restricted>,
request=request)`, whose form the page renders) and its API list (`filterset_class` with
DRF's `DjangoFilterBackend`), so the same query string gives the same rows in both. A bad
value is a form error on the page and a 400 naming the field in the API.
"""

from __future__ import annotations

from typing import Any, ClassVar

import django_filters
from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _
from django_filters.conf import settings as filter_settings

from kaohe.core.access import unit_scope
from kaohe.core.events import EventType
from kaohe.core.models import AuditEvent
from kaohe.core.widgets import quicken

EMPTY = filter_settings.EMPTY_CHOICE_LABEL


class ListFilterSet(django_filters.FilterSet):
    """A FilterSet that also reads the names an API list used before (`aliases`: old name →
    filter name) and takes the page's defaults for values left empty (`defaults`)."""

    aliases: ClassVar[dict[str, str]] = {}

    def __init__(
        self,
        data: Any = None,
        queryset: Any = None,
        *,
        request: Any = None,
        prefix: str | None = None,
        defaults: dict[str, str] | None = None,
    ) -> None:
        if data is not None and (self.aliases or defaults):
            data = _mutable(data)
            for old, new in self.aliases.items():
                if data.get(old) and not data.get(new):
                    data.setlist(new, data.getlist(old))
            for name, value in (defaults or {}).items():
                if not data.get(name):
                    data[name] = value
        super().__init__(data, queryset, request=request, prefix=prefix)
        for filter_ in self.filters.values():
            if not isinstance(filter_, django_filters.ChoiceFilter):
                continue
            if filter_.extra.get("empty_label", EMPTY) == EMPTY:
                filter_.extra["empty_label"] = _("all")  # the empty choice filters nothing

    @property
    def qs(self) -> Any:
        """The filtered rows; none while a value is refused (the page shows the form's error,
        the API answers 400), so a bad value never shows the unfiltered list."""
        if self.is_bound and not self.is_valid():
            return self.queryset.none()
        return super().qs

    @property
    def form(self) -> Any:
        """The page's filter form; its inputs are named as the query parameters, with ids
        `f-<name>` so they never clash with another form on the page."""
        if not hasattr(self, "_form"):
            form_class = self.get_form_class()
            data = self.data if self.is_bound else None
            self._form = quicken(form_class(data, prefix=self.form_prefix, auto_id="f-%s"))
        return self._form


def _mutable(data: Any) -> QueryDict:
    if isinstance(data, QueryDict):
        return data.copy()
    copy = QueryDict(mutable=True)
    for name, value in data.items():
        copy.setlist(name, value if isinstance(value, list) else [value])
    return copy


def user_of(request: Any) -> Any:
    """The signed-in user of a page's or an API's request (None while the schema is built)."""
    return getattr(request, "user", None)


def audit_units(request: Any) -> QuerySet[Any]:
    """The units whose audit events the user may read (the unit choice of the audit trail)."""
    units = AuditEvent._meta.get_field("unit").related_model._default_manager.all()  # type: ignore[union-attr]
    scope = unit_scope(user_of(request), "audit")
    if scope.everything:
        return units
    return units.filter(pk__in=sorted(scope.unit_ids))


class AuditEventFilterSet(ListFilterSet):
    """The audit trail (page `/audit/` and `/api/v1/audit-events/`)."""

    event = django_filters.ChoiceFilter(
        field_name="event_type", label=_("Event"), choices=EventType.choices
    )
    unit = django_filters.ModelChoiceFilter(
        field_name="unit", to_field_name="code", queryset=audit_units, label=_("Unit")
    )
    request_id = django_filters.CharFilter(label=_("Request id"))
    q = django_filters.CharFilter(method="search", label=_("Object, user or request id"))

    aliases: ClassVar[dict[str, str]] = {"event_type": "event", "unit__code": "unit"}

    class Meta:
        model = AuditEvent
        fields = ["event", "unit", "request_id", "q"]

    def search(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(object_repr__icontains=value)
            | Q(acting_user__username__icontains=value)
            | Q(request_id=value)
        )
