"""Reads of the indicator catalogue that the ingestion pipeline shares."""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from kaohe.core import sql
from kaohe.indicators.models import Indicator
from kaohe.indicators.values import ValueKind


class IndicatorRow(NamedTuple):
    """What the ingestion pipeline reads of an indicator: a plain row, not a model instance,
    with the model's names (so a step reads it as it would read an `Indicator`) and its
    `value_kind` worked out once."""

    pk: int
    code: str
    name_zh: str
    name_en: str
    unit_zh: str
    unit_en: str
    frequency: str
    value_type: str
    grade_labels: tuple[str, ...]
    min_value: float | None
    max_value: float | None
    responsible_department_id: int | None
    reported_by: str
    formula: str
    status: str
    value_kind: ValueKind

    @property
    def is_derived(self) -> bool:
        return bool(self.formula)


_FIELDS = (
    "id",
    "code",
    "name_zh",
    "name_en",
    "unit_zh",
    "unit_en",
    "frequency",
    "value_type",
    "grade_labels",
    "min_value",
    "max_value",
    "responsible_department",
    "reported_by",
    "formula",
    "status",
)


def _labels(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):  # a JSON document read as text (SQLite; psycopg's jsonb)
        value = json.loads(value)
    return tuple(value or ())


def indicator_rows() -> list[IndicatorRow]:
    """Every indicator of the catalogue, whatever its status, in code order (one query)."""
    columns = ", ".join(sql.column(Indicator, name) for name in _FIELDS)
    rows = sql.fetch(
        f"SELECT {columns} FROM {sql.table(Indicator)} ORDER BY {sql.column(Indicator, 'code')}"
    )
    out = []
    for (pk, code, name_zh, name_en, unit_zh, unit_en, frequency, value_type, grades, low, high,
         department, reported_by, formula, status) in rows:  # fmt: skip
        labels = _labels(grades)
        low = None if low is None else float(low)
        high = None if high is None else float(high)
        out.append(
            IndicatorRow(
                pk,
                code,
                name_zh,
                name_en,
                unit_zh,
                unit_en,
                frequency,
                value_type,
                labels,
                low,
                high,
                department,
                reported_by,
                formula,
                status,
                ValueKind(value_type, low, high, labels),
            )
        )
    return out
