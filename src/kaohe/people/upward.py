"""Anonymous upward ratings (下级评上级) through the survey machinery.

The office fields a survey of one unit whose questions rate each of its leaders (the holders of
its head, deputy-head and division-chief posts) on the five dimensions, on a five-point scale
(差 … 优秀). It is an ordinary survey: one-time codes printed for the unit's staff, burned on
submit, answers stored with the day only, nothing linking a code, an address or a session to
them (the surveys app's promise, tested there). Once it is closed, `feed_upward_ratings` turns
the counted answers (kept, not pending, not excluded: as the survey's own results count them)
into each leader's upward rating per dimension: the mean of (code − 1) / 4 × 100 over the
answers, with the number of answers as its raters. A leader with fewer answers than the
survey's `min_n` gets none for that dimension: with so few, an answer could be told from its
author; the result says so."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kaohe.core import access, audit
from kaohe.core.events import EventType
from kaohe.core.roles import Action
from kaohe.people.models import Dimension, UpwardSurvey
from kaohe.people.services import RatingRow, record_ratings
from kaohe.schemes.models import Cycle
from kaohe.surveys import services as survey_services
from kaohe.surveys.models import Response, Survey
from kaohe.units.models import Person, Post, Unit

POINTS = 5
LABELS_ZH = ["差", "较差", "一般", "良好", "优秀"]
LABELS_EN = ["poor", "fair", "average", "good", "excellent"]
DIMENSION_ZH = {
    "conduct": "政治品德（德）",
    "ability": "工作能力（能）",
    "diligence": "勤勉敬业（勤）",
    "performance": "工作实绩（绩）",
    "integrity": "廉洁自律（廉）",
}
LEADER_RANKS = (Post.Rank.HEAD, Post.Rank.DEPUTY_HEAD, Post.Rank.DIVISION_CHIEF)


def leaders_of(unit: Unit) -> list[Person]:
    """The people an upward survey of `unit` rates: its (and its divisions') leaders."""
    return list(
        Person.objects.filter(
            post__rank__in=LEADER_RANKS, post__unit__path__startswith=unit.path
        ).order_by("post__rank", "code")
    )


def _key(person: Person, dimension: str) -> str:
    return f"p{person.pk}_{dimension}"


def _questions(people: Sequence[Person]) -> list[dict[str, Any]]:
    overall = {
        "key": "overall",
        "kind": "likert",
        "text_zh": "您对本单位领导班子的总体评价",
        "text_en": "Your overall rating of the unit's leadership",
        "points": POINTS,
        "labels_zh": LABELS_ZH,
        "labels_en": LABELS_EN,
    }
    rows = [overall]
    for person in people:
        for dimension, label in Dimension.choices:
            rows.append(
                {
                    "key": _key(person, dimension),
                    "kind": "likert",
                    "text_zh": f"{person.name}：{DIMENSION_ZH[dimension]}",
                    "text_en": f"{person.name}: {label}",
                    "points": POINTS,
                    "labels_zh": LABELS_ZH,
                    "labels_en": LABELS_EN,
                    "required": False,  # a respondent may not know every leader
                }
            )
    return rows


@transaction.atomic
def create_upward_survey(
    cycle: Cycle, unit: Unit, *, acting_user: Any, codes: int | None = None
) -> UpwardSurvey:
    """A draft survey of `unit` rating its leaders, with codes for its staff (one per person of
    the unit unless told); the office opens, prints and closes it on the survey pages."""
    access.check_citywide(acting_user, Action.SURVEY)
    people = leaders_of(unit)
    if not people:
        raise ValidationError(
            _("%(unit)s has no leader post held: there is no one to rate upward.") % {"unit": unit}
        )
    staff = Person.objects.filter(unit=unit).count()
    code = f"upward-{cycle.year}-{unit.code.lower()}"[:40]
    questionnaire = survey_services.create_questionnaire(
        acting_user=acting_user,
        code=code,
        name_zh=f"{cycle.year}年度{unit.name_zh}领导干部民主测评",
        name_en=f"{cycle.year} upward rating of the leaders of {unit.name_en or unit.code}",
    )
    version = survey_services.add_version(
        questionnaire,
        acting_user=acting_user,
        questions=_questions(people),
        intro_zh="本测评匿名进行：测评码提交后即作废，答卷不记录测评码、IP 地址或会话。",
        intro_en="Anonymous: a code is burned on submit, and no code, address or session is "
        "stored with the answers.",
    )
    survey = survey_services.create_survey(
        acting_user=acting_user,
        cycle=cycle,
        version=version,
        name_zh=questionnaire.name_zh,
        name_en=questionnaire.name_en,
        units=[unit],
        groups=[
            survey_services.GroupSpec(
                "staff",
                "本单位工作人员",
                Decimal(1),
                max(staff, 1),
                "The unit's staff",
                staff or None,
            )
        ],
        index_question="overall",
        min_n=3,
    )
    group = survey.groups.get()
    survey_services.make_codes(group, codes or max(staff, 1), acting_user=acting_user)
    upward = UpwardSurvey.objects.create(
        survey=survey, cycle=cycle, unit=unit, created_by=acting_user
    )
    upward.rated.set(people)
    audit.record(
        EventType.UPWARD_SURVEY_CREATED,
        acting_user=acting_user,
        obj=upward,
        unit=unit,
        extra={"survey": survey.pk, "rated": len(people)},
    )
    return upward


@dataclass(frozen=True)
class Fed:
    """What feeding stored: the ratings, and the (person, dimension) left out for too few
    answers."""

    stored: int
    too_few: tuple[tuple[str, str, int], ...]  # (person code, dimension, answers)


@transaction.atomic
def feed_upward_ratings(upward: UpwardSurvey, *, acting_user: Any) -> Fed:
    """The closed survey's counted answers as each leader's upward ratings (once)."""
    upward = (
        UpwardSurvey.objects.select_for_update().select_related("survey", "cycle").get(pk=upward.pk)
    )
    survey = upward.survey
    if survey.state != Survey.State.CLOSED:
        raise ValidationError(_("Close the survey first: its answers are fed once it is closed."))
    if upward.fed_at is not None:
        raise ValidationError(_("These upward ratings were fed already."))
    counted = survey.responses.exclude(
        review__in=[Response.Review.PENDING, Response.Review.EXCLUDED]
    ).values_list("answers", flat=True)
    codes: dict[str, list[int]] = defaultdict(list)
    for answers in counted:
        for key, value in answers.items():
            if isinstance(value, int):
                codes[key].append(value)
    rows: list[RatingRow] = []
    too_few: list[tuple[str, str, int]] = []
    for person in upward.rated.order_by("code"):
        for dimension in Dimension.values:
            given = codes.get(_key(person, dimension), [])
            if len(given) < survey.min_n:
                too_few.append((person.code, dimension, len(given)))
                continue
            mean = sum((c - 1) / (POINTS - 1) * 100 for c in given) / len(given)
            rows.append(RatingRow(person.code, "upward", dimension, f"{mean:.2f}", len(given)))
    stored = record_ratings(upward.cycle, rows, acting_user=acting_user) if rows else 0
    upward.fed_at = timezone.now()
    upward.fed = {"stored": stored, "too_few": too_few}
    upward.save(update_fields=["fed_at", "fed"])
    audit.record(
        EventType.UPWARD_RATINGS_FED,
        acting_user=acting_user,
        obj=upward,
        unit=upward.unit,
        extra={"stored": stored, "too_few": len(too_few)},
    )
    return Fed(stored, tuple(too_few))
