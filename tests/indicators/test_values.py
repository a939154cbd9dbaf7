"""The one reading of a value (kaohe.indicators.values), by itself: no Django, no database."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kaohe.indicators.values import (
    ABOVE_MAX,
    NEGATIVE_COUNT,
    NOT_A_NUMBER,
    NOT_FINITE,
    NOT_WHOLE,
    TOO_PRECISE,
    VALUE_REQUIRED,
    ValueKind,
    ValueRejected,
    check_value,
    parse_number,
)


@pytest.mark.parametrize(
    ("raw", "number"),
    [
        (12, Decimal(12)),
        ("12.5", Decimal("12.5")),
        (" -3.5 ", Decimal("-3.5")),
        ("+.5", Decimal(".5")),
        ("7.", Decimal(7)),
        (0.1 + 0.2, Decimal("0.3")),  # a binary number read at 15 significant digits
        (1.000001, Decimal("1.000001")),
        ("0.1000000", Decimal("0.1")),  # trailing zeros are no extra precision
        (Decimal("2.50"), Decimal("2.50")),
        (10**16, Decimal(10**16)),
    ],
)
def test_a_plain_number_is_read_exactly(raw, number):  # type: ignore[no-untyped-def]
    assert parse_number(raw) == number


@pytest.mark.parametrize(
    ("raw", "rule"),
    [
        ("1,234", NOT_A_NUMBER),
        ("1_000", NOT_A_NUMBER),
        ("１２", NOT_A_NUMBER),
        ("١٢", NOT_A_NUMBER),
        ("१२", NOT_A_NUMBER),  # Devanagari digits
        ("1e3", NOT_A_NUMBER),
        ("12%", NOT_A_NUMBER),
        ("=1+1", NOT_A_NUMBER),
        ("NaN", NOT_A_NUMBER),
        ("Infinity", NOT_A_NUMBER),
        (True, NOT_A_NUMBER),
        ([1], NOT_A_NUMBER),
        (float("nan"), NOT_FINITE),
        (float("inf"), NOT_FINITE),
        (1e17, NOT_FINITE),
        ("-100000000000000000", NOT_FINITE),
        ("1.1234567", TOO_PRECISE),
        (1.1234567, TOO_PRECISE),
        ("", VALUE_REQUIRED),
        (None, VALUE_REQUIRED),
    ],
)
def test_anything_else_is_refused_naming_the_rule(raw, rule):  # type: ignore[no-untyped-def]
    with pytest.raises(ValueRejected) as caught:
        parse_number(raw)
    assert caught.value.rule == rule


def test_a_count_is_whole_and_not_negative_and_a_range_holds():  # type: ignore[no-untyped-def]
    count = ValueKind("count")
    assert check_value("3", count) == (Decimal("3.000000"), "")
    for raw, rule in ((0.5, NOT_WHOLE), (-1, NEGATIVE_COUNT)):
        with pytest.raises(ValueRejected) as caught:
            check_value(raw, count)
        assert caught.value.rule == rule
    share = ValueKind("rate", 0, 100)
    assert check_value(100, share)[0] == Decimal(100)
    with pytest.raises(ValueRejected) as caught:
        check_value("100.000001", share)
    assert caught.value.rule == ABOVE_MAX % {"max": "100"}
