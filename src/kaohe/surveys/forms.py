"""What the office's survey pages post: the questionnaire builder (the questions as form fields,
or as YAML), a new questionnaire, a new survey with its groups, a unit's quota, a batch of codes
and the review of a flagged response. The view hands the cleaned data to a service.

The builder posts the whole list of questions each time (`q<n>-<field>`, n from 1), so adding,
moving or removing a question is a round trip that stores nothing; problems are RowErrors by
question number, field and rule, like those of `surveys.questions.check_questions`."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml
from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from kaohe.core.errors import RowError
from kaohe.indicators.models import Indicator
from kaohe.schemes.models import Cycle
from kaohe.surveys.models import QuestionnaireVersion, RespondentGroup, Response, Survey
from kaohe.surveys.questions import KINDS, LIKERT_LABELS, SCALED, TEXT_LIMIT
from kaohe.surveys.services import MAX_BATCH, GroupSpec
from kaohe.units.models import Category, Unit

# --- the questionnaire builder ---------------------------------------------------------------

KIND_NAMES = {
    "likert": gettext_lazy("Rating scale (Likert)"),
    "matrix": gettext_lazy("Rate each unit (matrix)"),
    "single": gettext_lazy("Single choice"),
    "multiple": gettext_lazy("Multiple choice"),
    "text": gettext_lazy("Free text"),
}
YAML_LIMIT = 256 * 1024
MAX_QUESTIONS = 200
FIELDS = (
    "kind",
    "key",
    "text_zh",
    "text_en",
    "required",
    "points",
    "labels_zh",
    "labels_en",
    "satisfied",
    "comment",
    "options",
    "max",
    "max_length",
)


def blank_question(kind: str, number: int, taken: Sequence[str] = ()) -> dict[str, str]:
    """The builder's values of a new question of `kind` (Likert labels prefilled)."""
    key = f"q{number}"
    while key in taken:
        number += 1
        key = f"q{number}"
    values = dict.fromkeys(FIELDS, "")
    values.update(kind=kind, key=key, required="" if kind == "text" else "on")
    if kind in SCALED:
        zh, en = LIKERT_LABELS[5]
        values.update(points="5", labels_zh="\n".join(zh), labels_en="\n".join(en))
        values.update(satisfied="4, 5", comment="on" if kind == "matrix" else "")
    elif kind == "text":
        values["max_length"] = str(TEXT_LIMIT)
    return values


def values_of(question: Mapping[str, Any]) -> dict[str, str]:
    """A stored question as the builder's values (for "a new version from this one")."""
    kind = str(question.get("kind", ""))
    values = dict.fromkeys(FIELDS, "")
    values.update(
        kind=kind,
        key=str(question.get("key", "")),
        text_zh=str(question.get("text_zh", "")),
        text_en=str(question.get("text_en", "")),
        required="on" if question.get("required", kind != "text") else "",
    )
    if kind in SCALED:
        points = question.get("points", 5)
        points = points if isinstance(points, int) else 5
        values.update(
            points=str(question.get("points", "")),
            labels_zh="\n".join(str(x) for x in _listed(question.get("labels_zh"))),
            labels_en="\n".join(str(x) for x in _listed(question.get("labels_en"))),
            satisfied=", ".join(
                str(c) for c in _listed(question.get("satisfied", [points - 1, points]))
            ),
            comment="on" if question.get("comment") else "",
        )
    elif kind in ("single", "multiple"):
        values["options"] = "\n".join(
            f"{o.get('zh', '')} | {o['en']}" if o.get("en") else str(o.get("zh", ""))
            for o in _listed(question.get("options"))
            if isinstance(o, dict)
        )
        values["max"] = str(question.get("max", ""))
    elif kind == "text":
        values["max_length"] = str(question.get("max_length", TEXT_LIMIT))
    return values


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def posted_values(data: Mapping[str, Any]) -> list[dict[str, str]]:
    """The builder's questions as posted, in order (at most MAX_QUESTIONS)."""
    try:
        count = min(int(data.get("count", 0)), MAX_QUESTIONS)
    except (TypeError, ValueError):
        count = 0
    rows = []
    for n in range(1, count + 1):
        values = {f: str(data.get(f"q{n}-{f}", "")).strip() for f in FIELDS}
        values["required"] = "on" if data.get(f"q{n}-required") else ""
        values["comment"] = "on" if data.get(f"q{n}-comment") else ""
        if values["kind"] in KINDS:
            rows.append(values)
    return rows


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _whole(row: int, field: str, text: str, errors: list[RowError]) -> int | None:
    if not re.fullmatch(r"\d{1,6}", text):
        errors.append(RowError(row, field, _("a whole number"), text))
        return None
    return int(text)


def question_of(row: int, values: Mapping[str, str], errors: list[RowError]) -> dict[str, Any]:
    """One question from the builder's values; what cannot be read is a RowError of `row`."""
    kind = values["kind"]
    question: dict[str, Any] = {
        "key": values["key"],
        "kind": kind,
        "text_zh": values["text_zh"],
        "text_en": values["text_en"],
        "required": bool(values["required"]),
    }
    if kind in SCALED:
        points = _whole(row, "points", values["points"], errors)
        question["points"] = points
        question["labels_zh"] = _lines(values["labels_zh"])
        if values["labels_en"]:
            question["labels_en"] = _lines(values["labels_en"])
        codes = [c for c in re.split(r"[\s,，]+", values["satisfied"]) if c]
        if codes and all(c.isdigit() for c in codes):
            question["satisfied"] = [int(c) for c in codes]
        elif codes:
            errors.append(
                RowError(row, "satisfied", _("the codes are whole numbers"), values["satisfied"])
            )
        if kind == "matrix":
            question["comment"] = bool(values["comment"])
    elif kind in ("single", "multiple"):
        options = []
        for line in _lines(values["options"]):
            zh, _sep, en = line.partition("|")
            option = {"zh": zh.strip()}
            if en.strip():
                option["en"] = en.strip()
            options.append(option)
        question["options"] = options
        if kind == "multiple" and values["max"]:
            question["max"] = _whole(row, "max", values["max"], errors)
    else:
        if values["max_length"]:
            question["max_length"] = _whole(row, "max_length", values["max_length"], errors)
    return question


def questions_of(rows: Sequence[Mapping[str, str]]) -> tuple[list[dict[str, Any]], list[RowError]]:
    errors: list[RowError] = []
    questions = [question_of(n, values, errors) for n, values in enumerate(rows, start=1)]
    return questions, errors


def apply_op(op: str, rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """Add (`add:<kind>`), move (`up:<n>`, `down:<n>`) or remove (`remove:<n>`) a question."""
    verb, _sep, arg = op.partition(":")
    if verb == "add" and arg in KINDS and len(rows) < MAX_QUESTIONS:
        return [*rows, blank_question(arg, len(rows) + 1, [r["key"] for r in rows])]
    if not arg.isdigit() or not 1 <= int(arg) <= len(rows):
        return rows
    i = int(arg) - 1
    rows = list(rows)
    if verb == "remove":
        del rows[i]
    elif verb == "up" and i > 0:
        rows[i - 1], rows[i] = rows[i], rows[i - 1]
    elif verb == "down" and i < len(rows) - 1:
        rows[i + 1], rows[i] = rows[i], rows[i + 1]
    return rows


def relabel(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """A scale whose points changed while it still had the standard labels of the other
    length gets the standard labels of its new length."""
    for values in rows:
        if values["kind"] not in SCALED or values["points"] not in ("5", "7"):
            continue
        points = int(values["points"])
        other = 7 if points == 5 else 5
        zh, en = LIKERT_LABELS[other]
        if _lines(values["labels_zh"]) == zh and _lines(values["labels_en"]) in ([], en):
            new_zh, new_en = LIKERT_LABELS[points]
            values["labels_zh"], values["labels_en"] = "\n".join(new_zh), "\n".join(new_en)
            if values["satisfied"].replace(" ", "") == f"{other - 1},{other}":
                values["satisfied"] = f"{points - 1}, {points}"
    return rows


def read_yaml(text: str) -> tuple[list[Any], str, str, list[RowError]]:
    """Questions written as YAML: a list of questions, or a mapping with `questions` (and
    `intro_zh`, `intro_en`). Returns (questions, intro_zh, intro_en, problems)."""
    if len(text.encode()) > YAML_LIMIT:
        return [], "", "", [RowError(0, "yaml", _("at most 256 KiB of YAML"))]
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        problem = getattr(exc, "problem", None) or str(exc)
        return [], "", "", [RowError(line, "yaml", _("not readable as YAML: %s") % problem)]
    intro_zh = intro_en = ""
    if isinstance(document, dict):
        intro_zh = str(document.get("intro_zh") or "")
        intro_en = str(document.get("intro_en") or "")
        document = document.get("questions")
    if not isinstance(document, list):
        return (
            [],
            "",
            "",
            [RowError(0, "questions", _("a questionnaire needs a list of questions"))],
        )
    return document, intro_zh, intro_en, []


def dump_yaml(version: QuestionnaireVersion) -> str:
    document: dict[str, Any] = {}
    if version.intro_zh:
        document["intro_zh"] = version.intro_zh
    if version.intro_en:
        document["intro_en"] = version.intro_en
    document["questions"] = version.questions
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=100)


class YamlForm(forms.Form):
    yaml_text = forms.CharField(
        label=gettext_lazy("Questions as YAML"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "false"}),
    )
    yaml_file = forms.FileField(label=gettext_lazy("or a YAML file"), required=False)

    def text(self) -> str:
        upload = self.cleaned_data.get("yaml_file")
        if upload is not None:
            raw = upload.read(YAML_LIMIT + 1)
            try:
                return str(raw.decode("utf-8-sig"))
            except UnicodeDecodeError:
                return "\0"  # refused by the YAML reader as unreadable
        return str(self.cleaned_data.get("yaml_text") or "")


class QuestionnaireForm(forms.Form):
    code = forms.SlugField(label=gettext_lazy("Code"), max_length=40)
    name_zh = forms.CharField(label=gettext_lazy("Name (Chinese)"), max_length=200)
    name_en = forms.CharField(label=gettext_lazy("Name (English)"), max_length=200, required=False)


# --- surveys ---------------------------------------------------------------------------------


def read_groups(text: str) -> tuple[list[GroupSpec], list[RowError]]:
    """One group a line: `code | 中文名 | English name | weight | quota | population` (the
    English name and the population may be left empty)."""
    groups: list[GroupSpec] = []
    errors: list[RowError] = []
    for row, line in enumerate(_lines(text), start=1):
        cells = [c.strip() for c in line.split("|")]
        if len(cells) < 5:
            errors.append(
                RowError(row, "groups", _("code | Chinese name | English name | weight | quota"))
            )
            continue
        cells += [""] * (6 - len(cells))
        code, name_zh, name_en, weight_text, quota_text, population_text = cells[:6]
        try:
            weight = Decimal(weight_text)
            if not weight.is_finite():
                raise InvalidOperation
        except InvalidOperation:
            errors.append(RowError(row, "weight", _("a weight is a number"), weight_text))
            weight = Decimal(0)
        quota = _whole(row, "quota", quota_text, errors) or 0
        population = _whole(row, "population", population_text, errors) if population_text else None
        groups.append(GroupSpec(code, name_zh, weight, quota, name_en, population))
    return groups, errors


class SurveyForm(forms.Form):
    cycle = forms.ModelChoiceField(
        label=gettext_lazy("Cycle"), queryset=Cycle.objects.all(), to_field_name="year"
    )
    version = forms.ModelChoiceField(
        label=gettext_lazy("Questionnaire version"),
        queryset=QuestionnaireVersion.objects.select_related("questionnaire").order_by(
            "questionnaire__code", "-number"
        ),
    )
    name_zh = forms.CharField(label=gettext_lazy("Name (Chinese)"), max_length=200)
    name_en = forms.CharField(label=gettext_lazy("Name (English)"), max_length=200, required=False)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=Survey.Kind.choices)
    category = forms.ModelChoiceField(
        label=gettext_lazy("Rate every assessed unit of a category"),
        queryset=Category.objects.all(),
        to_field_name="code",
        required=False,
    )
    units = forms.ModelMultipleChoiceField(
        label=gettext_lazy("or choose the units"),
        queryset=Unit.objects.filter(is_assessed=True).order_by("code"),
        to_field_name="code",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    index_question = forms.CharField(
        label=gettext_lazy("Index question (key of the matrix or Likert question)"),
        max_length=40,
    )
    indicator = forms.ModelChoiceField(
        label=gettext_lazy("Indicator fed (optional)"),
        queryset=Indicator.objects.order_by("code"),
        to_field_name="code",
        required=False,
    )
    measure = forms.ChoiceField(label=gettext_lazy("Figure fed"), choices=Survey.Measure.choices)
    period = forms.CharField(label=gettext_lazy("Period fed"), max_length=8, initial="Y")
    min_n = forms.IntegerField(
        label=gettext_lazy("Fewest answers for a group to count"),
        initial=5,
        min_value=2,
        max_value=10000,
    )
    groups = forms.CharField(
        label=gettext_lazy(
            "Respondent groups, one a line: code | Chinese name | English name | weight | "
            "quota per unit | people in the group"
        ),
        widget=forms.Textarea(
            attrs={"rows": 5, "placeholder": "deputies | 人大代表 | Deputies | 0.4 | 30 | 200"}
        ),
    )
    link_group = forms.CharField(
        label=gettext_lazy("Group of the open link (its code; empty: codes only)"),
        max_length=40,
        required=False,
    )

    def chosen_units(self) -> list[Unit]:
        units = {u.pk: u for u in self.cleaned_data.get("units") or []}
        category = self.cleaned_data.get("category")
        if category is not None:
            for unit in Unit.objects.filter(category=category, is_assessed=True):
                units[unit.pk] = unit
        return sorted(units.values(), key=lambda u: u.code)


class QuotaForm(forms.Form):
    group = forms.ModelChoiceField(
        label=gettext_lazy("Group"), queryset=RespondentGroup.objects.none()
    )
    unit = forms.ModelChoiceField(
        label=gettext_lazy("Unit"), queryset=Unit.objects.none(), to_field_name="code"
    )
    quota = forms.IntegerField(
        label=gettext_lazy("Responses wanted"), min_value=1, max_value=1_000_000
    )

    def __init__(self, *args: Any, survey: Survey, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = survey.groups.all()  # type: ignore[attr-defined]
        self.fields["unit"].queryset = survey.units.order_by("code")  # type: ignore[attr-defined]


class CodesForm(forms.Form):
    group = forms.ModelChoiceField(
        label=gettext_lazy("Group"), queryset=RespondentGroup.objects.none()
    )
    count = forms.IntegerField(
        label=pgettext_lazy("access codes", "How many"), min_value=1, max_value=MAX_BATCH
    )

    def __init__(self, *args: Any, survey: Survey, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = survey.groups.all()  # type: ignore[attr-defined]


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[
            (Response.Review.KEPT, gettext_lazy("keep")),
            (Response.Review.EXCLUDED, gettext_lazy("exclude")),
        ]
    )


# --- results (helper C): a comment made a rectification item -----------------------------------


class RectifyCommentForm(forms.Form):
    """The office turns a comment into a rectification item: the plan's due date and, for a
    comment on the whole questionnaire, the unit it concerns (one of the survey's)."""

    due_date = forms.DateField(
        label=gettext_lazy("Plan due"), widget=forms.DateInput(attrs={"type": "date"})
    )
    unit = forms.ModelChoiceField(
        queryset=Unit.objects.none(),
        required=False,
        to_field_name="code",
        label=gettext_lazy("Unit (for a comment on the whole questionnaire)"),
    )

    def __init__(self, *args: Any, survey: Survey, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = survey.units.order_by("code")  # type: ignore[attr-defined]
