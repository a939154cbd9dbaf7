"""The API's renderers (their own module: DRF imports it while reading its settings)."""

from __future__ import annotations

from typing import Any

from rest_framework.renderers import BrowsableAPIRenderer


class BrowsableAPI(BrowsableAPIRenderer):
    """DRF's browsable API without its inline <style> of code colours, so its pages keep the
    strict Content-Security-Policy (no inline style element) that every other page keeps."""

    def get_context(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context(*args, **kwargs)
        context["code_style"] = None
        return context
