"""The API's parsers: DRF's JSON, form and multipart parsers, refusing text with a NUL
character anywhere in the body (PostgreSQL cannot store or even compare it; a lookup by such a
code would be a server error instead of a 400 naming the field)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser


def _nul_at(value: Any, where: str = "") -> str | None:
    """The path of the first text holding a NUL character, or None."""
    if isinstance(value, str):
        return where or "body" if "\x00" in value else None
    if hasattr(value, "lists"):  # a form's QueryDict: each name with its values
        for key, values in value.lists():
            for item in [key, *values]:
                if _nul_at(item):
                    return str(key).replace("\x00", "") or "body"
    elif isinstance(value, dict):
        for key, item in value.items():
            found = _nul_at(str(key), where) or _nul_at(item, f"{where}.{key}" if where else key)
            if found:
                return found
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = _nul_at(item, f"{where}[{index}]" if where else f"[{index}]")
            if found:
                return found
    return None


def refuse_nul(data: Any) -> None:
    found = _nul_at(data)
    if found:
        raise ParseError(_("%(field)s: text may not contain a NUL character.") % {"field": found})


class NulFreeJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        data = super().parse(stream, media_type, parser_context)
        refuse_nul(data)
        return data


class NulFreeFormParser(FormParser):
    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        data = super().parse(stream, media_type, parser_context)
        refuse_nul(data)
        return data


class NulFreeMultiPartParser(MultiPartParser):
    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        parsed = super().parse(stream, media_type, parser_context)
        refuse_nul(parsed.data)
        return parsed
