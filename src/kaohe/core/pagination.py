"""The API lists' pagination (its own module: DRF imports it while reading its settings)."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext
from rest_framework import exceptions
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response

from kaohe.core.renderers import CSVRenderer, serializer_fields
from kaohe.core.tables import CsvTable

# Rows serialized at a time in a CSV export: DRF's dicts of one chunk at most are in memory.
CSV_CHUNK = 500


class CsvTooLarge(exceptions.APIException):
    status_code = 400
    default_code = "csv_too_large"


def _chunks(queryset: Any) -> Iterator[list[Any]]:
    rows = queryset.iterator(chunk_size=CSV_CHUNK) if isinstance(queryset, QuerySet) else queryset
    rows = iter(rows)
    while chunk := list(islice(rows, CSV_CHUNK)):
        yield chunk


def csv_table(queryset: Any, view: Any) -> CsvTable:
    """Every row of the filtered, ordered `queryset` through the view's serializer, a chunk at
    a time, as one CSV table; refused past `KAOHE_CSV_MAX_ROWS` rows."""
    limit = settings.KAOHE_CSV_MAX_ROWS
    count = queryset.count() if isinstance(queryset, QuerySet) else len(queryset)
    if count > limit:
        raise CsvTooLarge(
            gettext(
                "%(count)s rows match; a CSV export holds at most %(limit)s. Narrow the filters."
            )
            % {"count": count, "limit": limit}
        )
    table = CsvTable(serializer_fields(view.get_serializer()))
    for chunk in _chunks(queryset):
        table.extend(view.get_serializer(chunk, many=True).data)
    return table


class Pagination(LimitOffsetPagination):
    """`?limit=&offset=` with a ceiling: a larger limit is read as the ceiling, so no limit
    reaches the database past what it can count.

    A list asked for as CSV is not paged: every matching row, in the list's order, up to
    `KAOHE_CSV_MAX_ROWS` (beyond it a 400 asks for narrower filters), serialized a chunk at a
    time by `csv_table`. The page handed back to the list is empty, so DRF serializes nothing
    twice; the table is the response (`get_paginated_response`)."""

    default_limit = 100
    max_limit = 1000

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> list[Any] | None:
        self.csv: CsvTable | None = None
        if isinstance(getattr(request, "accepted_renderer", None), CSVRenderer):
            self.csv = csv_table(queryset, view)
            return []
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data: Any) -> Response:
        if getattr(self, "csv", None) is not None:
            return Response(self.csv)
        return super().get_paginated_response(data)
