"""The major tasks' pages and API for the office, the lead unit, a cooperating unit and a
district that takes no part (out of scope: 404 or absent)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from kaohe.projects.models import MilestoneReport, Offensive, OffensiveMilestone
from kaohe.testing.offensives import PDF, TaskWorld, build_task_world, report, report_and_confirm
from kaohe.testing.world import World


@pytest.fixture
def tw(world: World) -> TaskWorld:
    tw = build_task_world(world)
    first, second, _third = tw.milestones
    report_and_confirm(first, dt.date(2025, 3, 20), tw.lead_reporter, tw.office)
    report(second, dt.date(2025, 7, 10), tw.lead_reporter)
    return tw


def login(client: Client, user: Any) -> Client:
    client.force_login(user)
    return client


def users(tw: TaskWorld) -> dict[str, Any]:
    return {
        "office": tw.office,
        "lead": tw.lead_reporter,
        "cooperating": tw.coop_reporter,
        "uninvolved": tw.d3_reporter,
    }


@pytest.mark.parametrize(
    ("who", "rows"), [("office", 3), ("lead", 3), ("cooperating", 3), ("uninvolved", 0)]
)
def test_board_shows_the_milestones_in_scope(
    tw: TaskWorld, client: Client, who: str, rows: int
) -> None:
    page = login(client, users(tw)[who]).get("/projects/tasks/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count("<tr data-milestone=") == rows
    if rows:
        assert 'data-status="on_time"' in html and 'data-status="awaiting"' in html
        assert 'data-status="overdue"' in html
        assert "Dredge the river" in html


def test_board_filters_by_status_and_counts(tw: TaskWorld, client: Client) -> None:
    login(client, tw.office)
    page = client.get("/projects/tasks/?status=overdue", HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert html.count("<tr data-milestone=") == 1 and "Flood-season drill" in html
    counts = page.context["board"].counts
    assert {code: n for code, _label, n in counts}["overdue"] == 1
    assert client.get("/projects/tasks/?status=nonsense").context["board"].total == 0
    zh = client.get("/projects/tasks/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "完成河道清淤" in zh


def test_my_tasks_shows_role_and_what_to_report(tw: TaskWorld, client: Client) -> None:
    lead = login(client, tw.lead_reporter).get("/projects/tasks/mine/", HTTP_ACCEPT_LANGUAGE="en")
    html = lead.content.decode()
    assert 'data-role="lead"' in html and "1 milestone to report." in html
    m3 = tw.milestones[2]
    assert f"/projects/tasks/milestones/{m3.pk}/report/" in html
    client.logout()
    coop = login(client, tw.coop_reporter).get("/projects/tasks/mine/", HTTP_ACCEPT_LANGUAGE="en")
    html = coop.content.decode()
    assert 'data-role="cooperating"' in html and "/report/" not in html
    client.logout()
    none = login(client, tw.d3_reporter).get("/projects/tasks/mine/", HTTP_ACCEPT_LANGUAGE="en")
    assert "takes part in no major task" in none.content.decode()


@pytest.mark.parametrize(
    ("who", "code"), [("office", 200), ("cooperating", 200), ("uninvolved", 404)]
)
def test_detail_and_evidence_in_scope_only(
    tw: TaskWorld, client: Client, who: str, code: int
) -> None:
    login(client, users(tw)[who])
    assert client.get(f"/projects/tasks/{tw.offensive.pk}/").status_code == code
    evidence = tw.milestones[0].reports.get().evidence.get()
    download = client.get(f"/projects/tasks/evidence/{evidence.pk}/")
    assert download.status_code == code
    if code == 200:
        assert b"".join(download.streaming_content) == PDF


def test_detail_offers_the_office_its_decision(tw: TaskWorld, client: Client) -> None:
    html = login(client, tw.office).get(f"/projects/tasks/{tw.offensive.pk}/").content.decode()
    pending = tw.milestones[1].reports.get()
    assert f"/projects/tasks/reports/{pending.pk}/decide/" in html
    client.logout()
    html = login(client, tw.coop_reporter).get(f"/projects/tasks/{tw.offensive.pk}/").content
    assert b"/decide/" not in html


def test_lead_reports_through_the_page(tw: TaskWorld, client: Client) -> None:
    m3 = tw.milestones[2]
    login(client, tw.lead_reporter)
    url = f"/projects/tasks/milestones/{m3.pk}/report/"
    assert client.get(url).status_code == 200
    refused = client.post(url, {"completed_on": "2025-10-01", "note": "完成"})
    assert refused.status_code == 200
    assert "at least one file" in refused.content.decode() or refused.context["form"].errors
    assert not m3.reports.exists()
    done = client.post(
        url,
        {
            "completed_on": "2025-10-01",
            "note": "演练完成",
            "files": [SimpleUploadedFile("drill.pdf", PDF)],
        },
    )
    assert done.status_code == 302
    assert m3.reports.get().evidence.get().name == "drill.pdf"


@pytest.mark.parametrize(("who", "code"), [("cooperating", 403), ("uninvolved", 404)])
def test_others_cannot_report(tw: TaskWorld, client: Client, who: str, code: int) -> None:
    login(client, users(tw)[who])
    assert (
        client.get(f"/projects/tasks/milestones/{tw.milestones[2].pk}/report/").status_code == code
    )


def test_office_decides_through_the_page(tw: TaskWorld, client: Client) -> None:
    pending = tw.milestones[1].reports.get()
    login(client, tw.office)
    url = f"/projects/tasks/reports/{pending.pk}/decide/"
    response = client.post(url, {"decision": "return", "note": ""}, follow=True)
    assert "Say why the report is returned." in response.content.decode()
    pending.refresh_from_db()
    assert pending.state == "submitted"
    client.post(url, {"decision": "confirm", "note": "属实"})
    pending.refresh_from_db()
    assert pending.state == "confirmed"
    client.logout()
    login(client, tw.d3_reporter)
    assert client.post(url, {"decision": "confirm"}).status_code == 404


def test_office_creates_through_the_page(tw: TaskWorld, client: Client) -> None:
    login(client, tw.office)
    assert client.get("/projects/tasks/new/").status_code == 200
    data = {
        "cycle": "2025",
        "code": "roads",
        "name_zh": "道路攻坚",
        "lead": tw.d2.pk,
        "cooperating": [tw.d1.pk, tw.d2.pk],
        "m-TOTAL_FORMS": "2",
        "m-INITIAL_FORMS": "0",
        "m-0-name_zh": "开工",
        "m-0-due": "2025-05-01",
        "m-0-weight": "1",
        "m-1-weight": "1",
    }
    refused = client.post("/projects/tasks/new/", data)
    assert refused.status_code == 200
    assert "cannot also cooperate" in str(refused.context["form"].errors["cooperating"])
    assert not Offensive.objects.filter(code="roads").exists()
    data["cooperating"] = [tw.d1.pk]
    created = client.post("/projects/tasks/new/", data)
    assert created.status_code == 302
    roads = Offensive.objects.get(code="roads")
    assert list(roads.milestones.values_list("name_zh", flat=True)) == ["开工"]
    client.logout()
    login(client, tw.lead_reporter)
    assert client.get("/projects/tasks/new/").status_code == 403


# the API


@pytest.mark.parametrize(
    ("who", "count"), [("office", 1), ("lead", 1), ("cooperating", 1), ("uninvolved", 0)]
)
def test_api_lists_in_scope(tw: TaskWorld, client: Client, who: str, count: int) -> None:
    login(client, users(tw)[who])
    tasks = client.get("/api/v1/offensives/").json()
    assert tasks["count"] == count
    if count:
        assert tasks["results"][0]["lead"] == "D01"
        assert tasks["results"][0]["cooperating"] == ["D02"]
    milestones = client.get("/api/v1/offensive-milestones/").json()
    assert milestones["count"] == 3 * count
    reports = client.get("/api/v1/milestone-reports/").json()
    assert reports["count"] == 2 * count
    detail = client.get(f"/api/v1/offensives/{tw.offensive.pk}/")
    assert detail.status_code == (200 if count else 404)


def test_api_milestone_status_filter(tw: TaskWorld, client: Client) -> None:
    login(client, tw.office)
    rows = client.get("/api/v1/offensive-milestones/?status=awaiting").json()["results"]
    assert [(r["seq"], r["status"], r["completed_on"]) for r in rows] == [
        (2, "awaiting", "2025-07-10")
    ]
    assert client.get("/api/v1/offensive-milestones/?status=bad").status_code == 400


def test_api_create_report_and_decide(tw: TaskWorld, client: Client) -> None:
    login(client, tw.office)
    body = {
        "cycle": 2025,
        "code": "roads",
        "name_zh": "道路攻坚",
        "lead": "D02",
        "cooperating": ["D01"],
        "milestones": [{"name_zh": "开工", "due": "2026-05-01"}],
    }
    refused = client.post("/api/v1/offensives/", body, content_type="application/json")
    assert refused.status_code == 400
    assert "not in the cycle's year 2025" in refused.json()["milestones"][0]
    body["milestones"] = [{"name_zh": "开工", "due": "2025-05-01", "weight": "2"}]
    created = client.post("/api/v1/offensives/", body, content_type="application/json")
    assert created.status_code == 201, created.json()
    milestone_id = created.json()["milestones"][0]["id"]
    client.logout()
    # D01 cooperates on "roads": it may not report; D02 leads
    login(client, tw.lead_reporter)
    form = {"milestone": milestone_id, "completed_on": "2025-04-28", "note": "开工"}
    assert client.post("/api/v1/milestone-reports/", form).status_code == 403
    client.logout()
    login(client, tw.coop_reporter)
    missing = client.post("/api/v1/milestone-reports/", form)
    assert missing.status_code == 400 and "at least one file" in missing.json()["files"][0]
    sent = client.post(
        "/api/v1/milestone-reports/",
        {**form, "files": [SimpleUploadedFile("start.pdf", PDF)]},
    )
    assert sent.status_code == 201, sent.json()
    report_id = sent.json()["id"]
    assert sent.json()["evidence"][0]["name"] == "start.pdf"
    assert client.post(f"/api/v1/milestone-reports/{report_id}/confirm/").status_code == 403
    client.logout()
    login(client, tw.office)
    no_reason = client.post(f"/api/v1/milestone-reports/{report_id}/return/", {})
    assert no_reason.status_code == 400
    returned = client.post(f"/api/v1/milestone-reports/{report_id}/return/", {"reason": "缺照片"})
    assert returned.status_code == 200 and returned.json()["state"] == "returned"
    again = client.post(f"/api/v1/milestone-reports/{report_id}/confirm/")
    assert again.status_code == 400 and "already decided" in str(again.json())
    assert MilestoneReport.objects.get(pk=report_id).state == "returned"
    client.logout()
    login(client, tw.d3_reporter)
    assert client.post(f"/api/v1/milestone-reports/{report_id}/confirm/").status_code == 404
    assert OffensiveMilestone.objects.filter(offensive__code="roads").count() == 1


def test_board_and_api_filter_by_cycle_task_and_unit(tw: TaskWorld, client: Client) -> None:
    login(client, tw.office)
    total = {
        query: client.get(f"/projects/tasks/?{query}").context["board"].total
        for query in ("cycle=2025", f"offensive={tw.offensive.pk}", f"unit={tw.d2.pk}")
    }
    assert total == {"cycle=2025": 3, f"offensive={tw.offensive.pk}": 3, f"unit={tw.d2.pk}": 3}
    # North District takes part in nothing: not a choice of the unit filter
    assert client.get(f"/projects/tasks/?unit={tw.d3.pk}").context["board"].total == 0
    api = client.get(f"/api/v1/offensive-milestones/?unit={tw.d1.pk}&status=on_time").json()
    assert [r["seq"] for r in api["results"]] == [1]
    assert client.get(f"/api/v1/offensives/?unit={tw.d2.pk}").json()["count"] == 1
    reports = client.get("/api/v1/milestone-reports/?state=submitted").json()
    assert [r["completed_on"] for r in reports["results"]] == ["2025-07-10"]
