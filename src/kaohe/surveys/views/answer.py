"""The respondent's pages (no sign-in): enter a code, answer, thanks.

Light on purpose (citizens answer on phones): server-rendered, no script, a small stylesheet of
their own, a layout without the platform's navigation. A refusal (unknown or used code, survey
not open or closed, quota full, too many answers, overload) is a page with its message and HTTP
status; invalid answers come back beside their questions with what was given kept.

Nothing here writes a session or logs the code: respondents get only the CSRF cookie (and the
language cookie if they switch), the answers go through `services.submit`, and Django's request
log of 4xx answers is skipped for these pages (it would write the code's address with a time).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.views.decorators.http import require_GET, require_http_methods

from kaohe.core.clientip import client_ip
from kaohe.surveys import services
from kaohe.surveys.models import AccessCode, RespondentGroup, Survey
from kaohe.surveys.questions import Posted, required

# the open link's "too fast" check: a signed time put in the form when it is shown; answers
# sent back sooner than this are flagged (kept, for the office's review). Nothing is stored.
TOO_FAST_SECONDS = 4
STAMP_SALT = "kaohe.surveys.answer.shown"
STAMP_FIELD = "shown"


def _quiet(response: HttpResponse) -> HttpResponse:
    """Only the origin as Referer from these pages (their address holds the code; "no-referrer"
    would send "Origin: null" with the form, which CSRF refuses), and no line in Django's
    request log: its 4xx warnings name the path — the code — with the time."""
    response["Referrer-Policy"] = "strict-origin"
    response["Cache-Control"] = "no-store"
    response._has_been_logged = True  # type: ignore[attr-defined]  # django.utils.log
    return response


def _refused(request: HttpRequest, refused: services.Refused) -> HttpResponse:
    response = render(
        request,
        "surveys/answer/refused.html",
        {"reason": refused.reason, "message": refused.message},
        status=refused.status,
    )
    if refused.retry_after:
        response["Retry-After"] = str(refused.retry_after)
    return _quiet(response)


def _en() -> bool:
    return (get_language() or "").startswith("en")


def _text(q: dict[str, Any], field: str) -> str:
    return str(q.get(f"{field}_en") or q.get(f"{field}_zh") or "") if _en() else q[f"{field}_zh"]


def _labels(q: dict[str, Any]) -> list[str]:
    return list(q.get("labels_en") or q["labels_zh"]) if _en() else list(q["labels_zh"])


def _options(q: dict[str, Any]) -> list[str]:
    return [str((o.get("en") or o["zh"]) if _en() else o["zh"]) for o in q["options"]]


def _choices(labels: list[str], chosen: set[str]) -> list[dict[str, Any]]:
    return [
        {"value": str(n), "label": label, "checked": str(n) in chosen}
        for n, label in enumerate(labels, start=1)
    ]


@dataclass(frozen=True)
class Rated:
    """A row of a matrix question: the unit's id (its form field) and its name."""

    pk: int
    name: str


def questions_for(
    survey: Survey, posted: Posted | None, errors: dict[str, list[str]]
) -> list[dict[str, Any]]:
    """The questions as the template shows them, in the reader's language, with the answers
    given so far and each problem beside its question (or matrix row)."""
    units = [Rated(u.pk, u.name) for u in survey.units.order_by("code")]
    return question_items(survey.version.questions, units, posted, errors)


def question_items(
    questions: list[dict[str, Any]],
    units: list[Rated],
    posted: Posted | None = None,
    errors: dict[str, list[str]] | None = None,
) -> list[dict[str, Any]]:
    """`questions_for` for any questions and matrix rows (the office's preview shows a version
    with sample units in the respondent's own template)."""
    one = posted.one if posted else {}
    many = posted.many if posted else {}
    errors = errors or {}
    shown = []
    for number, q in enumerate(questions, start=1):
        key, kind = q["key"], q["kind"]
        item: dict[str, Any] = {
            "number": number,
            "key": key,
            "kind": kind,
            "text": _text(q, "text"),
            "required": required(q),
            "errors": errors.get(key, []),
        }
        if kind == "likert":
            item["choices"] = _choices(_labels(q), {one.get(key, "")})
        elif kind in ("single", "multiple"):
            chosen = {one.get(key, "")} if kind == "single" else set(many.get(key, ()))
            item["choices"] = _choices(_options(q), chosen)
            item["max"] = q.get("max")
        elif kind == "text":
            item["value"] = one.get(key, "")
            item["max_length"] = int(q.get("max_length", 1000))
        else:  # matrix: one fieldset per unit
            labels = _labels(q)
            item["rows"] = [
                {
                    "field": f"{key}.{unit.pk}",
                    "comment_field": f"{key}#{unit.pk}" if q.get("comment") else "",
                    "comment": one.get(f"{key}#{unit.pk}", ""),
                    "unit": unit.name,
                    "choices": _choices(labels, {one.get(f"{key}.{unit.pk}", "")}),
                    "errors": errors.get(f"{key}.{unit.pk}", [])
                    + errors.get(f"{key}#{unit.pk}", []),
                }
                for unit in units
            ]
        shown.append(item)
    return shown


def _posted(request: HttpRequest) -> Posted:
    data = request.POST
    return Posted(
        one={k: data.get(k, "") for k in data},
        many={k: data.getlist(k) for k in data},
    )


def _stamp(request: HttpRequest) -> str:
    """The form's signed time of showing: kept from the first showing when valid."""
    given = request.POST.get(STAMP_FIELD, "") if request.method == "POST" else ""
    try:
        signing.TimestampSigner(salt=STAMP_SALT).unsign(given)
        return given
    except signing.BadSignature:
        return signing.TimestampSigner(salt=STAMP_SALT).sign("answer")


def too_fast(request: HttpRequest) -> bool:
    """Sent back within TOO_FAST_SECONDS of showing, or without a valid stamp (a program that
    never loaded the form)."""
    try:
        signing.TimestampSigner(salt=STAMP_SALT).unsign(
            request.POST.get(STAMP_FIELD, ""), max_age=TOO_FAST_SECONDS
        )
    except signing.SignatureExpired:
        return False
    except signing.BadSignature:
        return True
    return True


def _form(
    request: HttpRequest,
    survey: Survey,
    group: RespondentGroup,
    *,
    errors: list[Any] = (),  # type: ignore[assignment]
    status: int = 200,
) -> HttpResponse:
    by_field: dict[str, list[str]] = {}
    for error in errors:
        by_field.setdefault(error.field, []).append(error.rule)
    posted = _posted(request) if request.method == "POST" else None
    version = survey.version
    intro = (version.intro_en or version.intro_zh) if _en() else version.intro_zh
    context = {
        "survey": survey,
        "group": group,
        "intro": intro,
        "questions": questions_for(survey, posted, by_field),
        "invalid": bool(errors),
        "stamp": _stamp(request),
        "stamp_field": STAMP_FIELD,
    }
    return _quiet(render(request, "surveys/answer/form.html", context, status=status))


def _answer(
    request: HttpRequest, survey: Survey, group: RespondentGroup, code: AccessCode | None
) -> HttpResponse:
    """Show the questionnaire (GET) or take the answers (POST)."""
    try:
        services.check_answerable(survey)
        if request.method == "POST":
            services.submit(
                survey,
                _posted(request),
                code=code,
                client=client_ip(request),
                too_fast=code is None and too_fast(request),
            )
            return _quiet(redirect("answer:thanks", permanent=False))
        services.check_quota(survey, group)
    except services.InvalidAnswers as invalid:
        return _form(request, survey, group, errors=invalid.errors, status=400)
    except services.Refused as refused:
        return _refused(request, refused)
    return _form(request, survey, group)


@require_GET
def enter(request: HttpRequest) -> HttpResponse:
    """Type the code from the sheet (or follow the QR code straight to the questionnaire)."""
    typed = request.GET.get("code", "")
    code = services.normalise_code(typed)
    if code:
        return _quiet(redirect("answer:code", code=code))
    return _quiet(render(request, "surveys/answer/enter.html", {"typed": typed}))


@require_http_methods(["GET", "POST"])
def by_code(request: HttpRequest, code: str) -> HttpResponse:
    """/s/c/<code>/, the address the QR code holds."""
    try:
        found = services.find_code(code)
    except services.Refused as refused:
        return _refused(request, refused)
    return _answer(request, found.survey, found.group, found)


@require_http_methods(["GET", "POST"])
def by_link(request: HttpRequest, token: str) -> HttpResponse:
    """/s/l/<token>/, the survey's open link (no code; rate-limited and checked)."""
    try:
        survey = services.find_link(token)
    except services.Refused as refused:
        return _refused(request, refused)
    assert survey.link_group is not None  # find_link refuses a survey without one
    return _answer(request, survey, survey.link_group, None)


@require_GET
def thanks(request: HttpRequest) -> HttpResponse:
    return _quiet(render(request, "surveys/answer/thanks.html"))
