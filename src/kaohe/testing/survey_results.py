"""The survey results' objects of the scope world: a closed survey of the two districts (its
frozen results and a comment on each district) and a live event that is open."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from kaohe.surveys import services
from kaohe.surveys.models import Survey, SurveyComment, SurveyResult
from kaohe.testing.surveys import posted


@dataclass(frozen=True)
class SurveyResultObjects:
    closed: Survey
    live: Survey
    index: dict[int, SurveyResult]  # unit id → the unit's index row of the closed survey
    comments: dict[int, SurveyComment]  # unit id → a comment on the unit

    def index_of(self, unit: Any) -> SurveyResult:
        return self.index[unit.pk]

    def comment_of(self, unit: Any) -> SurveyComment:
        return self.comments[unit.pk]


def _survey(world: Any, manager: Any, version: Any, *, kind: str, name: str) -> Survey:
    return services.create_survey(
        acting_user=manager,
        cycle=world.cycle,
        version=version,
        name_zh=name,
        units=[world.d1, world.d2],
        groups=[services.GroupSpec("public", "市民群众", Decimal("1"), 20, "Citizens")],
        index_question="rating",
        kind=kind,
        link_group="public",
        min_n=2,
    )


def build_survey_result_objects(world: Any, manager: Any, version: Any) -> SurveyResultObjects:
    """Through the services, as the survey manager (`manager`) runs them; `version` is a
    questionnaire version rating the two districts (`kaohe.testing.surveys.QUESTIONS`)."""
    d1, d2 = world.d1.pk, world.d2.pk
    closed = services.open_survey(
        _survey(world, manager, version, kind=Survey.Kind.SURVEY, name="群众满意度测评（已结束）"),
        acting_user=manager,
    )
    for i, (a, b) in enumerate(((5, 4), (4, 3), (5, 5))):
        services.submit(
            closed,
            posted(
                {d1: a, d2: b}, comments={d1: "东区办事快", d2: "西区窗口少"} if i == 0 else None
            ),
            client=f"198.51.100.{i}",
        )
    closed = services.close_survey(closed, acting_user=manager)
    live = services.open_survey(
        _survey(world, manager, version, kind=Survey.Kind.LIVE, name="向市民报告现场测评"),
        acting_user=manager,
    )
    for i in range(2):
        services.submit(live, posted({d1: 4, d2: 3 + i}), client=f"198.51.100.{10 + i}")
    index = {r.unit_id: r for r in SurveyResult.objects.filter(survey=closed, group__isnull=True)}
    comments = {
        c.unit_id: c for c in SurveyComment.objects.filter(survey=closed, unit__isnull=False)
    }
    return SurveyResultObjects(closed, live, index, comments)  # type: ignore[arg-type]
