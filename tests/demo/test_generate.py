"""Tests of the demo-city generator and its calibration (no Django)."""

from __future__ import annotations

import csv
import math
import re
import statistics
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from kaohe.demo import calibration as cal
from kaohe.demo.formula import evaluate_formula, formula_codes
from kaohe.demo.generate import (
    DEFAULT_YEARS,
    KEY_INDICATORS,
    PEOPLE_TOTAL,
    DemoCity,
    DemoPost,
    generate_demo_city,
)

DATA = Path(cal.__file__).parent / "data" / cal.PANEL_FILENAME

FLOWS = (
    "gdp",
    "fiscal_revenue",
    "tax_revenue",
    "fai",
    "industrial_investment",
    "private_investment",
    "fdi_actual",
    "retail_sales",
    "exports",
    "urban_income",
    "rural_income",
)

# Real prefecture-level cities the fictional names must not borrow: the panel's eleven and the
# other cities a reader would recognise.
REAL_CITIES = (
    "杭州", "宁波", "温州", "嘉兴", "湖州", "绍兴", "金华", "衢州", "舟山", "台州", "丽水",
    "青岛", "北京", "上海", "天津", "重庆", "广州", "深圳", "南京", "苏州", "无锡", "成都",
    "武汉", "西安", "厦门", "福州", "济南", "合肥", "长沙", "郑州", "泸州", "龙泉",
)  # fmt: skip


# The loader shows 2022–2026; the default is 2021–2025.
SEEDS_AND_YEARS = [(2025, DEFAULT_YEARS), (1, (2022, 2023, 2024, 2025, 2026)), (99, DEFAULT_YEARS)]


@pytest.fixture(scope="module")
def city() -> DemoCity:
    return generate_demo_city(2025)


def _posts(city: DemoCity) -> list[DemoPost]:
    return [
        post
        for unit in city.districts + city.departments
        for post in unit.leader_posts + tuple(p for d in unit.divisions for p in d.posts)
    ]


# --- determinism -------------------------------------------------------------------------------


def test_same_seed_gives_a_bit_identical_city(city: DemoCity) -> None:
    again = generate_demo_city(2025)
    assert again.fingerprint() == city.fingerprint()
    assert again.values.tobytes() == city.values.tobytes()
    assert again.districts == city.districts
    assert again.departments == city.departments


def test_another_seed_gives_another_city(city: DemoCity) -> None:
    other = generate_demo_city(7)
    assert other.fingerprint() != city.fingerprint()
    assert not np.array_equal(other.values, city.values, equal_nan=True)
    # The structure is the same, only names and figures change.
    assert [u.code for u in other.departments] == [u.code for u in city.departments]


def test_golden_values_pin_the_generator(city: DemoCity) -> None:
    # Any change to the generator changes the demo data; make that a deliberate decision.
    assert city.value("D01", "gdp", "2025Y") == 775.88
    assert [p.name for p in city.people()[:3]] == ["陈涛", "罗斌海", "张峰斌"]


def test_values_are_read_only_and_never_negative_zero(city: DemoCity) -> None:
    with pytest.raises(ValueError):
        city.values[0, 0, 0] = 1.0
    zeros = city.values[city.values == 0]
    assert not np.signbit(zeros).any()


def test_the_generator_does_not_import_django() -> None:
    code = (
        "import sys, kaohe.demo.generate as g; g.generate_demo_city(1); "
        "assert not [m for m in sys.modules if m.split('.')[0] == 'django'], 'django imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --- counts ------------------------------------------------------------------------------------


def test_unit_counts(city: DemoCity) -> None:
    assert len(city.districts) == 10
    assert Counter(u.kind for u in city.districts) == {"district": 7, "county_city": 3}
    assert {u.category_code for u in city.districts} == {"district"}
    assert len(city.departments) == 40
    assert Counter(u.category_code for u in city.departments) == {
        "dept_comprehensive": 9,
        "dept_economic": 12,
        "dept_social": 10,
        "dept_party": 9,
    }
    assert {len(u.divisions) for u in city.departments} == {2, 3, 4}
    assert sum(len(u.divisions) for u in city.departments) == 120


def test_categories(city: DemoCity) -> None:
    assert [(c.code, c.parent_code) for c in city.categories] == [
        ("district", None),
        ("department", None),
        ("dept_comprehensive", "department"),
        ("dept_economic", "department"),
        ("dept_social", "department"),
        ("dept_party", "department"),
    ]


def test_people_count_and_posts(city: DemoCity) -> None:
    people = city.people()
    assert len(people) == PEOPLE_TOTAL == 300
    assert {p.gender for p in people} == {"M", "F"}
    posts = _posts(city)
    assert {p.rank for p in posts} == {"head", "deputy_head", "division_chief", "staff"}
    for unit in city.districts + city.departments:
        # The head comes first, is always in post, and is the unit's only head.
        assert unit.leader_posts[0].rank == "head"
        assert unit.leader_posts[0].person is not None
        assert [p.rank for p in unit.leader_posts[1:]] == ["deputy_head"] * (
            len(unit.leader_posts) - 1
        )
        for division in unit.divisions:
            assert division.posts[0].rank == "division_chief"
            assert {p.rank for p in division.posts[1:]} <= {"staff"}


def test_codes_are_unique_and_readable(city: DemoCity) -> None:
    units = [u.code for u in city.districts + city.departments]
    divisions = [d.code for u in city.districts + city.departments for d in u.divisions]
    posts = [p.code for p in _posts(city)]
    people = [p.code for p in city.people()]
    indicators = [i.code for i in city.indicators]
    for codes in (units, divisions, posts, people, indicators):
        assert len(codes) == len(set(codes))
    assert units[:10] == [f"D{n:02d}" for n in range(1, 11)]
    assert all(re.fullmatch(r"DEPT_[A-Z]+", code) for code in units[10:])
    assert people == [f"P{n:04d}" for n in range(1, 301)]
    assert len({p.name for p in city.people()}) == 300


# --- calibration -------------------------------------------------------------------------------


def _independent_gdp_calibration() -> dict[str, float]:
    """The GDP calibration recomputed with the csv module and plain arithmetic."""
    level: dict[tuple[str, int], float] = {}
    with DATA.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["indicator"] == "gdp_100m_yuan":
                level[row["city"], int(row["year"])] = float(row["value"])
    cities = sorted({c for c, _ in level})
    years = sorted({y for _, y in level})
    growth = {
        (c, y): math.log(level[c, y]) - math.log(level[c, y - 1]) for c in cities for y in years[1:]
    }
    mu = sum(growth.values()) / len(growth)
    year_effect = {y: statistics.mean(growth[c, y] for c in cities) - mu for y in years[1:]}
    city_effect = {
        c: statistics.mean(growth[c, y] - mu - year_effect[y] for y in years[1:]) for c in cities
    }
    residual_ss = sum(
        (growth[c, y] - mu - year_effect[y] - city_effect[c]) ** 2
        for c in cities
        for y in years[1:]
    )
    dof = len(growth) - (len(years) - 1) - len(cities) + 1
    return {
        "mean_log_growth": mu,
        "common_volatility": statistics.stdev(year_effect.values()),
        "growth_volatility": math.sqrt(residual_ss / dof),
        "growth_spread": statistics.stdev(city_effect.values()),
        "level_spread": statistics.mean(
            statistics.stdev(math.log(level[c, y]) for c in cities) for y in years
        ),
        "median_level": statistics.median(level[c, years[-1]] for c in cities),
    }


def test_calibration_matches_an_independent_recomputation() -> None:
    gdp = cal.calibrate(cal.load_panel()).of("gdp_100m_yuan")
    expected = _independent_gdp_calibration()
    for name, value in expected.items():
        assert getattr(gdp, name) == pytest.approx(value, rel=1e-12, abs=1e-15), name
    assert (gdp.first_year, gdp.last_year, gdp.n_cities, gdp.n_growths) == (2012, 2022, 11, 110)


def test_calibration_golden_figures() -> None:
    calibration = cal.calibrate(cal.load_panel())
    gdp = calibration.of("gdp_100m_yuan")
    assert round(gdp.mean_log_growth, 6) == 0.078448
    assert round(gdp.common_volatility, 6) == 0.022767
    assert round(gdp.growth_volatility, 6) == 0.024040
    assert round(gdp.robust_volatility, 6) == 0.019664
    assert round(gdp.growth_spread, 6) == 0.006883
    assert round(gdp.level_spread, 6) == 0.784686
    assert gdp.median_level == 6041.0
    # The 2016 and 2020 population breaks are left out: 8 of 10 growth years remain.
    assert calibration.of("population_yearend_10k").n_growths == 88
    corr = np.array(calibration.growth_correlation)
    assert np.allclose(np.diag(corr), 1.0)
    assert np.linalg.eigvalsh(corr).min() > 0


def test_packaged_panel_is_read_without_the_shared_tree() -> None:
    panel = cal.load_panel()
    assert len(panel.cities) == 11
    assert panel.years == tuple(range(2012, 2023))
    assert panel.values.shape == (21, 11, 11)
    assert int(np.isfinite(panel.values).sum()) == 2002


# --- invariants of the values ------------------------------------------------------------------


def test_value_array_shape_and_reporting(city: DemoCity) -> None:
    assert city.years == (2021, 2022, 2023, 2024, 2025)
    assert city.periods[:4] == ("2021Q1", "2021H1", "2021Q3", "2021Y")
    assert city.values.shape == (10, 21, 20)
    assert city.value_units == tuple(f"D{n:02d}" for n in range(1, 11))
    basic = [i for i in city.indicators if i.formula is None]
    assert city.value_indicators == tuple(i.code for i in basic)
    year_end = np.array([p.endswith("Y") for p in city.periods])
    for indicator in basic:
        values = city.series(indicator.code)
        if indicator.frequency == "quarterly":
            assert np.isfinite(values).all(), indicator.code
        else:
            assert np.isfinite(values[:, year_end]).all(), indicator.code
            assert np.isnan(values[:, ~year_end]).all(), indicator.code


@pytest.mark.parametrize(("seed", "years"), SEEDS_AND_YEARS)
def test_cumulative_flows_increase_within_a_year(seed: int, years: tuple[int, ...]) -> None:
    city = generate_demo_city(seed, years)
    for code in FLOWS:
        by_year = city.series(code).reshape(10, 5, 4)
        assert (np.diff(by_year, axis=-1) > 0).all(), code
        assert (by_year > 0).all(), code


@pytest.mark.parametrize(("seed", "years"), SEEDS_AND_YEARS)
def test_parts_never_exceed_their_whole(seed: int, years: tuple[int, ...]) -> None:
    city = generate_demo_city(seed, years)
    assert (city.series("tax_revenue") <= city.series("fiscal_revenue")).all()
    assert (city.series("industrial_investment") <= city.series("fai")).all()
    assert (city.series("private_investment") <= city.series("fai")).all()
    assert (city.series("rural_income") < city.series("urban_income")).all()


@pytest.mark.parametrize(("seed", "years"), SEEDS_AND_YEARS)
def test_shares_and_rates_are_plausible(seed: int, years: tuple[int, ...]) -> None:
    city = generate_demo_city(seed, years)
    for code in (
        "tax_share",
        "industrial_investment_share",
        "private_investment_share",
        "four_new_share",
        "high_tech_share",
    ):
        values = city.series(code)
        values = values[np.isfinite(values)]
        assert ((values > 0) & (values < 100)).all(), code
    rd = city.series("rd_intensity")
    assert ((rd[np.isfinite(rd)] > 0) & (rd[np.isfinite(rd)] < 10)).all()
    for code in ("gdp_growth", "industry_va_growth", "fiscal_revenue_growth", "fai_growth"):
        assert (np.abs(city.series(code)) < 60).all(), code


def test_gdp_first_quarter_is_about_a_quarter_of_the_year(city: DemoCity) -> None:
    gdp = city.series("gdp").reshape(10, 5, 4)
    q1_share = gdp[..., 0] / gdp[..., 3]
    assert ((q1_share > 0.20) & (q1_share < 0.26)).all()


def test_reported_nominal_growth_matches_the_values(city: DemoCity) -> None:
    for growth, level in (("fiscal_revenue_growth", "fiscal_revenue"), ("fai_growth", "fai")):
        levels = city.series(level).reshape(10, 5, 4)
        expected = np.round((levels[:, 1:] / levels[:, :-1] - 1) * 100, 1)
        assert np.array_equal(city.series(growth).reshape(10, 5, 4)[:, 1:], expected)


def test_derived_indicators_follow_their_formulas(city: DemoCity) -> None:
    tax_share = city.series("tax_share")
    expected = city.series("tax_revenue") / city.series("fiscal_revenue") * 100
    assert np.array_equal(tax_share, expected)
    per_capita = city.series("gdp_per_capita")
    year_end = np.array([p.endswith("Y") for p in city.periods])
    assert np.isnan(per_capita[:, ~year_end]).all()
    assert np.array_equal(
        per_capita[:, year_end],
        city.series("gdp")[:, year_end] / city.series("population")[:, year_end] * 10000,
    )


# --- the catalogue -----------------------------------------------------------------------------


def test_indicator_catalogue(city: DemoCity) -> None:
    codes = [i.code for i in city.indicators]
    assert len(KEY_INDICATORS) == 16
    assert set(KEY_INDICATORS) <= set(codes)
    departments = {u.code for u in city.departments}
    basic = set(city.value_indicators)
    for item in city.indicators:
        assert item.direction in {"higher", "lower"}
        assert item.frequency in {"quarterly", "annual", "monthly"}
        assert item.value_type in {"amount", "rate", "count", "index"}
        assert item.responsible_department in departments
        assert item.name_zh and item.name_en and item.description_zh and item.description_en
        if item.formula is not None:
            assert re.fullmatch(r"[a-z_0-9 +\-*/().]+", item.formula)
            assert set(formula_codes(item.formula)) <= basic
    by_code = {i.code: i for i in city.indicators}
    assert by_code["gdp"].responsible_department == "DEPT_TJJ"
    assert by_code["fiscal_revenue"].responsible_department == "DEPT_CZJ"
    assert by_code["fdi_actual"].responsible_department == "DEPT_SWJ"
    assert by_code["tax_share"].formula == "tax_revenue / fiscal_revenue * 100"
    aspects = {(i.aspect_of, i.aspect): i.code for i in city.indicators if i.aspect}
    assert aspects[("gdp", "scale")] == "gdp"
    assert aspects[("gdp", "speed")] == "gdp_growth"
    assert aspects[("gdp", "quality")] == "gdp_per_capita"
    assert aspects[("fiscal_revenue", "quality")] == "tax_share"


def test_formulas_refuse_anything_but_arithmetic() -> None:
    assert evaluate_formula("(a + 2) * b / 4 - -1", lambda c: np.array(3.0)) == 4.75
    for bad in ("__import__('os')", "a.b", "a ** 2", "[a]", "'x'"):
        with pytest.raises(ValueError):
            formula_codes(bad)


def test_the_city_is_fictional(city: DemoCity) -> None:
    assert city.name_zh == "澜城市"
    assert city.office_name_zh == "澜城市委市政府督查考核办公室"
    names = [city.name_zh] + [u.name_zh for u in city.districts]
    for name in names:
        assert not any(real in name for real in REAL_CITIES), name
    english = [city.name_en] + [u.name_en for u in city.districts]
    panel_cities = cal.load_panel().cities
    assert not set(names) & set(panel_cities)
    assert not any(real in name for name in english for real in ("Luzhou", "Longquan"))


def test_years_must_be_consecutive() -> None:
    with pytest.raises(ValueError):
        generate_demo_city(1, years=(2021, 2023))
    short = generate_demo_city(1, years=(2024, 2025))
    assert short.periods == tuple(f"{y}{s}" for y in (2024, 2025) for s in ("Q1", "H1", "Q3", "Y"))
