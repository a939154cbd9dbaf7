"""Hand-written SQL for the hot paths (the ingestion pipeline), where compiling an ORM query
and building its model instances cost more than running it: plain SQL that SQLite and
PostgreSQL both take, parameters always bound, table and column names taken from the models,
values converted to and from the database as the ORM converts them. `insert` is the one
write here, and only a service calls it, in its transaction, beside its audit record."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from functools import lru_cache
from typing import Any, TypeVar

from django.db import connection, models

M = TypeVar("M", bound=models.Model)


def quote(name: str) -> str:
    """A table or column name, quoted."""
    return connection.ops.quote_name(name)


def table(model: type[models.Model]) -> str:
    """The model's table, quoted."""
    return _quoted(connection.vendor, model, None, "")


def column(model: type[models.Model], name: str, alias: str = "") -> str:
    """A field's column, quoted (`alias.` in front when given)."""
    return _quoted(connection.vendor, model, name, alias)


@lru_cache(maxsize=2048)
def _quoted(vendor: str, model: type[models.Model], name: str | None, alias: str) -> str:
    """A quoted name, worked out once per kind of database (the statements are built anew for
    each read, from names that do not change)."""
    if name is None:
        return connection.ops.quote_name(model._meta.db_table)
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field) and field.column
    quoted = connection.ops.quote_name(field.column)
    return f"{alias}.{quoted}" if alias else quoted


def among(sql_column: str, values: Collection[Any]) -> tuple[str, list[Any]]:
    """`column` is one of `values`: one array parameter on PostgreSQL, a list of them on
    SQLite; never true for no values."""
    if not values:
        return "1 = 0", []
    if connection.vendor == "postgresql":
        return f"{sql_column} = ANY(%s)", [list(values)]
    return f"{sql_column} IN ({', '.join(['%s'] * len(values))})", list(values)


def among_any(
    model: type[models.Model], alias: str, values: dict[str, Collection[Any]]
) -> tuple[list[str], list[Any]]:
    """One `among` condition per field of `values` that is given values (none for the others),
    with their parameters: the rows matching any of them are those of `' OR '.join(...)`."""
    conditions: list[str] = []
    params: list[Any] = []
    for name, wanted in values.items():
        if wanted:
            where, more = among(column(model, name, alias), wanted)
            conditions.append(where)
            params += more
    return conditions, params


def converter(model: type[models.Model], name: str) -> Callable[[Any], Any] | None:
    """What the ORM does to a field's value as it comes from this database (a decimal read as
    a float on SQLite, a JSON document read as text), or None when it takes it as it is.

    A decimal read only to be used as a float needs none: `float()` of what the driver gives
    (SQLite: the float or integer the decimal was stored as; PostgreSQL: the decimal) is
    `float()` of the ORM's decimal (SQLite's converter rounds to the 15 digits a stored
    decimal has, and the nearest float of those is the float it was stored as)."""
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field)
    col = field.get_col(model._meta.db_table)
    steps = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
    if not steps:
        return None

    def convert(value: Any) -> Any:
        for step in steps:
            value = step(value, col, connection)
        return value

    return convert


def fetch(sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Every row of one query, as tuples."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def instances(
    model: type[M], where: str = "", params: Sequence[Any] = (), order: str = ""
) -> list[M]:
    """Whole model instances (every concrete field, converted as the ORM converts it) of the
    rows `where` picks, in `order` — the ORM's instances without its query compiling, for a
    read every batch repeats."""
    fields = [f for f in model._meta.concrete_fields if isinstance(f, models.Field)]
    columns = ", ".join(column(model, f.name) for f in fields)
    text = f"SELECT {columns} FROM {table(model)}"
    if where:
        text += f" WHERE {where}"
    if order:
        text += f" ORDER BY {order}"
    steps = [converter(model, f.name) for f in fields]
    names = [f.attname for f in fields]
    alias = connection.alias
    return [
        model.from_db(
            alias,
            names,
            [v if step is None else step(v) for step, v in zip(steps, row, strict=True)],
        )
        for row in fetch(text, params)
    ]


def lock_clause(alias: str) -> str:
    """` FOR UPDATE OF alias` where the database locks rows read in a transaction
    (PostgreSQL); nothing on SQLite, whose writing transaction holds the database already."""
    if not connection.features.has_select_for_update:
        return ""
    if connection.features.has_select_for_update_of:
        return f" FOR UPDATE OF {alias}"
    return " FOR UPDATE"


def update(obj: models.Model, names: Sequence[str]) -> None:
    """Write these fields of a saved instance (`save(update_fields=…)` without its query
    compiling; no `save()`, no signals, as with `QuerySet.update`)."""
    model = type(obj)
    fields = [f for name in names if isinstance(f := model._meta.get_field(name), models.Field)]
    assert len(fields) == len(names) and all(f.column for f in fields)
    sets = ", ".join(f"{quote(str(f.column))} = %s" for f in fields)
    params = [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields]
    pk = model._meta.pk
    assert pk is not None
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table(model)} SET {sets} WHERE {quote(pk.column)} = %s", [*params, obj.pk]
        )


def insert(objs: Sequence[models.Model]) -> None:
    """Insert new instances of one model, each batch in one statement, and set their ids —
    `bulk_create` without its query compiling: the same rows (every field prepared by the
    field itself, `auto_now` stamps included), no `save()` and no signals, as with
    `bulk_create`. Where the database cannot return the new ids of a multi-row insert, it is
    `bulk_create`."""
    if not objs:
        return
    model = type(objs[0])
    opts = model._meta
    pk = opts.pk
    assert pk is not None and all(obj.pk is None for obj in objs), "new instances only"
    if not connection.features.can_return_rows_from_bulk_insert:
        model._default_manager.bulk_create(objs)
        return
    fields = [f for f in opts.concrete_fields if isinstance(f, models.Field) and f is not pk]
    columns = ", ".join(quote(f.column) for f in fields)
    marks = f"({', '.join(['%s'] * len(fields))})"
    size = max(1, connection.ops.bulk_batch_size(fields, list(objs)))
    with connection.cursor() as cursor:
        for start in range(0, len(objs), size):
            chunk = objs[start : start + size]
            params = [
                f.get_db_prep_save(f.pre_save(obj, True), connection)
                for obj in chunk
                for f in fields
            ]
            cursor.execute(
                f"INSERT INTO {table(model)} ({columns}) VALUES {', '.join([marks] * len(chunk))} "
                f"RETURNING {quote(pk.column)}",
                params,
            )
            for obj, (new_id,) in zip(chunk, cursor.fetchall(), strict=True):
                setattr(obj, pk.attname, new_id)
                obj._state.adding = False
                obj._state.db = connection.alias
