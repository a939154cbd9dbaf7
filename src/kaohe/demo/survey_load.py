"""The demo's surveys loaded through the services, as a survey manager runs them: the 2025
satisfaction survey of the districts (codes for three groups, the open link for citizens; the
flagged open-link answers reviewed), closed and fed into the districts' `satisfaction`
indicator through the ingestion pipeline, two of its comments made rectification items by the
office, and the finished live event of the 向市民报告 meeting. Every response goes through
`surveys.services.submit`, one by one, with its checks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from kaohe.core.roles import Role
from kaohe.demo.logins import DemoLogin, create_user
from kaohe.demo.surveys import CRITICAL, DemoResponse, DemoSurvey, live_event, satisfaction_survey
from kaohe.flows.surveys import close_and_feed
from kaohe.indicators.models import Indicator
from kaohe.rectification import services as rectification_services
from kaohe.schemes.models import Cycle
from kaohe.surveys import services
from kaohe.surveys.models import AccessCode, Response, Survey, SurveyComment
from kaohe.surveys.questions import Posted
from kaohe.units import services as unit_services
from kaohe.units.models import Unit

SURVEY_YEAR = 2025


def _posted(response: DemoResponse, ids: dict[str, int]) -> Posted:
    one = {f"rating.{ids[code]}": str(value) for code, value in response.ratings.items()}
    one.update({f"rating#{ids[code]}": text for code, text in response.comments.items()})
    one.update({"channel": str(response.channel), "advice": response.advice})
    return Posted(one=one, many={})


def _run(
    demo: DemoSurvey,
    *,
    manager: Any,
    cycle: Cycle,
    kind: str,
    indicator: Indicator | None = None,
    link_group: str = "",
) -> Survey:
    """Make, open and answer the survey (left open)."""
    questionnaire = services.create_questionnaire(
        acting_user=manager, code=demo.questionnaire, name_zh=demo.questionnaire_zh
    )
    version = services.add_version(questionnaire, acting_user=manager, questions=demo.questions)
    units = list(Unit.objects.filter(code__in=demo.units).order_by("code"))
    survey = services.create_survey(
        acting_user=manager,
        cycle=cycle,
        version=version,
        name_zh=demo.name_zh,
        name_en=demo.name_en,
        units=units,
        groups=[
            services.GroupSpec(
                g.code,
                g.name_zh,
                Decimal(g.weight),
                g.quota,
                name_en=g.name_en,
                population=g.population,
            )
            for g in demo.groups
        ],
        index_question="rating",
        kind=kind,
        indicator=indicator,
        measure=Survey.Measure.RATE,
        link_group=link_group,
        min_n=10,
    )
    groups = {g.code: g for g in survey.groups.all()}
    wanted = {g.code: sum(r.group == g.code for r in demo.responses) for g in demo.groups}
    codes: dict[str, list[AccessCode]] = {}
    for g in demo.groups:
        if g.by_code and wanted[g.code]:
            batch = services.make_codes(groups[g.code], wanted[g.code], acting_user=manager)
            codes[g.code] = list(batch.codes.select_related("group").order_by("code"))
    survey = services.open_survey(survey, acting_user=manager)
    ids = {u.code: u.pk for u in units}
    for number, response in enumerate(demo.responses):
        posted = _posted(response, ids)
        if response.group in codes:
            services.submit(survey, posted, code=codes[response.group].pop())
        else:
            # each citizen on a connection of their own (documentation addresses)
            client = f"198.18.{number // 250}.{number % 250}"
            services.submit(survey, posted, client=client)
    for flagged in Response.objects.filter(survey=survey, review=Response.Review.PENDING):
        services.review_response(flagged, Response.Review.KEPT, acting_user=manager)
    return survey


def load_surveys_demo(admin: Any, *, seed: int) -> list[DemoLogin]:
    """Run the demo's surveys; returns the survey manager's login."""
    manager = create_user("surveys", "群众评议管理员")
    unit_services.add_grant(acting_user=admin, user=manager, role=Role.SURVEY_MANAGER, unit=None)
    cycle = Cycle.objects.get(year=SURVEY_YEAR)
    districts = tuple(
        Unit.objects.filter(kind__in=[Unit.Kind.DISTRICT, Unit.Kind.COUNTY_CITY], is_assessed=True)
        .order_by("code")
        .values_list("code", flat=True)
    )
    survey = _run(
        satisfaction_survey(seed, districts, SURVEY_YEAR),
        manager=manager,
        cycle=cycle,
        kind=Survey.Kind.SURVEY,
        indicator=Indicator.objects.get(code="satisfaction"),
        link_group="citizens",
    )
    # the office closes it: the districts' satisfaction rates enter the scheme (the survey
    # manager runs surveys but reports no values)
    close_and_feed(survey, acting_user=admin)
    due = timezone.localdate() + dt.timedelta(days=45)
    critical = (
        SurveyComment.objects.filter(survey=survey, unit__isnull=False, text__in=CRITICAL)
        .select_related("unit")
        .order_by("unit__code", "pk")
    )
    seen: set[int] = set()
    for comment in critical:
        if comment.unit_id in seen or len(seen) == 2:
            continue
        seen.add(comment.unit_id)  # type: ignore[arg-type]
        rectification_services.open_from_comment(comment, acting_user=admin, due_date=due)
    live = _run(
        live_event(seed, districts, SURVEY_YEAR),
        manager=manager,
        cycle=cycle,
        kind=Survey.Kind.LIVE,
    )
    close_and_feed(live, acting_user=manager)
    return [DemoLogin("surveys", Role.SURVEY_MANAGER, "runs surveys and the live rating event")]
