"""The major tasks' pages and API for the office, the lead unit, a cooperating unit and a
district that takes no part (out of scope: 404 or absent). Each participating unit reports its
own part of every milestone: the fixture's lead (D01) has confirmed its part of milestone 1 and
sent milestone 2; the cooperating unit (D02) has reported nothing yet."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from kaohe.core.roles import Role
from kaohe.projects.models import MilestoneReport, Offensive, OffensiveMilestone
from kaohe.projects.offensives import services
from kaohe.testing.offensives import PDF, TaskWorld, build_task_world, report, report_and_confirm
from kaohe.testing.world import World
from kaohe.units import services as unit_services


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
    ("who", "rows"), [("office", 6), ("lead", 6), ("cooperating", 6), ("uninvolved", 0)]
)
def test_board_shows_the_parts_in_scope(tw: TaskWorld, client: Client, who: str, rows: int) -> None:
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
    # the lead's third part and the cooperating unit's three
    assert html.count("<tr data-milestone=") == 4 and "Flood-season drill" in html
    assert html.count(f'data-unit="{tw.d2.pk}" data-status="overdue"') == 3
    counts = page.context["board"].counts
    assert {code: n for code, _label, n in counts}["overdue"] == 4
    assert client.get("/projects/tasks/?status=nonsense").context["board"].total == 0
    zh = client.get("/projects/tasks/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "完成河道清淤" in zh


def test_my_tasks_shows_role_and_what_to_report(tw: TaskWorld, client: Client) -> None:
    lead = login(client, tw.lead_reporter).get("/projects/tasks/mine/", HTTP_ACCEPT_LANGUAGE="en")
    html = lead.content.decode()
    assert 'data-role="lead"' in html and "1 part to report." in html
    m1, _m2, m3 = tw.milestones
    assert f"/projects/tasks/milestones/{m3.pk}/report/?unit={tw.d1.pk}" in html
    assert html.count("/report/?unit=") == 1
    client.logout()
    coop = login(client, tw.coop_reporter).get("/projects/tasks/mine/", HTTP_ACCEPT_LANGUAGE="en")
    html = coop.content.decode()
    # the cooperating unit's own parts: none reported, all three to report
    assert 'data-role="cooperating"' in html and "3 parts to report." in html
    assert f"/projects/tasks/milestones/{m1.pk}/report/?unit={tw.d2.pk}" in html
    assert 'data-status="on_time"' not in html
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
    assert "/report/?unit=" not in html  # the office does not report
    client.logout()
    html = login(client, tw.coop_reporter).get(f"/projects/tasks/{tw.offensive.pk}/").content
    assert b"/decide/" not in html


def test_detail_shows_the_milestones_by_participant(tw: TaskWorld, client: Client) -> None:
    login(client, tw.coop_reporter)
    page = client.get(f"/projects/tasks/{tw.offensive.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    detail = page.context["detail"]
    matrix = [[(c.row.unit.code, c.row.status) for c in m.cells] for m in detail.milestones]
    assert matrix == [
        [("D01", "on_time"), ("D02", "overdue")],
        [("D01", "awaiting"), ("D02", "overdue")],
        [("D01", "overdue"), ("D02", "overdue")],
    ]
    html = page.content.decode()
    # the cooperating unit may report its own three parts, never the lead's
    assert html.count(f"/report/?unit={tw.d2.pk}") == 3
    assert f"/report/?unit={tw.d1.pk}" not in html
    evidence = tw.milestones[0].reports.get().evidence.get()
    assert f"/projects/tasks/evidence/{evidence.pk}/" in html


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


def test_a_cooperating_unit_reports_its_part_through_the_page(
    tw: TaskWorld, client: Client
) -> None:
    m1 = tw.milestones[0]
    login(client, tw.coop_reporter)
    url = f"/projects/tasks/milestones/{m1.pk}/report/"
    assert "unit" not in client.get(url).context["form"].fields  # one unit: nothing to choose
    done = client.post(
        url,
        {
            "completed_on": "2025-04-02",
            "note": "西区清淤完成",
            "files": [SimpleUploadedFile("west.pdf", PDF)],
        },
    )
    assert done.status_code == 302
    own = m1.reports.get(unit=tw.d2)
    assert own.state == "submitted" and own.evidence.get().name == "west.pdf"
    assert m1.reports.get(unit=tw.d1).state == "confirmed"


def test_a_reporter_of_several_units_chooses_whose_part(tw: TaskWorld, client: Client) -> None:
    unit_services.add_grant(
        acting_user=tw.admin, user=tw.lead_reporter, role=Role.REPORTER, unit=tw.d2
    )
    m3 = tw.milestones[2]
    login(client, tw.lead_reporter)
    url = f"/projects/tasks/milestones/{m3.pk}/report/"
    form = client.get(f"{url}?unit={tw.d2.pk}").context["form"]
    assert form["unit"].value() == tw.d2.pk
    assert [pk for pk, _name in form.fields["unit"].choices] == [tw.d1.pk, tw.d2.pk]
    done = client.post(
        url,
        {
            "unit": tw.d2.pk,
            "completed_on": "2025-09-29",
            "note": "代西区报送",
            "files": [SimpleUploadedFile("west.pdf", PDF)],
        },
    )
    assert done.status_code == 302
    assert list(m3.reports.values_list("unit__code", flat=True)) == ["D02"]


@pytest.mark.parametrize("who", ["office", "uninvolved"])
def test_others_cannot_report(tw: TaskWorld, client: Client, who: str) -> None:
    # the office sees the task but reports no part: the report page is not there for it
    login(client, users(tw)[who])
    assert (
        client.get(f"/projects/tasks/milestones/{tw.milestones[2].pk}/report/").status_code == 404
    )


def test_office_decides_through_the_page(tw: TaskWorld, client: Client) -> None:
    pending = tw.milestones[1].reports.get()
    login(client, tw.office)
    url = f"/projects/tasks/reports/{pending.pk}/decide/"
    response = client.post(
        url, {"decision": "return", "note": ""}, follow=True, HTTP_ACCEPT_LANGUAGE="en"
    )
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
    assert refused.status_code == 200  # in Chinese by default
    assert "不能同时作为配合单位" in str(refused.context["form"].errors["cooperating"])
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


def test_api_milestone_parts_and_status_filter(tw: TaskWorld, client: Client) -> None:
    login(client, tw.office)
    rows = client.get("/api/v1/offensive-milestones/").json()["results"]
    assert [(p["unit"], p["role"], p["status"]) for p in rows[0]["parts"]] == [
        ("D01", "lead", "on_time"),
        ("D02", "cooperating", "overdue"),
    ]
    rows = client.get("/api/v1/offensive-milestones/?status=awaiting").json()["results"]
    assert [(r["seq"], r["parts"]) for r in rows] == [
        (
            2,
            [
                {
                    "unit": "D01",
                    "role": "lead",
                    "status": "awaiting",
                    "report": tw.milestones[1].reports.get().pk,
                    "completed_on": "2025-07-10",
                    "days_late": None,
                }
            ],
        )
    ]
    overdue = client.get("/api/v1/offensive-milestones/?status=overdue").json()
    assert overdue["count"] == 3
    assert [len(r["parts"]) for r in overdue["results"]] == [1, 1, 2]
    assert client.get("/api/v1/offensive-milestones/?status=bad").status_code == 400


def test_api_create_report_and_decide(tw: TaskWorld, client: Client) -> None:
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"  # the refusals are read in English
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
    # D01 cooperates on "roads": it reports its own part, not the lead's (D02)
    login(client, tw.lead_reporter)
    form = {"milestone": milestone_id, "completed_on": "2025-04-28", "note": "开工"}
    other = client.post("/api/v1/milestone-reports/", {**form, "unit": "D02"})
    assert other.status_code == 403 and "may not report the part of" in str(other.json())
    own = client.post(
        "/api/v1/milestone-reports/",
        {**form, "unit": "D01", "files": [SimpleUploadedFile("d1.pdf", PDF)]},
    )
    assert own.status_code == 201 and own.json()["unit"] == "D01"
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
    assert total == {"cycle=2025": 6, f"offensive={tw.offensive.pk}": 6, f"unit={tw.d2.pk}": 3}
    # North District takes part in nothing: not a choice of the unit filter
    assert client.get(f"/projects/tasks/?unit={tw.d3.pk}").context["board"].total == 0
    api = client.get(f"/api/v1/offensive-milestones/?unit={tw.d1.pk}&status=on_time").json()
    assert [(r["seq"], [p["unit"] for p in r["parts"]]) for r in api["results"]] == [(1, ["D01"])]
    api = client.get(f"/api/v1/offensive-milestones/?unit={tw.d2.pk}&status=on_time").json()
    assert api["count"] == 0
    assert client.get(f"/api/v1/offensives/?unit={tw.d2.pk}").json()["count"] == 1
    reports = client.get("/api/v1/milestone-reports/?state=submitted").json()
    assert [r["completed_on"] for r in reports["results"]] == ["2025-07-10"]
    assert client.get(f"/api/v1/milestone-reports/?unit={tw.d2.pk}").json()["count"] == 0


def test_a_returned_part_is_offered_again_to_its_unit_only(tw: TaskWorld, client: Client) -> None:
    from_west = report(tw.milestones[0], dt.date(2025, 4, 1), tw.coop_reporter)
    services.return_milestone(from_west, acting_user=tw.office, reason="缺验收单")
    login(client, tw.coop_reporter)
    page = client.get(f"/projects/tasks/{tw.offensive.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    west = page.context["detail"].milestones[0].cells[1]
    assert west.row.unit == tw.d2 and west.row.status == "returned" and west.can_report
    assert f"/projects/tasks/milestones/{tw.milestones[0].pk}/report/?unit={tw.d2.pk}" in (
        page.content.decode()
    )
    client.logout()
    login(client, tw.lead_reporter)
    page = client.get(f"/projects/tasks/{tw.offensive.pk}/")
    assert not page.context["detail"].milestones[0].cells[1].can_report
    assert f"?unit={tw.d2.pk}" not in page.content.decode()
