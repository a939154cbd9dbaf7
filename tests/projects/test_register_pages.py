"""The register's pages and API for the office, the owner unit and another district: scope
(404 out of it), the map's points and colours, the detail page's chart and photos, the office's
forms, the import page's error list, the report page with files, and the API's actions."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kaohe.core.models import Job
from kaohe.projects import excel, schedule, services
from kaohe.projects.models import InvestmentFeed, KeyProject, ProgressEvidence, ProgressReport
from kaohe.projects.selectors import map_points
from kaohe.testing.projects import ProjectWorld, tiny_png

APRIL = dt.date(2025, 4, 15)


@pytest.fixture
def april(monkeypatch: pytest.MonkeyPatch) -> dt.date:
    monkeypatch.setattr(timezone, "localdate", lambda: APRIL)
    return APRIL


def _json_script(body: str, element_id: str) -> object:
    found = re.search(
        rf'<script id="{element_id}" type="application/json">(.*?)</script>', body, re.S
    )
    assert found, element_id
    return json.loads(found.group(1))


def _login(client: Client, pw: ProjectWorld, name: str) -> Client:
    client.force_login(pw.users[name])
    return client


def test_the_list_shows_the_office_all_and_a_unit_its_own(pw: ProjectWorld, client: Client) -> None:
    body = _login(client, pw, "office").get(reverse("projects:list")).content.decode()
    assert "P-001" in body and "P-002" in body and 'id="new-project"' in body
    body = _login(client, pw, "d1_reporter").get(reverse("projects:list")).content.decode()
    assert "P-001" in body and "P-002" not in body and 'id="new-project"' not in body
    body = client.get(reverse("projects:list") + "?q=nothing-like-this").content.decode()
    assert "P-001" not in body


def test_pages_out_of_scope_are_404(pw: ProjectWorld, client: Client) -> None:
    services.report_progress(
        pw.west,
        month="2025-03",
        invested=10,
        status="under_way",
        files=[services.EvidenceFile("a.png", tiny_png())],
        acting_user=pw.users["d2_reporter"],
    )
    evidence = ProgressEvidence.objects.get()
    _login(client, pw, "d1_reporter")
    for url in (
        reverse("projects:detail", args=[pw.west.pk]),
        reverse("projects:report", args=[pw.west.pk]),
        reverse("projects:evidence", args=[evidence.pk]),
    ):
        assert client.get(url).status_code == 404, url
    for name in (
        "projects:create",
        "projects:import",
        "projects:import_template",
        "projects:check",
    ):
        assert client.get(reverse(name)).status_code == 403, name
    # editing is the office's: a unit's own project is not there for it to edit
    assert client.get(reverse("projects:edit", args=[pw.east.pk])).status_code == 404
    _login(client, pw, "d2_reporter")
    photo = client.get(reverse("projects:evidence", args=[evidence.pk]))
    assert photo.status_code == 200 and photo["Content-Type"] == "image/png"
    assert b"".join(photo.streaming_content) == tiny_png()


def test_the_map_carries_the_points_coloured_by_shown_status(
    pw: ProjectWorld, client: Client
) -> None:
    schedule.check_schedules(pw.cycle, as_of=APRIL, acting_user=pw.office)
    services.update_project(pw.west, acting_user=pw.office, reason="", status="completed")
    page = _login(client, pw, "office").get(reverse("projects:map"), HTTP_ACCEPT_LANGUAGE="en")
    body = page.content.decode()
    option = _json_script(body, "project-map-option")
    assert isinstance(option, dict) and option["geo"]["map"] == "kaohe-city"
    points = {d["code"]: (s["name"], d) for s in option["series"] for d in s["data"]}
    assert points["P-001"][1]["url"] == reverse("projects:detail", args=[pw.east.pk])
    assert points["P-001"][1]["value"] == [120.05, 30.05]
    assert "Owner" in points["P-001"][1]["tooltip"]["formatter"]
    series_of = {code: name for code, (name, _d) in points.items()}
    labels = {s["name"] for s in option["series"]}
    assert len(labels) == 5
    # East's project has open schedule warnings: behind; West's has its warnings too
    assert points["P-001"][1]["status"] == "behind"
    assert points["P-001"][1]["project_status"] == "under_way"
    assert points["P-002"][1]["project_status"] == "completed"
    assert series_of["P-001"] == series_of["P-002"] == "behind schedule"
    assert _json_script(body, "project-map-geojson") == pw.city_map.geojson
    filtered = client.get(reverse("projects:map") + "?district=D02").content.decode()
    codes = {
        d["code"] for s in _json_script(filtered, "project-map-option")["series"] for d in s["data"]
    }  # type: ignore[index]
    assert codes == {"P-002"}


def test_the_detail_page_shows_chart_reports_photos_and_warnings(
    pw: ProjectWorld, client: Client, april: dt.date
) -> None:
    services.report_progress(
        pw.east,
        month="2025-03",
        invested=40,
        status="under_way",
        files=[services.EvidenceFile("site.png", tiny_png())],
        note="基础施工",
        acting_user=pw.users["d1_reporter"],
    )
    body = (
        _login(client, pw, "d1_reporter")
        .get(reverse("projects:detail", args=[pw.east.pk]))
        .content.decode()
    )
    chart = _json_script(body, "progress-chart-option")
    assert isinstance(chart, dict)
    assert [s["type"] for s in chart["series"]] == ["bar", "bar", "line", "line"]
    assert chart["series"][1]["data"][2] == 40.0
    evidence = ProgressEvidence.objects.get()
    assert f'src="{reverse("projects:evidence", args=[evidence.pk])}"' in body
    assert 'id="project-warnings"' in body and 'id="report-progress"' in body


def test_the_report_page_stores_a_version_with_its_photo(
    pw: ProjectWorld, client: Client, april: dt.date
) -> None:
    _login(client, pw, "d1_reporter")
    url = reverse("projects:report", args=[pw.east.pk])
    assert client.get(url).status_code == 200
    answer = client.post(
        url,
        {
            "month": "2025-03",
            "invested": "300",
            "status": "under_way",
            "milestone_1": "2025-02-25",
            "note": "进展顺利",
            "files": [SimpleUploadedFile("site.png", tiny_png(), content_type="image/png")],
        },
    )
    assert answer.status_code == 302
    report = ProgressReport.objects.get()
    assert report.milestones_done == {"1": "2025-02-25"} and report.evidence.count() == 1
    bad = client.post(
        url,
        {
            "month": "2025-03",
            "invested": "1",
            "status": "under_way",
            "files": [
                SimpleUploadedFile("photo.jpg", b"MZ\x90\x00program", content_type="image/jpeg")
            ],
        },
    )
    assert bad.status_code == 200 and "photo.jpg" in bad.content.decode()
    assert ProgressReport.objects.count() == 1


def test_the_office_creates_edits_imports_and_checks(
    pw: ProjectWorld,
    client: Client,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    _login(client, pw, "office")
    form = {
        "cycle": "2025",
        "code": "P-300",
        "name_zh": "新项目",
        "owner": "D02",
        "district": "D02",
        "category": "urban",
        "longitude": "120.15",
        "latitude": "30.02",
        "planned_start": "2025-02-01",
        "planned_end": "2025-11-30",
        "total_investment": "600",
        "status": "planned",
        "plan": "2025-02 50\n2025-03 60",
        "milestones": "1 | 开工 | 2025-02-28 | Start",
    }
    created = client.post(reverse("projects:create"), form)
    assert created.status_code == 302
    project = KeyProject.objects.get(code="P-300")
    assert project.plan.count() == 2 and project.milestones.get().name_en == "Start"
    refused = client.post(reverse("projects:create"), {**form, "code": "P-301", "longitude": "125"})
    assert refused.status_code == 200 and not KeyProject.objects.filter(code="P-301").exists()
    edit = client.get(reverse("projects:edit", args=[project.pk])).content.decode()
    assert "2025-03 60.00" in edit
    changed = client.post(
        reverse("projects:edit", args=[project.pk]),
        {**form, "name_zh": "新项目（改）", "reason": "更名"},
    )
    assert changed.status_code == 302
    assert KeyProject.objects.get(pk=project.pk).name_zh == "新项目（改）"
    template = client.get(reverse("projects:import_template"))
    assert template.status_code == 200 and template.content.startswith(b"PK")
    bad = excel.workbook(
        [
            (
                "P-400",
                "x",
                "",
                "NOPE",
                "D01",
                "industry",
                120.05,
                30.05,
                "2025-01-01",
                "2025-02-01",
                1,
                "planned",
            )
        ]
    )
    answer = client.post(
        reverse("projects:import"),
        {"cycle": "2025", "workbook": SimpleUploadedFile("r.xlsx", bad)},
    )
    body = answer.content.decode()
    assert 'id="import-errors"' in body and "owner" in body and ">3<" in body
    assert not KeyProject.objects.filter(code="P-400").exists()
    good = excel.workbook(
        [
            (
                "P-400",
                "x",
                "",
                "D01",
                "D01",
                "industry",
                120.05,
                30.05,
                "2025-01-01",
                "2025-02-01",
                1,
                "planned",
            )
        ]
    )
    answer = client.post(
        reverse("projects:import"),
        {"cycle": "2025", "workbook": SimpleUploadedFile("r.xlsx", good)},
    )
    assert answer.status_code == 302 and KeyProject.objects.filter(code="P-400").exists()
    assert client.get(reverse("projects:check")).status_code == 200
    settings = client.post(
        reverse("projects:check"),
        {"action": "settings", "cycle": "2025", "indicator": "gdp", "min_pace": "0.75"},
    )
    assert settings.status_code == 302
    assert str(InvestmentFeed.objects.get().min_pace) == "0.75"
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(
            reverse("projects:check"), {"action": "check", "cycle": "2025", "as_of": "2025-04-15"}
        )
    job = Job.objects.get(kind="projects.check_schedules")
    assert started.status_code == 302 and started["Location"] == reverse("core:job", args=[job.pk])


def test_the_api_lists_in_scope_and_answers_its_actions(
    pw: ProjectWorld, client: Client, april: dt.date
) -> None:
    _login(client, pw, "d1_reporter")
    listed = client.get("/api/v1/key-projects/").json()
    assert [p["code"] for p in listed["results"]] == ["P-001"]
    assert client.get(f"/api/v1/key-projects/{pw.west.pk}/").status_code == 404
    detail = client.get(f"/api/v1/key-projects/{pw.east.pk}/").json()
    assert len(detail["months"]) == 12 and detail["milestones"][0]["seq"] == 1
    assert (
        client.post("/api/v1/key-projects/", {}, content_type="application/json").status_code == 403
    )
    sent = client.post(
        "/api/v1/project-reports/",
        {
            "project": pw.east.pk,
            "month": "2025-03",
            "invested": "120",
            "status": "under_way",
            "milestones_done": json.dumps({"1": "2025-02-27"}),
            "files": [SimpleUploadedFile("site.png", tiny_png(), content_type="image/png")],
        },
    )
    assert sent.status_code == 201, sent.content
    assert sent.json()["evidence"][0]["is_photo"] is True
    refused = client.post(
        "/api/v1/project-reports/",
        {"project": pw.west.pk, "month": "2025-03", "invested": "1", "status": "under_way"},
    )
    assert refused.status_code == 404
    bad = client.post(
        "/api/v1/project-reports/",
        {"project": pw.east.pk, "month": "2024-03", "invested": "1", "status": "under_way"},
    )
    assert bad.status_code == 400 and "month" in bad.json()
    assert [r["version"] for r in client.get("/api/v1/project-reports/").json()["results"]] == [1]
    _login(client, pw, "office")
    points = client.get("/api/v1/key-projects/map/?cycle=2025").json()
    assert {p["code"] for p in points} == {"P-001", "P-002"}
    created = client.post(
        "/api/v1/key-projects/",
        {
            "cycle": 2025,
            "code": "P-500",
            "name_zh": "接口项目",
            "owner": "D01",
            "district": "D01",
            "category": "social",
            "longitude": "120.02",
            "latitude": "30.02",
            "planned_start": "2025-01-01",
            "planned_end": "2025-06-30",
            "total_investment": "100",
            "plan": {"2025-01": "10"},
            "milestones": [{"seq": 1, "name_zh": "开工", "due": "2025-01-31"}],
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    changed = client.patch(
        f"/api/v1/key-projects/{pk}/", {"district": "DEPT_TJJ"}, content_type="application/json"
    )
    assert changed.status_code == 400 and "district" in changed.json()
    changed = client.patch(
        f"/api/v1/key-projects/{pk}/",
        {"status": "suspended", "reason": "停工"},
        content_type="application/json",
    )
    assert changed.status_code == 200 and changed.json()["status"] == "suspended"
    bad = excel.workbook(
        [
            (
                "P-600",
                "x",
                "",
                "D01",
                "D01",
                "casino",
                120.05,
                30.05,
                "2025-01-01",
                "2025-02-01",
                1,
                "planned",
            )
        ]
    )
    answer = client.post(
        "/api/v1/key-projects/import/", {"cycle": 2025, "file": SimpleUploadedFile("r.xlsx", bad)}
    )
    assert answer.status_code == 400
    assert answer.json()["errors"][0] == {
        "row": 3,
        "field": "projects.category",
        "rule": answer.json()["errors"][0]["rule"],
        "value": "casino",
    }
    check = client.post(
        "/api/v1/key-projects/check/", {"cycle": 2025}, content_type="application/json"
    )
    assert check.status_code == 202
    feed = client.post(
        "/api/v1/key-projects/feed/", {"cycle": 2025}, content_type="application/json"
    )
    assert feed.status_code == 400  # no indicator named yet


def test_map_points_are_one_query_and_the_behind_filter_agrees(
    pw: ProjectWorld,
    client: Client,
    django_assert_max_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    schedule.check_schedules(pw.cycle, as_of=APRIL, acting_user=pw.office)
    services.report_progress(
        pw.east,
        month="2025-03",
        invested=300,
        status="under_way",
        milestones_done={1: "2025-02-01"},
        acting_user=pw.users["d1_reporter"],
    )
    # the report re-checked East's project as of today: its later milestones are overdue now
    with django_assert_max_num_queries(1):
        points = map_points(KeyProject.objects.filter(cycle=pw.cycle))
    assert [p.code for p in points] == ["P-001", "P-002"]
    _login(client, pw, "office")
    behind = client.get("/api/v1/key-projects/?behind=true").json()["results"]
    assert {p["code"] for p in behind} == {p.code for p in points if p.status == "behind"}
    on_time = client.get("/api/v1/key-projects/?behind=false").json()["results"]
    assert {p["code"] for p in on_time} == {p.code for p in points if p.status != "behind"}
    page = client.get(reverse("projects:list") + "?behind=true").content.decode()
    assert all(p.code in page for p in points if p.status == "behind")
