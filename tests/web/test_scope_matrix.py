"""The generated scope matrix: every page of the URL resolver and every operation of the OpenAPI
schema, times every role, with objects in and out of scope.

Each door has one entry below; a door without an entry fails `test_every_door_has_an_entry`.
- An object a user may not see is a 404, never a 403 (a 403 would confirm it exists). A 403 is
  only for a feature page that names no object (the audit trail for a reporter).
- A write to an object out of the user's view is a 404 and writes nothing (no audit event); a
  write whose body names objects out of scope is refused or ignored and writes nothing. What an
  in-scope write does is the business of each app's own tests.
- Who may see an object is the model's `.restrict(user, action)`, and the district roles are
  checked by hand as well: a district's reporter and head see their district and get 404 on
  the other one, an office user sees both, a user without a grant sees neither.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import resolve

from kaohe.core.access import has_citywide
from kaohe.core.models import AuditEvent, Job
from kaohe.observations.models import Observation
from kaohe.projects.offensives.services import reportable_parts
from kaohe.testing import routes
from kaohe.testing.scope_world import OWN, SIDES, ScopeWorld, Side, build_scope_world
from kaohe.testing.world import SCHEME_YAML

pytestmark = pytest.mark.django_db

Url = Callable[[ScopeWorld, Side], str]
Rule = Callable[[ScopeWorld, Side, Any], bool]


def restricted(get: Callable[[Side], Any], action: str = "view") -> Rule:
    """Visible when the model's `.restrict(user, action)` holds the object."""

    def rule(sw: ScopeWorld, side: Side, user: Any) -> bool:
        obj = get(side)
        return type(obj).objects.restrict(user, action).filter(pk=obj.pk).exists()

    return rule


def sees_drafts(sw: ScopeWorld, side: Side, user: Any) -> bool:
    """A run not yet published is for the office, the committee and the auditors."""
    return any(has_citywide(user, action) for action in ("administer", "approve", "audit"))


def office_job_visible(sw: ScopeWorld, side: Side, user: Any) -> bool:
    return Job.objects.restrict(user).filter(pk=sw.office_job.pk).exists()


def evidence_visible(sw: ScopeWorld, side: Side, user: Any) -> bool:
    """Evidence is shown to its sender and to whoever may see a value of its batch."""
    batch = side.evidence.batch
    return batch.sender_id == getattr(user, "pk", None) or (
        Observation.objects.restrict(user).filter(versions__batch=batch).exists()
    )


def published_result_visible(sw: ScopeWorld, side: Side, user: Any) -> bool:
    """A unit's result in a published run: the office and the unit's own people."""
    return restricted(lambda s: s.published_result)(sw, side, user)


def result_url(prefix: str, published: bool, suffix: str = "") -> Url:
    def url(sw: ScopeWorld, side: Side) -> str:
        run = sw.published_run if published else sw.run
        return f"{prefix}{run.pk}/units/{side.unit.code}/{suffix}"

    return url


def result_entries(prefix: str, suffix: str = "") -> list[Entry]:
    """A unit's result (or its diagnosis): the office's alone until the run is published."""
    return [
        Shown(result_url(prefix, False, suffix), sees_drafts, district=False),
        Shown(result_url(prefix, True, suffix), published_result_visible),
    ]


def result_write(prefix: str, suffix: str) -> list[Entry]:
    """A write on a unit's published result (asking for its diagnosis PDF)."""
    return [Write(result_url(prefix, True, suffix), published_result_visible)]


@dataclass(frozen=True)
class Open:
    """The same answer for everyone signed in, and for visitors."""

    url: str
    signed_in: int = 200
    anonymous: int = 200


@dataclass(frozen=True)
class Listing:
    """A page or list anyone signed in may open (its rows are scoped: see the list tests)."""

    url: Url


@dataclass(frozen=True)
class Feature:
    """A page that names no object, for the holders of a city-wide action; 403 for others."""

    url: str
    action: str


@dataclass(frozen=True)
class Shown:
    """A page or API object of one side: 200 when `visible`, else 404."""

    url: Url
    visible: Rule
    district: bool = True  # the district roles see their own side only (checked by hand)
    in_scope: int = 200  # what those who may see it get (403: it exists but is locked now)


@dataclass(frozen=True)
class Write:
    """A write to one side's object: 404 and nothing written for those who can't see it."""

    url: Url
    visible: Rule
    data: Callable[[ScopeWorld, Side], dict[str, Any]] = lambda sw, side: {}
    method: str = "post"


@dataclass(frozen=True)
class CityWrite:
    """A write to a city-level object: refused (403/404) and nothing written without the action."""

    url: Url
    action: str
    data: Callable[[ScopeWorld, Side], dict[str, Any]] = lambda sw, side: {}
    method: str = "post"


def unit_visible(sw: ScopeWorld, side: Side, user: Any) -> bool:
    return restricted(lambda s: s.unit)(sw, side, user)


@dataclass(frozen=True)
class BodyWrite:
    """A write whose body names a side's objects: refused or ignored, writing nothing, for those
    who can't see the side's unit."""

    url: Url
    data: Callable[[ScopeWorld, Side], dict[str, Any]]
    method: str = "post"
    visible: Rule = unit_visible


Entry = Open | Listing | Feature | Shown | Write | CityWrite | BodyWrite


def const(url: str) -> Url:
    return lambda sw, side: url


def run_url(suffix: str = "") -> Url:
    return lambda sw, side: f"/results/runs/{sw.run.pk}/{suffix}"


SCHEME = "district-2025"
SCHEME_YAML_POST = {"yaml_text": SCHEME_YAML, "reason": "matrix"}


def api(path: str, get: Callable[[Side], Any] | None = None) -> Url:
    """A path with `{}` filled from the side's object."""
    if get is None:
        return const(path)
    return lambda sw, side: path.format(get(side))


def ids(attr: str) -> Callable[[Side], Any]:
    return lambda side: getattr(side, attr).pk


def listing(path: str) -> list[Entry]:
    return [Listing(api(path))]


def shown(path: str, attr: str, key: str = "pk", **kwargs: Any) -> list[Entry]:
    """The side's object `attr`, at `path` filled with its `key`, as `.restrict()` allows."""
    get = (lambda side: getattr(getattr(side, attr), key)) if key != "pk" else ids(attr)
    return [Shown(api(path, get), restricted(lambda side: getattr(side, attr)), **kwargs)]


def write(
    path: str, attr: str, body: dict[str, Any] | None = None, method: str = "post"
) -> list[Entry]:
    return [
        Write(
            api(path, ids(attr)),
            restricted(lambda side: getattr(side, attr)),
            lambda sw, side: dict(body or {}),
            method,
        )
    ]


def city_write(
    path: str, body: dict[str, Any] | None = None, action: str = "administer"
) -> list[Entry]:
    return [CityWrite(const(path), action, lambda sw, side: dict(body or {}))]


def personnel(attr: str) -> Rule:
    """A personal record: `.restrict(user, "personnel")` (the office, the organisation
    department, the unit's head, the person themselves)."""
    return restricted(lambda side: getattr(side, attr), "personnel")


def staff_shown(path: str, attr: str, action: str = "personnel") -> list[Entry]:
    """Not the district roles' by-hand rule: a reporter sees no personal record of their
    district; its head does (`personnel` over the unit)."""
    rule = restricted(lambda side: getattr(side, attr), action)
    return [Shown(api(path, ids(attr)), rule, district=False)]


def staff_write(path: str, attr: str, body: dict[str, Any] | None = None) -> list[Entry]:
    return [Write(api(path, ids(attr)), personnel(attr), lambda sw, side: dict(body or {}))]


def staff_rating_body(sw: ScopeWorld, side: Side) -> dict[str, Any]:
    row = {"person": side.person.code, "rated_by": "leader", "dimension": "ability", "score": "80"}
    return {"cycle": 2025, "rows": [row]}


def reports_a_part(sw: ScopeWorld, side: Side, user: Any) -> bool:
    """A participating unit's reporter (the page and the write of its own part of a task)."""
    return bool(reportable_parts(user, side.offensive.pk))


def person_record(sw: ScopeWorld, side: Side) -> str:
    return f"/people/people/{side.person.code}/"


GOAL_FORM = {"kind": "key", "title_zh": "矩阵", "target_value": "2"}
RATING = {"excellence": 80, "difficulty": 80, "innovation": 80, "benefit": 80, "comment": "m"}


def panel_visible(sw: ScopeWorld, side: Side, user: Any) -> bool:
    """The expert panel (city-level): the office, the committee and auditors."""
    return type(sw.panels.panel).objects.restrict(user).filter(pk=sw.panels.panel.pk).exists()


def conflict_visible(sw: ScopeWorld, side: Side, user: Any) -> bool:
    """A declared conflict: its expert, and the office, the committee and auditors."""
    conflict = sw.panels.conflict
    return type(conflict).objects.restrict(user).filter(pk=conflict.pk).exists()


def panel_url(suffix: str = "", prefix: str = "/panels/") -> Url:
    return lambda sw, side: f"{prefix}{sw.panels.panel.pk}/{suffix}"


def panel_assign(sw: ScopeWorld, side: Side) -> dict[str, Any]:
    return {"goal": side.panel_goal.goal.pk, "experts": [sw.users["expert"].pk]}


def manages_surveys(sw: ScopeWorld, side: Side, user: Any) -> bool:
    """Questionnaires, surveys, codes and responses (city-level): who runs surveys."""
    return has_citywide(user, "survey")


def survey_url(suffix: str = "", prefix: str = "/surveys/") -> Url:
    return lambda sw, side: f"{prefix}{sw.surveys.survey.pk}/{suffix}"


def batch_url(suffix: str, prefix: str = "/surveys/batches/") -> Url:
    return lambda sw, side: f"{prefix}{sw.surveys.batch.pk}/{suffix}"


def flagged_url(suffix: str = "") -> Url:
    return lambda sw, side: (
        f"/surveys/{sw.surveys.survey.pk}/flagged/{sw.surveys.flagged.pk}/{suffix}"
    )


def survey_shown(url: Url) -> list[Entry]:
    return [Shown(url, manages_surveys, district=False)]


def survey_write(url: Url, body: dict[str, Any] | None = None) -> list[Entry]:
    return [CityWrite(url, "survey", lambda sw, side: dict(body or {}))]


def sees_all_results(sw: ScopeWorld, side: Side, user: Any) -> bool:
    """Every unit's survey figures, the comments, the live screen: city-wide viewers."""
    return has_citywide(user, "view")


def results_url(suffix: str = "", prefix: str = "/surveys/", live: bool = False) -> Url:
    results = lambda sw: sw.survey_results.live if live else sw.survey_results.closed  # noqa: E731
    return lambda sw, side: f"{prefix}{results(sw).pk}/{suffix}"


def survey_index_visible(sw: ScopeWorld, side: Side, user: Any) -> bool:
    """A unit's figures of the closed survey: `SurveyResult.objects.restrict(user)`."""
    return restricted(lambda s: sw.survey_results.index_of(s.unit))(sw, side, user)


QUESTIONNAIRE = "/surveys/questionnaires/satisfaction/"
SURVEY_BODY = {
    "cycle": 2025,
    "questionnaire": "satisfaction",
    "version": 1,
    "name_zh": "矩阵",
    "units": ["D01", "D02"],
    "groups": [{"code": "m", "name_zh": "矩阵", "weight": "1", "quota": 5}],
    "index_question": "rating",
}

PAGES: dict[str, list[Entry]] = {
    "web:home": [Open("/", signed_in=302, anonymous=302)],
    "web:overview": listing("/overview/"),
    "web:audit": [Feature("/audit/", "audit")],
    # the big screen shows the whole city: for those who may view every unit
    "web:screen": [Feature("/screen/", "view")],
    "web:screen_panels": [Feature("/screen/panels/", "view")],
    "login": [Open("/login/", signed_in=302)],
    "web:password_change": [Open("/account/password/", anonymous=302)],
    "public:results": [Open("/public/results/")],
    # the scope world's cycle is still in progress: even its published run is not public yet
    "public:run": [Open("/public/results/1/", signed_in=404, anonymous=404)],
    "public:bulletin": [Open("/public/results/1/bulletin.pdf", signed_in=404, anonymous=404)],
    # the respondents' pages are open to everyone, signed in or not (the code or the link's
    # token is the key; an unknown one is a 404 for all alike)
    "answer:enter": [Open("/s/")],
    "answer:code": [Open("/s/c/NOSUCHCODE/", signed_in=404, anonymous=404)],
    "answer:link": [Open("/s/l/no-such-token/", signed_in=404, anonymous=404)],
    "answer:thanks": [Open("/s/thanks/")],
    "logout": [Open("/logout/", signed_in=405, anonymous=405)],
    "set_language": [Open("/i18n/setlang/", signed_in=302, anonymous=302)],
    "units:list": listing("/units/"),
    "units:detail": shown("/units/{}/", "unit", "code"),
    "units:map": [*listing("/units/map/"), *city_write("/units/map/", {"note": "m"})],
    "indicators:list": listing("/indicators/"),
    "indicators:detail": listing("/indicators/gdp/"),
    "indicators:admission_list": listing("/indicators/admission/"),
    "indicators:admission_decide": write(
        "/indicators/admission/{}/decide/", "admission_request", {"approve": "1", "comment": "m"}
    ),
    "schemes:list": listing("/schemes/"),
    "schemes:cycle_list": listing("/schemes/cycles/"),
    "schemes:cycle_advance": city_write("/schemes/cycles/2025/advance/", {"reason": "m"}),
    "schemes:cycle_create": city_write("/schemes/cycles/new/", {"year": 2031, "monthly": "no"}),
    "schemes:cycle_reopen": city_write("/schemes/cycles/2025/reopen/", {"reason": "m"}),
    "schemes:copy": city_write("/schemes/copy/", {"source": 1, "cycle": 1}),
    "schemes:detail": listing(f"/schemes/{SCHEME}/"),
    "schemes:version": listing(f"/schemes/{SCHEME}/v1/"),
    "schemes:yaml": listing(f"/schemes/{SCHEME}/v1/yaml/"),
    "schemes:diff": [Open(f"/schemes/{SCHEME}/diff/?a=1&b=1", anonymous=302)],
    "schemes:save": city_write(f"/schemes/{SCHEME}/save/", SCHEME_YAML_POST),
    "schemes:publish": city_write(f"/schemes/{SCHEME}/v1/publish/", {"reason": "m"}),
    "observations:history": shown("/observations/{}/history/", "observation"),
    "observations:unit_data": [
        *shown("/observations/units/{}/", "unit", "code"),
        Write(
            lambda sw, s: f"/observations/units/{s.unit.code}/",
            restricted(lambda s: s.unit),
            lambda sw, s: {"period": "2025Q3", "gdp": "1300", "reason": "matrix"},
        ),
    ],
    "observations:upload": listing("/observations/upload/"),
    "observations:evidence": [
        Shown(lambda sw, s: f"/observations/evidence/{s.evidence.pk}/", evidence_visible)
    ],
    "results:list": listing("/results/"),
    "results:start": [
        CityWrite(
            const("/results/runs/"),
            "administer",
            lambda sw, s: {"version": sw.version.pk, "node": "Y", "reason": "matrix"},
        )
    ],
    "results:provisional": listing("/results/provisional/"),
    "results:provisional_rows": listing("/results/provisional/rows/"),
    "results:run": [Shown(run_url(), sees_drafts, district=False)],
    "results:export": [Shown(run_url("export.xlsx"), sees_drafts, district=False)],
    "results:publish": [
        CityWrite(run_url("publish/"), "administer", lambda sw, s: {"reason": "m"})
    ],
    "results:unit": result_entries("/results/runs/"),
    "results:diagnosis": result_entries("/results/runs/", "diagnosis/"),
    "results:diagnosis_pdf": result_write("/results/runs/", "diagnosis/pdf/"),
    "results:bulletin_pdf": [CityWrite(run_url("bulletin/"), "administer")],
    "results:report": [
        Shown(lambda sw, s: f"/results/reports/{s.report.pk}/", published_result_visible)
    ],
    "goals:home": [Open("/goals/", signed_in=302, anonymous=302)],
    "goals:list": listing("/goals/portfolios/"),
    "goals:set_create": [
        BodyWrite(
            const("/goals/portfolios/new/"), lambda sw, s: {"unit": s.unit.code, "cycle": 2025}
        )
    ],
    "goals:set_detail": shown("/goals/portfolios/{}/", "goal_set"),
    "goals:set_compare": shown("/goals/portfolios/{}/compare/", "goal_set"),
    # The portfolios are under review, so their forms are locked (403) for those who see them.
    "goals:goal_add": [
        *shown("/goals/portfolios/{}/goals/add/", "goal_set", in_scope=403),
        *write("/goals/portfolios/{}/goals/add/", "goal_set", GOAL_FORM),
    ],
    "goals:set_submit": write("/goals/portfolios/{}/submit/", "goal_set", {"note": "m"}),
    "goals:set_decide": write(
        "/goals/portfolios/{}/decide/", "goal_set", {"decision": "approve", "comment": "m"}
    ),
    "goals:goal_detail": shown("/goals/portfolios/goals/{}/", "goal"),
    "goals:goal_edit": [
        *shown("/goals/portfolios/goals/{}/edit/", "goal", in_scope=403),
        *write("/goals/portfolios/goals/{}/edit/", "goal", GOAL_FORM),
    ],
    "goals:goal_remove": write("/goals/portfolios/goals/{}/remove/", "goal", {"reason": "m"}),
    "goals:goal_decompose": [
        Write(
            lambda sw, s: f"/goals/portfolios/goals/{s.goal.pk}/decompose/",
            restricted(lambda s: s.goal),
            lambda sw, s: {f"post-{s.post.pk}": "100"},
        )
    ],
    "goals:inbox": listing("/goals/inbox/"),
    "goals:batch_approve": [
        BodyWrite(
            const("/goals/inbox/batch-approve/"),
            lambda sw, s: {"goal_set": [s.goal_set.pk], "comment": "matrix"},
        )
    ],
    "goals:rules": [Feature("/goals/portfolios/rules/", "administer")],
    "goals:suggestions": listing("/goals/targets/"),
    "goals:suggestion_unit": shown("/goals/targets/{}/", "unit", "code"),
    "goals:suggestion_decide": write(
        "/goals/targets/decide/{}/", "suggestion", {"decision": "accept"}
    ),
    "goals:notifications": listing("/goals/notifications/"),
    "monitoring:board": listing("/monitoring/"),
    "monitoring:board_rows": listing("/monitoring/rows/"),
    "monitoring:cross_checks": listing("/monitoring/cross-checks/"),
    "monitoring:rules": [
        *listing("/monitoring/rules/"),
        *city_write(
            "/monitoring/rules/", {"code": "m", "name_zh": "矩阵", "spec": '{"kind": "threshold"}'}
        ),
    ],
    "monitoring:warning": shown("/monitoring/warnings/{}/", "warning"),
    "monitoring:step": [
        entry
        for step in ("acknowledge", "explain", "rectify", "decide")
        for entry in write(
            f"/monitoring/warnings/{{}}/{step}/", "warning", {"text": "m", "accept": "1"}
        )
    ],
    "rectification:list": listing("/rectification/"),
    "rectification:detail": shown("/rectification/{}/", "rectification"),
    "rectification:plan": write(
        "/rectification/{}/plan/", "rectification", {"text": "m", "measures": "m | 2099-01-01"}
    ),
    "rectification:progress": write("/rectification/{}/progress/", "rectification", {"text": "m"}),
    "rectification:decide": write(
        "/rectification/{}/decide/", "rectification", {"decision": "accept", "comment": "m"}
    ),
    "rectification:remind": city_write("/rectification/remind/"),
    "rectification:commend": [
        CityWrite(lambda sw, s: f"/rectification/runs/{sw.published_run.pk}/commend/", "administer")
    ],
    "rectification:commendations": listing("/rectification/commendations/"),
    "rectification:open": city_write("/rectification/runs/1/open/", {"due_date": "2099-01-01"}),
    "panels:list": listing("/panels/"),
    "panels:create": [
        Feature("/panels/new/", "administer"),
        *city_write("/panels/new/", {"cycle": 2024, "name_zh": "矩阵"}),
    ],
    "panels:detail": [Shown(panel_url(), panel_visible, district=False)],
    "panels:add_member": [
        CityWrite(
            panel_url("members/"), "administer", lambda sw, s: {"expert": sw.users["expert"].pk}
        )
    ],
    "panels:assign": [CityWrite(panel_url("assign/"), "administer", panel_assign)],
    "panels:close": [CityWrite(panel_url("close/"), "administer", lambda sw, s: {"reason": "m"})],
    "panels:feed": [CityWrite(panel_url("feed/"), "administer")],
    "panels:mine": listing("/panels/mine/"),
    # an assignment is its expert's and the office's: no district role sees one
    "panels:rate": [
        *shown("/panels/assignments/{}/", "assignment", district=False),
        *write("/panels/assignments/{}/", "assignment", RATING),
    ],
    "panels:withdraw": [
        CityWrite(
            lambda sw, s: f"/panels/assignments/{s.assignment.pk}/withdraw/",
            "administer",
            lambda sw, s: {"reason": "m"},
        )
    ],
    "panels:declare": [
        BodyWrite(const("/panels/conflicts/"), lambda sw, s: {"unit": s.unit.code, "reason": "m"})
    ],
    "panels:results": listing("/panels/results/"),
    "panels:result": shown("/panels/results/{}/", "panel_goal"),
    "people:home": listing("/people/"),
    "people:start_run": city_write("/people/runs/", {"cycle": 2025}),
    "people:rule": [
        Feature("/people/rule/2025/", "administer"),
        *city_write("/people/rule/2025/", {"note": "matrix"}),
    ],
    "people:grading": [
        *staff_shown("/people/gradings/{}/", "grading"),
        *staff_write("/people/gradings/{}/", "grading", {"reason": "m"}),
    ],
    "people:return": staff_write("/people/gradings/{}/return/", "grading", {"reason": "m"}),
    "people:upward_create": staff_write("/people/gradings/{}/upward/", "grading"),
    "people:upward_feed": staff_write("/people/upward/{}/feed/", "upward_survey"),
    "people:pool": [
        *staff_shown("/people/gradings/{}/reward/", "grading"),
        *staff_write("/people/gradings/{}/reward/", "grading", {"amount": "1"}),
    ],
    "people:pool_export": staff_shown("/people/gradings/{}/reward.xlsx", "grading", "administer"),
    "people:record": [
        Shown(person_record, restricted(lambda side: side.person, "personnel"), district=False)
    ],
    "people:mine": listing("/people/mine/"),
    "people:flags": [Feature("/people/flags/", "personnel")],
    "people:ratings": listing("/people/ratings/2025/"),
    "people:ratings_template": listing("/people/ratings/2025/template.xlsx"),
    "projects:list": listing("/projects/"),
    "projects:map": listing("/projects/map/"),
    "projects:create": [
        Feature("/projects/new/", "administer"),
        *city_write("/projects/new/", {"code": "m"}),
    ],
    "projects:import": [
        Feature("/projects/import/", "administer"),
        *city_write("/projects/import/"),
    ],
    "projects:import_template": [Feature("/projects/import/template.xlsx", "administer")],
    "projects:check": [
        Feature("/projects/check/", "administer"),
        *city_write("/projects/check/", {"action": "feed", "cycle": 2025}),
    ],
    "projects:detail": shown("/projects/{}/", "project"),
    "projects:edit": [
        Shown(
            api("/projects/{}/edit/", ids("project")),
            restricted(lambda side: side.project, "administer"),
            district=False,
        ),
        *write("/projects/{}/edit/", "project", {"name_zh": "m"}),
    ],
    "projects:report": [
        Shown(
            api("/projects/{}/report/", ids("project")),
            restricted(lambda side: side.project, "report"),
            district=False,
        ),
        Write(
            api("/projects/{}/report/", ids("project")),
            restricted(lambda side: side.project, "report"),
            lambda sw, side: {"month": "2025-04", "invested": "1", "status": "under_way"},
        ),
    ],
    "projects:evidence": shown("/projects/evidence/{}/", "progress_evidence"),
    "projects:board": listing("/projects/tasks/"),
    "projects:my_tasks": listing("/projects/tasks/mine/"),
    "projects:offensive_create": [
        Feature("/projects/tasks/new/", "administer"),
        *city_write("/projects/tasks/new/", {"code": "m"}),
    ],
    "projects:offensive": shown("/projects/tasks/{}/", "offensive"),
    "projects:milestone_report": [
        Shown(
            api("/projects/tasks/milestones/{}/report/", ids("milestone")),
            reports_a_part,
            district=False,
        ),
        Write(
            api("/projects/tasks/milestones/{}/report/", ids("milestone")),
            reports_a_part,
            lambda sw, side: {"completed_on": "2025-03-30", "note": "m"},
        ),
    ],
    "projects:milestone_decide": write(
        "/projects/tasks/reports/{}/decide/", "milestone_report", {"decision": "confirm"}
    ),
    "projects:milestone_evidence": shown("/projects/tasks/evidence/{}/", "milestone_evidence"),
    "surveys:list": [Feature("/surveys/", "survey")],
    "surveys:create": [
        Feature("/surveys/new/", "survey"),
        *survey_write(const("/surveys/new/"), {"name_zh": "矩阵", "groups": "m | 矩阵 | | 1 | 5"}),
    ],
    "surveys:detail": survey_shown(survey_url()),
    "surveys:open": survey_write(survey_url("open/")),
    "surveys:close": survey_write(survey_url("close/")),
    "surveys:quota": survey_write(survey_url("quotas/"), {"quota": 3}),
    "surveys:codes": survey_write(survey_url("codes/"), {"count": 3}),
    "surveys:link_qr": survey_shown(survey_url("link-qr.png")),
    "surveys:flagged": survey_shown(survey_url("flagged/")),
    "surveys:review": survey_write(flagged_url("review/"), {"decision": "kept"}),
    "surveys:batch_pdf": survey_shown(batch_url("codes.pdf")),
    "surveys:batch_zip": survey_shown(batch_url("qr-codes.zip")),
    "surveys:batch_job": survey_write(batch_url("job/"), {"what": "zip"}),
    "surveys:code_png": survey_shown(lambda sw, s: f"/surveys/codes/{sw.surveys.code.code}.png"),
    "surveys:questionnaires": [
        Feature("/surveys/questionnaires/", "survey"),
        *survey_write(const("/surveys/questionnaires/"), {"code": "matrix", "name_zh": "矩阵"}),
    ],
    "surveys:questionnaire": survey_shown(const(QUESTIONNAIRE)),
    "surveys:builder": [
        *survey_shown(const(f"{QUESTIONNAIRE}new/")),
        *survey_write(const(f"{QUESTIONNAIRE}new/"), {"count": 1, "q1-kind": "text"}),
    ],
    "surveys:builder_yaml": survey_write(
        const(f"{QUESTIONNAIRE}new/yaml/"), {"yaml_text": "- {key: a, kind: text, text_zh: 矩阵}"}
    ),
    "surveys:version": survey_shown(const(f"{QUESTIONNAIRE}v1/")),
    "surveys:preview": survey_shown(const(f"{QUESTIONNAIRE}v1/preview/")),
    # results: every unit's for city-wide viewers, a unit's own for its people
    "surveys:results_list": listing("/surveys/results/"),
    "surveys:results": [Shown(results_url("results/"), sees_all_results, district=False)],
    "surveys:results_export": [
        Shown(results_url("results/export.xlsx"), sees_all_results, district=False)
    ],
    "surveys:unit_results": [
        Shown(
            lambda sw, s: f"/surveys/{sw.survey_results.closed.pk}/units/{s.unit.code}/",
            survey_index_visible,
        )
    ],
    "surveys:rectify_comment": [
        CityWrite(
            lambda sw, s: f"/surveys/comments/{sw.survey_results.comment_of(s.unit).pk}/rectify/",
            "administer",
            lambda sw, s: {"due_date": "2099-01-01"},
        )
    ],
    "surveys:live": [Shown(results_url("live/", live=True), sees_all_results, district=False)],
    "surveys:live_panel": [
        Shown(results_url("live/panel/", live=True), sees_all_results, district=False)
    ],
    "surveys:live_open": survey_write(results_url("live/open/", live=True)),
    "surveys:live_close": survey_write(results_url("live/close/", live=True)),
    "core:jobs": listing("/jobs/"),
    "core:job": [
        *shown("/jobs/{}/", "job"),
        Shown(lambda sw, s: f"/jobs/{sw.office_job.pk}/", office_job_visible, district=False),
    ],
    "core:job_progress": shown("/jobs/{}/progress/", "job"),
    "core:job_retry": write("/jobs/{}/retry/", "job"),
    "api-schema": [Open("/api/schema/")],
    "api-docs": [Open("/api/docs/")],
}

# Pages of the Django admin site are for superusers only: every other user is sent to the admin
# login, and the admin's own writes are tested in tests/core/test_admin.py.
ADMIN_PROBES = ("/admin/", "/admin/units/unit/", "/admin/core/grant/", "/admin/auth/user/")


V1 = "/api/v1"
API: dict[str, list[Entry]] = {
    "GET /api/v1/admission-requests/": listing(f"{V1}/admission-requests/"),
    "POST /api/v1/admission-requests/": [
        BodyWrite(
            const(f"{V1}/admission-requests/"),
            lambda sw, s: {
                "unit": s.unit.code,
                "code": "matrix_item",
                "name_zh": "矩阵",
                "reason": "m",
            },
        )
    ],
    "GET /api/v1/admission-requests/{id}/": shown(
        f"{V1}/admission-requests/{{}}/", "admission_request"
    ),
    "POST /api/v1/admission-requests/{id}/approve/": write(
        f"{V1}/admission-requests/{{}}/approve/", "admission_request", {"comment": "m"}
    ),
    "POST /api/v1/admission-requests/{id}/reject/": write(
        f"{V1}/admission-requests/{{}}/reject/", "admission_request", {"comment": "m"}
    ),
    "GET /api/v1/audit-events/": listing(f"{V1}/audit-events/"),
    "GET /api/v1/audit-events/{id}/": [
        Shown(
            api(f"{V1}/audit-events/{{}}/", ids("audit_event")),
            restricted(lambda s: s.audit_event, "audit"),
            district=False,
        )
    ],
    "GET /api/v1/categories/": listing(f"{V1}/categories/"),
    "GET /api/v1/categories/{code}/": listing(f"{V1}/categories/district/"),
    "GET /api/v1/city-maps/": listing(f"{V1}/city-maps/"),
    "POST /api/v1/city-maps/": city_write(f"{V1}/city-maps/", {"note": "m"}),
    "GET /api/v1/city-maps/{version}/": listing(f"{V1}/city-maps/1/"),
    "GET /api/v1/city-maps/current/": listing(f"{V1}/city-maps/current/"),
    "GET /api/v1/cycles/": listing(f"{V1}/cycles/"),
    "POST /api/v1/cycles/": city_write(
        f"{V1}/cycles/", {"year": 2030, "name_zh": "2030年度综合考核"}
    ),
    "GET /api/v1/cycles/{year}/": listing(f"{V1}/cycles/2025/"),
    "POST /api/v1/cycles/{year}/advance/": city_write(
        f"{V1}/cycles/2025/advance/", {"reason": "m"}
    ),
    "GET /api/v1/public-results/": [Open(f"{V1}/public-results/")],
    "GET /api/v1/commendations/": listing(f"{V1}/commendations/"),
    "GET /api/v1/commendations/{id}/": shown(f"{V1}/commendations/{{}}/", "commendation"),
    "POST /api/v1/commendations/issue/": [
        CityWrite(
            const(f"{V1}/commendations/issue/"),
            "administer",
            lambda sw, s: {"run": sw.published_run.pk},
        )
    ],
    "GET /api/v1/public-results/{id}/bulletin-pdf/": [
        Open(f"{V1}/public-results/1/bulletin-pdf/", signed_in=404, anonymous=404)
    ],
    "GET /api/v1/public-results/{id}/": [
        Open(f"{V1}/public-results/1/", signed_in=404, anonymous=404)
    ],
    "POST /api/v1/cycles/{year}/reopen/": city_write(f"{V1}/cycles/2025/reopen/", {"reason": "m"}),
    "GET /api/v1/goal-sets/": listing(f"{V1}/goal-sets/"),
    "POST /api/v1/goal-sets/": [
        BodyWrite(const(f"{V1}/goal-sets/"), lambda sw, s: {"unit": s.unit.code, "cycle": 2025})
    ],
    "GET /api/v1/goal-sets/{id}/": shown(f"{V1}/goal-sets/{{}}/", "goal_set"),
    "GET /api/v1/goal-sets/{id}/diff/": shown(f"{V1}/goal-sets/{{}}/diff/?a=1&b=1", "goal_set"),
    "GET /api/v1/goal-sets/{id}/versions/": shown(f"{V1}/goal-sets/{{}}/versions/", "goal_set"),
    "POST /api/v1/goal-sets/{id}/approve/": write(f"{V1}/goal-sets/{{}}/approve/", "goal_set"),
    "POST /api/v1/goal-sets/{id}/return/": write(
        f"{V1}/goal-sets/{{}}/return/", "goal_set", {"comment": "m"}
    ),
    "POST /api/v1/goal-sets/{id}/submit/": write(f"{V1}/goal-sets/{{}}/submit/", "goal_set"),
    "POST /api/v1/goal-sets/batch-approve/": [
        BodyWrite(
            const(f"{V1}/goal-sets/batch-approve/"), lambda sw, s: {"goal_sets": [s.goal_set.pk]}
        )
    ],
    "GET /api/v1/goals/": listing(f"{V1}/goals/"),
    "POST /api/v1/goals/": [
        BodyWrite(
            const(f"{V1}/goals/"),
            lambda sw, s: {"goal_set": s.goal_set.pk, "kind": "key", "title_zh": "矩阵"},
        )
    ],
    "GET /api/v1/goals/{id}/": shown(f"{V1}/goals/{{}}/", "goal"),
    "PATCH /api/v1/goals/{id}/": write(f"{V1}/goals/{{}}/", "goal", {"title_zh": "矩阵"}, "patch"),
    "DELETE /api/v1/goals/{id}/": write(f"{V1}/goals/{{}}/", "goal", method="delete"),
    "POST /api/v1/goals/{id}/decompose/": write(
        f"{V1}/goals/{{}}/decompose/", "goal", {"shares": [{"unit": "D01", "share": 100}]}
    ),
    "GET /api/v1/indicators/": listing(f"{V1}/indicators/"),
    "POST /api/v1/indicators/": city_write(
        f"{V1}/indicators/", {"code": "matrix", "name_zh": "矩阵"}
    ),
    "GET /api/v1/indicators/{code}/": listing(f"{V1}/indicators/gdp/"),
    # one unit's series of an indicator: for who may see the unit's full-year values of it
    "GET /api/v1/indicators/{code}/trend/": [
        Shown(
            lambda sw, s: f"{V1}/indicators/gdp/trend/?unit={s.unit.code}",
            restricted(
                lambda s: Observation.objects.get(
                    unit=s.unit, indicator__code="gdp", time_node__period="2025Y"
                )
            ),
        )
    ],
    "PATCH /api/v1/indicators/{code}/": [
        CityWrite(
            const(f"{V1}/indicators/gdp/"), "administer", lambda sw, s: {"name_en": "M"}, "patch"
        )
    ],
    "GET /api/v1/jobs/": listing(f"{V1}/jobs/"),
    "GET /api/v1/jobs/{id}/": shown(f"{V1}/jobs/{{}}/", "job"),
    "POST /api/v1/jobs/{id}/retry/": write(f"{V1}/jobs/{{}}/retry/", "job"),
    "GET /api/v1/monitoring-rules/": listing(f"{V1}/monitoring-rules/"),
    "GET /api/v1/monitoring-rules/{code}/": listing(f"{V1}/monitoring-rules/tax_within_fiscal/"),
    "GET /api/v1/observations/": listing(f"{V1}/observations/"),
    "POST /api/v1/observations/": [
        BodyWrite(
            const(f"{V1}/observations/"),
            lambda sw, s: {
                "rows": [{"unit": s.unit.code, "indicator": "gdp", "period": "2025Q3", "value": 1}]
            },
            visible=restricted(lambda s: s.observation, "report"),
        )
    ],
    "GET /api/v1/observations/{id}/": shown(f"{V1}/observations/{{}}/", "observation"),
    "GET /api/v1/observations/{id}/versions/": shown(
        f"{V1}/observations/{{}}/versions/", "observation"
    ),
    "GET /api/v1/staff-results/": listing(f"{V1}/staff-results/"),
    "GET /api/v1/staff-results/{id}/": staff_shown(f"{V1}/staff-results/{{}}/", "staff_result"),
    "POST /api/v1/staff-results/run/": city_write(f"{V1}/staff-results/run/", {"cycle": 2025}),
    "GET /api/v1/key-projects/": listing(f"{V1}/key-projects/"),
    "POST /api/v1/key-projects/": city_write(f"{V1}/key-projects/", {"code": "m"}),
    "GET /api/v1/key-projects/{id}/": shown(f"{V1}/key-projects/{{}}/", "project"),
    "PATCH /api/v1/key-projects/{id}/": write(
        f"{V1}/key-projects/{{}}/", "project", {"name_zh": "m"}, "patch"
    ),
    "POST /api/v1/key-projects/check/": city_write(f"{V1}/key-projects/check/", {"cycle": 2025}),
    "POST /api/v1/key-projects/feed/": city_write(f"{V1}/key-projects/feed/", {"cycle": 2025}),
    "POST /api/v1/key-projects/import/": city_write(f"{V1}/key-projects/import/"),
    "GET /api/v1/key-projects/map/": listing(f"{V1}/key-projects/map/"),
    "GET /api/v1/project-reports/": listing(f"{V1}/project-reports/"),
    "POST /api/v1/project-reports/": [
        BodyWrite(
            const(f"{V1}/project-reports/"),
            lambda sw, s: {
                "project": s.project.pk,
                "month": "2025-04",
                "invested": "1",
                "status": "under_way",
            },
            visible=restricted(lambda side: side.project, "report"),
        )
    ],
    "GET /api/v1/project-reports/{id}/": shown(f"{V1}/project-reports/{{}}/", "progress_report"),
    "GET /api/v1/offensives/": listing(f"{V1}/offensives/"),
    "POST /api/v1/offensives/": city_write(f"{V1}/offensives/", {"code": "m"}),
    "GET /api/v1/offensives/{id}/": shown(f"{V1}/offensives/{{}}/", "offensive"),
    "GET /api/v1/offensive-milestones/": listing(f"{V1}/offensive-milestones/"),
    "GET /api/v1/offensive-milestones/{id}/": shown(
        f"{V1}/offensive-milestones/{{}}/", "milestone"
    ),
    "GET /api/v1/milestone-reports/": listing(f"{V1}/milestone-reports/"),
    "POST /api/v1/milestone-reports/": [
        BodyWrite(
            const(f"{V1}/milestone-reports/"),
            lambda sw, s: {"milestone": s.milestone.pk, "completed_on": "2025-03-30", "note": "m"},
            visible=reports_a_part,
        )
    ],
    "GET /api/v1/milestone-reports/{id}/": shown(
        f"{V1}/milestone-reports/{{}}/", "milestone_report"
    ),
    "POST /api/v1/milestone-reports/{id}/confirm/": write(
        f"{V1}/milestone-reports/{{}}/confirm/", "milestone_report"
    ),
    "POST /api/v1/milestone-reports/{id}/return/": write(
        f"{V1}/milestone-reports/{{}}/return/", "milestone_report", {"reason": "m"}
    ),
    "GET /api/v1/staff-gradings/": listing(f"{V1}/staff-gradings/"),
    "GET /api/v1/staff-gradings/{id}/": staff_shown(f"{V1}/staff-gradings/{{}}/", "grading"),
    "POST /api/v1/staff-gradings/{id}/propose/": staff_write(
        f"{V1}/staff-gradings/{{}}/propose/", "grading", {"grades": {}}
    ),
    "POST /api/v1/staff-gradings/{id}/confirm/": staff_write(
        f"{V1}/staff-gradings/{{}}/confirm/", "grading", {"grades": {}}
    ),
    "POST /api/v1/staff-gradings/{id}/return/": staff_write(
        f"{V1}/staff-gradings/{{}}/return/", "grading", {"reason": "m"}
    ),
    "GET /api/v1/staff-ratings/": listing(f"{V1}/staff-ratings/"),
    "GET /api/v1/staff-ratings/{id}/": staff_shown(f"{V1}/staff-ratings/{{}}/", "staff_rating"),
    "POST /api/v1/staff-ratings/": [BodyWrite(const(f"{V1}/staff-ratings/"), staff_rating_body)],
    "GET /api/v1/survey-live/": listing(f"{V1}/survey-live/"),
    "GET /api/v1/survey-live/{id}/": [
        Shown(results_url("", f"{V1}/survey-live/", live=True), sees_all_results, district=False)
    ],
    "GET /api/v1/upward-surveys/": listing(f"{V1}/upward-surveys/"),
    "GET /api/v1/upward-surveys/{id}/": staff_shown(f"{V1}/upward-surveys/{{}}/", "upward_survey"),
    "POST /api/v1/upward-surveys/": [
        BodyWrite(
            const(f"{V1}/upward-surveys/"), lambda sw, s: {"cycle": 2025, "unit": s.unit.code}
        )
    ],
    "POST /api/v1/upward-surveys/{id}/feed/": staff_write(
        f"{V1}/upward-surveys/{{}}/feed/", "upward_survey"
    ),
    "GET /api/v1/reward-shares/": listing(f"{V1}/reward-shares/"),
    "GET /api/v1/reward-shares/{id}/": staff_shown(f"{V1}/reward-shares/{{}}/", "reward_share"),
    "GET /api/v1/panels/": listing(f"{V1}/panels/"),
    "POST /api/v1/panels/": city_write(f"{V1}/panels/", {"cycle": 2024, "name_zh": "矩阵"}),
    "GET /api/v1/panels/{id}/": [Shown(panel_url(prefix=f"{V1}/panels/"), panel_visible, False)],
    "GET /api/v1/panels/{id}/results/": [
        Shown(panel_url("results/", f"{V1}/panels/"), panel_visible, district=False)
    ],
    "POST /api/v1/panels/{id}/members/": [
        CityWrite(
            panel_url("members/", f"{V1}/panels/"),
            "administer",
            lambda sw, s: {"expert": "expert"},
        )
    ],
    "POST /api/v1/panels/{id}/assign/": [
        CityWrite(
            panel_url("assign/", f"{V1}/panels/"),
            "administer",
            lambda sw, s: {"goal": s.panel_goal.goal.pk, "experts": ["expert"]},
        )
    ],
    "POST /api/v1/panels/{id}/close/": [
        CityWrite(panel_url("close/", f"{V1}/panels/"), "administer")
    ],
    "POST /api/v1/panels/{id}/feed/": [
        CityWrite(panel_url("feed/", f"{V1}/panels/"), "administer")
    ],
    "GET /api/v1/panel-assignments/": listing(f"{V1}/panel-assignments/"),
    "GET /api/v1/panel-assignments/{id}/": shown(
        f"{V1}/panel-assignments/{{}}/", "assignment", district=False
    ),
    "POST /api/v1/panel-assignments/{id}/withdraw/": [
        CityWrite(
            lambda sw, s: f"{V1}/panel-assignments/{s.assignment.pk}/withdraw/",
            "administer",
            lambda sw, s: {"reason": "m"},
        )
    ],
    "GET /api/v1/panel-ratings/": listing(f"{V1}/panel-ratings/"),
    "POST /api/v1/panel-ratings/": [
        BodyWrite(
            const(f"{V1}/panel-ratings/"),
            lambda sw, s: {"assignment": s.assignment.pk, **RATING},
            visible=restricted(lambda s: s.assignment),
        )
    ],
    "GET /api/v1/panel-ratings/{id}/": shown(f"{V1}/panel-ratings/{{}}/", "rating", district=False),
    "GET /api/v1/panel-conflicts/": listing(f"{V1}/panel-conflicts/"),
    "POST /api/v1/panel-conflicts/": [
        BodyWrite(
            const(f"{V1}/panel-conflicts/"), lambda sw, s: {"unit": s.unit.code, "reason": "m"}
        )
    ],
    "GET /api/v1/panel-conflicts/{id}/": [
        Shown(
            lambda sw, s: f"{V1}/panel-conflicts/{sw.panels.conflict.pk}/",
            conflict_visible,
            district=False,
        )
    ],
    "GET /api/v1/panel-results/": listing(f"{V1}/panel-results/"),
    "GET /api/v1/panel-results/{id}/": shown(f"{V1}/panel-results/{{}}/", "panel_goal"),
    "GET /api/v1/questionnaires/": [Feature(f"{V1}/questionnaires/", "survey")],
    "POST /api/v1/questionnaires/": survey_write(
        const(f"{V1}/questionnaires/"), {"code": "matrix", "name_zh": "矩阵"}
    ),
    "GET /api/v1/questionnaires/{code}/": survey_shown(const(f"{V1}/questionnaires/satisfaction/")),
    "POST /api/v1/questionnaires/{code}/versions/": survey_write(
        const(f"{V1}/questionnaires/satisfaction/versions/"),
        {"questions": [{"key": "a", "kind": "text", "text_zh": "矩阵"}]},
    ),
    "GET /api/v1/surveys/": [Feature(f"{V1}/surveys/", "survey")],
    "POST /api/v1/surveys/": survey_write(const(f"{V1}/surveys/"), SURVEY_BODY),
    "GET /api/v1/surveys/{id}/": survey_shown(survey_url(prefix=f"{V1}/surveys/")),
    "POST /api/v1/surveys/{id}/open/": survey_write(survey_url("open/", f"{V1}/surveys/")),
    "POST /api/v1/surveys/{id}/close/": survey_write(survey_url("close/", f"{V1}/surveys/")),
    "POST /api/v1/surveys/{id}/quotas/": survey_write(
        survey_url("quotas/", f"{V1}/surveys/"), {"group": "citizens", "unit": "D01", "quota": 3}
    ),
    "GET /api/v1/code-batches/": [Feature(f"{V1}/code-batches/", "survey")],
    "POST /api/v1/code-batches/": [
        CityWrite(
            const(f"{V1}/code-batches/"),
            "survey",
            lambda sw, s: {"survey": sw.surveys.survey.pk, "group": "deputies", "count": 3},
        )
    ],
    "GET /api/v1/code-batches/{id}/": survey_shown(batch_url("", f"{V1}/code-batches/")),
    "GET /api/v1/access-codes/": [Feature(f"{V1}/access-codes/", "survey")],
    "GET /api/v1/access-codes/{code}/": survey_shown(
        lambda sw, s: f"{V1}/access-codes/{sw.surveys.code.code}/"
    ),
    "GET /api/v1/flagged-responses/": [Feature(f"{V1}/flagged-responses/", "survey")],
    "GET /api/v1/flagged-responses/{id}/": survey_shown(
        lambda sw, s: f"{V1}/flagged-responses/{sw.surveys.flagged.pk}/"
    ),
    "POST /api/v1/flagged-responses/{id}/review/": survey_write(
        lambda sw, s: f"{V1}/flagged-responses/{sw.surveys.flagged.pk}/review/",
        {"decision": "kept"},
    ),
    "GET /api/v1/survey-results/": listing(f"{V1}/survey-results/"),
    "GET /api/v1/survey-results/{id}/": [
        Shown(
            lambda sw, s: f"{V1}/survey-results/{sw.survey_results.index_of(s.unit).pk}/",
            survey_index_visible,
        )
    ],
    "GET /api/v1/people/": listing(f"{V1}/people/"),
    "GET /api/v1/people/{code}/": shown(f"{V1}/people/{{}}/", "person", "code"),
    "GET /api/v1/posts/": listing(f"{V1}/posts/"),
    "GET /api/v1/posts/{code}/": shown(f"{V1}/posts/{{}}/", "post", "code"),
    "GET /api/v1/provisional-standings/": listing(f"{V1}/provisional-standings/"),
    "GET /api/v1/provisional-standings/{id}/": shown(
        f"{V1}/provisional-standings/{{}}/", "standing"
    ),
    "GET /api/v1/screen/": [Feature(f"{V1}/screen/", "view")],
    "GET /api/v1/schemes/": listing(f"{V1}/schemes/"),
    "POST /api/v1/schemes/": city_write(
        f"{V1}/schemes/",
        {
            "code": "matrix",
            "cycle": 2025,
            "category": "dept",
            "name_zh": "矩阵",
            "yaml_text": SCHEME_YAML.replace("test-district", "matrix"),
        },
    ),
    "GET /api/v1/schemes/{code}/": listing(f"{V1}/schemes/{SCHEME}/"),
    "GET /api/v1/schemes/{code}/diff/{a}/{b}/": listing(f"{V1}/schemes/{SCHEME}/diff/1/1/"),
    "GET /api/v1/schemes/{code}/versions/": listing(f"{V1}/schemes/{SCHEME}/versions/"),
    "POST /api/v1/schemes/{code}/copy/": city_write(
        f"{V1}/schemes/{SCHEME}/copy/", {"cycle": 2025, "code": "matrix-copy"}
    ),
    "POST /api/v1/schemes/{code}/versions/": city_write(
        f"{V1}/schemes/{SCHEME}/versions/", {"yaml_text": SCHEME_YAML, "change_note": "m"}
    ),
    "GET /api/v1/schemes/{code}/versions/{number}/": listing(f"{V1}/schemes/{SCHEME}/versions/1/"),
    "POST /api/v1/schemes/{code}/versions/{number}/publish/": city_write(
        f"{V1}/schemes/{SCHEME}/versions/1/publish/", {"reason": "m"}
    ),
    "GET /api/v1/schemes/{code}/versions/{number}/yaml/": listing(
        f"{V1}/schemes/{SCHEME}/versions/1/yaml/"
    ),
    "GET /api/v1/scoring-runs/": listing(f"{V1}/scoring-runs/"),
    "POST /api/v1/scoring-runs/": [
        CityWrite(
            const(f"{V1}/scoring-runs/"),
            "administer",
            lambda sw, s: {"scheme": SCHEME, "version": 1, "node": "Y"},
        )
    ],
    "GET /api/v1/scoring-runs/{id}/": [
        Shown(lambda sw, s: f"{V1}/scoring-runs/{sw.run.pk}/", sees_drafts, district=False)
    ],
    "POST /api/v1/scoring-runs/{id}/publish/": [
        CityWrite(lambda sw, s: f"{V1}/scoring-runs/{sw.run.pk}/publish/", "administer")
    ],
    "GET /api/v1/scoring-runs/{id}/results/": [
        Shown(lambda sw, s: f"{V1}/scoring-runs/{sw.run.pk}/results/", sees_drafts, district=False)
    ],
    "GET /api/v1/scoring-runs/{id}/units/{code}/": result_entries(f"{V1}/scoring-runs/"),
    "GET /api/v1/scoring-runs/{id}/units/{code}/diagnosis/": result_entries(
        f"{V1}/scoring-runs/", "diagnosis/"
    ),
    "POST /api/v1/scoring-runs/{id}/units/{code}/diagnosis/pdf/": result_write(
        f"{V1}/scoring-runs/", "diagnosis/pdf/"
    ),
    "POST /api/v1/scoring-runs/{id}/bulletin/": [
        CityWrite(lambda sw, s: f"{V1}/scoring-runs/{sw.run.pk}/bulletin/", "administer")
    ],
    "GET /api/v1/reports/": listing(f"{V1}/reports/"),
    "GET /api/v1/reports/{id}/": [
        Shown(lambda sw, s: f"{V1}/reports/{s.report.pk}/", published_result_visible)
    ],
    "GET /api/v1/reports/{id}/pdf/": [
        Shown(lambda sw, s: f"{V1}/reports/{s.report.pk}/pdf/", published_result_visible)
    ],
    "GET /api/v1/target-suggestions/": listing(f"{V1}/target-suggestions/"),
    "GET /api/v1/target-suggestions/{id}/": shown(f"{V1}/target-suggestions/{{}}/", "suggestion"),
    "POST /api/v1/target-suggestions/{id}/accept/": write(
        f"{V1}/target-suggestions/{{}}/accept/", "suggestion"
    ),
    "POST /api/v1/target-suggestions/{id}/adjust/": write(
        f"{V1}/target-suggestions/{{}}/adjust/", "suggestion", {"value": 1, "reason": "m"}
    ),
    "POST /api/v1/target-suggestions/compute/": city_write(
        f"{V1}/target-suggestions/compute/", {"cycle": 2025}
    ),
    "GET /api/v1/units/": listing(f"{V1}/units/"),
    "GET /api/v1/units/{code}/": shown(f"{V1}/units/{{}}/", "unit", "code"),
    "GET /api/v1/warnings/": listing(f"{V1}/warnings/"),
    "GET /api/v1/warnings/{id}/": shown(f"{V1}/warnings/{{}}/", "warning"),
    "GET /api/v1/rectification-items/": listing(f"{V1}/rectification-items/"),
    "GET /api/v1/rectification-items/{id}/": shown(
        f"{V1}/rectification-items/{{}}/", "rectification"
    ),
    "POST /api/v1/rectification-items/{id}/plan/": write(
        f"{V1}/rectification-items/{{}}/plan/",
        "rectification",
        {"text": "m", "measures": [{"measure": "m", "deadline": "2099-01-01"}]},
    ),
    "POST /api/v1/rectification-items/{id}/progress/": write(
        f"{V1}/rectification-items/{{}}/progress/", "rectification", {"text": "m"}
    ),
    "POST /api/v1/rectification-items/{id}/review/": write(
        f"{V1}/rectification-items/{{}}/review/", "rectification", {"accept": True, "comment": "m"}
    ),
    "POST /api/v1/rectification-items/{id}/close/": write(
        f"{V1}/rectification-items/{{}}/close/", "rectification", {"comment": "m"}
    ),
    "POST /api/v1/rectification-items/open/": city_write(
        f"{V1}/rectification-items/open/", {"run": 1, "due_date": "2099-01-01"}
    ),
    "POST /api/v1/rectification-items/remind/": city_write(f"{V1}/rectification-items/remind/"),
    "POST /api/v1/warnings/{id}/acknowledge/": write(f"{V1}/warnings/{{}}/acknowledge/", "warning"),
    "POST /api/v1/warnings/{id}/decide/": write(
        f"{V1}/warnings/{{}}/decide/", "warning", {"accept": True, "decision": "m"}
    ),
    "POST /api/v1/warnings/{id}/explain/": write(
        f"{V1}/warnings/{{}}/explain/", "warning", {"explanation": "m"}
    ),
    "POST /api/v1/warnings/{id}/rectify/": write(
        f"{V1}/warnings/{{}}/rectify/", "warning", {"report": "m"}
    ),
}

# The district roles, by hand: (own side, other side) for an object of a district.
BY_HAND = {
    "office": (200, 200),
    "d1_reporter": (200, 404),
    "d1_head": (200, 404),
    "d2_reporter": (404, 200),
    "d2_head": (404, 200),
    "nobody": (404, 404),
}


def entries() -> list[tuple[str, Entry]]:
    return [
        (door, entry)
        for table in (PAGES, API)
        for door, listed in table.items()
        for entry in listed
    ]


def roles(sw: ScopeWorld) -> dict[str, Any]:
    return {**sw.users, "anonymous": None}


def clients(sw: ScopeWorld) -> dict[str, Client]:
    """A signed-in client per role, made once (signing in writes an audit event)."""
    made = {}
    for name, user in roles(sw).items():
        made[name] = Client()
        if user is not None:
            made[name].force_login(user)
    return made


def refused_anonymously(url: str) -> set[int]:
    """A visitor is sent to the login page (pages) or refused (API: 401/403)."""
    return {401, 403} if url.startswith(f"{V1}/") else {302}


def call(c: Client, method: str, url: str, data: dict[str, Any]) -> int:
    if url.startswith(f"{V1}/"):
        return getattr(c, method)(url, data, content_type="application/json").status_code
    return getattr(c, method)(url, data).status_code


# --- every door has an entry ------------------------------------------------------------


def test_every_door_has_an_entry() -> None:
    pages = {route.name for route in routes.page_routes()}
    assert sorted(pages - PAGES.keys()) == [], "pages without a scope entry"
    assert sorted(PAGES.keys() - pages) == [], "entries for pages that no longer exist"
    operations = set(routes.api_operations())
    assert sorted(operations - API.keys()) == [], "API operations without a scope entry"
    assert sorted(API.keys() - operations) == [], "entries for operations that no longer exist"


def test_every_api_route_is_in_the_schema() -> None:
    """The schema is where the API entries come from, so no route may be missing from it."""
    named = {resolve(routes.sample_path(op)).url_name for op in routes.api_operations()}
    assert sorted(routes.api_route_names() - named) == []


# --- reading --------------------------------------------------------------------------------


@pytest.fixture
def sw(settings, tmp_path) -> ScopeWorld:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    return build_scope_world()


def expected_read(sw: ScopeWorld, entry: Entry, side: Side, name: str, user: Any) -> set[int]:
    url = entry.url if isinstance(entry, Open | Feature) else entry.url(sw, side)
    if isinstance(entry, Open):
        return {entry.signed_in if user is not None else entry.anonymous}
    if user is None:
        return refused_anonymously(url)
    if isinstance(entry, Listing):
        return {200}
    if isinstance(entry, Feature):
        return {200 if has_citywide(user, entry.action) else 403}
    assert isinstance(entry, Shown)
    return {entry.in_scope if entry.visible(sw, side, user) else 404}


def test_every_page_and_api_read_by_every_role(sw: ScopeWorld) -> None:
    wrong = []
    signed_in = clients(sw)
    for door, entry in entries():
        if isinstance(entry, Write | CityWrite | BodyWrite):
            continue
        sides = SIDES if isinstance(entry, Shown) else (OWN,)
        for side_name in sides:
            side = sw.sides[side_name]
            for name, user in roles(sw).items():
                url = entry.url if isinstance(entry, Open | Feature) else entry.url(sw, side)
                got = signed_in[name].get(url).status_code
                want = expected_read(sw, entry, side, name, user)
                if got not in want:
                    wrong.append(f"{door} {url} as {name}: {got}, expected {sorted(want)}")
    assert not wrong, "\n".join(wrong)


def test_the_district_roles_by_hand(sw: ScopeWorld) -> None:
    """The rule the matrix derives from `.restrict()`, written out for the district roles."""
    wrong = []
    signed_in = clients(sw)
    for door, entry in entries():
        if not isinstance(entry, Shown) or not entry.district:
            continue
        for name, (own, other) in BY_HAND.items():
            c = signed_in[name]
            got = (
                c.get(entry.url(sw, sw.own)).status_code,
                c.get(entry.url(sw, sw.other)).status_code,
            )
            own, other = (entry.in_scope if s == 200 else s for s in (own, other))
            if got != (own, other):
                wrong.append(f"{door} as {name}: {got}, expected {(own, other)}")
    assert not wrong, "\n".join(wrong)


# --- writing --------------------------------------------------------------------------------


def test_no_write_reaches_an_object_out_of_scope(sw: ScopeWorld) -> None:
    wrong = []
    tried = 0
    signed_in = clients(sw)
    for door, entry in entries():
        if not isinstance(entry, Write | CityWrite | BodyWrite):
            continue
        for side_name in SIDES:
            side = sw.sides[side_name]
            for name, user in roles(sw).items():
                url = entry.url(sw, side)
                if isinstance(entry, Write):
                    if user is not None and entry.visible(sw, side, user):
                        continue
                    want = refused_anonymously(url) if user is None else {404}
                elif isinstance(entry, CityWrite):
                    if user is not None and has_citywide(user, entry.action):
                        continue
                    want = refused_anonymously(url) if user is None else {403, 404}
                else:
                    if user is not None and entry.visible(sw, side, user):
                        continue
                    want = refused_anonymously(url) if user is None else {200, 302, 400, 403, 404}
                before = AuditEvent.objects.count()
                got = call(signed_in[name], entry.method, url, entry.data(sw, side))
                tried += 1
                written = AuditEvent.objects.count() - before
                if got not in want or written:
                    wrong.append(
                        f"{door} {entry.method.upper()} {url} as {name}: {got}"
                        f" (expected {sorted(want)}), {written} audit event(s) written"
                    )
    assert not wrong, "\n".join(wrong)
    assert tried > 300


def test_a_reporter_cannot_write_the_other_district_in_a_body(sw: ScopeWorld) -> None:
    """Body writes by hand: the other district's rows, goal sets and proposals are refused."""
    signed_in = clients(sw)
    c, head = signed_in["d1_reporter"], signed_in["d1_head"]
    before = AuditEvent.objects.count()
    rows = {"rows": [{"unit": "D02", "indicator": "gdp", "period": "2025Q3", "value": 1}]}
    assert call(c, "post", f"{V1}/observations/", rows) == 400
    assert call(head, "post", "/goals/portfolios/new/", {"unit": "D02", "cycle": 2025}) == 404
    assert AuditEvent.objects.count() == before


def test_the_admin_site_is_for_superusers_only(sw: ScopeWorld) -> None:
    """Every admin URL sends a user without staff status to the admin's login."""
    signed_in = clients(sw)
    wrong = []
    for url in ADMIN_PROBES:
        for name, c in signed_in.items():
            response = c.get(url)
            if response.status_code != 302 or "/admin/login/" not in response["Location"]:
                wrong.append(f"{url} as {name}: {response.status_code}")
    root = Client()
    root.force_login(sw.admin)
    wrong += [
        f"{url} as root: {code}"
        for url in ADMIN_PROBES
        if (code := root.get(url).status_code) != 200
    ]
    assert not wrong, "\n".join(wrong)
