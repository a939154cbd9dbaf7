"""The annual cycle through its stages: each change checked against what the stage needs (the
refusal lists what is missing), an audited override, closing that locks goals, warnings and
runs through every door, reopening with a reason; monthly periods; a scheme copied into the
next year; and the office doing it on the pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import translation

from kaohe.core.errors import BatchRejected
from kaohe.core.events import EventType
from kaohe.core.models import AuditEvent
from kaohe.flows.cycles import advance_cycle, stage_gaps
from kaohe.flows.ingest import ingest
from kaohe.goals import services as goal_services
from kaohe.monitoring import services as monitoring_services
from kaohe.monitoring.models import Warning
from kaohe.observations.models import Source
from kaohe.observations.services import ValueRow
from kaohe.results import services as result_services
from kaohe.schemes import services as scheme_services
from kaohe.schemes.models import Cycle, Scheme, TimeNode
from kaohe.schemes.selectors import neighbour_nodes
from kaohe.testing.monitoring import save_test_rules

pytestmark = pytest.mark.django_db


def office(world):  # type: ignore[no-untyped-def]
    return world.users["office"]


def step(world, cycle, **kw):  # type: ignore[no-untyped-def]
    return advance_cycle(cycle, acting_user=office(world), **kw)


def test_the_year_through_its_stages_checked_overridden_closed_and_reopened(world):  # type: ignore[no-untyped-def]
    cycle = world.cycle
    with pytest.raises(ValidationError) as refused:
        step(world, cycle)
    assert refused.value.messages == [
        "No scheme of 2025 annual assessment is published yet: units set goals against one."
    ]
    with pytest.raises(PermissionDenied):  # and a reporter learns nothing of it
        advance_cycle(cycle, acting_user=world.users["d1_reporter"])
    published = scheme_services.publish_scheme_version(world.version, acting_user=world.admin)
    cycle = step(world, cycle)  # goal setting
    cycle = step(world, cycle)  # in progress (no check)
    save_test_rules(world.admin)
    ingest(  # an inflated tax figure: a warning that stays open
        [
            ValueRow("D01", "fiscal_revenue", "2025Q3", 100),
            ValueRow("D01", "tax_revenue", "2025Q3", 118),
            ValueRow("D01", "gdp", "2025Y", 5000),
            ValueRow("D02", "gdp", "2025Y", 3000),
        ],
        acting_user=world.users["office"],
        source=Source.API,
    )
    assert Warning.objects.get().state == "open"
    cycle = step(world, cycle)  # year-end: the district scheme has data
    assert stage_gaps(cycle) == [
        "The category “Districts” has no published scoring run for 2025 annual assessment."
    ]
    with pytest.raises(ValidationError, match="no published scoring run"):
        step(world, cycle)
    run = result_services.run_scoring(published, acting_user=world.admin)
    result_services.publish_scoring_run(run, acting_user=world.admin)
    cycle = step(world, cycle, reason="结果已公布")
    assert cycle.state == "published"

    gap = (
        "1 warnings of 2025 annual assessment are not closed yet (their explanation or "
        "rectification is open): D01."
    )
    assert stage_gaps(cycle) == [gap]
    with pytest.raises(ValidationError, match="takes a reason"):
        step(world, cycle, override=True)
    cycle = step(world, cycle, override=True, reason="整改转入下一年度跟踪")
    assert cycle.state == "closed"
    closing = AuditEvent.objects.filter(event_type=EventType.CYCLE_ADVANCED).latest("pk")
    assert closing.extra_data == {"from": "published", "to": "closed", "overridden": [gap]}
    assert closing.reason == "整改转入下一年度跟踪"

    # closed: no goal, warning step or run changes, through the services any door calls
    closed = "2025 annual assessment is closed: nothing of it changes"
    with pytest.raises(ValidationError, match=closed):
        goal_services.create_goal_set(world.d1, cycle, acting_user=world.users["d1_head"])
    with pytest.raises(ValidationError, match=closed):
        monitoring_services.acknowledge_warning(
            Warning.objects.get(), acting_user=world.users["d1_reporter"]
        )
    with pytest.raises(ValidationError, match=closed):
        result_services.run_scoring(published, acting_user=world.admin, reason="更正")
    with pytest.raises(BatchRejected, match="the cycle is closed"):
        ingest(
            [ValueRow("D01", "gdp", "2025Y", 5100, reason="更正")],
            acting_user=world.users["office"],
            source=Source.API,
        )
    client = Client()
    client.force_login(world.users["d1_reporter"])
    warning = Warning.objects.get()
    with translation.override("zh-hans"):
        answer = client.post(
            f"/api/v1/warnings/{warning.pk}/acknowledge/", {}, content_type="application/json"
        )
    assert answer.json() == {  # in the reader's language (Chinese by default)
        "detail": ["2025年度综合考核已关闭：在考核办说明理由重新开启之前，其内容不可更改。"]
    }

    with pytest.raises(ValidationError, match="Say why"):
        scheme_services.reopen_cycle(cycle, acting_user=office(world), reason=" ")
    cycle = scheme_services.reopen_cycle(cycle, acting_user=office(world), reason="统计局更正数据")
    assert cycle.state == "published"
    reopened = AuditEvent.objects.get(event_type=EventType.CYCLE_REOPENED)
    assert (reopened.reason, reopened.acting_user) == ("统计局更正数据", office(world))
    monitoring_services.acknowledge_warning(warning, acting_user=world.users["d1_reporter"])


def test_a_cycle_with_months_orders_them_before_their_quarter(world):  # type: ignore[no-untyped-def]
    auto = scheme_services.create_cycle(acting_user=office(world), year=2026)
    assert [n.code for n in auto.time_nodes.order_by("order")] == ["Q1", "H1", "Q3", "Y"]
    cycle = scheme_services.create_cycle(acting_user=office(world), year=2027, monthly=True)
    nodes = list(cycle.time_nodes.order_by("order"))
    assert [n.code for n in nodes] == [
        "M01", "M02", "M03", "Q1", "M04", "M05", "M06", "H1",
        "M07", "M08", "M09", "Q3", "M10", "M11", "Y",
    ]  # fmt: skip
    march = nodes[2]
    assert (march.kind, march.name_zh, march.name_en) == ("month", "2027年3月", "2027 March")
    assert (march.period_start, march.period_end, march.due_date) == (
        dt.date(2027, 3, 1),
        dt.date(2027, 3, 31),
        dt.date(2027, 4, 15),
    )
    by_code = {n.code: n for n in nodes}
    for n in nodes:
        n.cycle = cycle
    neighbours = neighbour_nodes(nodes)
    assert neighbours[by_code["H1"].pk].previous == by_code["Q1"].pk  # not June
    assert neighbours[by_code["M04"].pk].previous == by_code["M03"].pk
    assert neighbours[by_code["Q1"].pk].previous is None
    assert TimeNode.objects.filter(cycle=cycle, kind="month").count() == 11


def test_next_years_scheme_is_a_copy_that_moves_the_year(world):  # type: ignore[no-untyped-def]
    scheme_services.publish_scheme_version(world.version, acting_user=world.admin)
    next_year = scheme_services.create_cycle(acting_user=office(world), year=2026)
    with pytest.raises(ValidationError, match="another cycle"):
        scheme_services.copy_scheme(world.version, acting_user=office(world), cycle=world.cycle)
    copy = scheme_services.copy_scheme(world.version, acting_user=office(world), cycle=next_year)
    scheme = copy.scheme
    assert (scheme.code, scheme.cycle, scheme.category) == (
        "district-2026",
        next_year,
        world.version.scheme.category,
    )
    assert scheme.name_zh == world.version.scheme.name_zh  # no year in it to move
    assert (copy.status, copy.fingerprint) == ("draft", world.version.fingerprint)
    assert copy.change_note == "Copied from district-2025, version 1."
    with pytest.raises(ValidationError, match="district-2026 exists"):
        scheme_services.copy_scheme(world.version, acting_user=office(world), cycle=next_year)
    # without a published scheme the new year cannot start setting goals; with the copy it can
    assert stage_gaps(next_year) == [
        "No scheme of 2026 annual assessment is published yet: units set goals against one."
    ]
    scheme_services.publish_scheme_version(copy, acting_user=world.admin)
    assert stage_gaps(next_year) == []


def test_the_office_opens_a_cycle_and_copies_a_scheme_on_the_pages(world):  # type: ignore[no-untyped-def]
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(office(world))
    page = client.get("/schemes/cycles/").content.decode()
    assert 'action="/schemes/cycles/new/"' in page
    created = client.post(
        "/schemes/cycles/new/", {"year": 2026, "name_zh": "", "name_en": "", "monthly": "yes"}
    )
    assert created.status_code == 302
    cycle = Cycle.objects.get(year=2026)
    assert (cycle.name_zh, cycle.time_nodes.count()) == ("2026年度综合考核", 15)
    again = client.post("/schemes/cycles/new/", {"year": 2026, "monthly": "auto"}, follow=True)
    assert Cycle.objects.filter(year=2026).count() == 1
    assert "already exists" in again.content.decode()
    bad = client.post("/schemes/cycles/new/", {"year": 99999, "monthly": "auto"}, follow=True)
    assert "less than or equal to 2100" in bad.content.decode()

    scheme_services.publish_scheme_version(world.version, acting_user=world.admin)
    copied = client.post(
        "/schemes/copy/", {"source": world.version.pk, "cycle": cycle.pk, "code": ""}
    )
    assert copied.status_code == 302 and copied["Location"] == "/schemes/district-2026/"
    assert Scheme.objects.get(code="district-2026").cycle == cycle
    reporter = Client()
    reporter.force_login(world.users["d1_reporter"])
    assert reporter.post("/schemes/cycles/new/", {"year": 2030}).status_code == 403
    assert reporter.get("/api/v1/cycles/2025/").json()["next_stage_gaps"] == []
    office_api = client.get("/api/v1/cycles/2026/").json()
    assert office_api["next_stage_gaps"] == [  # its copied scheme is still a draft
        "No scheme of 2026 annual assessment is published yet: units set goals against one."
    ]
    assert client.get("/api/v1/cycles/2025/").json()["next_stage_gaps"] == []  # published
