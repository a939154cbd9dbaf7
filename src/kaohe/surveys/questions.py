"""The questions of a questionnaire version, and the answers a respondent posts.

A question is a dict:

- ``likert``: a scale of 5 or 7 points with a label per point (``labels_zh``, ``labels_en``,
  from the worst answer to the best), ``satisfied``: the codes counted as satisfied (default
  the top two);
- ``matrix``: "rate each of these units" on such a scale; its rows are the survey's units;
  ``comment``: true offers a comment box per unit;
- ``single`` / ``multiple``: ``options``, each ``{"zh": …, "en": …}``; ``max`` for multiple;
- ``text``: free text of at most ``max_length`` characters (default 1,000).

Every question has ``key`` (a short slug, unique), ``kind``, ``text_zh`` (``text_en``
optional) and ``required`` (default true, false for text). Codes are 1 … n: the n-th label or
option.

`check_questions` names each problem by question number, field and rule; `read_answers` turns a
posted form into the stored answers or names each problem by question number, field and rule.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from kaohe.core.errors import RowError
from kaohe.engine.evaluation import LikertScale

KINDS = ("likert", "matrix", "single", "multiple", "text")
SCALED = ("likert", "matrix")
KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
TEXT_LIMIT = 1000
COMMENT_LIMIT = 500

# the standard labels, from the worst answer to the best (the builder's, the demo's, the tests')
LIKERT_LABELS: dict[int, tuple[list[str], list[str]]] = {
    5: (
        ["很不满意", "不太满意", "一般", "比较满意", "非常满意"],
        ["very dissatisfied", "dissatisfied", "neutral", "satisfied", "very satisfied"],
    ),
    7: (
        ["非常不满意", "不满意", "不太满意", "一般", "比较满意", "满意", "非常满意"],
        [
            "very dissatisfied",
            "dissatisfied",
            "somewhat dissatisfied",
            "neutral",
            "somewhat satisfied",
            "satisfied",
            "very satisfied",
        ],
    ),
}


def check_questions(questions: Any) -> list[RowError]:
    """Every problem of a list of questions; row = the question's number (from 1)."""
    if not isinstance(questions, list) or not questions:
        return [RowError(0, "questions", _("a questionnaire needs a list of questions"))]
    errors: list[RowError] = []
    seen: set[str] = set()
    for row, q in enumerate(questions, start=1):
        if not isinstance(q, dict):
            errors.append(RowError(row, "question", _("each question is a mapping of fields")))
            continue
        key = q.get("key")
        if not isinstance(key, str) or not KEY.match(key):
            errors.append(
                RowError(row, "key", _("a key is a lowercase slug of 1–40 characters"), str(key))
            )
        elif key in seen:
            errors.append(RowError(row, "key", _("the key is used by another question"), key))
        else:
            seen.add(key)
        kind = q.get("kind")
        if kind not in KINDS:
            errors.append(
                RowError(row, "kind", _("the kind is one of %s") % ", ".join(KINDS), str(kind))
            )
            continue
        if not _text(q.get("text_zh")):
            errors.append(RowError(row, "text_zh", _("the question needs its Chinese text")))
        if "text_en" in q and not isinstance(q["text_en"], str):
            errors.append(RowError(row, "text_en", _("the English text is a string")))
        if "required" in q and not isinstance(q["required"], bool):
            errors.append(RowError(row, "required", _("required is true or false")))
        if kind in SCALED:
            errors += _check_scale(row, q)
        elif kind in ("single", "multiple"):
            errors += _check_options(row, q)
        else:
            limit = q.get("max_length", TEXT_LIMIT)
            if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= 5000:
                errors.append(
                    RowError(row, "max_length", _("a text's limit lies in 1–5,000"), str(limit))
                )
    return errors


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _check_scale(row: int, q: Mapping[str, Any]) -> list[RowError]:
    errors: list[RowError] = []
    points = q.get("points")
    if points not in (5, 7):
        return [RowError(row, "points", _("a scale has 5 or 7 points"), str(points))]
    for field in ("labels_zh", "labels_en"):
        labels = q.get(field)
        if field == "labels_en" and labels is None:
            continue
        if not isinstance(labels, list) or len(labels) != points or not all(map(_text, labels)):
            errors.append(
                RowError(row, field, _("a label for each of the %d points") % points, str(labels))
            )
    satisfied = q.get("satisfied", [points - 1, points])
    if (
        not isinstance(satisfied, list)
        or not satisfied
        or len(set(satisfied)) != len(satisfied)
        or not all(isinstance(c, int) and 1 <= c <= points for c in satisfied)
    ):
        errors.append(
            RowError(
                row,
                "satisfied",
                _("the satisfied codes lie in 1–%d, each once") % points,
                str(satisfied),
            )
        )
    if "comment" in q and not isinstance(q["comment"], bool):
        errors.append(RowError(row, "comment", _("comment is true or false")))
    return errors


def _check_options(row: int, q: Mapping[str, Any]) -> list[RowError]:
    options = q.get("options")
    if not isinstance(options, list) or len(options) < 2:
        return [RowError(row, "options", _("a choice needs at least two options"))]
    errors = [
        RowError(row, f"options[{i}]", _("an option has its Chinese text (zh)"))
        for i, option in enumerate(options, start=1)
        if not isinstance(option, dict) or not _text(option.get("zh"))
    ]
    if q["kind"] == "multiple" and "max" in q:
        top = q["max"]
        if not isinstance(top, int) or isinstance(top, bool) or not 1 <= top <= len(options):
            errors.append(RowError(row, "max", _("at most 1–%d options") % len(options), str(top)))
    return errors


def scale_of(question: Mapping[str, Any]) -> LikertScale:
    points = int(question["points"])
    top = tuple(sorted(question.get("satisfied", [points - 1, points])))
    return LikertScale(points=points, top=top, best="high")


def required(question: Mapping[str, Any]) -> bool:
    return bool(question.get("required", question["kind"] != "text"))


@dataclass(frozen=True)
class Posted:
    """What a respondent posted, read field by field: ``<key>`` (one value), ``<key>`` many
    times (multiple choice), ``<key>.<unit id>`` (a matrix row) and ``<key>#<unit id>`` (its
    comment)."""

    one: Mapping[str, str]
    many: Mapping[str, Sequence[str]]


def read_answers(
    questions: Sequence[Mapping[str, Any]], posted: Posted, unit_ids: Sequence[int]
) -> tuple[dict[str, Any], list[RowError]]:
    """The answers to store, or every problem: row = question number, field = the form field,
    rule = what was expected. Out-of-range codes and unknown options are refused, never
    clamped."""
    answers: dict[str, Any] = {}
    errors: list[RowError] = []
    for row, q in enumerate(questions, start=1):
        key, kind = q["key"], q["kind"]
        if kind == "likert":
            value, error = _code(posted.one.get(key, ""), int(q["points"]))
            if error:
                errors.append(RowError(row, key, error, posted.one.get(key, "")))
            elif value is not None:
                answers[key] = value
            elif required(q):
                errors.append(RowError(row, key, _("please answer this question")))
        elif kind == "single":
            value, error = _code(posted.one.get(key, ""), len(q["options"]))
            if error:
                errors.append(RowError(row, key, error, posted.one.get(key, "")))
            elif value is not None:
                answers[key] = value
            elif required(q):
                errors.append(RowError(row, key, _("please choose one option")))
        elif kind == "multiple":
            codes: list[int] = []
            for raw in posted.many.get(key, ()):
                value, error = _code(raw, len(q["options"]))
                if error:
                    errors.append(RowError(row, key, error, raw))
                elif value is not None and value not in codes:
                    codes.append(value)
            top = int(q.get("max", len(q["options"])))
            if len(codes) > top:
                errors.append(RowError(row, key, _("choose at most %d options") % top))
            elif codes:
                answers[key] = sorted(codes)
            elif required(q):
                errors.append(RowError(row, key, _("please choose at least one option")))
        elif kind == "text":
            text = posted.one.get(key, "").strip()
            limit = int(q.get("max_length", TEXT_LIMIT))
            if len(text) > limit:
                errors.append(
                    RowError(row, key, _("at most %d characters") % limit, f"{len(text)}")
                )
            elif text:
                answers[key] = text
            elif required(q):
                errors.append(RowError(row, key, _("please write an answer")))
        else:  # matrix
            rated: dict[str, int] = {}
            comments: dict[str, str] = {}
            before = len(errors)
            for unit_id in unit_ids:
                field = f"{key}.{unit_id}"
                value, error = _code(posted.one.get(field, ""), int(q["points"]))
                if error:
                    errors.append(RowError(row, field, error, posted.one.get(field, "")))
                elif value is not None:
                    rated[str(unit_id)] = value
                note = posted.one.get(f"{key}#{unit_id}", "").strip() if q.get("comment") else ""
                if len(note) > COMMENT_LIMIT:
                    errors.append(
                        RowError(
                            row, f"{key}#{unit_id}", _("at most %d characters") % COMMENT_LIMIT
                        )
                    )
                elif note:
                    comments[str(unit_id)] = note
            if rated:
                answers[key] = rated
            elif required(q) and len(errors) == before:
                errors.append(RowError(row, key, _("please rate at least one unit")))
            if comments:
                answers[f"{key}#comment"] = comments
    return answers, errors


def _code(raw: str, top: int) -> tuple[int | None, str]:
    raw = raw.strip()
    if not raw:
        return None, ""
    if not raw.isdigit():
        return None, _("the answer is a choice of 1–%d") % top
    value = int(raw)
    if not 1 <= value <= top:
        return None, _("the answer is out of range: choose 1–%d") % top
    return value, ""
