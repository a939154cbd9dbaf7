"""Pages as each role sees them, the language switch, sign-in lockout and the error pages."""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client

from kaohe.core.events import EventType
from kaohe.core.models import AuditEvent
from kaohe.indicators.models import AdmissionRequest, Indicator
from kaohe.indicators.services import update_indicator
from kaohe.schemes.services import publish_scheme_version
from kaohe.testing.world import PASSWORD

pytestmark = pytest.mark.django_db

PAGES = [
    "/overview/",
    "/units/",
    "/units/D01/",
    "/indicators/",
    "/indicators/gdp/",
    "/indicators/admission/",
    "/schemes/",
    "/schemes/cycles/",
    "/schemes/district-2025/",
    "/audit/",
    "/jobs/",
    "/api/docs/",
    "/api/schema/",
]


def signed_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def test_every_page_renders_for_the_office_in_both_languages(world):  # type: ignore[no-untyped-def]
    client = signed_in(world.users["office"])
    assert [client.get(p).status_code for p in PAGES] == [200] * len(PAGES)
    assert '<html lang="zh-hans">' in client.get("/overview/").content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/overview/"})
    page = client.get("/overview/").content.decode()
    assert '<html lang="en">' in page
    assert [client.get(p).status_code for p in PAGES] == [200] * len(PAGES)


def test_overview_charts_carry_the_recorded_values(world):  # type: ignore[no-untyped-def]
    from kaohe.observations.services import ValueRow, record_observations

    record_observations(
        [ValueRow("D01", "gdp", "2025Y", 5000), ValueRow("D02", "gdp", "2025Y", 3000.5)],
        acting_user=world.admin,
    )
    page = signed_in(world.users["office"]).get("/overview/").content.decode()
    option = json.loads(
        re.search(r'id="chart-gdp" type="application/json">(.*?)</script>', page).group(1)
    )
    assert option["xAxis"]["data"] == ["东区", "西区"]
    assert option["series"][0]["data"] == [5000.0, 3000.5]
    reporter_page = signed_in(world.users["d2_reporter"]).get("/overview/").content.decode()
    option = json.loads(
        re.search(r'id="chart-gdp" type="application/json">(.*?)</script>', reporter_page).group(1)
    )
    assert option["xAxis"]["data"] == ["西区"]


def test_overview_shows_the_catalogues_dashboard_indicators_in_their_order(world):  # type: ignore[no-untyped-def]
    from kaohe.flows.ingest import ingest
    from kaohe.observations.models import Source
    from kaohe.observations.services import ValueRow

    ingest(
        [
            ValueRow("D01", "gdp", "2025Y", 5000),
            ValueRow("D02", "gdp", "2025Y", 6000),
            ValueRow("D01", "fiscal_revenue", "2025Y", 400),
            ValueRow("D01", "tax_revenue", "2025Y", 300),
        ],
        acting_user=world.admin,
        source=Source.API,
    )
    client = signed_in(world.users["office"])
    page = client.get("/overview/").content.decode()
    head = page.split("<thead>")[1].split("</thead>")[0]
    names = re.findall(r'<th class="num">([^<]+)', head)
    assert [n.strip() for n in names] == [
        "地区生产总值",
        "GDP增速",
        "一般公共预算收入",
        "税收收入",
        "税收占比",
    ]
    # ranked on the first dashboard indicator: 西区 (6000) before 东区 (5000)
    body = page.split("<tbody>")[1].split("</tbody>")[0]
    assert body.index("西区") < body.index("东区")
    assert '<td class="num">75.00</td>' in body  # 东区's derived tax share, 300 / 400
    assert re.findall(r'id="(chart-[a-z_]+)" type="application/json"', page) == [
        "chart-gdp",
        "chart-gdp_growth",
        "chart-compare",
    ]
    for code, order in (("gdp_growth", None), ("tax_share", 0)):  # as the office edits them
        update_indicator(
            Indicator.objects.get(code=code), acting_user=world.admin, dashboard_order=order
        )
    page = client.get("/overview/").content.decode()
    head = page.split("<thead>")[1].split("</thead>")[0]
    names = [n.strip() for n in re.findall(r'<th class="num">([^<]+)', head)]
    assert names == ["税收占比", "地区生产总值", "一般公共预算收入", "税收收入"]
    assert 'id="chart-gdp_growth"' not in page


def test_navigation_follows_roles(world):  # type: ignore[no-untyped-def]
    office = signed_in(world.users["office"]).get("/overview/").content.decode()
    reporter = signed_in(world.users["d1_reporter"]).get("/overview/").content.decode()
    assert 'href="/audit/"' in office and 'href="/audit/"' not in reporter
    assert 'href="/schemes/cycles/"' in office and 'href="/schemes/cycles/"' not in reporter
    assert 'href="/indicators/admission/"' in reporter


def test_admission_review_through_the_pages(world):  # type: ignore[no-untyped-def]
    head = signed_in(world.users["d1_head"])
    response = head.post(
        "/indicators/admission/",
        {
            "unit": world.d1.pk,
            "code": "night_economy",
            "name_zh": "夜间经济营业额",
            "direction": "higher",
            "frequency": "quarterly",
            "value_type": "amount",
            "decimals": 2,
            "reason": "市委重点工作，需纳入考核",
        },
    )
    assert response.status_code == 302
    proposal = AdmissionRequest.objects.get(indicator__code="night_economy")
    assert proposal.indicator.status == Indicator.Status.PROPOSED
    office = signed_in(world.users["office"])
    office.post(f"/indicators/admission/{proposal.pk}/decide/", {"decision": "reject"})
    proposal.refresh_from_db()
    assert proposal.status == "pending"  # a rejection without a reason is refused
    office.post(
        f"/indicators/admission/{proposal.pk}/decide/",
        {"decision": "reject", "reason": "属日常工作"},
    )
    proposal.refresh_from_db()
    assert (proposal.status, proposal.decision_reason) == ("rejected", "属日常工作")


def test_cycle_stage_through_the_page(world):  # type: ignore[no-untyped-def]
    office = signed_in(world.users["office"])
    page = office.get("/schemes/cycles/").content.decode()
    gap = "2025年度综合考核尚无已发布的考核方案"
    assert gap in page  # the gap, shown before anyone tries
    refused = office.post("/schemes/cycles/2025/advance/", {"reason": "启动目标制定"}, follow=True)
    assert gap in refused.content.decode()
    world.cycle.refresh_from_db()
    assert world.cycle.state == "planning"
    publish_scheme_version(world.version, acting_user=world.admin)
    office.post("/schemes/cycles/2025/advance/", {"reason": "启动目标制定"})
    world.cycle.refresh_from_db()
    assert world.cycle.state == "goal_setting"
    reporter = signed_in(world.users["d1_reporter"])
    assert reporter.post("/schemes/cycles/2025/advance/").status_code == 403
    world.cycle.refresh_from_db()
    assert world.cycle.state == "goal_setting"


def test_error_pages_are_deliberate(world):  # type: ignore[no-untyped-def]
    client = signed_in(world.users["d1_reporter"])
    missing = client.get("/units/D02/")
    assert missing.status_code == 404
    assert '<div class="code">404</div>' in missing.content.decode()
    denied = client.get("/audit/")
    assert denied.status_code == 403
    assert '<div class="code">403</div>' in denied.content.decode()


def test_sign_in_locks_after_repeated_failures(world):  # type: ignore[no-untyped-def]
    client = Client()
    for _ in range(5):
        client.post("/login/", {"username": "office", "password": "wrong-password"})
    locked = client.post("/login/", {"username": "office", "password": PASSWORD})
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    other = Client().post("/login/", {"username": "committee", "password": PASSWORD})
    assert other.status_code == 302
    # five wrong passwords, then the right one refused while locked: six failures on record
    failures = AuditEvent.objects.filter(event_type=EventType.USER_LOGIN_FAILED)
    assert [e.extra_data["username"] for e in failures] == ["office"] * 6


def test_password_policy():  # type: ignore[no-untyped-def]
    for weak in ("short1A!", "alllowercaseletters", "1234567890123", "password123"):
        with pytest.raises(ValidationError):
            validate_password(weak)
    validate_password("Lanhu-2026-report")
