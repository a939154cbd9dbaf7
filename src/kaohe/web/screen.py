"""The big screen (大屏) of the leaders' meeting room, PRODUCT.md §6: the districts' map coloured
by their grade in the last published district run, the ranking of the last published run of each
category (from the overview's `first_look`), open warnings by severity, rectification, and the
live survey figures. For city-wide viewers (`may_see_screen`); every figure is also scoped by
the reader's own grants, as everywhere."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Max
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from kaohe import charts
from kaohe.core import access
from kaohe.core.roles import Action
from kaohe.monitoring.models import Warning
from kaohe.rectification.models import RectificationItem
from kaohe.results import selectors as result_selectors
from kaohe.results.labels import RunLabels
from kaohe.results.models import ScoringRun
from kaohe.schemes.models import Cycle
from kaohe.schemes.selectors import current_cycle
from kaohe.surveys import selectors as survey_selectors
from kaohe.surveys.models import Response, Survey
from kaohe.units import selectors as unit_selectors
from kaohe.units.geojson import aspect_scale
from kaohe.units.models import Category, CityMap, Unit
from kaohe.web.dashboard import FirstLook, RunGlance, first_look

MAP_NAME = "kaohe-city"


def may_see_screen(user: Any) -> bool:
    """The screen shows the whole city: for those who may view every unit (the office, the
    committee, auditors, a leader whose grant covers the city)."""
    return access.has_citywide(user, Action.VIEW)


@dataclass(frozen=True)
class MapRegion:
    """One unit on the map: its result in the colouring run (None: not in it) and its tone."""

    code: str
    name: str
    score: float | None = None
    rank: int | None = None
    grade: str = ""
    grade_name: str = ""
    tone: str | None = None


@dataclass
class MapPanel:
    """The districts' map and what colours it."""

    city_map: CityMap | None
    glance: RunGlance | None  # the district run that colours it
    regions: list[MapRegion] = field(default_factory=list)
    option: dict[str, Any] | None = None
    legend: list[tuple[str, str, int]] = field(default_factory=list)  # name, tone, count


@dataclass(frozen=True)
class SurveyFigure:
    """One open survey's live figures (filled by the surveys app once it exists)."""

    name: str
    responses: int
    target: int | None = None


@dataclass
class SurveyPanel:
    """The live survey figures, or why there are none."""

    surveys: list[SurveyFigure]
    empty_reason: str = ""


@dataclass
class Screen:
    city: Unit | None
    cycle: Cycle | None
    look: FirstLook
    map: MapPanel
    surveys: SurveyPanel
    as_of: dt.datetime | None


def _district_glance(look: FirstLook) -> RunGlance | None:
    """The last published run of a district category (the first in the overview's order)."""
    return next((g for g in look.runs if g.run.category.kind == Category.Kind.DISTRICT), None)


def map_panel(look: FirstLook) -> MapPanel:
    """The current map, each unit filled with the tone of its grade in the last published
    district run (green for the best grade to red for the worst), its score in the tooltip."""
    city_map = CityMap.current()
    glance = _district_glance(look)
    panel = MapPanel(city_map=city_map, glance=glance)
    if city_map is None:
        return panel
    document = glance.run.scheme_version.document if glance else {}
    grades = [g["code"] for g in document.get("grades") or []]
    tones = charts.grade_tones(grades)
    labels = RunLabels(document)
    results = {r.unit.code: r for r in glance.run.results.select_related("unit")} if glance else {}
    for code, name in unit_selectors.map_unit_names(city_map):
        result = results.get(code)
        if result is None:
            panel.regions.append(MapRegion(code, name))
            continue
        panel.regions.append(
            MapRegion(
                code,
                name,
                score=result.total_rounded,
                rank=result.rank,
                grade=result.grade,
                grade_name=labels.grade(result.grade),
                tone=tones.get(result.grade, charts.NO_GRADE_TONE),
            )
        )
    panel.option = charts.region_map(
        MAP_NAME,
        [(r.code, r.name, r.score, r.tone) for r in panel.regions],
        value_label=_("Score") if glance else "",
        dark=True,
        aspect_scale=aspect_scale(city_map.geojson),
    )
    if glance is not None:
        panel.legend = [
            (name, tones[code], count)
            for code, (name, count) in zip(grades, glance.grades, strict=True)
        ]
    return panel


def live_survey_figures(user: Any) -> SurveyPanel:
    """The surveys collecting responses now, with their counts (every response so far, flagged
    or not) against the responses wanted (each group's quota). For city-wide viewers, as the
    screen is; when no survey is open the panel says so instead of showing invented numbers.
    Submissions are not audited: `fingerprint` reads the responses themselves."""
    surveys = (
        list(survey_selectors.collecting_surveys().prefetch_related("groups__unit_quotas"))
        if survey_selectors.sees_all_results(user)
        else []
    )
    counts = dict(
        Response.objects.filter(survey__in=surveys)
        .values("survey_id")
        .annotate(n=Count("id"))
        .values_list("survey_id", "n")
    )
    figures = [
        SurveyFigure(
            name=survey.name,
            responses=counts.get(survey.pk, 0),
            target=sum(survey_selectors.wanted(g) for g in survey.groups.all()) or None,
        )
        for survey in surveys
    ]
    return SurveyPanel(
        surveys=figures,
        empty_reason=""
        if figures
        else _("No survey is open, so there are no live survey figures to show."),
    )


def survey_stamp(user: Any) -> str:
    """The open surveys' responses, for the ETag and the page cache (responses are not audited,
    so the data version does not move with them): their count, the latest day, the surveys —
    one query."""
    if not survey_selectors.sees_all_results(user):
        return ""
    found = Survey.objects.filter(state=Survey.State.OPEN).aggregate(
        n=Count("responses"),
        last=Max("responses__day"),
        surveys=Count("id", distinct=True),
        top=Max("pk"),
    )
    return f"{found['n']}.{found['last']}.{found['surveys']}.{found['top']}"


def fingerprint(user: Any) -> tuple[str, dt.datetime | None]:
    """What the screen shows changes only when one of these does (for the ETag), and the
    moment of the latest such change ("as of")."""
    runs = result_selectors.visible_runs(user).filter(status=ScoringRun.Status.PUBLISHED)
    run = runs.aggregate(n=Count("id"), last=Max("published_at"))
    warning = Warning.objects.restrict(user).aggregate(n=Count("id"), last=Max("updated_at"))
    items = RectificationItem.objects.restrict(user).aggregate(
        n=Count("id"), last=Max("updated_at")
    )
    city_map = CityMap.objects.aggregate(n=Max("version"), last=Max("created_at"))
    cycle = Cycle.objects.aggregate(last=Max("updated_at"))
    stamps = [s for s in (run["last"], warning["last"], items["last"], city_map["last"]) if s]
    key = "-".join(
        str(part)
        for part in (
            getattr(user, "pk", None),
            get_language(),
            run["n"],
            run["last"],
            warning["n"],
            warning["last"],
            items["n"],
            items["last"],
            city_map["n"],
            cycle["last"],
            survey_stamp(user),
        )
    )
    return key, max(stamps) if stamps else None


def screen(user: Any) -> Screen:
    look = first_look(user)
    return Screen(
        city=unit_selectors.city_unit(),
        cycle=current_cycle(),
        look=look,
        map=map_panel(look),
        surveys=live_survey_figures(user),
        as_of=fingerprint(user)[1],
    )
