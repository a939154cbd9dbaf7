"""Anonymity, proved on the database: after submissions by codes and by the open link through
the real pages (CSRF enforced, each respondent from an address of its own), every table and
every column is read back, and

- no row anywhere but the code's own holds a code, or a hash of one;
- no row holds a client address, or a hash of one (the rate limit's keyed hash lives in the
  cache only), nor the CSRF secret or the form's stamp; no session exists;
- a response has no user, session, code or address column, and its only time is the day;
- an access code row holds no time and no reference to a response;
- the audit trail got no event from a submission;
- the responses' keys do not follow the order they came in.

What this does not cover (PostgreSQL's system columns, the physical order of rows, a web
server's access log) is said in docs/architecture.md, "Surveys"."""

from __future__ import annotations

import hashlib
import json
import re
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client

from kaohe.core.models import AuditEvent
from kaohe.surveys import services
from kaohe.surveys.models import AccessCode, Response
from kaohe.testing.surveys import make_survey

pytestmark = pytest.mark.django_db

CODED = 50
LINKED = 10


def hashes(text: str) -> set[str]:
    """The usual digests of a text, in hex and upper hex."""
    found = set()
    for name in ("md5", "sha1", "sha256", "sha512"):
        digest = hashlib.new(name, text.encode()).hexdigest()
        found |= {digest, digest.upper(), digest[:32], digest[:16]}
    return found


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, memoryview | bytes):
        raw = bytes(value)
        return raw.hex() + raw.decode("latin-1")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def every_cell() -> dict[tuple[str, str], list[str]]:
    """Every value of every column of every table, as text: {(table, column): values}."""
    cells: dict[tuple[str, str], list[str]] = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            columns = [
                c.name for c in connection.introspection.get_table_description(cursor, table)
            ]
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    cells.setdefault((table, column), []).append(cell_text(value))
    return cells


def where(needles: set[str], cells: dict[tuple[str, str], list[str]]) -> set[tuple[str, str]]:
    return {
        place
        for place, values in cells.items()
        for value in values
        if value and any(n in value for n in needles)
    }


def columns_of(table: str) -> dict[str, str]:
    """Column name → Django's field type for it, read from the database itself."""
    with connection.cursor() as cursor:
        described = connection.introspection.get_table_description(cursor, table)
    return {c.name: connection.introspection.get_field_type(c.type_code, c) for c in described}


def hidden_fields(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))


def spearman(order: list[int]) -> float:
    n = len(order)
    d2 = sum((rank - value) ** 2 for rank, value in enumerate(order))
    return 1 - 6 * d2 / (n * (n * n - 1))


def test_nothing_in_the_database_links_answers_to_a_code_an_address_or_a_session(world):
    ts = make_survey(world, codes=CODED + 5)
    for group in (ts.coded, ts.open):
        services.set_unit_quota(group, world.d1, 500, acting_user=ts.manager)
    events_before = AuditEvent.objects.count()
    codes = [c.code for c in ts.codes[:CODED]]
    addresses, secrets = [], set()
    for i, code in enumerate(codes):  # the i-th respondent's comment says "i": the order known
        address = f"203.0.113.{i + 1}"
        addresses.append(address)
        c = Client(enforce_csrf_checks=True, REMOTE_ADDR=address)
        hidden = hidden_fields(c.get(f"/s/c/{code}/").content.decode())
        secrets |= {c.cookies["csrftoken"].value, hidden["csrfmiddlewaretoken"], hidden["shown"]}
        sent = c.post(
            f"/s/c/{code}/",
            {
                **hidden,
                f"rating.{world.d1.pk}": str(1 + i % 5),
                f"rating.{world.d2.pk}": str(1 + (i * 3) % 5),
                f"rating#{world.d1.pk}": f"意见{i:03d}",
                "channel": str(1 + i % 3),
            },
        )
        assert sent.status_code == 302, sent.content[:300]
        assert "sessionid" not in c.cookies
    link = f"/s/l/{ts.survey.link_token}/"
    for i in range(LINKED):
        address = f"2001:db8::{i + 1:x}"
        addresses.append(address)
        c = Client(enforce_csrf_checks=True, REMOTE_ADDR=address)
        hidden = hidden_fields(c.get(link).content.decode())
        secrets |= {c.cookies["csrftoken"].value, hidden["csrfmiddlewaretoken"], hidden["shown"]}
        sent = c.post(link, {**hidden, f"rating.{world.d2.pk}": "4", "channel": "3"})
        assert sent.status_code == 302
    assert Response.objects.count() == CODED + LINKED

    # no session, no audit event from a submission
    assert Session.objects.count() == 0
    assert AuditEvent.objects.count() == events_before

    cells = every_cell()
    assert ("surveys_response", "answers") in cells  # the walk saw the answers
    # codes: only in the code table's own column, and no hash of one anywhere
    code_needles = set(codes) | {c.lower() for c in codes}
    assert where(code_needles, cells) == {("surveys_accesscode", "code")}
    code_hashes = set().union(*(hashes(c) for c in codes))
    assert where(code_hashes, cells) == set()
    # addresses: not stored, not hashed, not as the rate limit's keyed hash
    address_needles = set(addresses) | set().union(*(hashes(a) for a in addresses))
    address_needles |= {services._client_key(a, ts.survey) for a in addresses}
    assert where(address_needles, cells) == set()
    # the CSRF secret and the form's stamp of each respondent
    assert where(secrets, cells) == set()

    # a response: no user, session, code or address column; the day is its only time
    response_columns = columns_of("surveys_response")
    assert set(response_columns) == {
        "id", "survey_id", "group_id", "via", "day", "answers", "flag", "review",
    }  # fmt: skip
    timed = {n for n, kind in response_columns.items() if kind in ("DateTimeField", "TimeField")}
    assert timed == set() and response_columns["day"] == "DateField"
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "surveys_response")
    referenced = {c["foreign_key"][0] for c in constraints.values() if c["foreign_key"]}
    assert referenced <= {"surveys_survey", "surveys_respondentgroup"}
    # an access code: no time, no response
    code_columns = columns_of("surveys_accesscode")
    assert set(code_columns) == {"id", "survey_id", "group_id", "batch_id", "code", "burned"}
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "surveys_accesscode")
    referenced = {c["foreign_key"][0] for c in constraints.values() if c["foreign_key"]}
    assert "surveys_response" not in referenced
    assert AccessCode.objects.filter(burned=True).count() == CODED

    # the keys say nothing of the order of arrival
    by_key = [
        int(r.answers["rating#comment"][str(world.d1.pk)][2:])
        for r in Response.objects.filter(via=Response.Via.CODE).order_by("pk")
    ]
    assert sorted(by_key) == list(range(CODED)) and by_key != list(range(CODED))
    assert abs(spearman(by_key)) < 0.6  # a random order: |rho| ≥ 0.6 has p ≈ 10⁻⁵ at n = 50
    assert {r.day for r in Response.objects.all()} == {Response.objects.first().day}
    assert Decimal(ts.coded.weight) > 0
