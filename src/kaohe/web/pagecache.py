"""Whole pages answered from the cache while the data has not changed (`kaohe.core.fragments`
keys them): the layout, the navigation and the content in one entry, so a hit runs no template.

What differs per request is rendered as a placeholder and filled in on every answer: the CSRF
token of the reader's session, the unread-notifications badge (notifications are read
without an audit event) and a form's one-time key (`one_time_key`). A page with messages to
show (after a form) is built afresh (its content still from the `{% fragment %}` cache), and so
is every unsafe request.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils.html import format_html
from django.utils.safestring import SafeString

from kaohe.core import fragments
from kaohe.core.models import Notification

_TOKEN = "kaohe-page-" + secrets.token_hex(8)
CSRF_PLACEHOLDER = f"{_TOKEN}-csrf"
BADGE_PLACEHOLDER = f"{_TOKEN}-badge"
KEY_PLACEHOLDER = f"{_TOKEN}-key"


def placeholders_wanted(request: HttpRequest) -> bool:
    """Is this page being rendered for the cache (the context processor then gives
    placeholders)?"""
    return bool(getattr(request, "kaohe_page_placeholders", False))


def notification_badge(user: Any) -> SafeString:
    """The unread count beside the bell, or nothing."""
    n = Notification.objects.unread_for(user).count()
    return format_html(' <span class="badge red">{}</span>', n) if n else SafeString("")


def one_time_key(request: HttpRequest) -> str:
    """A fresh key for a form that must not be sent twice (a new one on every answer)."""
    return KEY_PLACEHOLDER if placeholders_wanted(request) else uuid.uuid4().hex


def _filled(content: bytes, request: HttpRequest) -> bytes:
    content = content.replace(CSRF_PLACEHOLDER.encode(), get_token(request).encode())
    content = content.replace(BADGE_PLACEHOLDER.encode(), notification_badge(request.user).encode())
    return content.replace(KEY_PLACEHOLDER.encode(), uuid.uuid4().hex.encode())


def cached_page(
    name: str, *, vary: Callable[[HttpRequest], str] | None = None
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Decorate a page view whose answer depends only on the data, the reader, the language,
    the day and the full path — and on `vary(request)` when given, for what the page shows that
    is not audited data (the responses of an open survey)."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def answer(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if (
                not fragments.enabled()
                or request.method not in ("GET", "HEAD")
                or len(get_messages(request))
            ):
                return view(request, *args, **kwargs)
            key = fragments.key(request, f"whole:{name}:{vary(request) if vary else ''}")
            entry = cache.get(key)
            if entry is None:
                request.kaohe_page_placeholders = True  # type: ignore[attr-defined]
                try:
                    response = view(request, *args, **kwargs)
                finally:
                    request.kaohe_page_placeholders = False  # type: ignore[attr-defined]
                if response.streaming:
                    return response
                if response.status_code != 200:
                    response.content = _filled(response.content, request)
                    return response
                entry = (response.content, response["Content-Type"])
                cache.set(key, entry, settings.KAOHE_FRAGMENT_SECONDS)
            content, content_type = entry
            return HttpResponse(_filled(content, request), content_type=content_type)

        return answer

    return decorate
