"""The API's renderers and content negotiation (their own module: DRF imports it while reading
its settings, so it imports no model)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from django.utils import timezone
from rest_framework.mixins import ListModelMixin
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer, BrowsableAPIRenderer

from kaohe.core.tables import CsvTable


class BrowsableAPI(BrowsableAPIRenderer):
    """DRF's browsable API without its inline <style> of code colours, so its pages keep the
    strict Content-Security-Policy (no inline style element) that every other page keeps."""

    def get_context(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context(*args, **kwargs)
        context["code_style"] = None
        return context


F = TypeVar("F", bound=Callable[..., Any])


def lists_rows(method: F) -> F:
    """Marks a `list` that answers DRF's ListModelMixin's rows (e.g. through a cache)."""
    method.kaohe_lists_rows = True  # type: ignore[attr-defined]
    return method


def offers_csv(view: Any) -> bool:
    """A list of rows answers CSV: a viewset's `list` as DRF's ListModelMixin makes it, or one
    marked `lists_rows` (a viewset that writes its own `list`, such as the big screen's one
    summary, is not a list of rows)."""
    method = type(view).list if isinstance(view, ListModelMixin) else None
    return (
        getattr(view, "action", None) == "list"
        and method is not None
        and (method is ListModelMixin.list or getattr(method, "kaohe_lists_rows", False))
    )


def serializer_fields(serializer: Any) -> list[str]:
    """The top-level fields of a (list) serializer's rows, in order: the CSV columns' order."""
    child = getattr(serializer, "child", serializer)
    try:
        return list(child.fields) if child is not None else []
    except (AttributeError, AssertionError):  # a plain serializer without declared fields
        return []


def csv_filename(request: Any) -> str:
    """`kaohe-<list>-<date>.csv`, the list named by the last part of its path."""
    path = getattr(request, "path", "") or ""
    name = path.rstrip("/").rsplit("/", 1)[-1] or "list"
    name = "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "-" for c in name)
    return f"kaohe-{name}-{timezone.localdate():%Y%m%d}.csv"


class CSVRenderer(BaseRenderer):
    """A list as CSV (`?format=csv` or `Accept: text/csv`): UTF-8 with a byte-order mark (Excel
    then reads Chinese text), the serializer's fields as columns (nested dicts as dotted
    columns, lists joined), every text cell formula-safe (`kaohe.core.tables`), offered as a
    download named after the list. Paged lists give every matching row (`Pagination`)."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        context = renderer_context or {}
        if isinstance(data, CsvTable):
            table = data
        else:
            table = CsvTable(serializer_fields(getattr(data, "serializer", None)))
            if isinstance(data, list):
                table.extend(data)
            elif data is not None:
                table.add(data)
        response = context.get("response")
        if response is not None and response.status_code < 400:
            filename = csv_filename(context.get("request"))
            response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return table.render()


class ContentNegotiation(DefaultContentNegotiation):
    """DRF's negotiation, with CSV offered on lists only (`offers_csv`): an object or an action
    asked for as CSV is 406 (404 with `?format=csv`), as for any format it does not have."""

    def select_renderer(
        self, request: Any, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        view = (getattr(request, "parser_context", None) or {}).get("view")
        if not offers_csv(view):
            renderers = [r for r in renderers if not isinstance(r, CSVRenderer)]
        return super().select_renderer(request, renderers, format_suffix)
