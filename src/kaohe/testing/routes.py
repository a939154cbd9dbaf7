"""Every door of the platform, read from the URL resolver and the OpenAPI schema (for the scope
matrix: a door with no entry there fails the test)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.generators import SchemaGenerator

API_PREFIX = "api/v1/"
# DRF's router adds a `.json`-style twin of every route; it runs the same view.
FORMAT_SUFFIX = "(?P<format>"


@dataclass(frozen=True)
class Route:
    """One URL pattern: its name ("namespace:name"), its pattern text and its module."""

    name: str
    pattern: str
    module: str

    @property
    def is_api(self) -> bool:
        return self.pattern.startswith(API_PREFIX)

    @property
    def is_admin(self) -> bool:
        return self.name.startswith("admin:") or self.pattern.startswith("admin/")


def _walk(patterns: Sequence[object], prefix: str, namespace: str) -> Iterator[Route]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = pattern.namespace or namespace
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            name = pattern.name or f"<unnamed {prefix}{pattern.pattern}>"
            yield Route(
                name=f"{namespace}:{name}" if namespace else name,
                pattern=prefix + str(pattern.pattern),
                module=getattr(pattern.callback, "__module__", ""),
            )


def url_routes() -> list[Route]:
    """Every pattern the resolver knows, but the format-suffix twins of API routes."""
    return [
        route
        for route in _walk(get_resolver().url_patterns, "", "")
        if FORMAT_SUFFIX not in route.pattern
    ]


def page_routes() -> list[Route]:
    """The pages (everything but the API, the admin site and the router's own root)."""
    return [r for r in url_routes() if not r.is_api and not r.is_admin]


def api_route_names() -> set[str]:
    """The names of the API's URL patterns (each must have an operation in the schema)."""
    return {r.name for r in url_routes() if r.is_api and r.name != "api-root"}


def api_operations() -> list[str]:
    """Every operation of the OpenAPI schema, as "METHOD /path/{param}/"."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items()
        for method in operations
        if method in {"get", "post", "put", "patch", "delete"}
    ]


def sample_path(operation: str) -> str:
    """The operation's path with every parameter set to a sample value."""
    return re.sub(r"\{[^}]+\}", "1", operation.split(" ", 1)[1])
