"""The office's survey API: a questionnaire version from JSON (refused whole with a RowError per
problem, nothing stored), a survey created, its unit quota set, opened and closed, a batch of
codes and its codes as CSV, flagged responses reviewed, and who may use it."""

from __future__ import annotations

import csv
import io

import pytest
from rest_framework.test import APIClient

from kaohe.core.models import AuditEvent
from kaohe.surveys import services
from kaohe.surveys.models import QuestionnaireVersion, Response, Survey, UnitQuota
from kaohe.testing.surveys import QUESTIONS, make_survey, posted

pytestmark = pytest.mark.django_db
V1 = "/api/v1"


def api(user) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_a_version_from_json_is_checked_whole(world):  # type: ignore[no-untyped-def]
    ts = make_survey(world, open_it=False)
    c = api(ts.manager)
    bad = [{**QUESTIONS[0], "points": 6}, {"key": "x", "kind": "single", "text_zh": "一"}]
    refused = c.post(
        f"{V1}/questionnaires/satisfaction/versions/", {"questions": bad}, format="json"
    )
    assert refused.status_code == 400
    assert {(e["row"], e["field"]) for e in refused.json()["errors"]} == {
        (1, "points"),
        (2, "options"),
    }
    assert QuestionnaireVersion.objects.count() == 1
    made = c.post(
        f"{V1}/questionnaires/satisfaction/versions/",
        {"questions": QUESTIONS, "intro_zh": "您好"},
        format="json",
    )
    assert made.status_code == 201 and made.json()["number"] == 2
    detail = c.get(f"{V1}/questionnaires/satisfaction/").json()
    assert [v["number"] for v in detail["versions"]] == [1, 2]
    assert c.post(f"{V1}/questionnaires/", {"code": "p", "name_zh": "党建"}).status_code == 201


def test_create_quota_open_and_close_a_survey(world):  # type: ignore[no-untyped-def]
    ts = make_survey(world, open_it=False)
    c = api(ts.manager)
    body = {
        "cycle": 2025,
        "questionnaire": "satisfaction",
        "version": 1,
        "name_zh": "窗口服务评议",
        "units": ["D01", "D02"],
        "groups": [
            {"code": "users", "name_zh": "办事群众", "weight": "0.7", "quota": 20},
            {"code": "firms", "name_zh": "企业", "weight": "0", "quota": 0},
        ],
        "index_question": "rating",
        "link_group": "users",
    }
    refused = c.post(f"{V1}/surveys/", body, format="json")
    assert refused.status_code == 400
    assert Survey.objects.count() == 1
    body["groups"][1].update(weight="0.3", quota=10)
    made = c.post(f"{V1}/surveys/", body, format="json")
    assert made.status_code == 201, made.json()
    survey = made.json()
    assert survey["state"] == "draft" and survey["link"].endswith("/")
    assert [g["code"] for g in survey["groups"]] == ["users", "firms"]
    pk = survey["id"]
    quota = c.post(f"{V1}/surveys/{pk}/quotas/", {"group": "firms", "unit": "D02", "quota": 4})
    assert quota.status_code == 200
    assert quota.json()["groups"][1]["unit_quotas"] == [{"unit": "D02", "quota": 4}]
    assert UnitQuota.objects.filter(group__survey_id=pk).count() == 1
    wrong = c.post(f"{V1}/surveys/{pk}/quotas/", {"group": "nobody", "unit": "CITY", "quota": 4})
    assert wrong.status_code == 400 and set(wrong.json()) == {"group", "unit"}
    assert c.post(f"{V1}/surveys/{pk}/open/").json()["state"] == "open"
    listed = c.get(f"{V1}/surveys/?state=open").json()["results"]
    assert [s["id"] for s in listed] == [pk]
    assert c.post(f"{V1}/surveys/{pk}/close/").json()["state"] == "closed"


def test_codes_as_csv_and_flagged_responses_reviewed(world):  # type: ignore[no-untyped-def]
    ts = make_survey(world, codes=1)
    c = api(ts.manager)
    batch = c.post(f"{V1}/code-batches/", {"survey": ts.survey.pk, "group": "deputies", "count": 7})
    assert batch.status_code == 201 and batch.json()["size"] == 7
    got = c.get(f"{V1}/access-codes/?batch={batch.json()['id']}&format=csv")
    assert got.status_code == 200 and got["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(got.content.decode("utf-8-sig"))))
    assert len(rows) == 7 and all(r["address"].endswith(f"/s/c/{r['code']}/") for r in rows)
    flagged = services.submit(
        ts.survey, posted({world.d1.pk: 5, world.d2.pk: 5}), client="x", too_fast=True
    )
    listed = c.get(f"{V1}/flagged-responses/?review=pending").json()["results"]
    assert [r["id"] for r in listed] == [str(flagged.pk)]
    assert listed[0]["reason"] == "answered faster than a person reads the questions"
    closing = c.post(f"{V1}/surveys/{ts.survey.pk}/close/")
    assert closing.status_code == 400 and "待审核" in str(
        closing.json()
    )  # zh: the default language
    kept = c.post(f"{V1}/flagged-responses/{flagged.pk}/review/", {"decision": "kept"})
    assert kept.status_code == 200 and kept.json()["review"] == "kept"
    assert Response.objects.get(pk=flagged.pk).review == "kept"


def test_others_get_403_on_lists_and_404_on_objects(world):  # type: ignore[no-untyped-def]
    ts = make_survey(world)
    c = api(world.users["d1_reporter"])
    before = AuditEvent.objects.count()
    for path in ("questionnaires", "surveys", "code-batches", "access-codes", "flagged-responses"):
        assert c.get(f"{V1}/{path}/").status_code == 403
    assert c.get(f"{V1}/surveys/{ts.survey.pk}/").status_code == 404
    assert c.post(f"{V1}/surveys/{ts.survey.pk}/close/").status_code == 404
    assert c.post(f"{V1}/questionnaires/", {"code": "p", "name_zh": "x"}).status_code == 403
    assert AuditEvent.objects.count() == before
