"""The demo city's surveys (群众评议), generated (pure: numpy only, no Django): the 2025
satisfaction survey of the districts in four respondent groups, a few thousand responses with
comments in Chinese, and a finished live rating event (向市民报告) of a few hundred.

Each district has a latent share of satisfied people; each group leans a little (deputies and
committee members a little kinder, enterprises and citizens a little sterner); each answer is
drawn from it on the 5-point scale (非常满意 … 很不满意). Citizens and service users do not know
every district, so some leave a district unrated. A few answers carry a comment on the district
(critical after a low rating, appreciative after a high one) and a few an overall suggestion."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

LABELS_ZH = ["很不满意", "不太满意", "一般", "比较满意", "非常满意"]
LABELS_EN = ["very dissatisfied", "dissatisfied", "neutral", "satisfied", "very satisfied"]

QUESTIONS: list[dict[str, Any]] = [
    {
        "key": "rating",
        "kind": "matrix",
        "text_zh": "请您对以下各区（县、市）政府2025年度工作作出评价",
        "text_en": "How satisfied are you with the 2025 work of each district government?",
        "points": 5,
        "labels_zh": LABELS_ZH,
        "labels_en": LABELS_EN,
        "comment": True,
        "required": False,
    },
    {
        "key": "channel",
        "kind": "single",
        "text_zh": "您主要通过什么渠道了解政府工作？",
        "text_en": "How do you mainly hear of the government's work?",
        "options": [
            {"zh": "电视广播", "en": "television and radio"},
            {"zh": "网络和新媒体", "en": "the internet and social media"},
            {"zh": "亲身办事经历", "en": "my own dealings with offices"},
            {"zh": "亲友介绍", "en": "family and friends"},
        ],
    },
    {
        "key": "advice",
        "kind": "text",
        "text_zh": "您对政府工作的意见和建议",
        "text_en": "Your comments and suggestions on the government's work",
    },
]

LIVE_QUESTIONS: list[dict[str, Any]] = [
    {
        "key": "rating",
        "kind": "matrix",
        "text_zh": "听取各区（县、市）工作报告后，请您现场评价",
        "text_en": "Having heard each district's report, how satisfied are you with its work?",
        "points": 5,
        "labels_zh": LABELS_ZH,
        "labels_en": LABELS_EN,
        "required": False,
    }
]


@dataclass(frozen=True)
class DemoGroup:
    code: str
    name_zh: str
    name_en: str
    weight: str  # a decimal, as the office types it
    quota: int  # questionnaires wanted (each rates every district)
    population: int | None
    answered: float  # share of the quota that came back
    lean: float  # added to each district's latent satisfied share
    knows: float  # chance a respondent rates a given district
    by_code: bool  # answered with one-time codes (else through the open link)


GROUPS = (
    DemoGroup("deputies", "党代表·人大代表·政协委员", "Party, NPC and CPPCC deputies",
              "0.30", 320, 1200, 0.94, 0.025, 0.97, True),
    DemoGroup("enterprises", "企业", "Enterprises", "0.25", 600, None, 0.9, -0.01, 0.9, True),
    DemoGroup("citizens", "市民群众", "Citizens", "0.30", 1500, None, 0.88, -0.02, 0.62, False),
    DemoGroup("service_users", "服务对象", "Service users", "0.15", 500, None, 0.92, 0.0, 0.55,
              True),
)  # fmt: skip

LIVE_GROUPS = (
    DemoGroup("citizen_reps", "市民代表", "Citizen representatives", "0.6", 240, None, 0.95,
              0.0, 1.0, True),
    DemoGroup("media", "媒体与专家", "Media and experts", "0.4", 80, None, 0.95, -0.01, 1.0,
              True),
)  # fmt: skip

CRITICAL = (
    "办事窗口排队时间太长，希望增加窗口或推广网上办理。",
    "老旧小区改造进度慢，雨天路面积水严重。",
    "企业反映审批材料还是偏多，部门之间数据没有打通。",
    "夜间施工噪音扰民，投诉后处理不及时。",
    "公交线路少，早晚高峰等车时间长。",
    "学校学位紧张，孩子上学要跑很远。",
    "菜市场周边环境脏乱，占道经营没人管。",
    "政务热线打了几次才有人回复，答复也不具体。",
    "停车难问题突出，小区周边乱停车。",
    "惠企政策宣传不到位，很多企业不知道怎么申请。",
)
APPRECIATIVE = (
    "一网通办很方便，不用来回跑了。",
    "社区服务中心工作人员态度很好，办事效率高。",
    "河道整治后环境明显变好了，点赞。",
    "今年新开了几个口袋公园，老人孩子都有地方活动。",
    "营商环境改善明显，企业开办一天就办好了。",
    "背街小巷路灯修好了，晚上走路安心多了。",
)
ADVICE = (
    "建议进一步公开政府重点工作的进展情况，接受群众监督。",
    "希望多听听基层群众的意见，少一些形式主义。",
    "建议加大对中小企业的扶持力度，稳定就业。",
    "希望加快推进养老服务设施建设。",
    "建议整合各类政务App，减少重复注册。",
    "医疗资源分布不均，希望多建社区卫生服务站。",
    "希望继续加强食品安全监管。",
)


@dataclass(frozen=True)
class DemoResponse:
    """One questionnaire: the group, a code 1–5 per rated district, comments on districts, the
    channel (option number) and an overall suggestion."""

    group: str
    ratings: dict[str, int]
    comments: dict[str, str]
    channel: int
    advice: str


@dataclass(frozen=True)
class DemoSurvey:
    name_zh: str
    name_en: str
    questionnaire: str  # code
    questionnaire_zh: str
    questions: list[dict[str, Any]]
    groups: tuple[DemoGroup, ...]
    units: tuple[str, ...]
    responses: tuple[DemoResponse, ...]


def _latent(rng: np.random.Generator, n: int) -> Any:
    """Each district's share of satisfied people (比较满意 or 非常满意)."""
    return np.clip(rng.normal(0.9, 0.035, size=n), 0.8, 0.975)


def _answer(rng: np.random.Generator, satisfied: float) -> int:
    """A code 1–5: satisfied → 5 or 4 (55:45), else 3, 2 or 1 (70:20:10)."""
    if rng.random() < satisfied:
        return 5 if rng.random() < 0.55 else 4
    return int(rng.choice([3, 2, 1], p=[0.7, 0.2, 0.1]))


def _responses(
    rng: np.random.Generator,
    units: tuple[str, ...],
    groups: tuple[DemoGroup, ...],
    latent: Any,
    *,
    comment_rate: float,
    advice_rate: float,
) -> tuple[DemoResponse, ...]:
    made = []
    for group in groups:
        for _ in range(round(group.quota * group.answered)):
            ratings: dict[str, int] = {}
            comments: dict[str, str] = {}
            for u, code in enumerate(units):
                if rng.random() >= group.knows:
                    continue
                value = _answer(rng, float(np.clip(latent[u] + group.lean, 0.5, 0.995)))
                ratings[code] = value
                if rng.random() < comment_rate:
                    texts = CRITICAL if value <= 3 else APPRECIATIVE
                    comments[code] = texts[int(rng.integers(len(texts)))]
            if not ratings:  # a questionnaire came back: it rates one district at least
                code = units[int(rng.integers(len(units)))]
                ratings[code] = _answer(rng, float(latent[units.index(code)]))
            advice = ADVICE[int(rng.integers(len(ADVICE)))] if rng.random() < advice_rate else ""
            made.append(
                DemoResponse(group.code, ratings, comments, int(rng.integers(1, 5)), advice)
            )
    order = rng.permutation(len(made))
    return tuple(made[i] for i in order)


def satisfaction_survey(seed: int, units: tuple[str, ...], year: int = 2025) -> DemoSurvey:
    """The year's satisfaction survey of the districts (about 2,700 questionnaires)."""
    rng = np.random.default_rng([seed, year, 11])
    latent = _latent(rng, len(units))
    responses = _responses(rng, units, GROUPS, latent, comment_rate=0.012, advice_rate=0.04)
    return DemoSurvey(
        name_zh=f"{year}年度全市群众满意度测评",
        name_en=f"Public satisfaction survey {year}",
        questionnaire="public-satisfaction",
        questionnaire_zh="群众满意度测评问卷",
        questions=QUESTIONS,
        groups=GROUPS,
        units=units,
        responses=responses,
    )


def live_event(seed: int, units: tuple[str, ...], year: int = 2025) -> DemoSurvey:
    """The live rating event of the year's 向市民报告 meeting (about 300 ratings)."""
    rng = np.random.default_rng([seed, year, 12])
    latent = _latent(rng, len(units))
    responses = _responses(rng, units, LIVE_GROUPS, latent, comment_rate=0.0, advice_rate=0.0)
    return DemoSurvey(
        name_zh=f"{year}年度“向市民报告”现场测评",
        name_en=f"Reporting to the citizens {year}: live rating",
        questionnaire="live-rating",
        questionnaire_zh="“向市民报告”现场测评",
        questions=LIVE_QUESTIONS,
        groups=LIVE_GROUPS,
        units=units,
        responses=responses,
    )
