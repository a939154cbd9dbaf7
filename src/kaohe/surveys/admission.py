"""The answer pages' admission gate: the first middleware of the stack.

Over KAOHE_SURVEY_MAX_PER_SECOND (`services.admit_submission`), a submission (a POST under the
answer pages' address) is answered 503 with Retry-After here, before the sessions, the CSRF
check, the URL resolver and the view run: a refusal costs a counter in the cache and a page
rendered once per language, so a server offered many times what it can store still answers
every phone at once ("send again in a moment") instead of queueing them until they time out.
Nothing is written and no code is burned; the page says the answers are still in the form.
The middleware that do not run for it are made up for here: the headers of the security and
CSP middleware, no-store, and no line in Django's request log (the address holds the code).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from kaohe.surveys import services

# what the skipped SecurityMiddleware, XFrameOptionsMiddleware and CSPMiddleware would add
# (the page has no script and no inline style: its own stylesheet and icon only)
REFUSAL_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "strict-origin",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "Vary": "Accept-Language, Cookie",
}


class AdmissionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.prefix = ""
        self.pages: dict[str, str] = {}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST" and request.path_info.startswith(self._prefix()):
            try:
                services.admit_submission()
            except services.Refused as refused:
                return self._refusal(request, refused)
        return self.get_response(request)

    def _prefix(self) -> str:
        if not self.prefix:  # the URLconf is read at the first request, not at start-up
            self.prefix = reverse("answer:enter")
        return self.prefix

    def _refusal(self, request: HttpRequest, refused: services.Refused) -> HttpResponse:
        language = translation.get_language_from_request(request)
        if language not in dict(settings.LANGUAGES):
            language = settings.LANGUAGE_CODE
        if language not in self.pages:
            with translation.override(language):
                context = {"reason": refused.reason, "message": services.busy_message()}
                self.pages[language] = render_to_string("surveys/answer/busy.html", context)
        response = HttpResponse(self.pages[language], status=refused.status)
        for header, value in REFUSAL_HEADERS.items():
            response[header] = value
        response["Content-Language"] = language
        response["Retry-After"] = str(refused.retry_after)
        response._has_been_logged = True  # type: ignore[attr-defined]  # django.utils.log
        return response
