"""Writing a batch of observations and versions in bulk with raw SQL: `executemany` of one
prepared statement on SQLite, `COPY` (and one `UPDATE … FROM unnest(…)`) on PostgreSQL.

Used by `services.store_rows` inside the caller's transaction; nothing here commits. Database
errors come out as Django's (`django.db.IntegrityError`, …), as they would from the ORM."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

from kaohe.observations.models import Observation, ObservationVersion

# (unit id, indicator id, time node id, value, text, version count)
SlotRow = tuple[int, int, int, Decimal | None, str, int]
# (observation id, value, text, version count)
SlotUpdate = tuple[int, Decimal | None, str, int]
# (observation id, number, value, text, source, source unit id, sender id, reason, audit event
#  id, batch id)
VersionRow = tuple[int, int, Decimal | None, str, str, int | None, int | None, str, int, int | None]

_SLOT_FIELDS = ("unit", "indicator", "time_node", "value", "text", "version_count", "updated_at")
_VERSION_FIELDS = (
    "observation",
    "number",
    "value",
    "text",
    "source",
    "source_unit",
    "sent_by",
    "reason",
    "event",
    "batch",
    "recorded_at",
)


class BatchWriter:
    """Bulk writes of slots and versions on one connection (SQLite or PostgreSQL)."""

    def __init__(self, connection: BaseDatabaseWrapper) -> None:
        if connection.vendor not in ("sqlite", "postgresql"):
            raise NotImplementedError(f"no bulk writer for {connection.vendor}")
        self.connection = connection
        self.copy = connection.vendor == "postgresql"
        quote = connection.ops.quote_name
        self.slots = quote(Observation._meta.db_table)
        self.versions = quote(ObservationVersion._meta.db_table)
        self.slot_columns = [quote(_column(Observation, f)) for f in _SLOT_FIELDS]
        self.version_columns = [quote(_column(ObservationVersion, f)) for f in _VERSION_FIELDS]
        self.pk = quote(_column(Observation, "id"))

    def _stamp(self, when: dt.datetime) -> Any:
        return self.connection.ops.adapt_datetimefield_value(when)

    def _insert(self, table: str, columns: list[str], rows: Sequence[tuple[Any, ...]]) -> None:
        if not rows:  # e.g. a batch sent twice: every value unchanged, no version to write
            return
        names = ", ".join(columns)
        with self.connection.cursor() as cursor:
            if self.copy:
                sql = f"COPY {table} ({names}) FROM STDIN"
                with self.connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(columns))
                cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)

    def insert_slots(self, rows: Sequence[SlotRow], now: dt.datetime) -> None:
        """New observations, each already holding its value and version count."""
        stamp = self._stamp(now)
        self._insert(self.slots, self.slot_columns, [(*row, stamp) for row in rows])

    def insert_versions(self, rows: Sequence[VersionRow], now: dt.datetime) -> None:
        """New versions, all recorded at `now` (inserting is the only write versions get)."""
        stamp = self._stamp(now)
        self._insert(self.versions, self.version_columns, [(*row, stamp) for row in rows])

    def _where(self, keys: Sequence[tuple[int, int, int]]) -> tuple[str, list[Any]]:
        """The slots of the keys' units × indicators × nodes."""
        unit, indicator, node = self.slot_columns[:3]
        sets = [sorted({k[i] for k in keys}) for i in range(3)]
        if self.copy:
            where = " AND ".join(f"{c} = ANY(%s)" for c in (unit, indicator, node))
            params: list[Any] = sets
        else:
            where = " AND ".join(
                f"{c} IN ({', '.join(['%s'] * len(ids))})"
                for c, ids in zip((unit, indicator, node), sets, strict=True)
            )
            params = [i for ids in sets for i in ids]
        return where, params

    def slot_ids(self, keys: Sequence[tuple[int, int, int]]) -> dict[tuple[int, int, int], int]:
        """The ids of the slots among `keys` (unit, indicator, time node ids), in one query
        (every slot of the keys' units × indicators × nodes is read; those not asked for are
        left out)."""
        if not keys:
            return {}
        unit, indicator, node = self.slot_columns[:3]
        where, params = self._where(keys)
        wanted = set(keys)
        with self.connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {unit}, {indicator}, {node}, {self.pk} FROM {self.slots} WHERE {where}",
                params,
            )
            return {(u, i, n): pk for u, i, n, pk in cursor.fetchall() if (u, i, n) in wanted}

    def current_slots(
        self, keys: Sequence[tuple[int, int, int]]
    ) -> dict[tuple[int, int, int], tuple[int, Decimal | None, str, int]]:
        """(id, value, text, version count) of every existing slot of the keys' units ×
        indicators × nodes, in one query, locked for the transaction on PostgreSQL (`FOR
        UPDATE`; SQLite's writing transaction holds the database already). Values come as the
        ORM gives them (decimals)."""
        if not keys:
            return {}
        unit, indicator, node, value, text, count, _updated = self.slot_columns
        where, params = self._where(keys)
        lock = " FOR UPDATE" if self.connection.features.has_select_for_update else ""
        field = Observation._meta.get_field("value")
        assert isinstance(field, models.Field)
        col = field.get_col(Observation._meta.db_table)
        ops = self.connection.ops
        steps = ops.get_db_converters(col) + col.get_db_converters(self.connection)
        with self.connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {unit}, {indicator}, {node}, {self.pk}, {value}, {text}, {count} "
                f"FROM {self.slots} WHERE {where}{lock}",
                params,
            )
            rows = cursor.fetchall()
        out = {}
        for u, i, n, pk, number, txt, versions in rows:
            for step in steps:
                number = step(number, col, self.connection)
            out[(u, i, n)] = (pk, number, txt, versions)
        return out

    def update_slots(self, rows: Sequence[SlotUpdate], now: dt.datetime) -> None:
        """Existing observations take their new value and version count, in one statement."""
        if not rows:
            return
        _unit, _ind, _node, value, text, count, updated = self.slot_columns
        with self.connection.cursor() as cursor:
            if self.copy:
                ids, values, texts, counts = (list(column) for column in zip(*rows, strict=True))
                cursor.execute(
                    f"UPDATE {self.slots} AS o SET {value} = v.value, {text} = v.text, "
                    f"{count} = v.version_count, {updated} = %s "
                    "FROM unnest(%s::bigint[], %s::numeric[], %s::text[], %s::integer[]) "
                    "AS v(id, value, text, version_count) "
                    f"WHERE o.{self.pk} = v.id",
                    [now, ids, values, texts, counts],
                )
            else:
                stamp = self._stamp(now)
                cursor.executemany(
                    f"UPDATE {self.slots} SET {value} = %s, {text} = %s, {count} = %s, "
                    f"{updated} = %s WHERE {self.pk} = %s",
                    [(v, t, c, stamp, i) for i, v, t, c in rows],
                )


def _column(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field) and field.column
    return field.column
