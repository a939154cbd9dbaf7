"""Schemathesis against the published OpenAPI schema, in CI on every run.

For every operation, generated requests (valid and invalid) as the office, against the scope
world (one object of every kind), with two checks: no server error, and every response matches
its documented schema. A generated id or code is mapped onto an object that exists, so detail
routes and their actions answer with data instead of 404. Bounded and reproducible: a fixed
number of examples per operation (`KAOHE_FUZZ_EXAMPLES`, default 12), derandomised."""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from django.contrib.auth import get_user_model
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, given, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from kaohe.api import router
from kaohe.testing.scope_world import build_scope_world
from kaohe.wsgi import application

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("KAOHE_FUZZ_EXAMPLES", "12"))
PREFIX = "/api/v1/"


def existing_keys() -> dict[str, list[Any]]:
    """Each route prefix's lookup values that exist, e.g. {"units": ["CITY", "D01", …]}."""
    keys = {}
    for prefix, viewset, _basename in router.registry:
        queryset = viewset.queryset
        if queryset is None and hasattr(viewset.serializer_class, "Meta"):
            queryset = viewset.serializer_class.Meta.model.objects.all()
        if queryset is None:
            queryset = viewset().get_queryset()  # one that needs no request
        field = viewset.lookup_field
        keys[prefix] = sorted(queryset.model.objects.values_list(field, flat=True))
    return keys


def onto_existing(case: Any, keys: dict[str, list[Any]]) -> None:
    """Map the generated lookup value of a detail route onto an existing object."""
    prefix = case.operation.path.removeprefix(PREFIX).split("/")[0]
    values = keys.get(prefix)
    params = case.path_parameters or {}
    for name in ("id", "code", "year"):
        value = params.get(name)
        if values and value is not None:
            index = value if isinstance(value, int) else len(str(value))
            params[name] = values[index % len(values)]


def summary(exc: BaseException) -> str:
    """The failure's kind and where the schema and the answer part."""
    parts = [str(exc)]
    for sub in getattr(exc, "exceptions", ()):
        parts.append(str(sub)[:600])
    return "\n".join(parts)[:1800]


@pytest.fixture
def connection_kept():  # type: ignore[no-untyped-def]
    """Requests go straight to the WSGI application, which closes the database connection when
    a request finishes; keep it open inside the test's transaction, as Django's test client
    does."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


def test_every_operation_answers_within_its_schema(connection_kept):  # type: ignore[no-untyped-def]
    build_scope_world()
    office = Token.objects.create(user=get_user_model().objects.get(username="office"))
    schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
    schema.app = application
    keys = existing_keys()
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 60

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any) -> None:
            onto_existing(case, keys)
            with transaction.atomic():  # each request's writes are undone after it
                case.call_and_validate(
                    headers={"Authorization": f"Token {office.key}"},
                    checks=[not_a_server_error, response_schema_conformance],
                )
                transaction.set_rollback(True)

        try:
            check()
        except (Exception, BaseExceptionGroup) as exc:  # every operation's failure is reported
            failures.append(f"{operation.label}: {summary(exc)}")
    assert failures == [], "\n\n".join(failures)
