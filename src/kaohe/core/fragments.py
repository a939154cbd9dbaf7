"""Cached pages and lists, keyed on the version of the data.

Every write goes through a service function that records an audit event, so the data can only
have changed when the audit trail has. The version a cached fragment is keyed on is the pair
(highest audit event id, `DataVersion.number`):

- the audit id moves inside the writing transaction (a test's transaction too);
- `DataVersion.number` is raised *after* the transaction commits (`transaction.on_commit`),
  which covers transactions that commit out of the order of their audit ids: a reader that
  saw a later id before an earlier transaction committed finds a new number afterwards.

A reader takes the version before it reads the data, so a fragment never holds data older
than its key. The key also names the fragment, the user (whose grants decide what they may
see), the language, the day (deadlines and "overdue" move with the date), the full path with
its query and whether htmx asked. Writes that keep no audit event (a notification read, a
session) are not on cached fragments; `KAOHE_FRAGMENT_SECONDS` bounds how long any entry
lives whatever happens.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import get_language

from kaohe.core.models import AuditEvent, DataVersion

T = TypeVar("T")
_MISSING = object()


def data_version() -> str:
    """The version of the data as this connection sees it now (one query)."""
    audit = connection.ops.quote_name(AuditEvent._meta.db_table)
    version = connection.ops.quote_name(DataVersion._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT (SELECT MAX(id) FROM {audit}), (SELECT MAX(number) FROM {version})")
        top, number = cursor.fetchone()
    return f"{top or 0}.{number or 0}"


def _raise_version() -> None:
    # hand-written (`kaohe.core.sql`): every batch of the ingestion pipeline runs it
    quote = connection.ops.quote_name
    number = quote(DataVersion._meta.get_field("number").column)
    pk = DataVersion._meta.pk
    assert pk is not None
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(DataVersion._meta.db_table)} SET {number} = {number} + 1 "
            f"WHERE {quote(pk.column)} = %s",
            [1],
        )
        raised = cursor.rowcount
    if not raised:
        DataVersion.objects.get_or_create(pk=1, defaults={"number": 1})


def changed() -> None:
    """Called by the audit trail for each event it writes: raise the version once the
    outermost transaction commits (once per transaction, however many events)."""
    conn = transaction.get_connection()
    if any(func is _raise_version for _sids, func, _robust in conn.run_on_commit):
        return
    transaction.on_commit(_raise_version)


def enabled() -> bool:
    return bool(getattr(settings, "KAOHE_FRAGMENT_SECONDS", 0))


def key(request: HttpRequest, name: str) -> str:
    """The cache key of fragment `name` for this request (the version is read once per
    request)."""
    version = getattr(request, "_kaohe_data_version", None)
    if version is None:
        version = data_version()
        request._kaohe_data_version = version  # type: ignore[attr-defined]
    user = getattr(request, "user", None)
    parts = "|".join(
        [
            name,
            version,
            str(getattr(user, "pk", "") or ""),
            get_language() or "",
            timezone.localdate().isoformat(),
            request.get_full_path(),
            request.headers.get("HX-Request", ""),
            request.headers.get("Accept", "") if name.startswith("api:") else "",
        ]
    )
    return "kaohe:fragment:" + hashlib.sha256(parts.encode()).hexdigest()


def cached(request: HttpRequest, name: str, build: Callable[[], T]) -> T:
    """`build()`'s value for this request, from the cache while the data has not changed.
    Only safe requests are served from the cache."""
    if not enabled() or request.method not in ("GET", "HEAD"):
        return build()
    k = key(request, name)
    value: T = cache.get(k, _MISSING)
    if value is _MISSING:
        value = build()
        cache.set(k, value, settings.KAOHE_FRAGMENT_SECONDS)
    return value


def forget_all() -> None:
    """Drop every cached fragment (tests; an operator after restoring a backup)."""
    cache.clear()
