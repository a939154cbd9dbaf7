"""The OpenAPI schema's view of the API (drf-spectacular): the CSV variant of every list."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiParameter

from kaohe.core.renderers import CSVRenderer, offers_csv

CSV_DESCRIPTION = (
    "The whole list (not paged; `limit` and `offset` are ignored) with the same filters, scope "
    "and order, as UTF-8 CSV with a byte-order mark: the row's fields as columns, nested "
    "objects as dotted columns, lists joined by '; ', text that a spreadsheet would run as a "
    "formula prefixed with an apostrophe. More rows than KAOHE_CSV_MAX_ROWS: 400."
)


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's schema, with `text/csv` and `?format=json|csv` on the lists that
    answer CSV (`offers_csv`) and nowhere else."""

    def map_renderers(self, attribute: str) -> list[Any]:
        found = super().map_renderers(attribute)
        if offers_csv(self.view):
            return found
        csv = getattr(CSVRenderer, attribute)
        return [value for value in found if value != csv]

    def get_override_parameters(self) -> list[Any]:
        parameters = list(super().get_override_parameters())
        if offers_csv(self.view):
            parameters.append(
                OpenApiParameter(
                    "format",
                    str,
                    enum=["json", "csv"],
                    description=f"`csv`: {CSV_DESCRIPTION} `Accept: text/csv` asks for the same.",
                )
            )
        return parameters


def csv_as_text(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """A postprocessing hook: a list's `text/csv` answer is a text, not the JSON page."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            for response in operation.get("responses", {}).values():
                content = response.get("content", {})
                if CSVRenderer.media_type in content:
                    content[CSVRenderer.media_type] = {
                        "schema": {"type": "string", "description": CSV_DESCRIPTION}
                    }
    return result
