"""The demo city as immutable records: what the Django loader persists.

Field names are a contract with ``kaohe.demo.load``; change them only together with it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from kaohe.demo.formula import evaluate_formula

__all__ = [
    "DemoCategory",
    "DemoCity",
    "DemoDivision",
    "DemoIndicator",
    "DemoPerson",
    "DemoPost",
    "DemoUnit",
]


@dataclass(frozen=True)
class DemoCategory:
    """A unit category: 'district' (区市), 'department' (市直单位) and its four sub-categories."""

    code: str
    name_zh: str
    name_en: str
    parent_code: str | None


@dataclass(frozen=True)
class DemoPerson:
    """A fictional person; ``gender`` is 'M' or 'F'."""

    code: str
    name: str
    gender: str


@dataclass(frozen=True)
class DemoPost:
    """A post in a unit or division; ``person`` is None while the post is vacant.

    ``rank`` is one of 'head', 'deputy_head', 'division_chief', 'staff'.
    """

    code: str
    title_zh: str
    title_en: str
    rank: str
    person: DemoPerson | None


@dataclass(frozen=True)
class DemoDivision:
    """A division (处室) of a unit with its posts, chief first."""

    code: str
    name_zh: str
    name_en: str
    posts: tuple[DemoPost, ...]


@dataclass(frozen=True)
class DemoUnit:
    """An assessed unit.

    ``kind`` is 'district', 'county_city' or 'department'; ``leader_posts`` are the unit's head
    and deputies, head first.
    """

    code: str
    name_zh: str
    name_en: str
    kind: str
    category_code: str | None
    divisions: tuple[DemoDivision, ...]
    leader_posts: tuple[DemoPost, ...]


@dataclass(frozen=True)
class DemoIndicator:
    """An indicator of the catalogue (PRODUCT.md §1.4).

    ``direction`` 'higher'|'lower'; ``frequency`` 'quarterly'|'annual'|'monthly';
    ``value_type`` 'amount'|'rate'|'count'|'index'; ``responsible_department`` a department's
    unit code; ``formula`` an expression over other indicator codes with only ``+ - * / ( )``
    and numbers (None for a basic indicator); ``aspect_of``/``aspect`` place the indicator as
    the 'scale', 'speed' or 'quality' aspect of a key indicator (None otherwise);
    ``min_value``/``max_value`` the plausible range (an amount is not negative, a share lies
    within 0–100, a growth rate above −100).
    """

    code: str
    name_zh: str
    name_en: str
    unit_zh: str
    unit_en: str
    direction: str
    frequency: str
    value_type: str
    decimals: int
    responsible_department: str | None
    formula: str | None
    aspect_of: str | None
    aspect: str | None
    description_zh: str
    description_en: str
    min_value: float | None = None  # the plausible range the catalogue holds values to
    max_value: float | None = None


# eq=False: ``values`` is an array, so field-wise equality would be ambiguous; compare two cities
# with ``fingerprint()`` instead.
@dataclass(frozen=True, eq=False)
class DemoCity:
    """The whole fictional city: organisation, indicator catalogue and district values.

    ``values[u, i, p]`` is the value of basic indicator ``value_indicators[i]`` for district
    ``value_units[u]`` in reporting period ``periods[p]``: cumulative from January for flows
    ('2021Q1', '2021H1' = Jan–Jun, '2021Q3' = Jan–Sep, '2021Y'), the period-end level for
    stocks and rates, NaN where the indicator is not reported (annual indicators have only
    the 'Y' period).  The array is read-only.
    """

    seed: int
    name_zh: str
    name_en: str
    office_name_zh: str
    office_name_en: str
    categories: tuple[DemoCategory, ...]
    districts: tuple[DemoUnit, ...]
    departments: tuple[DemoUnit, ...]
    indicators: tuple[DemoIndicator, ...]
    years: tuple[int, ...]
    periods: tuple[str, ...]
    values: np.ndarray
    value_units: tuple[str, ...]
    value_indicators: tuple[str, ...]

    def value(self, unit: str, indicator: str, period: str) -> float:
        """One value by codes (NaN if not reported)."""
        return float(
            self.values[
                self.value_units.index(unit),
                self.value_indicators.index(indicator),
                self.periods.index(period),
            ]
        )

    def series(self, indicator: str) -> np.ndarray:
        """``(unit, period)`` values of any indicator, a derived one computed by its formula.

        A derived value is NaN where one of its inputs is not reported (GDP per capita exists
        only for 'Y' periods, as the population is annual).
        """
        if indicator in self.value_indicators:
            return self.values[:, self.value_indicators.index(indicator), :]
        for item in self.indicators:
            if item.code == indicator and item.formula is not None:
                return evaluate_formula(item.formula, self.series)
        raise KeyError(indicator)

    def people(self) -> tuple[DemoPerson, ...]:
        """Every person holding a post, in code order."""
        found = [
            post.person
            for unit in self.districts + self.departments
            for post in unit.leader_posts + tuple(p for d in unit.divisions for p in d.posts)
            if post.person is not None
        ]
        return tuple(sorted(found, key=lambda person: person.code))

    def fingerprint(self) -> str:
        """SHA-256 of everything in the city: equal fingerprints mean bit-identical cities."""
        digest = hashlib.sha256()
        head = (
            self.seed,
            self.name_zh,
            self.name_en,
            self.office_name_zh,
            self.office_name_en,
            self.categories,
            self.districts,
            self.departments,
            self.indicators,
            self.years,
            self.periods,
            self.value_units,
            self.value_indicators,
            self.values.shape,
            str(self.values.dtype),
        )
        digest.update(repr(head).encode("utf-8"))
        digest.update(np.ascontiguousarray(self.values).tobytes())
        return digest.hexdigest()
