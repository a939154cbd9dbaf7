"""Every write of the surveys: questionnaires and their versions, surveys, quotas and code
batches, opening and closing (results frozen), the review of flagged responses — each in one
transaction with its audit event — and the respondent's submission.

A submission is the one write without an audit event, on purpose: an event holds a time and
an actor, and would tie the answers to a moment and a code (docs/architecture.md, "Surveys").
What is stored for it is described in `kaohe.surveys.models`."""

from __future__ import annotations

import hashlib
import random
import secrets
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import OperationalError, connection, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from kaohe.core import access, audit
from kaohe.core.errors import BatchRejected, RowError
from kaohe.core.events import EventType
from kaohe.core.roles import Action
from kaohe.engine.evaluation import SurveyResult as EngineResult
from kaohe.engine.evaluation import matrix_results, survey_results
from kaohe.indicators.models import Indicator
from kaohe.schemes.models import Cycle
from kaohe.schemes.services import ensure_open
from kaohe.surveys.models import (
    AccessCode,
    CodeBatch,
    Questionnaire,
    QuestionnaireVersion,
    RespondentGroup,
    Response,
    Survey,
    SurveyComment,
    SurveyResult,
    UnitQuota,
)
from kaohe.surveys.questions import SCALED, Posted, check_questions, read_answers, scale_of
from kaohe.units.models import Unit

# access codes: no 0/O, 1/I/L, so a code read off a sheet is typed right
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
MAX_BATCH = 20_000


def _check_manager(user: Any) -> None:
    access.check_citywide(user, Action.SURVEY)


# --- questionnaires -------------------------------------------------------------------------


@transaction.atomic
def create_questionnaire(
    *, acting_user: Any, code: str, name_zh: str, name_en: str = ""
) -> Questionnaire:
    _check_manager(acting_user)
    if Questionnaire.objects.filter(code=code).exists():
        raise ValidationError({"code": _("A questionnaire with this code exists.")})
    questionnaire = Questionnaire(
        code=code, name_zh=name_zh, name_en=name_en, created_by=acting_user
    )
    questionnaire.full_clean()
    questionnaire.save()
    audit.record(EventType.QUESTIONNAIRE_CREATED, acting_user=acting_user, obj=questionnaire)
    return questionnaire


@transaction.atomic
def add_version(
    questionnaire: Questionnaire,
    *,
    acting_user: Any,
    questions: Any,
    intro_zh: str = "",
    intro_en: str = "",
) -> QuestionnaireVersion:
    """A new version of the questions, checked whole: BatchRejected names each problem by
    question number, field and rule, and nothing is stored."""
    _check_manager(acting_user)
    errors = check_questions(questions)
    if errors:
        raise BatchRejected(errors)
    locked = Questionnaire.objects.select_for_update().get(pk=questionnaire.pk)
    latest = locked.latest_version()
    version = QuestionnaireVersion.objects.create(
        questionnaire=locked,
        number=(latest.number + 1) if latest else 1,
        questions=questions,
        intro_zh=intro_zh,
        intro_en=intro_en,
        created_by=acting_user,
    )
    audit.record(
        EventType.QUESTIONNAIRE_VERSION_CREATED,
        acting_user=acting_user,
        obj=version,
        extra={"questions": len(questions)},
    )
    return version


# --- surveys ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupSpec:
    """A respondent group as the office declares it for a survey."""

    code: str
    name_zh: str
    weight: Decimal
    quota: int
    name_en: str = ""
    population: int | None = None


def _group_errors(groups: Sequence[GroupSpec]) -> list[RowError]:
    errors: list[RowError] = []
    if not groups:
        return [RowError(0, "groups", _("a survey needs at least one respondent group"))]
    seen: set[str] = set()
    for row, g in enumerate(groups, start=1):
        if not g.code or g.code in seen:
            errors.append(RowError(row, "code", _("each group has its own code"), g.code))
        seen.add(g.code)
        if not g.name_zh.strip():
            errors.append(RowError(row, "name_zh", _("the group needs its Chinese name")))
        if not g.weight > 0:
            errors.append(RowError(row, "weight", _("a weight is above 0"), str(g.weight)))
        if g.quota < 1:
            errors.append(RowError(row, "quota", _("a quota is at least 1"), str(g.quota)))
        if g.population is not None and g.population < 1:
            errors.append(RowError(row, "population", _("a population is at least 1")))
    return errors


@transaction.atomic
def create_survey(
    *,
    acting_user: Any,
    cycle: Cycle,
    version: QuestionnaireVersion,
    name_zh: str,
    units: Sequence[Unit],
    groups: Sequence[GroupSpec],
    index_question: str,
    name_en: str = "",
    kind: str = Survey.Kind.SURVEY,
    indicator: Indicator | None = None,
    measure: str = Survey.Measure.RATE,
    period: str = "Y",
    link_group: str = "",
    min_n: int = 5,
) -> Survey:
    """A survey in draft, with its groups. The index question must be a scale: a matrix
    (rating each unit) or, for a survey of one unit, a Likert question."""
    _check_manager(acting_user)
    ensure_open(cycle)
    errors = _group_errors(groups)
    question = version.question(index_question)
    if question is None or question["kind"] not in SCALED:
        errors.append(
            RowError(0, "index_question", _("the index question is a Likert or matrix question"))
        )
    elif question["kind"] == "likert" and len(units) != 1:
        errors.append(
            RowError(
                0, "index_question", _("a survey of several units takes its index from a matrix")
            )
        )
    if not units:
        errors.append(RowError(0, "units", _("a survey rates at least one unit")))
    if link_group and link_group not in {g.code for g in groups}:
        errors.append(RowError(0, "link_group", _("the open link's group is one of the groups")))
    if min_n < 2:
        errors.append(RowError(0, "min_n", _("a group counts from at least 2 answers")))
    if errors:
        raise BatchRejected(errors)
    survey = Survey.objects.create(
        cycle=cycle,
        version=version,
        name_zh=name_zh,
        name_en=name_en,
        kind=kind,
        index_question=index_question,
        indicator=indicator,
        measure=measure,
        period=period,
        min_n=min_n,
        link_token=secrets.token_urlsafe(18)[:24],
        created_by=acting_user,
    )
    survey.units.set(units)
    made = RespondentGroup.objects.bulk_create(
        RespondentGroup(
            survey=survey,
            code=g.code,
            name_zh=g.name_zh,
            name_en=g.name_en,
            weight=g.weight,
            quota=g.quota,
            population=g.population,
            order=order,
        )
        for order, g in enumerate(groups)
    )
    if link_group:
        survey.link_group = next(g for g in made if g.code == link_group)
        survey.save(update_fields=["link_group"])
    audit.record(
        EventType.SURVEY_CREATED,
        acting_user=acting_user,
        obj=survey,
        extra={"units": len(units), "groups": [g.code for g in groups]},
    )
    return survey


@transaction.atomic
def set_unit_quota(group: RespondentGroup, unit: Unit, quota: int, *, acting_user: Any) -> None:
    _check_manager(acting_user)
    if group.survey.state == Survey.State.CLOSED:
        raise ValidationError(_("The survey is closed: its quotas are final."))
    if quota < 1:
        raise ValidationError({"quota": _("a quota is at least 1")})
    UnitQuota.objects.update_or_create(group=group, unit=unit, defaults={"quota": quota})
    audit.record(
        EventType.SURVEY_QUOTA_SET,
        acting_user=acting_user,
        obj=group.survey,
        unit=unit,
        extra={"group": group.code, "quota": quota},
    )


def _new_codes(count: int) -> list[str]:
    return [
        "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH)) for _ in range(count)
    ]


@transaction.atomic
def make_codes(group: RespondentGroup, count: int, *, acting_user: Any) -> CodeBatch:
    """A batch of one-time codes for a group (31^8 ≈ 8.5·10^11 codes: guessing one is hopeless
    at any rate the server answers)."""
    _check_manager(acting_user)
    survey = group.survey
    if survey.state == Survey.State.CLOSED:
        raise ValidationError(_("The survey is closed: no more codes."))
    if not 1 <= count <= MAX_BATCH:
        raise ValidationError({"count": _("A batch holds 1–%d codes.") % MAX_BATCH})
    batch = CodeBatch.objects.create(survey=survey, group=group, size=count, created_by=acting_user)
    codes = set(_new_codes(count))
    codes -= set(AccessCode.objects.filter(code__in=codes).values_list("code", flat=True))
    while len(codes) < count:  # a collision with an earlier batch: draw again
        codes |= set(_new_codes(count - len(codes)))
        codes -= set(AccessCode.objects.filter(code__in=codes).values_list("code", flat=True))
    AccessCode.objects.bulk_create(
        AccessCode(survey=survey, group=group, batch=batch, code=code) for code in sorted(codes)
    )
    audit.record(
        EventType.SURVEY_CODES_MADE,
        acting_user=acting_user,
        obj=survey,
        extra={"group": group.code, "codes": count, "batch": batch.pk},
    )
    return batch


@transaction.atomic
def open_survey(survey: Survey, *, acting_user: Any) -> Survey:
    """Open for answers; the questionnaire version is frozen from now on."""
    _check_manager(acting_user)
    ensure_open(survey.cycle)
    survey = Survey.objects.select_for_update().get(pk=survey.pk)
    if survey.state != Survey.State.DRAFT:
        raise ValidationError(_("Only a survey being prepared can be opened."))
    now = timezone.now()
    QuestionnaireVersion.objects.filter(pk=survey.version_id, frozen_at__isnull=True).update(
        frozen_at=now
    )
    survey.state, survey.opened_at = Survey.State.OPEN, now
    survey.save(update_fields=["state", "opened_at", "updated_at"])
    audit.record(EventType.SURVEY_OPENED, acting_user=acting_user, obj=survey)
    return survey


@transaction.atomic
def close_survey(survey: Survey, *, acting_user: Any) -> Survey:
    """Close, and freeze the results (per unit and group, and each unit's index) and the
    comments (copied out in random order). Refused while flagged responses wait for review:
    a suspicious response is decided on, never silently dropped or counted."""
    _check_manager(acting_user)
    survey = Survey.objects.select_for_update().get(pk=survey.pk)
    if survey.state != Survey.State.OPEN:
        raise ValidationError(_("Only an open survey can be closed."))
    pending = survey.responses.filter(review=Response.Review.PENDING).count()
    if pending:
        raise ValidationError(
            _("%(n)d flagged responses wait for review: keep or exclude them before closing.")
            % {"n": pending}
        )
    figures = compute_results(survey)
    SurveyResult.objects.bulk_create(_result_rows(survey, figures))
    SurveyComment.objects.bulk_create(_comments(survey, figures))
    survey.state, survey.closed_at = Survey.State.CLOSED, timezone.now()
    survey.save(update_fields=["state", "closed_at", "updated_at"])
    audit.record(
        EventType.SURVEY_CLOSED,
        acting_user=acting_user,
        obj=survey,
        extra={"responses": figures.responses},
    )
    return survey


@transaction.atomic
def review_response(response: Response, decision: str, *, acting_user: Any) -> Response:
    """The office keeps or excludes a flagged response (kept: it counts like any other)."""
    _check_manager(acting_user)
    if decision not in (Response.Review.KEPT, Response.Review.EXCLUDED):
        raise ValidationError({"decision": _("The decision is to keep or to exclude.")})
    response = Response.objects.select_for_update().get(pk=response.pk)
    if response.survey.state != Survey.State.OPEN:
        raise ValidationError(_("The survey is closed: its responses are final."))
    if not response.flag:
        raise ValidationError(_("Only a flagged response is reviewed."))
    before = response.review
    response.review = decision
    response.save(update_fields=["review"])
    audit.record(
        EventType.SURVEY_RESPONSE_REVIEWED,
        acting_user=acting_user,
        obj=response.survey,
        extra={"flag": response.flag, "decision": decision},
        changes=[audit.Change(response, {"review": before}, {"review": decision})],
    )
    return response


# --- results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    """A survey's statistics of the moment (or of its close): the engine's result over the
    survey's units and groups, and the comments of the counted responses."""

    units: tuple[Unit, ...]
    groups: tuple[RespondentGroup, ...]
    result: EngineResult
    quota: Any  # (units × groups)
    responses: int
    comments: tuple[tuple[int | None, int, str, str], ...]  # unit id, group id, question, text


def quotas(survey: Survey, units: Sequence[Unit], groups: Sequence[RespondentGroup]) -> Any:
    """The (units × groups) quota: the group's, or the unit's own where one is set."""
    table = np.array([[float(g.quota) for g in groups] for _u in units])
    col = {g.pk: j for j, g in enumerate(groups)}
    row = {u.pk: i for i, u in enumerate(units)}
    for q in UnitQuota.objects.filter(group__survey=survey):
        if q.unit_id in row:
            table[row[q.unit_id], col[q.group_id]] = q.quota
    return table


def compute_results(survey: Survey) -> Figures:
    """The statistics of the counted responses (flag-free, kept; not pending, not excluded)."""
    units = tuple(survey.units.order_by("code"))
    groups = tuple(survey.groups.all())
    question = survey.version.question(survey.index_question)
    assert question is not None  # checked when the survey was made
    scale = scale_of(question)
    counted = survey.responses.exclude(
        review__in=[Response.Review.PENDING, Response.Review.EXCLUDED]
    ).order_by("id")
    rows = list(counted.values_list("group_id", "answers"))
    group_ix = {g.pk: j for j, g in enumerate(groups)}
    unit_ix = {str(u.pk): i for i, u in enumerate(units)}
    key = survey.index_question
    quota = quotas(survey, units, groups)
    common = dict(
        scale=scale,
        units=[u.code for u in units],
        groups=[g.code for g in groups],
        weights=[float(g.weight) for g in groups],
        quota=quota,
        population=[np.nan if g.population is None else float(g.population) for g in groups],
        min_n=survey.min_n,
    )
    who = np.array([group_ix[g] for g, _a in rows], dtype=np.int64)
    if question["kind"] == "matrix":
        ratings = np.full((len(rows), len(units)), np.nan)
        for r, (_g, answers) in enumerate(rows):
            for unit_id, code in answers.get(key, {}).items():
                if unit_id in unit_ix:
                    ratings[r, unit_ix[unit_id]] = code
        result = matrix_results(ratings, who, **common)
    else:
        values = np.array([a.get(key, np.nan) for _g, a in rows], dtype=np.float64)
        result = survey_results(values, np.zeros(len(rows), dtype=np.int64), who, **common)
    comments: list[tuple[int | None, int, str, str]] = []
    texts = [q["key"] for q in survey.version.questions if q["kind"] == "text"]
    for group_id, answers in rows:
        for name in texts:
            if answers.get(name):
                comments.append((None, group_id, name, answers[name]))
        for unit_id, text in answers.get(f"{key}#comment", {}).items():
            if unit_id in unit_ix:
                comments.append((int(unit_id), group_id, key, text))
    return Figures(units, groups, result, quota, len(rows), tuple(comments))


def _number(value: Any) -> float | None:
    value = float(value)
    return None if np.isnan(value) else value


def _result_rows(survey: Survey, figures: Figures) -> list[SurveyResult]:
    r = figures.result
    rows = []
    for i, unit in enumerate(figures.units):
        for j, group in enumerate(figures.groups):
            rows.append(
                SurveyResult(
                    survey=survey,
                    unit=unit,
                    group=group,
                    responses=int(r.responses[i, j]),
                    answers=int(r.n[i, j]),
                    quota=int(figures.quota[i, j]),
                    satisfaction_rate=_number(r.rate[i, j]),
                    rate_low=_number(r.rate_low[i, j]),
                    rate_high=_number(r.rate_high[i, j]),
                    index=_number(r.mean[i, j]),
                    response_rate=_number(r.response_rate[i, j]),
                    note=_("too few answers to count") if r.too_few[i, j] else "",
                )
            )
        rows.append(
            SurveyResult(
                survey=survey,
                unit=unit,
                group=None,
                responses=int(r.responses[i].sum()),
                answers=int(r.n[i].sum()),
                quota=int(figures.quota[i].sum()),
                satisfaction_rate=_number(r.weighted_rate[i]),
                rate_low=_number(r.weighted_rate_low[i]),
                rate_high=_number(r.weighted_rate_high[i]),
                index=_number(r.index[i]),
                index_low=_number(r.index_low[i]),
                index_high=_number(r.index_high[i]),
                response_rate=_number(r.unit_response_rate[i]),
                note=_("weights renormalised over the groups with enough answers")
                if r.renormalised[i]
                else "",
            )
        )
    return rows


def _comments(survey: Survey, figures: Figures) -> list[SurveyComment]:
    made = [
        SurveyComment(survey=survey, unit_id=unit_id, group_id=group_id, question=q, text=text)
        for unit_id, group_id, q, text in figures.comments
    ]
    random.SystemRandom().shuffle(made)  # their stored order says nothing of the responses'
    return made


def live_counts(survey: Survey) -> dict[int, int]:
    """Responses per group so far (all of them, flagged or not): what the live screen shows."""
    counts = survey.responses.values("group_id").annotate(n=Count("id")).order_by()
    return {row["group_id"]: row["n"] for row in counts}


# --- answering -------------------------------------------------------------------------------


class Refused(Exception):
    """A submission the survey does not take: `reason` (a stable code), the message for the
    respondent, the HTTP status, and for a rate limit the seconds to wait."""

    def __init__(
        self, reason: str, message: str, status: int = 400, retry_after: int | None = None
    ) -> None:
        super().__init__(message)
        self.reason, self.message, self.status, self.retry_after = (
            reason,
            message,
            status,
            retry_after,
        )


class InvalidAnswers(Refused):
    def __init__(self, errors: Sequence[RowError]) -> None:
        super().__init__("invalid", _("Some answers need attention."), 400)
        self.errors = list(errors)


def normalise_code(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch.isalnum())


# --- overload: admission and the database's refusals -----------------------------------------

BUSY_RETRY_SECONDS = 2
# SQLSTATEs PostgreSQL answers when it is overloaded rather than wrong: lock not available
# (lock_timeout), query cancelled (statement_timeout), serialization failure, deadlock, too
# many connections, insufficient resources
_PG_BUSY = {"55P03", "57014", "40001", "40P01", "53300", "53400"}


def busy_message() -> str:
    return _(
        "Many people are answering at this moment. Please send your answers again in a moment."
    )


def _busy(retry_after: int = BUSY_RETRY_SECONDS) -> Refused:
    return Refused("busy", busy_message(), 503, retry_after=retry_after)


def is_overload(exc: OperationalError) -> bool:
    """Whether a database error means "too busy now" (try again) rather than a fault: SQLite's
    "database is locked" after its busy timeout, PostgreSQL's lock and statement timeouts,
    deadlocks, serialization failures, full connection slots, and lost connections."""
    cause = exc.__cause__
    state = getattr(cause, "sqlstate", None)
    if state is not None:
        return state in _PG_BUSY or state.startswith("08")
    text = str(exc).lower()
    return "database is locked" in text or "database table is locked" in text


@contextmanager
def overload_as_busy() -> Iterator[None]:
    """Turn the database's overload errors into Refused("busy", 503, Retry-After). Used around
    a whole transaction, so what it wrote is rolled back: nothing is half-written and a code
    stays unburned."""
    try:
        yield
    except OperationalError as exc:
        if not is_overload(exc):
            raise
        raise _busy() from exc


def admit_submission() -> None:
    """The global admission limit: at most KAOHE_SURVEY_MAX_PER_SECOND submissions are taken
    per second (0: no limit), counted in the default cache — across all workers when the cache
    is Redis (KAOHE_CACHE_URL), per worker process otherwise. A submission over the limit is
    refused with 503 and Retry-After before it touches the database, so an overloaded server
    answers every submission quickly (stored, or "try again") instead of losing some. Asked
    by the first middleware (`kaohe.surveys.admission`), before anything else of the request
    runs."""
    limit = int(getattr(settings, "KAOHE_SURVEY_MAX_PER_SECOND", 0))
    if limit <= 0:
        return
    key = f"kaohe:survey:admitted:{int(time.time())}"
    cache.add(key, 0, 10)
    try:
        admitted = cache.incr(key)
    except ValueError:  # the window expired between add and incr: a new second began
        cache.add(key, 0, 10)
        admitted = cache.incr(key)
    if admitted > limit:
        raise _busy(retry_after=1)


# --- finding what is answered ----------------------------------------------------------------


def find_code(text: str) -> AccessCode:
    """The code as typed or scanned (spaces, dashes and case ignored), or Refused: unknown 404,
    used 410. Fetched with its survey, version and group (one query)."""
    code = normalise_code(text)
    with overload_as_busy():
        found = _code_with_survey(code)
    if found is None:
        raise Refused(
            "unknown_code", _("This access code is not known. Check it and try again."), 404
        )
    if found.burned:
        raise Refused(
            "used_code", _("This access code has been used: each code answers once."), 410
        )
    return found


# The code's one query, written out: the ORM's select_related of the same join costs ~0.9 ms
# of compiling and instantiating on each of thousands of submissions, the statement ~0.4 ms.
# The instances are built as the ORM builds them (`Model.from_db`, each column through the
# field's and the backend's converters); tests/surveys/test_find_code.py compares every field
# with the ORM's on both databases.
_JOINED: tuple[tuple[type[Any], str], ...] = (
    (AccessCode, "c"),
    (Survey, "s"),
    (QuestionnaireVersion, "v"),
    (RespondentGroup, "g"),
)


def _column(model: type[Any], name: str) -> str:
    """The quoted column of `model`'s field `name`."""
    return str(connection.ops.quote_name(model._meta.get_field(name).column))


@lru_cache(maxsize=1)
def _code_query() -> tuple[str, list[tuple[type[Any], list[str], list[tuple[Any, list[Any]]]]]]:
    qn = connection.ops.quote_name
    columns, plan = [], []
    for model, alias in _JOINED:
        fields = model._meta.concrete_fields
        columns += [f"{alias}.{qn(f.column)}" for f in fields]
        converters = []
        for field in fields:
            col = field.get_col(alias)
            converters.append(
                (col, connection.ops.get_db_converters(col) + col.get_db_converters(connection))
            )
        plan.append((model, [f.attname for f in fields], converters))
    table = {model: qn(model._meta.db_table) for model, _alias in _JOINED}
    fk = {name: _column(AccessCode, name) for name in ("survey", "group")}
    sql = (
        f"SELECT {', '.join(columns)} FROM {table[AccessCode]} c "
        f"JOIN {table[Survey]} s ON s.{qn('id')} = c.{fk['survey']} "
        f"JOIN {table[QuestionnaireVersion]} v "
        f"ON v.{qn('id')} = s.{_column(Survey, 'version')} "
        f"JOIN {table[RespondentGroup]} g ON g.{qn('id')} = c.{fk['group']} "
        f"WHERE c.{_column(AccessCode, 'code')} = %s"
    )
    return sql, plan


def _code_with_survey(code: str) -> AccessCode | None:
    """The code with its survey, the survey's version and the code's group, or None."""
    sql, plan = _code_query()
    with connection.cursor() as cursor:
        cursor.execute(sql, [code])
        row = cursor.fetchone()
    if row is None:
        return None
    built, at = [], 0
    for model, attnames, converters in plan:
        values = []
        for value, (col, field_converters) in zip(
            row[at : at + len(attnames)], converters, strict=True
        ):
            for convert in field_converters:
                value = convert(value, col, connection)
            values.append(value)
        built.append(model.from_db(connection.alias, attnames, values))
        at += len(attnames)
    found, survey, version, group = built
    survey.version = version
    found.survey, found.group = survey, group
    return found


def find_link(token: str) -> Survey:
    """The survey of an open-link token, or Refused (404: unknown; 403: answered by code)."""
    with overload_as_busy():
        survey = (
            Survey.objects.select_related("version", "link_group").filter(link_token=token).first()
        )
    if survey is None:
        raise Refused("unknown_link", _("This link is not known. Check the address."), 404)
    if survey.link_group_id is None:
        raise Refused("no_link", _("This survey is answered with an access code."), 403)
    return survey


def check_answerable(survey: Survey) -> None:
    if survey.state == Survey.State.DRAFT:
        raise Refused("not_open", _("This survey has not opened yet."), 403)
    if survey.state == Survey.State.CLOSED:
        raise Refused("closed", _("This survey is closed: thank you for your interest."), 403)


def check_quota(
    survey: Survey, group: RespondentGroup, facts: SubmissionFacts | None = None
) -> None:
    """Refused (403) when the group's answers are all in (the largest of its quotas)."""
    facts = facts or submission_facts(survey, group)
    if facts.answered >= max(group.quota, facts.largest_unit_quota):
        raise Refused(
            "quota_full",
            _("The answers wanted from %(group)s are all in: thank you, no more are needed.")
            % {"group": group.name},
            403,
        )


@dataclass(frozen=True)
class SubmissionFacts:
    unit_ids: list[int]  # the survey's units, ascending
    answered: int  # the group's responses so far
    largest_unit_quota: int  # 0 when no unit has a quota of its own


@lru_cache(maxsize=1)
def _facts_sql() -> str:
    qn = connection.ops.quote_name
    m2m = Survey.units.field
    survey_col = qn(m2m.m2m_column_name())
    unit_col = qn(m2m.m2m_reverse_name())
    through = qn(Survey.units.through._meta.db_table)
    responses = qn(Response._meta.db_table)
    r_survey = qn(Response._meta.get_field("survey").column)
    r_group = qn(Response._meta.get_field("group").column)
    quotas = qn(UnitQuota._meta.db_table)
    q_group = qn(UnitQuota._meta.get_field("group").column)
    q_quota = qn(UnitQuota._meta.get_field("quota").column)
    return (
        f"SELECT 0, {unit_col} FROM {through} WHERE {survey_col} = %s "
        f"UNION ALL SELECT 1, COUNT(*) FROM {responses} WHERE {r_survey} = %s AND {r_group} = %s "
        f"UNION ALL SELECT 2, MAX({q_quota}) FROM {quotas} WHERE {q_group} = %s"
    )


def submission_facts(survey: Survey, group: RespondentGroup) -> SubmissionFacts:
    """What a submission checks, in one statement: the survey's unit ids, the group's count of
    answers and its largest unit quota (three ORM queries cost more to compile than to run, on
    every one of thousands of submissions)."""
    unit_ids, answered, largest = [], 0, 0
    with connection.cursor() as cursor:
        cursor.execute(_facts_sql(), [survey.pk, survey.pk, group.pk, group.pk])
        for kind, value in cursor.fetchall():
            if kind == 0:
                unit_ids.append(int(value))
            elif kind == 1:
                answered = int(value)
            elif value is not None:
                largest = int(value)
    return SubmissionFacts(sorted(unit_ids), answered, largest)


def _client_key(client: str, survey: Survey) -> str:
    """A keyed hash of the client's address, kept only in the cache for the rate limit and
    the duplicate heuristics — never stored with a response."""
    salt = f"{settings.SECRET_KEY}|survey-client|{survey.pk}|{timezone.localdate()}"
    return hashlib.sha256(f"{salt}|{client}".encode()).hexdigest()[:32]


def _link_flag(survey: Survey, client: str, answers: Mapping[str, Any]) -> str:
    """Rate-limit the open link per client (Refused, 429) and name a suspicion, if any.
    `client` is the address the request came from behind the trusted proxies
    (`kaohe.core.clientip.client_ip`)."""
    key = f"kaohe:survey:{survey.pk}:client:{_client_key(client, survey)}"
    limit = int(getattr(settings, "KAOHE_SURVEY_LINK_PER_HOUR", 20))
    seen = cache.get(key) or {"n": 0, "last": ""}
    if seen["n"] >= limit:
        raise Refused(
            "rate_limited",
            _("Too many answers from this connection. Please try again later."),
            429,
            retry_after=3600,
        )
    digest = hashlib.sha256(repr(sorted(answers.items())).encode()).hexdigest()
    flag = ""
    if digest == seen["last"]:
        flag = "repeat_of_previous"
    elif seen["n"] >= int(getattr(settings, "KAOHE_SURVEY_LINK_FLAG_AFTER", 3)):
        flag = "many_from_client"
    else:
        matrix = answers.get(survey.index_question)
        if isinstance(matrix, dict) and len(matrix) >= 5 and len(set(matrix.values())) == 1:
            flag = "same_answer_everywhere"
    cache.set(key, {"n": seen["n"] + 1, "last": digest}, 3600)
    return flag


def submit(
    survey: Survey,
    posted: Posted,
    *,
    code: AccessCode | None = None,
    client: str = "",
    too_fast: bool = False,
) -> Response:
    """Store one response (by code, or through the open link when `code` is None).

    The code is burned in the same transaction (a code answers once, even when two phones send
    it at the same moment); what is stored is in `kaohe.surveys.models`. Refused names the
    reason; InvalidAnswers lists each problem by question, field and rule. Under overload the
    submission is refused with 503 and Retry-After, with nothing written: by the admission gate
    in front of the request (`admit_submission`, `kaohe.surveys.admission`), and here by the
    database's own lock and statement timeouts.

    Statements: one for the units' ids, the group's count and its unit quotas
    (`submission_facts`), then in one transaction the burn (with the lock wait limit) and the
    insert; the code, survey, version and group come with the code's one query (`find_code`).
    Written out by hand where the ORM's compiling cost more than the statement."""
    check_answerable(survey)
    if code is not None:
        if code.survey_id != survey.pk:
            raise Refused("unknown_code", _("This access code is not for this survey."), 404)
        group = code.group
    elif survey.link_group_id is None:
        raise Refused("no_link", _("This survey is answered with an access code."), 403)
    else:
        group = survey.link_group  # type: ignore[assignment]
    with overload_as_busy():
        facts = submission_facts(survey, group)
        answers, errors = read_answers(survey.version.questions, posted, facts.unit_ids)
        if errors:
            raise InvalidAnswers(errors)
        check_quota(survey, group, facts)
        flag = "" if code is not None else _link_flag(survey, client, answers)
        if not flag and too_fast and code is None:
            flag = "too_fast"
        response = Response(
            survey=survey,
            group=group,
            via=Response.Via.CODE if code is not None else Response.Via.LINK,
            day=timezone.localdate(),
            answers=answers,
            flag=flag,
            review=Response.Review.PENDING if flag else Response.Review.NONE,
        )
        if not _store(response, code):
            raise Refused(
                "used_code", _("This access code has been used: each code answers once."), 410
            )
        return response


def _store(response: Response, code: AccessCode | None) -> bool:
    """Burn the code and insert the response, all or nothing: False (nothing written) when the
    code was burned already — two phones sending one code at once: the second waits for the
    first's commit, then finds it burned.

    On PostgreSQL it is one round trip: `SET LOCAL lock_timeout` (a lock waited for longer is
    an overload: 503, nothing written) and one statement that burns the code and inserts the
    response only if the burn took (`WITH burned AS (UPDATE … RETURNING) INSERT … SELECT …
    WHERE EXISTS`). Django's psycopg cursors bind on the client, so the two go in one simple
    query, which PostgreSQL runs as one transaction (inside the caller's, if any). The values
    are what the ORM would send (`get_db_prep_save`). SQLite (in process, no round trips):
    the burn and the ORM's insert in `transaction.atomic`; its busy timeout limits the wait."""
    if connection.vendor != "postgresql":
        with transaction.atomic():
            if code is not None and not _burn(code):
                return False
            response.save(force_insert=True)
            return True
    qn = connection.ops.quote_name
    fields = Response._meta.concrete_fields
    columns = ", ".join(qn(f.column) for f in fields)
    places = ", ".join(["%s"] * len(fields))
    values = [f.get_db_prep_save(getattr(response, f.attname), connection) for f in fields]
    table = qn(Response._meta.db_table)
    if code is None:
        sql, params = f"INSERT INTO {table} ({columns}) VALUES ({places})", values
    else:
        sql = (
            f"WITH burned AS ({_burn_sql()} RETURNING 1) "
            f"INSERT INTO {table} ({columns}) SELECT {places} WHERE EXISTS (SELECT 1 FROM burned)"
        )
        params = [True, code.pk, False, *values]
    prefix = _lock_timeout_sql()
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql, params)
        if prefix:
            cursor.nextset()  # the SET's result first, then the INSERT's
        stored = cursor.rowcount == 1
    if stored:
        response._state.adding, response._state.db = False, connection.alias
    return stored


def _burn_sql() -> str:
    burned = _column(AccessCode, "burned")
    return (
        f"UPDATE {connection.ops.quote_name(AccessCode._meta.db_table)} SET {burned} = %s "
        f"WHERE {_column(AccessCode, 'id')} = %s AND {burned} = %s"
    )


def _burn(code: AccessCode) -> bool:
    """Burn the code in the caller's transaction; False when it was burned already."""
    with connection.cursor() as cursor:
        cursor.execute(_burn_sql(), [True, code.pk, False])
        return bool(cursor.rowcount)


def _lock_timeout_sql() -> str:
    """`SET LOCAL lock_timeout` on PostgreSQL (KAOHE_SURVEY_LOCK_TIMEOUT_MS, an integer from
    the settings), sent with the submission's statement; empty elsewhere."""
    timeout = int(getattr(settings, "KAOHE_SURVEY_LOCK_TIMEOUT_MS", 0))
    if timeout > 0 and connection.vendor == "postgresql":
        return f"SET LOCAL lock_timeout = {timeout}; "
    return ""
