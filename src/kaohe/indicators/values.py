"""The one reading of a value, for every door (form, Excel, CSV, REST API, stream).

`parse_number` turns what a door received into a decimal by one set of rules; `check_value`
then holds it to what the catalogue says of the indicator (its kind, its range, its labels).
The rule texts are English (the pure parsers and the API hand them to programs); the pages
translate them through `kaohe.observations.messages`. No Django import: the file parsers use
this module too.

The rules:
- a number arrives as a JSON or spreadsheet number, or as text that is a plain decimal in ASCII
  digits: an optional sign, digits, an optional point and decimals (``12.5``, ``-3``, ``.5``).
  No thousands separator (``1,234``), no underscore (``1_000``), no exponent, no unit or ``%``,
  no full-width or other script's digits (``１２``, ``١٢``) — each is refused, never guessed;
- at most six decimal places (the store keeps six): more is refused, not rounded. A binary
  number (JSON, Excel) is first read at Excel's 15 significant digits, so that 0.1 + 0.2 stored
  as 0.30000000000000004 reads as the 0.3 the sheet showed;
- finite and below 10^17 in magnitude.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = [
    "ValueKind",
    "ValueRejected",
    "check_value",
    "parse_number",
]

PLACES = 6
MAX_ABS = Decimal("1e17")
MAX_LABEL = 40
_QUANTUM = Decimal(1).scaleb(-PLACES)
_PLAIN_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", re.ASCII)

# --- the rule texts (messages.py lists them for translation) ---------------------------------
NOT_A_NUMBER = (
    "not a number: enter a plain decimal number such as 12.5 or -3.5 "
    "(no formula, unit, thousands separator or %)"
)
TOO_PRECISE = "at most 6 decimal places"
NOT_FINITE = "must be a finite number below 10^17"
VALUE_REQUIRED = "a value is required"
GRADE_REQUIRED = "a graded value is required"
NOT_WHOLE = "a count is a whole number"
NEGATIVE_COUNT = "a count cannot be negative"
NOT_A_LABEL = "not one of the grades of this indicator (%(labels)s)"
NO_LABELS = "the catalogue lists no grades for this indicator"
BELOW_MIN = "below the lowest plausible value %(min)s"
ABOVE_MAX = "above the highest plausible value %(max)s"

RULES = (
    NOT_A_NUMBER,
    TOO_PRECISE,
    NOT_FINITE,
    VALUE_REQUIRED,
    GRADE_REQUIRED,
    NOT_WHOLE,
    NEGATIVE_COUNT,
    NOT_A_LABEL,
    NO_LABELS,
    BELOW_MIN,
    ABOVE_MAX,
)


class ValueRejected(ValueError):
    """A value broke one rule; `rule` is its text (English, filled in)."""

    def __init__(self, rule: str) -> None:
        super().__init__(rule)
        self.rule = rule


def parse_number(raw: Any) -> Decimal:
    """The decimal `raw` stands for, by the rules above, or ValueRejected naming the rule."""
    if isinstance(raw, bool):
        raise ValueRejected(NOT_A_NUMBER)
    if isinstance(raw, numbers.Integral):
        number = Decimal(int(raw))
    elif isinstance(raw, float):
        if not math.isfinite(raw):
            raise ValueRejected(NOT_FINITE)
        number = Decimal(format(raw, ".15g"))
    elif isinstance(raw, Decimal):
        if not raw.is_finite():
            raise ValueRejected(NOT_FINITE)
        number = raw
    elif raw is None or (isinstance(raw, str) and not raw.strip()):
        raise ValueRejected(VALUE_REQUIRED)
    elif isinstance(raw, str):
        text = raw.strip()
        if _PLAIN_DECIMAL.fullmatch(text) is None:
            raise ValueRejected(NOT_A_NUMBER)
        try:
            number = Decimal(text)
        except InvalidOperation:  # pragma: no cover - the pattern admits only decimals
            raise ValueRejected(NOT_A_NUMBER) from None
    else:
        raise ValueRejected(NOT_A_NUMBER)
    if abs(number) >= MAX_ABS:
        raise ValueRejected(NOT_FINITE)
    exponent = number.as_tuple().exponent
    assert isinstance(exponent, int)
    if exponent < -PLACES and number != number.quantize(_QUANTUM):
        raise ValueRejected(TOO_PRECISE)
    return number.quantize(_QUANTUM) if exponent < -PLACES else number


@dataclass(frozen=True)
class ValueKind:
    """What the catalogue says a value of an indicator may be."""

    value_type: str  # amount, rate, count, index, grade (kaohe.indicators.models.ValueType)
    min_value: float | None = None
    max_value: float | None = None
    labels: Sequence[str] = ()

    @property
    def is_grade(self) -> bool:
        return self.value_type == "grade"


def check_value(raw: Any, kind: ValueKind) -> tuple[Decimal | None, str]:
    """(number, text) to store for `raw` as a value of `kind`, or ValueRejected.

    A graded value is one of the indicator's labels, as written; a count is a whole number
    ≥ 0; any number lies within the plausible range the catalogue gives."""
    if kind.is_grade:
        text = raw.strip() if isinstance(raw, str) else "" if raw is None else str(raw)
        if not text:
            raise ValueRejected(GRADE_REQUIRED)
        if not kind.labels:
            raise ValueRejected(NO_LABELS)
        if text not in kind.labels:
            raise ValueRejected(NOT_A_LABEL % {"labels": ", ".join(kind.labels)})
        return None, text
    number = parse_number(raw)
    if kind.value_type == "count":
        if number != number.to_integral_value():
            raise ValueRejected(NOT_WHOLE)
        if number < 0:
            raise ValueRejected(NEGATIVE_COUNT)
    if kind.min_value is not None and number < Decimal(str(kind.min_value)):
        raise ValueRejected(BELOW_MIN % {"min": format(kind.min_value, "g")})
    if kind.max_value is not None and number > Decimal(str(kind.max_value)):
        raise ValueRejected(ABOVE_MAX % {"max": format(kind.max_value, "g")})
    return number.quantize(_QUANTUM), ""
