"""The survey objects of the scope world: the test survey (open, with a batch of codes), its
survey manager, and one flagged open-link response waiting for review."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kaohe.surveys import services
from kaohe.surveys.models import AccessCode, CodeBatch, Response
from kaohe.testing.surveys import TestSurvey, make_survey, posted


@dataclass(frozen=True)
class SurveyObjects:
    test: TestSurvey
    batch: CodeBatch
    code: AccessCode
    flagged: Response

    @property
    def survey(self) -> Any:
        return self.test.survey

    @property
    def manager(self) -> Any:
        return self.test.manager


def build_survey_objects(world: Any) -> SurveyObjects:
    ts = make_survey(world, codes=3)
    flagged = services.submit(
        ts.survey,
        posted({world.d1.pk: 4, world.d2.pk: 3}),
        client="203.0.113.9",
        too_fast=True,
    )
    batch = ts.codes[0].batch
    return SurveyObjects(test=ts, batch=batch, code=ts.codes[0], flagged=flagged)
