"""Warnings raised on arrival, their life (acknowledge → explain/rectify → decide), clearing
by corrected data, scope, the pages (live board with ETag) and the API."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from kaohe.core.events import EventType
from kaohe.core.models import AuditEvent, Notification
from kaohe.core.roles import Role
from kaohe.flows.ingest import ingest
from kaohe.monitoring import services
from kaohe.monitoring.models import Warning
from kaohe.observations.models import Source
from kaohe.observations.services import ValueRow
from kaohe.testing.monitoring import save_test_rules
from kaohe.testing.world import make_user
from kaohe.units.services import add_grant, create_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def rules(world):  # type: ignore[no-untyped-def]
    save_test_rules(world.admin)


def send(world, rows, user=None):  # type: ignore[no-untyped-def]
    return ingest(rows, acting_user=user or world.users["stats_reporter"], source=Source.API)


def inflated(world):  # type: ignore[no-untyped-def]
    return send(
        world,
        [
            ValueRow("D01", "fiscal_revenue", "2025Q3", 100),
            ValueRow("D01", "tax_revenue", "2025Q3", 118),
        ],
    )


def test_an_inflated_figure_is_caught_on_arrival(world, rules):  # type: ignore[no-untyped-def]
    result = inflated(world)
    assert result.batch.warnings_raised == 1
    warning = Warning.objects.get()
    assert (warning.rule.code, warning.unit, warning.state, warning.severity) == (
        "tax_within_fiscal",
        world.d1,
        "open",
        "serious",
    )
    assert warning.details["operands"] == {"fiscal_revenue": 100.0, "tax_revenue": 118.0}
    # messages name the indicators (the test catalogue's English names are upper-case codes)
    assert warning.message_en == (
        "东区 fails the cross-check TAX_REVENUE <= FISCAL_REVENUE: "
        "FISCAL_REVENUE = 100, TAX_REVENUE = 118"
    )
    assert warning.message_zh == (
        "东区：未通过印证规则 税收收入 <= 一般公共预算收入：一般公共预算收入 = 100, 税收收入 = 118"
    )
    assert warning.raised_by_batch == result.batch
    notified = Notification.objects.filter(user=world.users["d1_reporter"])
    assert notified.count() == 1 and notified.get().link == f"/monitoring/warnings/{warning.pk}/"
    # sending the same figures again raises nothing new
    assert inflated(world).batch.warnings_raised == 0


def test_explain_then_decide_and_every_step_is_audited(world, rules):  # type: ignore[no-untyped-def]
    inflated(world)
    warning = Warning.objects.get()
    reporter, office = world.users["d1_reporter"], world.users["office"]
    warning = services.acknowledge_warning(warning, acting_user=reporter)
    with pytest.raises(ValidationError, match="Write the explanation"):
        services.explain_warning(warning, acting_user=reporter, explanation=" ")
    warning = services.explain_warning(
        warning, acting_user=reporter, explanation="含一次性土地出让税款，财政口径次月入账"
    )
    with pytest.raises(PermissionDenied):
        services.decide_warning(warning, acting_user=reporter, accept=True, decision="自己批准")
    warning = services.decide_warning(
        warning, acting_user=office, accept=False, decision="口径不一致，请核实后整改"
    )
    assert (warning.state, warning.decision) == ("open", "口径不一致，请核实后整改")
    warning = services.rectify_warning(
        warning, acting_user=reporter, report="已按财政口径更正税收收入"
    )
    warning = services.decide_warning(warning, acting_user=office, accept=True, decision="同意")
    assert (warning.state, warning.resolution, warning.closed_at is not None) == (
        "closed",
        "rectified",
        True,
    )
    events = AuditEvent.objects.filter(object_id=str(warning.pk), content_type__model="warning")
    assert [e.event_type for e in events.order_by("pk")] == [
        EventType.WARNING_RAISED,
        EventType.WARNING_ACKNOWLEDGED,
        EventType.WARNING_EXPLAINED,
        EventType.WARNING_REOPENED,
        EventType.WARNING_RECTIFIED,
        EventType.WARNING_CLOSED,
    ]


def test_corrected_data_clears_an_open_warning(world, rules):  # type: ignore[no-untyped-def]
    inflated(world)
    result = send(world, [ValueRow("D01", "tax_revenue", "2025Q3", 90, reason="更正口径")])
    assert result.batch.warnings_resolved == 1
    warning = Warning.objects.get()
    assert (warning.state, warning.resolution) == ("closed", "cleared")


def test_warnings_are_scoped(world, rules):  # type: ignore[no-untyped-def]
    inflated(world)
    warning = Warning.objects.get()
    other = world.users["d2_reporter"]
    with pytest.raises(PermissionDenied):
        services.explain_warning(warning, acting_user=other, explanation="不是我们的")
    client = Client()
    client.force_login(other)
    assert client.get(f"/monitoring/warnings/{warning.pk}/").status_code == 404
    assert (
        client.post(f"/monitoring/warnings/{warning.pk}/explain/", {"text": "x"}).status_code == 404
    )
    assert client.get(f"/api/v1/warnings/{warning.pk}/").status_code == 404
    assert client.get("/api/v1/warnings/").json()["results"] == []
    warning.refresh_from_db()
    assert (warning.state, warning.explanation) == ("open", "")


def test_pages_api_and_live_board(world, rules):  # type: ignore[no-untyped-def]
    inflated(world)
    warning = Warning.objects.get()
    client = Client()
    client.force_login(world.users["d1_reporter"])
    assert client.get("/monitoring/").status_code == 200
    page = client.get(f"/monitoring/warnings/{warning.pk}/").content.decode()
    assert "tax_revenue" in page and "118.0" in page
    cross = client.get("/monitoring/cross-checks/").content.decode()
    assert "一般公共预算收入 = 100.0" in cross  # the figures under their names
    rows = client.get("/monitoring/rows/")
    assert rows.status_code == 200
    unchanged = client.get("/monitoring/rows/", HTTP_IF_NONE_MATCH=rows["ETag"])
    assert unchanged.status_code == 304
    api = client.post(f"/api/v1/warnings/{warning.pk}/explain/", {"text": "一次性收入"})
    assert api.status_code == 200 and api.json()["state"] == "explained"
    changed = client.get("/monitoring/rows/", HTTP_IF_NONE_MATCH=rows["ETag"])
    assert changed.status_code == 200
    office = Client()
    office.force_login(world.users["office"])
    decided = office.post(
        f"/api/v1/warnings/{warning.pk}/decide/", {"text": "同意", "accept": True}
    )
    assert decided.json()["state"] == "closed"


def test_rules_are_validated(world):  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError, match="expression"):
        services.save_rule(
            acting_user=world.admin,
            code="evil",
            name_zh="x",
            spec={"kind": "cross_check", "expression": "__import__('os')", "severity": "serious"},
        )
    with pytest.raises(PermissionDenied):
        services.save_rule(
            acting_user=world.users["d1_head"],
            code="mine",
            name_zh="x",
            spec={"kind": "threshold", "indicator": "gdp", "min": 0, "severity": "info"},
        )
    client = Client()
    client.force_login(world.users["office"])
    response = client.post(
        "/monitoring/rules/",
        {"code": "bad", "name_zh": "坏规则", "spec": "kind: drop\nindicator: gdp\npercent: -5"},
    )
    assert response.status_code == 200
    assert "percent" in response.content.decode()


def test_no_one_decides_a_warning_on_their_own_unit(world, rules):  # type: ignore[no-untyped-def]
    """A leader in charge of East District who is on its staff may not close its warning."""
    inflated(world)
    reporter = world.users["d1_reporter"]
    warning = services.explain_warning(
        services.acknowledge_warning(Warning.objects.get(), acting_user=reporter),
        acting_user=reporter,
        explanation="一次性土地出让税款",
    )
    leader = make_user("d1_leader")
    add_grant(acting_user=world.admin, user=leader, role=Role.LEADER, unit=world.d1)
    create_person(
        acting_user=world.admin,
        unit=world.d1,
        code="D01-LEADER",
        name="张区长",
        gender="M",
        user=leader,
    )
    with pytest.raises(PermissionDenied, match="you belong to East District"):
        services.decide_warning(warning, acting_user=leader, accept=True, decision="同意")
    warning.refresh_from_db()
    assert warning.state == "explained"
    client = Client()
    client.force_login(leader)
    page = client.get(f"/monitoring/warnings/{warning.pk}/").content.decode()
    assert "/decide/" not in page  # no decision form for them
    decided = services.decide_warning(
        warning, acting_user=world.users["office"], accept=True, decision="同意"
    )
    assert decided.state == "closed"
