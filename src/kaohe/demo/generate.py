"""Deterministic generator of Lancheng (澜城市), the fictional demo city.

``generate_demo_city(seed)`` builds the city's organisation (10 districts and county-level
cities, 40 municipal departments in 4 sub-categories, their divisions and 300 people), its
catalogue of district development indicators, and 5 years of cumulative quarterly values for
every district.  The figures are invented, but their annual growth, year-to-year volatility,
spread between units and correlations come from the real Zhejiang city panel
(``kaohe.demo.calibration``), scaled down to the size of a district.

Same seed, same city, bit for bit: every random number comes from numpy's PCG64 seeded with
``seed`` (independent streams for organisation, annual paths and seasonality, so a change in one
part leaves the others as they were), and nothing depends on set or dict iteration order.

Pure Python and numpy: no Django import.  ``kaohe.demo.load`` persists the result.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from kaohe.demo import catalogue
from kaohe.demo.calibration import Calibration, calibrate, load_panel
from kaohe.demo.indicators import INDICATORS, KEY_INDICATORS
from kaohe.demo.model import (
    DemoCategory,
    DemoCity,
    DemoDivision,
    DemoIndicator,
    DemoPerson,
    DemoPost,
    DemoUnit,
)
from kaohe.demo.names import draw_name

__all__ = [
    "DEFAULT_YEARS",
    "DISTRICT_SCALE",
    "KEY_INDICATORS",
    "PEOPLE_TOTAL",
    "DemoCategory",
    "DemoCity",
    "DemoDivision",
    "DemoIndicator",
    "DemoPerson",
    "DemoPost",
    "DemoUnit",
    "generate_demo_city",
]

DEFAULT_YEARS: tuple[int, ...] = (2021, 2022, 2023, 2024, 2025)

# A district is about an eighth of a median Zhejiang prefecture-level city (GDP 6,041 亿元 in
# 2022 → about 755 亿元), which is where real districts and county-level cities of the province
# sit (a few hundred to a few thousand 亿元).  Amounts and population are scaled by it;
# per-capita incomes are not.
DISTRICT_SCALE = 1 / 8

# People holding a post, city-wide; the staff posts absorb whatever the leadership leaves.
PEOPLE_TOTAL = 300

PERIOD_SUFFIXES: tuple[str, ...] = ("Q1", "H1", "Q3", "Y")

# Annual series driven by the panel: (series, panel indicator of its dynamics, panel indicator
# of its level, scale).  Exports take their dynamics from the USD series (2012–2018, six growths)
# and their level from the yuan series (2019–2022), as the demo reports exports in yuan.
_PANEL_SERIES: tuple[tuple[str, str, str, float], ...] = (
    ("gdp", "gdp_100m_yuan", "gdp_100m_yuan", DISTRICT_SCALE),
    (
        "fiscal_revenue",
        "general_budget_revenue_100m_yuan",
        "general_budget_revenue_100m_yuan",
        DISTRICT_SCALE,
    ),
    (
        "fai",
        "fixed_asset_investment_100m_yuan",
        "fixed_asset_investment_100m_yuan",
        DISTRICT_SCALE,
    ),
    ("retail_sales", "retail_sales_100m_yuan", "retail_sales_100m_yuan", DISTRICT_SCALE),
    ("industry_va", "industry_va_100m_yuan", "industry_va_100m_yuan", DISTRICT_SCALE),
    ("exports", "exports_100m_usd", "exports_100m_yuan", DISTRICT_SCALE),
    ("urban_income", "urban_disposable_income_pc_yuan", "urban_disposable_income_pc_yuan", 1.0),
    ("rural_income", "rural_disposable_income_pc_yuan", "rural_disposable_income_pc_yuan", 1.0),
    ("population", "population_yearend_10k", "population_yearend_10k", DISTRICT_SCALE),
)


@dataclass(frozen=True)
class _Walk:
    """An assumed annual path, for figures the panel does not have.

    In the transformed space (log, or logit for a share): start ``base`` ± ``level_spread``
    between districts, then grow by ``drift`` per year plus a district trend (sd
    ``growth_spread``), a shock common to all districts (sd ``common``) and an own shock (sd
    ``volatility``) — the same model as the panel series.  ``mean_reverting``: shocks pass
    instead of adding up; ``floor``: a level every district reaches on top of the path.
    """

    transform: str
    base: float
    level_spread: float
    drift: float
    common: float
    growth_spread: float
    volatility: float
    mean_reverting: bool = False
    floor: float = 0.0


# Assumptions, not calibration: the panel has no FDI, R&D, per-mu or structure figures.  Levels
# are those of Zhejiang around 2021 (R&D intensity 2.9%, high-tech share ~62% of industry,
# "four new" share ~28%, per-mu tax ~30 万元, tax ~82% of budget revenue).  FDI is lumpy (large,
# passing shocks) and every district attracts some: 0.2 亿美元 on top of a path around 1.05, so
# that even its smallest quarter is a reported 0.01 亿美元 or more.
_ASSUMED: dict[str, _Walk] = {
    "fdi_actual": _Walk("log", 1.05, 0.70, 0.03, 0.15, 0.03, 0.30, mean_reverting=True, floor=0.2),
    "per_mu_tax": _Walk("log", 30.0, 0.35, 0.05, 0.03, 0.02, 0.06),
    "rd_intensity": _Walk("log", 2.8, 0.30, 0.03, 0.02, 0.02, 0.05),
    "four_new_share": _Walk("logit", 0.27, 0.30, 0.04, 0.02, 0.02, 0.03),
    "high_tech_share": _Walk("logit", 0.60, 0.45, 0.05, 0.02, 0.02, 0.06),
    "tax_ratio": _Walk("logit", 0.82, 0.25, 0.0, 0.08, 0.03, 0.06),
    "industrial_ratio": _Walk("logit", 0.25, 0.35, 0.0, 0.05, 0.03, 0.10),
    "private_ratio": _Walk("logit", 0.55, 0.25, 0.0, 0.04, 0.02, 0.06),
}

# Cumulative share of the year's total at the end of Q1, H1 and Q3, from the national quarterly
# releases (2023: GDP 22.6/47.0/72.4%, retail 24.4/48.3/72.6%, FAI 21.3/48.3/74.6%, budget
# revenue 28.6/55.0/79.7% …), with a concentration for the district (how far a district's
# seasonality departs from it) and for the year (how much a year departs from the district's).
_SEASONS: dict[str, tuple[tuple[float, float, float], float, float]] = {
    "gdp": ((0.226, 0.470, 0.724), 5000.0, 20000.0),
    "industry_va": ((0.225, 0.475, 0.735), 3000.0, 10000.0),
    "fiscal_revenue": ((0.286, 0.550, 0.797), 1000.0, 3000.0),
    "fai": ((0.213, 0.483, 0.746), 1000.0, 3000.0),
    "retail_sales": ((0.244, 0.483, 0.726), 3000.0, 10000.0),
    "exports": ((0.238, 0.482, 0.740), 1000.0, 2000.0),
    "urban_income": ((0.278, 0.509, 0.761), 10000.0, 30000.0),
    "rural_income": ((0.283, 0.451, 0.724), 5000.0, 20000.0),
    "fdi_actual": ((0.300, 0.550, 0.780), 200.0, 300.0),
}

# Price changes between nominal and real growth, common to all districts: (mean, sd) in %.
_GDP_DEFLATOR = (1.5, 1.0)
_INDUSTRY_DEFLATOR = (0.5, 2.0)
# Energy intensity drop (%): mean, district sd, year sd, own sd; clipped to a plausible range.
_ENERGY_DROP = (3.0, 0.8, 1.2, 1.5, (-6.0, 12.0))


def _logit(p: float) -> float:
    return float(np.log(p / (1 - p)))


def _expit(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def _simulate(
    rng: np.random.Generator,
    base: np.ndarray,
    level_spread: np.ndarray,
    drift: np.ndarray,
    common: np.ndarray,
    growth_spread: np.ndarray,
    volatility: np.ndarray,
    level_corr: np.ndarray,
    growth_corr: np.ndarray,
    n_units: int,
    n_years: int,
    mean_reverting: bool = False,
) -> np.ndarray:
    """Paths ``x[u, t, k]`` (transformed scale) of ``k`` series for ``u`` units over ``t`` years.

    ``x[u, 0] = base + level_spread * z[u]`` with ``z`` correlated by ``level_corr``; then
    ``x[u, t] - x[u, t-1] = drift + a[t] + b[u] + e[u, t]`` with year effects ``a``, unit trends
    ``b`` and own shocks ``e``, each correlated across series by ``growth_corr``.  A
    ``mean_reverting`` series instead has ``x[u, t] = x[u, 0] + t * (drift + b[u]) + a[t] +
    e[u, t]``: its shocks pass, as a lumpy FDI year does.
    """
    k = len(base)
    level_chol = np.linalg.cholesky(level_corr)
    growth_chol = np.linalg.cholesky(growth_corr)
    # Sizes within two standard deviations of the panel's median: the panel's spread without
    # the tail that would make a 40 亿元 or a 15,000 亿元 "district" once in a few hundred seeds.
    z = np.clip(rng.standard_normal((n_units, k)) @ level_chol.T, -2.0, 2.0)
    trend = rng.standard_normal((n_units, k)) @ growth_chol.T * growth_spread
    year = rng.standard_normal((n_years - 1, k)) @ growth_chol.T * common
    own = rng.standard_normal((n_units, n_years - 1, k)) @ growth_chol.T * volatility
    start = base + level_spread * z
    if mean_reverting:
        t = np.arange(1, n_years)[None, :, None]
        later = start[:, None, :] + t * (drift + trend[:, None, :]) + year[None, :, :] + own
    else:
        steps = drift + year[None, :, :] + trend[:, None, :] + own
        later = start[:, None, :] + np.cumsum(steps, axis=1)
    return np.concatenate([start[:, None, :], later], axis=1)


def _annual_paths(
    rng: np.random.Generator, calibration: Calibration, years: Sequence[int]
) -> dict[str, np.ndarray]:
    """Annual ``(unit, year)`` levels of every panel-driven and assumed series."""
    n_units, n_years = len(catalogue.DISTRICTS), len(years)
    dyn = [calibration.of(d) for _, d, _, _ in _PANEL_SERIES]
    lev = [calibration.of(v) for _, _, v, _ in _PANEL_SERIES]
    # The panel's median level, moved from its last year to the first simulated year at the
    # panel's own mean growth, then scaled to a district.
    base = np.array(
        [
            np.log(lv.median_level * scale) + dy.mean_log_growth * (years[0] - lv.last_year)
            for dy, lv, (_, _, _, scale) in zip(dyn, lev, _PANEL_SERIES, strict=True)
        ]
    )
    order = [d for _, d, _, _ in _PANEL_SERIES]
    pick = [calibration.correlated.index(code) for code in order]
    growth_corr = np.array(calibration.growth_correlation)[np.ix_(pick, pick)]
    level_corr = np.array(calibration.level_correlation)[np.ix_(pick, pick)]
    panel_paths = _simulate(
        rng,
        base,
        np.array([lv.level_spread for lv in lev]),
        np.array([dy.mean_log_growth for dy in dyn]),
        np.array([dy.common_volatility for dy in dyn]),
        np.array([dy.growth_spread for dy in dyn]),
        np.array([dy.robust_volatility for dy in dyn]),
        level_corr,
        growth_corr,
        n_units,
        n_years,
    )
    paths = {name: np.exp(panel_paths[:, :, k]) for k, (name, *_) in enumerate(_PANEL_SERIES)}
    for name, walk in _ASSUMED.items():
        start = np.log(walk.base) if walk.transform == "log" else _logit(walk.base)
        x = _simulate(
            rng,
            np.array([start]),
            np.array([walk.level_spread]),
            np.array([walk.drift]),
            np.array([walk.common]),
            np.array([walk.growth_spread]),
            np.array([walk.volatility]),
            np.eye(1),
            np.eye(1),
            n_units,
            n_years,
            walk.mean_reverting,
        )[:, :, 0]
        paths[name] = walk.floor + (np.exp(x) if walk.transform == "log" else _expit(x))
    mean, district_sd, year_sd, own_sd, (low, high) = _ENERGY_DROP
    energy = (
        mean
        + district_sd * rng.standard_normal((n_units, 1))
        + year_sd * rng.standard_normal((1, n_years))
        + own_sd * rng.standard_normal((n_units, n_years))
    )
    paths["energy_intensity_drop"] = np.clip(energy, low, high)
    return paths


def _quarter_shares(rng: np.random.Generator, shape: tuple[int, int], series: str) -> np.ndarray:
    """Share of each quarter in the year's total, ``(unit, year, 4)``, rows summing to 1.

    Dirichlet draws (as normalised gammas, vectorised): a district's seasonality around the
    national one, then each year's around the district's.
    """
    cumulative, kappa_district, kappa_year = _SEASONS[series]
    national = np.diff(np.array([0.0, *cumulative, 1.0]))
    g = rng.standard_gamma(np.broadcast_to(national * kappa_district, (shape[0], 4)))
    district = g / g.sum(axis=-1, keepdims=True)
    g = rng.standard_gamma(np.broadcast_to(district[:, None, :] * kappa_year, (*shape, 4)))
    return g / g.sum(axis=-1, keepdims=True)


def _split(
    rng: np.random.Generator, quarters: np.ndarray, ratio: np.ndarray, sd: float
) -> np.ndarray:
    """A part of a quarterly flow: ``quarters * r`` with ``r`` around the annual ``ratio``.

    The quarter's ratio wanders around the year's on the logit scale, so a part is always
    strictly between 0 and its whole, quarter by quarter and hence cumulatively too.
    """
    noise = sd * rng.standard_normal(quarters.shape)
    return quarters * _expit(np.log(ratio / (1 - ratio))[..., None] + noise)


def _cumulate(quarters: np.ndarray, decimals: int) -> np.ndarray:
    """Cumulative ``Q1, H1, Q3, Y`` values rounded as reported."""
    return np.round(np.cumsum(quarters, axis=-1), decimals)


def _growth(cum: np.ndarray) -> np.ndarray:
    """Growth (%) of each cumulative period on the same period a year before, ``(u, t-1, 4)``."""
    return (cum[:, 1:, :] / cum[:, :-1, :] - 1) * 100


def _real(nominal: np.ndarray, deflator: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """Real growth (%) from nominal growth and a yearly price change (%)."""
    return ((1 + nominal / 100) / (1 + deflator[None, :, None] / 100) - 1) * 100 + noise


def _district_values(
    seed: int, calibration: Calibration, years: Sequence[int]
) -> dict[str, np.ndarray]:
    """Every basic indicator as ``(unit, reported year, 4 periods)``, NaN where not reported."""
    annual_rng, season_rng = (
        np.random.Generator(np.random.PCG64(s)) for s in np.random.SeedSequence([seed, 1]).spawn(2)
    )
    # One year before the first is simulated too, so that the first year has its growth rates.
    sim_years = [years[0] - 1, *years]
    paths = _annual_paths(annual_rng, calibration, sim_years)
    shape = (len(catalogue.DISTRICTS), len(sim_years))
    decimals = {ind.code: ind.decimals for ind in INDICATORS}

    def quarters(series: str) -> np.ndarray:
        return paths[series][..., None] * _quarter_shares(season_rng, shape, series)

    flows = {
        name: quarters(name)
        for name in (
            "gdp",
            "industry_va",
            "fiscal_revenue",
            "fai",
            "retail_sales",
            "exports",
            "urban_income",
            "rural_income",
            "fdi_actual",
        )
    }
    flows["tax_revenue"] = _split(season_rng, flows["fiscal_revenue"], paths["tax_ratio"], 0.08)
    flows["industrial_investment"] = _split(
        season_rng, flows["fai"], paths["industrial_ratio"], 0.10
    )
    flows["private_investment"] = _split(season_rng, flows["fai"], paths["private_ratio"], 0.06)
    cum = {name: _cumulate(q, decimals.get(name, 2)) for name, q in flows.items()}

    gdp_deflator = season_rng.normal(*_GDP_DEFLATOR, size=len(years))
    industry_deflator = season_rng.normal(*_INDUSTRY_DEFLATOR, size=len(years))
    growth_shape = (shape[0], len(years), 4)
    out = {name: cum[name][:, 1:, :] for name in cum if name != "industry_va"}
    out["gdp_growth"] = np.round(
        _real(_growth(cum["gdp"]), gdp_deflator, 0.3 * season_rng.standard_normal(growth_shape)),
        1,
    )
    out["industry_va_growth"] = np.round(
        _real(
            _growth(cum["industry_va"]),
            industry_deflator,
            0.5 * season_rng.standard_normal(growth_shape),
        ),
        1,
    )
    out["fiscal_revenue_growth"] = np.round(_growth(cum["fiscal_revenue"]), 1)
    out["fai_growth"] = np.round(_growth(cum["fai"]), 1)

    annual_only = {
        "population": paths["population"],
        "four_new_share": paths["four_new_share"] * 100,
        "high_tech_share": paths["high_tech_share"] * 100,
        "rd_intensity": paths["rd_intensity"],
        "energy_intensity_drop": paths["energy_intensity_drop"],
        "per_mu_tax": paths["per_mu_tax"],
    }
    for name, levels in annual_only.items():
        block = np.full(growth_shape, np.nan)
        block[:, :, 3] = np.round(levels[:, 1:], decimals[name])
        out[name] = block
    return out


def _head_titles(name_zh: str) -> tuple[str, str, str, str]:
    for suffix, head_zh, head_en, deputy_zh, deputy_en in catalogue.HEAD_TITLES:
        if name_zh.endswith(suffix):
            return head_zh, head_en, deputy_zh, deputy_en
    raise ValueError(f"no head title for {name_zh}")


def _chief_title(name_zh: str) -> tuple[str, str]:
    for suffix, title_zh, title_en in catalogue.CHIEF_TITLES:
        if name_zh.endswith(suffix):
            return title_zh, title_en
    raise ValueError(f"no chief title for {name_zh}")


class _People:
    """Hands out fictional people with consecutive codes P0001, P0002 …"""

    # Share of women by rank: fewer at the top, as in most Chinese government offices.
    FEMALE: ClassVar[dict[str, float]] = {
        "head": 0.2,
        "deputy_head": 0.3,
        "division_chief": 0.35,
        "staff": 0.5,
    }

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.taken: set[str] = set()
        self.count = 0

    def post(self, code: str, title: tuple[str, str], rank: str, filled: bool) -> DemoPost:
        person = None
        if filled:
            self.count += 1
            gender = "F" if self.rng.random() < self.FEMALE[rank] else "M"
            name = draw_name(self.rng, gender, self.taken)
            person = DemoPerson(code=f"P{self.count:04d}", name=name, gender=gender)
        return DemoPost(code=code, title_zh=title[0], title_en=title[1], rank=rank, person=person)


def _organisation(seed: int) -> tuple[tuple[DemoUnit, ...], tuple[DemoUnit, ...]]:
    """Districts and departments with their divisions, posts and exactly PEOPLE_TOTAL people."""
    plan_rng, people_rng = (
        np.random.Generator(np.random.PCG64(s)) for s in np.random.SeedSequence([seed, 0]).spawn(2)
    )
    # Plan first (vacancies, staff per division), so that the staff posts can make up exactly
    # PEOPLE_TOTAL whatever the vacancies; then fill the posts in a fixed order.
    deputy_filled = [
        [bool(plan_rng.random() >= 0.1) for _ in range(deputies)]
        for _, _, _, _, deputies, _ in catalogue.DEPARTMENTS
    ]
    chief_filled = [
        [bool(plan_rng.random() >= 0.05) for _ in divisions]
        for *_, divisions in catalogue.DEPARTMENTS
    ]
    district_people = len(catalogue.DISTRICTS) * (len(catalogue.DISTRICT_LEADER_POSTS) + 2)
    department_people = sum(
        1 + sum(d) + sum(c) for d, c in zip(deputy_filled, chief_filled, strict=True)
    )
    n_staff = PEOPLE_TOTAL - district_people - department_people
    slots = [(i, j) for i, dept in enumerate(catalogue.DEPARTMENTS) for j in range(len(dept[5]))]
    if n_staff < 0:
        raise ValueError("the leadership alone exceeds PEOPLE_TOTAL")
    # Round-robin over a shuffled order of divisions: every division gets n // m or one more.
    staff = [n_staff // len(slots)] * len(slots)
    for k in plan_rng.permutation(len(slots))[: n_staff % len(slots)]:
        staff[int(k)] += 1
    staff_per = dict(zip(slots, staff, strict=True))

    people = _People(people_rng)
    districts = []
    for code, name_zh, name_en, kind in catalogue.DISTRICTS:
        x, big_x = ("区", "District") if kind == "district" else ("市", "City")
        leaders = tuple(
            people.post(
                f"{code}-L{n}",
                (zh.format(x=x), en.format(X=big_x)),
                rank,
                True,
            )
            for n, (zh, en, rank) in enumerate(catalogue.DISTRICT_LEADER_POSTS, start=1)
        )
        office_zh, office_en = catalogue.DISTRICT_DIVISION
        office = DemoDivision(
            code=f"{code}-01",
            name_zh=office_zh.format(x=x),
            name_en=office_en.format(X=big_x),
            posts=(
                people.post(f"{code}-01-C", ("主任", "Director"), "division_chief", True),
                people.post(
                    f"{code}-01-S1", ("考核联络员", "Assessment Liaison Officer"), "staff", True
                ),
            ),
        )
        districts.append(DemoUnit(code, name_zh, name_en, kind, "district", (office,), leaders))

    departments = []
    for i, (code, name_zh, name_en, category, _, divisions) in enumerate(catalogue.DEPARTMENTS):
        head_zh, head_en, deputy_zh, deputy_en = _head_titles(name_zh)
        leaders = (
            people.post(f"{code}-HEAD", (head_zh, head_en), "head", True),
            *(
                people.post(f"{code}-DEP{n}", (deputy_zh, deputy_en), "deputy_head", filled)
                for n, filled in enumerate(deputy_filled[i], start=1)
            ),
        )
        built = []
        for j, division in enumerate(divisions):
            div_zh, div_en = division.split("|")
            div_code = f"{code}-{j + 1:02d}"
            posts = [
                people.post(
                    f"{div_code}-C", _chief_title(div_zh), "division_chief", chief_filled[i][j]
                )
            ]
            for n in range(staff_per[(i, j)]):
                title = catalogue.STAFF_TITLES[int(plan_rng.integers(len(catalogue.STAFF_TITLES)))]
                posts.append(people.post(f"{div_code}-S{n + 1}", title, "staff", True))
            built.append(DemoDivision(div_code, div_zh, div_en, tuple(posts)))
        departments.append(
            DemoUnit(code, name_zh, name_en, "department", category, tuple(built), leaders)
        )
    return tuple(districts), tuple(departments)


def generate_demo_city(
    seed: int = 2025,
    years: tuple[int, ...] = DEFAULT_YEARS,
    calibration: Calibration | None = None,
) -> DemoCity:
    """Generate the fictional city of Lancheng for ``seed`` over ``years`` (consecutive).

    ``calibration`` defaults to the packaged Zhejiang panel's; pass one to reuse it.
    """
    if not years or list(years) != list(range(years[0], years[0] + len(years))):
        raise ValueError(f"years must be consecutive and increasing, got {years}")
    if calibration is None:
        calibration = calibrate(load_panel(), correlated=tuple(d for _, d, _, _ in _PANEL_SERIES))
    districts, departments = _organisation(seed)
    by_code = _district_values(seed, calibration, years)
    basic = tuple(ind.code for ind in INDICATORS if ind.formula is None)
    periods = tuple(f"{y}{s}" for y in years for s in PERIOD_SUFFIXES)
    values = np.stack(
        [by_code[code].reshape(len(districts), len(periods)) for code in basic], axis=1
    )
    # Adding 0.0 turns the -0.0 that rounding leaves (a growth of -0.04%) into 0.0, so that a
    # loader writing repr(value) stores "0.0", not "-0.0".
    values = values + 0.0
    values.flags.writeable = False
    return DemoCity(
        seed=seed,
        name_zh=catalogue.CITY_NAME_ZH,
        name_en=catalogue.CITY_NAME_EN,
        office_name_zh=catalogue.OFFICE_NAME_ZH,
        office_name_en=catalogue.OFFICE_NAME_EN,
        categories=tuple(DemoCategory(*row) for row in catalogue.CATEGORIES),
        districts=districts,
        departments=departments,
        indicators=INDICATORS,
        years=tuple(years),
        periods=periods,
        values=values,
        value_units=tuple(unit.code for unit in districts),
        value_indicators=basic,
    )
