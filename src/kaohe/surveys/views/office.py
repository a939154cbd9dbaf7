"""The survey manager's pages: questionnaires and their versions (the builder, YAML, the frozen
version read-only, its preview), surveys (list, create, the survey's page with its groups,
quotas, code batches and open link), opening and closing, the printable codes (PDF sheet, PNG
QR codes, a ZIP of them) and the review of flagged responses.

Everything here is for those who run surveys (`Action.SURVEY`: survey managers and the office):
a list or form for anyone else is a 403, a page naming an object a 404."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kaohe.core.errors import BatchRejected, RowError
from kaohe.flows.surveys import close_and_feed
from kaohe.surveys import forms, jobs, selectors, services, sheets
from kaohe.surveys.filters import FlaggedFilterSet, SurveyFilterSet
from kaohe.surveys.models import CodeBatch, Questionnaire, QuestionnaireVersion, Response, Survey
from kaohe.surveys.questions import KINDS, check_questions
from kaohe.surveys.views import answer

# --- access -------------------------------------------------------------------------------------


def _manager(request: HttpRequest) -> None:
    """A page that names no object: 403 for those who do not run surveys."""
    if not selectors.runs_surveys(request.user):
        raise PermissionDenied


def _questionnaire(request: HttpRequest, code: str) -> Questionnaire:
    return get_object_or_404(selectors.questionnaires(request.user), code=code)


def _version(request: HttpRequest, code: str, number: int) -> QuestionnaireVersion:
    return get_object_or_404(
        selectors.versions(request.user), questionnaire__code=code, number=number
    )


def _survey(request: HttpRequest, pk: int) -> Survey:
    return get_object_or_404(selectors.surveys(request.user), pk=pk)


def _batch(request: HttpRequest, pk: int) -> CodeBatch:
    return get_object_or_404(selectors.batches(request.user), pk=pk)


def _base(request: HttpRequest) -> str:
    """The site's origin as the office reaches it (the QR codes hold absolute addresses)."""
    return request.build_absolute_uri("/").rstrip("/")


def _problems(exc: ValidationError) -> str:
    return " ".join(exc.messages)


# --- questionnaires ------------------------------------------------------------------------------


@login_required
def questionnaire_list(request: HttpRequest) -> HttpResponse:
    _manager(request)
    form = forms.QuestionnaireForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            made = services.create_questionnaire(acting_user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The questionnaire is made: now write its questions."))
            return redirect("surveys:builder", code=made.code)
    return render(
        request,
        "surveys/questionnaire_list.html",
        {"questionnaires": selectors.questionnaires(request.user), "form": form},
        status=400 if form.errors else 200,
    )


@login_required
def questionnaire_detail(request: HttpRequest, code: str) -> HttpResponse:
    questionnaire = _questionnaire(request, code)
    return render(
        request,
        "surveys/questionnaire_detail.html",
        {
            "questionnaire": questionnaire,
            "versions": questionnaire.versions.select_related("created_by").order_by("-number"),
        },
    )


def _builder_rows(rows: list[dict[str, str]], errors: list[RowError]) -> list[dict[str, Any]]:
    """Each question's values with its problems: by field (beside the field) and all."""
    shown = []
    for number, values in enumerate(rows, start=1):
        mine = [e for e in errors if e.row == number]
        by_field: dict[str, list[str]] = {}
        for e in mine:
            by_field.setdefault(e.field.split("[")[0], []).append(e.rule)
        shown.append(
            {
                "number": number,
                "v": values,
                "kind_name": forms.KIND_NAMES[values["kind"]],
                "errors": mine,
                "field_errors": by_field,
                "last": number == len(rows),
            }
        )
    return shown


def _builder(
    request: HttpRequest,
    questionnaire: Questionnaire,
    rows: list[dict[str, str]],
    intro: tuple[str, str],
    errors: list[RowError] | None = None,
    yaml_form: forms.YamlForm | None = None,
    status: int = 200,
) -> HttpResponse:
    errors = errors or []
    return render(
        request,
        "surveys/builder.html",
        {
            "questionnaire": questionnaire,
            "rows": _builder_rows(rows, errors),
            "count": len(rows),
            "intro_zh": intro[0],
            "intro_en": intro[1],
            "errors": errors,
            "general_errors": [e for e in errors if e.row == 0 or e.row > len(rows)],
            "kinds": [(k, forms.KIND_NAMES[k]) for k in KINDS],
            "yaml_form": yaml_form or forms.YamlForm(),
        },
        status=status,
    )


def _stored(request: HttpRequest, questionnaire: Questionnaire, **kwargs: Any) -> HttpResponse:
    version = services.add_version(questionnaire, acting_user=request.user, **kwargs)
    messages.success(
        request,
        _("Version %(n)d is stored. It is frozen once a survey using it opens.")
        % {"n": version.number},
    )
    return redirect("surveys:version", code=questionnaire.code, number=version.number)


@login_required
def builder(request: HttpRequest, code: str) -> HttpResponse:
    """A new version: the questions as form fields, each add/move/remove a round trip that
    stores nothing; "save" checks the whole list and stores it, or names each problem."""
    questionnaire = _questionnaire(request, code)
    if request.method == "POST":
        rows = forms.relabel(forms.posted_values(request.POST))
        intro = (request.POST.get("intro_zh", "").strip(), request.POST.get("intro_en", "").strip())
        op = request.POST.get("op", "save")
        if op != "save":
            return _builder(request, questionnaire, forms.apply_op(op, rows), intro)
        questions, errors = forms.questions_of(rows)
        found = {(e.row, e.field) for e in errors}
        errors += [e for e in check_questions(questions) if (e.row, e.field) not in found]
        if not errors:
            try:
                return _stored(
                    request,
                    questionnaire,
                    questions=questions,
                    intro_zh=intro[0],
                    intro_en=intro[1],
                )
            except BatchRejected as exc:
                errors = exc.errors
        return _builder(request, questionnaire, rows, intro, errors, status=400)
    source = questionnaire.latest_version()
    if request.GET.get("from", "").isdigit():
        source = _version(request, code, int(request.GET["from"]))
    if source is not None:
        rows = [forms.values_of(q) for q in source.questions]
        intro = (source.intro_zh, source.intro_en)
    else:
        rows, intro = [forms.blank_question("matrix", 1)], ("", "")
    return _builder(request, questionnaire, rows, intro)


@login_required
@require_POST
def builder_yaml(request: HttpRequest, code: str) -> HttpResponse:
    """A new version from YAML (pasted or uploaded): checked whole like the builder's."""
    questionnaire = _questionnaire(request, code)
    form = forms.YamlForm(request.POST, request.FILES)
    form.is_valid()
    questions, intro_zh, intro_en, errors = forms.read_yaml(form.text())
    if not errors:
        try:
            return _stored(
                request, questionnaire, questions=questions, intro_zh=intro_zh, intro_en=intro_en
            )
        except BatchRejected as exc:
            errors = exc.errors
    shown = [
        forms.values_of(q) for q in questions if isinstance(q, dict) and q.get("kind") in KINDS
    ]
    if len(shown) != len(questions):
        shown = []  # not every question can be shown as the builder's fields: listed at the top
    return _builder(
        request, questionnaire, shown, (intro_zh, intro_en), errors, yaml_form=form, status=400
    )


@login_required
def version_detail(request: HttpRequest, code: str, number: int) -> HttpResponse:
    version = _version(request, code, number)
    return render(
        request,
        "surveys/version.html",
        {
            "version": version,
            "questionnaire": version.questionnaire,
            "yaml_text": forms.dump_yaml(version),
            "surveys": version.surveys.select_related("cycle"),
        },
    )


@login_required
def version_preview(request: HttpRequest, code: str, number: int) -> HttpResponse:
    """The version as a respondent sees it, in the answer page's own template (read-only; a
    matrix rates two sample units)."""
    version = _version(request, code, number)
    samples = [answer.Rated(n, _("Unit %(n)d") % {"n": n}) for n in (1, 2)]
    english = (get_language() or "").startswith("en")
    return render(
        request,
        "surveys/answer/preview.html",
        {
            "version": version,
            "questionnaire": version.questionnaire,
            "intro": (version.intro_en or version.intro_zh) if english else version.intro_zh,
            "questions": answer.question_items(version.questions, samples),
        },
    )


@login_required
def survey_list(request: HttpRequest) -> HttpResponse:
    _manager(request)
    filters = SurveyFilterSet(
        request.GET, queryset=selectors.surveys(request.user), request=request
    )
    return render(
        request,
        "surveys/survey_list.html",
        {"filters": filters, "page": Paginator(filters.qs, 50).get_page(request.GET.get("page"))},
    )


@login_required
def survey_create(request: HttpRequest) -> HttpResponse:
    _manager(request)
    form = forms.SurveyForm(request.POST or None)
    errors: list[RowError] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        groups, errors = forms.read_groups(data["groups"])
        if not errors:
            try:
                survey = services.create_survey(
                    acting_user=request.user,
                    cycle=data["cycle"],
                    version=data["version"],
                    name_zh=data["name_zh"],
                    name_en=data["name_en"],
                    kind=data["kind"],
                    units=form.chosen_units(),
                    groups=groups,
                    index_question=data["index_question"],
                    indicator=data["indicator"],
                    measure=data["measure"],
                    period=data["period"],
                    link_group=data["link_group"],
                    min_n=data["min_n"],
                )
            except BatchRejected as exc:
                errors = exc.errors
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(
                    request, _("The survey is prepared: make its codes, then open it.")
                )
                return redirect("surveys:detail", pk=survey.pk)
    failed = request.method == "POST"
    return render(
        request,
        "surveys/survey_form.html",
        {"form": form, "errors": errors},
        status=400 if failed else 200,
    )


def close_refusal(survey: Survey, pending: int) -> str:
    """Why the close button is refused now (empty: it may be pressed)."""
    if survey.state != Survey.State.OPEN:
        return ""
    if pending:
        return _(
            "%(n)d flagged responses wait for review: keep or exclude them before closing."
        ) % {"n": pending}
    return ""


@login_required
def survey_detail(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _survey(request, pk)
    seen = selectors.overview(survey)
    link = sheets.link_address(_base(request), survey) if survey.link_group_id else ""
    return render(
        request,
        "surveys/survey_detail.html",
        {
            "survey": survey,
            "o": seen,
            "link": link,
            "close_refused": close_refusal(survey, seen.pending),
            "quota_form": forms.QuotaForm(survey=survey),
            "codes_form": forms.CodesForm(survey=survey),
            "inline_limit": sheets.inline_limit(),
            "index": survey.version.question(survey.index_question),
        },
    )


def _act(request: HttpRequest, survey: Survey, call: Any, done: str) -> HttpResponse:
    try:
        call()
    except BatchRejected as exc:
        messages.error(request, "; ".join(str(e) for e in exc.errors))
    except ValidationError as exc:
        messages.error(request, _problems(exc))
    else:
        messages.success(request, done)
    return redirect("surveys:detail", pk=survey.pk)


@login_required
@require_POST
def survey_open(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _survey(request, pk)
    return _act(
        request,
        survey,
        lambda: services.open_survey(survey, acting_user=request.user),
        _("The survey is open: its questionnaire version is frozen."),
    )


@login_required
@require_POST
def survey_close(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _survey(request, pk)
    return _act(
        request,
        survey,
        lambda: close_and_feed(survey, acting_user=request.user),
        _("The survey is closed and its results are frozen."),
    )


@login_required
@require_POST
def survey_quota(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _survey(request, pk)
    form = forms.QuotaForm(request.POST, survey=survey)
    if not form.is_valid():
        messages.error(request, _("Choose a group and a unit, and give a quota of at least 1."))
        return redirect("surveys:detail", pk=pk)
    data = form.cleaned_data
    return _act(
        request,
        survey,
        lambda: services.set_unit_quota(
            data["group"], data["unit"], data["quota"], acting_user=request.user
        ),
        _("The unit's quota is set."),
    )


@login_required
@require_POST
def survey_codes(request: HttpRequest, pk: int) -> HttpResponse:
    survey = _survey(request, pk)
    form = forms.CodesForm(request.POST, survey=survey)
    if not form.is_valid():
        messages.error(request, _("Choose a group and how many codes (1–%d).") % services.MAX_BATCH)
        return redirect("surveys:detail", pk=pk)
    data = form.cleaned_data
    return _act(
        request,
        survey,
        lambda: services.make_codes(data["group"], data["count"], acting_user=request.user),
        _("The codes are made: print the sheet or the QR codes."),
    )


@login_required
def link_qr(request: HttpRequest, pk: int) -> HttpResponse:
    """The open link's QR code (PNG)."""
    survey = _survey(request, pk)
    if survey.link_group_id is None:
        raise Http404
    return _png(sheets.qr_png(sheets.link_address(_base(request), survey)), f"survey-{pk}-link")


def _png(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type="image/png")
    response["Content-Disposition"] = f'inline; filename="{name}.png"'
    return response


def _download(content: bytes, batch: CodeBatch, what: str) -> HttpResponse:
    response = HttpResponse(content, content_type=sheets.content_type(what))
    response["Content-Disposition"] = f'attachment; filename="{sheets.filename(batch, what)}"'
    return response


def _sheet(request: HttpRequest, pk: int, what: str) -> HttpResponse:
    """A batch's sheet or ZIP: made at once for a small batch, else the one a job made."""
    batch = _batch(request, pk)
    base = _base(request)
    made = sheets.stored(batch, what, base)
    if made is None and batch.size <= sheets.inline_limit():
        try:
            made = sheets.make(batch, what, base)
        except ValidationError as exc:
            messages.error(request, _problems(exc))
            return redirect("surveys:detail", pk=batch.survey_id)
    if made is None:
        messages.warning(
            request,
            _("This batch is large: its file is made in the background. Ask for it below."),
        )
        return redirect("surveys:detail", pk=batch.survey_id)
    return _download(made, batch, what)


@login_required
def batch_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    return _sheet(request, pk, "pdf")


@login_required
def batch_zip(request: HttpRequest, pk: int) -> HttpResponse:
    return _sheet(request, pk, "zip")


@login_required
@require_POST
def batch_job(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask for a batch's sheet (`what=pdf`) or QR codes (`what=zip`) made by a job."""
    batch = _batch(request, pk)
    try:
        job = jobs.start_code_sheet(
            batch, request.POST.get("what", "pdf"), base=_base(request), acting_user=request.user
        )
    except ValidationError as exc:
        messages.error(request, _problems(exc))
        return redirect("surveys:detail", pk=batch.survey_id)
    return redirect("core:job", pk=job.pk)


@login_required
def code_png(request: HttpRequest, code: str) -> HttpResponse:
    """One code's QR code (PNG), holding the code's own address."""
    found = get_object_or_404(selectors.access_codes(request.user), code=code)
    return _png(sheets.qr_png(sheets.code_address(_base(request), found.code)), found.code)


# --- flagged responses --------------------------------------------------------------------------


@login_required
def flagged(request: HttpRequest, pk: int) -> HttpResponse:
    """The survey's flagged responses with their answers, waiting ones first by default."""
    survey = _survey(request, pk)
    filters = FlaggedFilterSet(
        request.GET,
        queryset=selectors.flagged(request.user).filter(survey=survey),
        request=request,
        defaults={"review": Response.Review.PENDING},
    )
    page = Paginator(filters.qs, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "surveys/flagged.html",
        {
            "survey": survey,
            "filters": filters,
            "page": page,
            "rows": [shown_answers(survey, r) for r in page.object_list],
            "review_form": forms.ReviewForm(),
        },
    )


FLAG_REASONS = {
    "repeat_of_previous": gettext_lazy(
        "the same answers as the previous response from this connection"
    ),
    "many_from_client": gettext_lazy("many responses from one connection"),
    "same_answer_everywhere": gettext_lazy("the same rating for every unit"),
    "too_fast": gettext_lazy("answered faster than a person reads the questions"),
}


def flag_reason(flag: str) -> str:
    return str(FLAG_REASONS.get(flag, flag))


def shown_answers(survey: Survey, response: Response) -> dict[str, Any]:
    """A response's answers in words, question by question."""
    units = {str(u.pk): u for u in survey.units.all()}
    lines = []
    for q in survey.version.questions:
        value = response.answers.get(q["key"])
        if q["kind"] == "matrix" and isinstance(value, dict):
            notes = response.answers.get(f"{q['key']}#comment", {})
            text = "; ".join(
                f"{units[u].name if u in units else u}: {_label(q, code)}"
                + (f" ({notes[u]})" if u in notes else "")
                for u, code in value.items()
            )
        elif q["kind"] == "likert" and value is not None:
            text = _label(q, value)
        elif q["kind"] in ("single", "multiple") and value is not None:
            codes = value if isinstance(value, list) else [value]
            text = ", ".join(_option(q, c) for c in codes)
        else:
            text = str(value) if value is not None else "—"
        lines.append((q.get("text_zh", q["key"]), text))
    return {"response": response, "reason": flag_reason(response.flag), "answers": lines}


def _label(q: dict[str, Any], code: Any) -> str:
    labels = q.get("labels_zh") or []
    return (
        f"{code} {labels[code - 1]}"
        if isinstance(code, int) and 0 < code <= len(labels)
        else str(code)
    )


def _option(q: dict[str, Any], code: Any) -> str:
    options = q.get("options") or []
    if isinstance(code, int) and 0 < code <= len(options):
        return str(options[code - 1].get("zh", code))
    return str(code)


@login_required
@require_POST
def review(request: HttpRequest, pk: int, response: str) -> HttpResponse:
    survey = _survey(request, pk)
    found = get_object_or_404(selectors.flagged(request.user).filter(survey=survey), pk=response)
    form = forms.ReviewForm(request.POST)
    back = redirect(f"{reverse('surveys:flagged', kwargs={'pk': pk})}")
    if not form.is_valid():
        messages.error(request, _("The decision is to keep or to exclude."))
        return back
    try:
        services.review_response(found, form.cleaned_data["decision"], acting_user=request.user)
    except ValidationError as exc:
        messages.error(request, _problems(exc))
    else:
        messages.success(request, _("The decision is recorded."))
    return back
