"""The API lists' pagination (its own module: DRF imports it while reading its settings)."""

from __future__ import annotations

from rest_framework.pagination import LimitOffsetPagination


class Pagination(LimitOffsetPagination):
    """`?limit=&offset=` with a ceiling: a larger limit is read as the ceiling, so no limit
    reaches the database past what it can count."""

    default_limit = 100
    max_limit = 1000
