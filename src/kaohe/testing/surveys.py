"""A small survey for tests: a questionnaire rating the test world's two districts, two
respondent groups, codes for one of them and an open link for the other."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from kaohe.core.roles import Role
from kaohe.surveys import services
from kaohe.surveys.models import AccessCode, RespondentGroup, Survey
from kaohe.surveys.questions import LIKERT_LABELS, Posted
from kaohe.testing.world import make_user
from kaohe.units import services as unit_services

LABELS_ZH, LABELS_EN = LIKERT_LABELS[5]

QUESTIONS: list[dict[str, Any]] = [
    {
        "key": "rating",
        "kind": "matrix",
        "text_zh": "请对以下单位的工作作出评价",
        "text_en": "How satisfied are you with the work of each of these units?",
        "points": 5,
        "labels_zh": LABELS_ZH,
        "labels_en": LABELS_EN,
        "comment": True,
    },
    {
        "key": "channel",
        "kind": "single",
        "text_zh": "您主要通过什么渠道了解政府工作？",
        "text_en": "How do you mainly hear of the government's work?",
        "options": [
            {"zh": "电视广播", "en": "television and radio"},
            {"zh": "网络", "en": "the internet"},
            {"zh": "亲身经历", "en": "my own experience"},
        ],
    },
    {
        "key": "topics",
        "kind": "multiple",
        "text_zh": "您最关心哪些方面？（最多两项）",
        "text_en": "What matters most to you? (two at most)",
        "options": [
            {"zh": "就业", "en": "jobs"},
            {"zh": "教育", "en": "schools"},
            {"zh": "医疗", "en": "health care"},
        ],
        "max": 2,
        "required": False,
    },
    {
        "key": "advice",
        "kind": "text",
        "text_zh": "您的意见和建议",
        "text_en": "Your comments and suggestions",
    },
]


@dataclass
class TestSurvey:
    survey: Survey
    manager: Any
    coded: RespondentGroup
    open: RespondentGroup
    codes: list[AccessCode]


def make_survey(world: Any, *, open_it: bool = True, codes: int = 12) -> TestSurvey:
    manager = make_user("survey_manager")
    unit_services.add_grant(
        acting_user=world.admin, user=manager, role=Role.SURVEY_MANAGER, unit=None
    )
    questionnaire = services.create_questionnaire(
        acting_user=manager, code="satisfaction", name_zh="群众满意度测评", name_en="Satisfaction"
    )
    version = services.add_version(questionnaire, acting_user=manager, questions=QUESTIONS)
    survey = services.create_survey(
        acting_user=manager,
        cycle=world.cycle,
        version=version,
        name_zh="2025年度群众满意度测评",
        name_en="Satisfaction survey 2025",
        units=[world.d1, world.d2],
        groups=[
            services.GroupSpec("deputies", "人大代表", Decimal("0.4"), 10, "Deputies", 200),
            services.GroupSpec("citizens", "市民群众", Decimal("0.6"), 30, "Citizens"),
        ],
        index_question="rating",
        link_group="citizens",
    )
    coded, open_group = survey.groups.order_by("order")
    batch = services.make_codes(coded, codes, acting_user=manager)
    if open_it:
        survey = services.open_survey(survey, acting_user=manager)
    return TestSurvey(survey, manager, coded, open_group, list(batch.codes.order_by("code")))


def posted(
    ratings: Mapping[int, int | str],
    *,
    channel: str = "2",
    topics: Sequence[str] = (),
    advice: str = "",
    comments: Mapping[int, str] | None = None,
) -> Posted:
    """A form as the answer page posts it: ratings and comments by unit id."""
    one = {f"rating.{unit_id}": str(code) for unit_id, code in ratings.items()}
    one.update({f"rating#{unit_id}": text for unit_id, text in (comments or {}).items()})
    one.update({"channel": channel, "advice": advice})
    return Posted(one=one, many={"topics": list(topics)})
