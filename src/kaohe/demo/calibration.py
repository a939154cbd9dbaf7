"""Calibration of the demo city's dynamics on the real Zhejiang city panel.

The demo city is fictional, but how its figures move should look like a real Chinese economy.
This module reads the packaged panel of Zhejiang's 11 prefecture-level cities (2012–2022, from
the public statistical yearbooks) and estimates, per indicator, a two-way decomposition of the
annual log growth

    g[c, t] = log x[c, t] - log x[c, t-1] = mu + a[t] + b[c] + e[c, t]

where ``mu`` is the mean growth, ``a[t]`` the year effect shared by all cities (2020 shows up
here), ``b[c]`` the city's persistent growth advantage and ``e[c, t]`` the idiosyncratic
year-to-year shock.  On a balanced panel (every indicator of this panel is balanced over its
years) the effects below are exactly the least-squares estimates.

Pure Python and numpy: no Django import.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

__all__ = [
    "CORRELATED_INDICATORS",
    "PANEL_FILENAME",
    "STATISTICAL_BREAKS",
    "Calibration",
    "IndicatorCalibration",
    "Panel",
    "calibrate",
    "calibration_table",
    "load_panel",
]

PANEL_FILENAME = "zhejiang_city_main_indicators_2012_2022_yearbook.csv"

# The panel series the generator draws jointly; their shocks are correlated in the demo as they
# are in the panel (fiscal revenue moves with GDP, rural with urban income …).
CORRELATED_INDICATORS: tuple[str, ...] = (
    "gdp_100m_yuan",
    "general_budget_revenue_100m_yuan",
    "fixed_asset_investment_100m_yuan",
    "retail_sales_100m_yuan",
    "industry_va_100m_yuan",
    "exports_100m_usd",
    "urban_disposable_income_pc_yuan",
    "rural_disposable_income_pc_yuan",
    "population_yearend_10k",
)

# Growths that are statistical breaks, not growth: the yearbooks' year-end population switches
# from registered (户籍) to resident (常住) figures in 2016 (Hangzhou 724 → 919 万, Quzhou
# 256 → 216 万) and is re-based on the 7th census in 2020.  Per indicator, the years whose
# growth (from the year before) is left out.
STATISTICAL_BREAKS: dict[str, tuple[int, ...]] = {"population_yearend_10k": (2016, 2020)}

# Fewer common (city, year) cells than this and a pairwise growth correlation is noise: use 0.
_MIN_PAIR_CELLS = 20


@dataclass(frozen=True, eq=False)
class Panel:
    """A long ``city,year,indicator,value`` panel as a dense array.

    ``values[k, c, j]`` is indicator ``indicators[k]`` of city ``cities[c]`` in ``years[j]``;
    NaN where the yearbook has no figure.  Cities keep the file's order (the yearbook order);
    indicators and years are sorted, so the array does not depend on row order.
    """

    cities: tuple[str, ...]
    years: tuple[int, ...]
    indicators: tuple[str, ...]
    values: np.ndarray

    def series(self, indicator: str) -> np.ndarray:
        """The ``(city, year)`` matrix of one indicator (NaN where missing)."""
        return self.values[self.indicators.index(indicator)]


@dataclass(frozen=True)
class IndicatorCalibration:
    """Growth, volatility and spread of one panel indicator (log scale, per year).

    Attributes:
        indicator: the panel's indicator code, e.g. ``gdp_100m_yuan``.
        first_year, last_year: the years the indicator has figures for.
        n_cities: cities with figures.
        n_growths: finite year-on-year growth cells used.
        mean_log_growth: ``mu``, the mean of all annual log growths.
        common_volatility: standard deviation (ddof=1) of the year effects ``a[t]``: how much
            the whole province's growth swings from year to year.
        growth_volatility: residual standard deviation of ``e[c, t]`` with the two-way
            degrees of freedom ``n_growths - n_growth_years - n_cities + 1``: how much one
            city's growth swings around its own trend after the common swing is removed.
        robust_volatility: ``1.4826 * median |e[c, t]|``, the same volatility estimated so that
            one outlier city cannot dominate it (Zhoushan's industry: shipbuilding −30% in 2017,
            the petrochemical base +35% in 2020 double the classical figure).  The generator
            uses this one: a demo district should swing like a typical city.
        growth_spread: standard deviation (ddof=1) of the city effects ``b[c]``: how far
            apart cities' trend growths are.
        level_spread: mean over years of the cross-city standard deviation (ddof=1) of
            ``log x``: how unequal the cities' sizes are.
        median_level: median over cities of the level in ``last_year``, in panel units.
    """

    indicator: str
    first_year: int
    last_year: int
    n_cities: int
    n_growths: int
    mean_log_growth: float
    common_volatility: float
    growth_volatility: float
    robust_volatility: float
    growth_spread: float
    level_spread: float
    median_level: float


@dataclass(frozen=True)
class Calibration:
    """Per-indicator calibration plus the correlations the generator needs.

    ``growth_correlation`` is the correlation of the idiosyncratic shocks ``e[c, t]`` between
    ``correlated`` indicators over their common (city, year) cells; ``level_correlation`` the
    cross-city correlation of log levels, each indicator in its last year.  Both are projected
    to the nearest positive semi-definite correlation matrix (eigenvalues clipped at 1e-6) so
    that they can drive a Cholesky factor.
    """

    indicators: tuple[IndicatorCalibration, ...]
    correlated: tuple[str, ...]
    growth_correlation: tuple[tuple[float, ...], ...]
    level_correlation: tuple[tuple[float, ...], ...]

    def of(self, indicator: str) -> IndicatorCalibration:
        """The calibration of one panel indicator."""
        for item in self.indicators:
            if item.indicator == indicator:
                return item
        raise KeyError(indicator)


def load_panel(path: Path | str | None = None) -> Panel:
    """Read the packaged Zhejiang panel (or another long CSV with the same columns)."""
    if path is None:
        text = resources.files(__package__).joinpath("data", PANEL_FILENAME).read_text("utf-8")
    else:
        text = Path(path).read_text("utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    cities: list[str] = []
    for row in rows:
        if row["city"] not in cities:
            cities.append(row["city"])
    years = sorted({int(row["year"]) for row in rows})
    indicators = sorted({row["indicator"] for row in rows})
    values = np.full((len(indicators), len(cities), len(years)), np.nan)
    for row in rows:
        cell = (
            indicators.index(row["indicator"]),
            cities.index(row["city"]),
            years.index(int(row["year"])),
        )
        if not math.isnan(values[cell]):
            raise ValueError(f"duplicate panel row: {row}")
        values[cell] = float(row["value"])
    values.flags.writeable = False
    return Panel(tuple(cities), tuple(years), tuple(indicators), values)


def _growth(panel: Panel, indicator: str, breaks: Mapping[str, Sequence[int]]) -> np.ndarray:
    """Annual log growth on the ``(city, years[1:])`` grid; NaN if missing or a break year."""
    logs = np.log(panel.series(indicator))
    growth = logs[:, 1:] - logs[:, :-1]
    for year in breaks.get(indicator, ()):
        growth[:, panel.years.index(year) - 1] = np.nan
    return growth


def _two_way(growth: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """Split log growth into mean, year effects, city effects and residuals.

    Returns ``(mu, year_effects, city_effects, residuals)``.  Years and cities without any
    finite growth get a zero effect and NaN residuals, so the shapes stay the panel's.
    """
    finite = np.isfinite(growth)
    mu = float(np.mean(growth[finite]))
    cols = finite.any(axis=0)
    rows = finite.any(axis=1)
    year_effects = np.zeros(growth.shape[1])
    year_effects[cols] = np.nanmean(growth[:, cols], axis=0) - mu
    city_effects = np.zeros(growth.shape[0])
    city_effects[rows] = np.nanmean((growth - mu - year_effects)[rows], axis=1)
    residuals = growth - mu - year_effects[None, :] - city_effects[:, None]
    return mu, year_effects, city_effects, residuals


def _calibrate_one(
    panel: Panel, indicator: str, breaks: Mapping[str, Sequence[int]]
) -> IndicatorCalibration:
    levels = panel.series(indicator)
    growth = _growth(panel, indicator, breaks)
    finite = np.isfinite(growth)
    mu, year_effects, city_effects, residuals = _two_way(growth)
    n_years = int(finite.any(axis=0).sum())
    n_cities = int(finite.any(axis=1).sum())
    n_growths = int(finite.sum())
    dof = n_growths - n_years - n_cities + 1
    year_has = np.isfinite(levels).any(axis=0)
    years = [y for y, has in zip(panel.years, year_has, strict=True) if has]
    last = levels[:, panel.years.index(years[-1])]
    logs = np.log(levels[:, year_has])
    return IndicatorCalibration(
        indicator=indicator,
        first_year=years[0],
        last_year=years[-1],
        n_cities=int(np.isfinite(last).sum()),
        n_growths=n_growths,
        mean_log_growth=mu,
        common_volatility=(
            float(np.std(year_effects[finite.any(axis=0)], ddof=1)) if n_years > 1 else 0.0
        ),
        growth_volatility=float(math.sqrt(np.nansum(residuals**2) / dof)) if dof > 0 else 0.0,
        robust_volatility=float(1.4826 * np.nanmedian(np.abs(residuals))),
        growth_spread=float(np.std(city_effects[finite.any(axis=1)], ddof=1)),
        level_spread=float(np.mean(np.nanstd(logs, axis=0, ddof=1))),
        median_level=float(np.nanmedian(last)),
    )


def _nearest_correlation(matrix: np.ndarray) -> np.ndarray:
    """Clip negative eigenvalues and rescale to a unit diagonal (a valid correlation matrix)."""
    sym = (matrix + matrix.T) / 2
    eigenvalues, eigenvectors = np.linalg.eigh(sym)
    fixed = (eigenvectors * np.clip(eigenvalues, 1e-6, None)) @ eigenvectors.T
    scale = np.sqrt(np.diag(fixed))
    return fixed / np.outer(scale, scale)


def _freeze(matrix: np.ndarray) -> tuple[tuple[float, ...], ...]:
    return tuple(tuple(float(x) for x in row) for row in matrix)


def calibrate(
    panel: Panel,
    correlated: Sequence[str] = CORRELATED_INDICATORS,
    breaks: Mapping[str, Sequence[int]] = STATISTICAL_BREAKS,
) -> Calibration:
    """Calibrate every panel indicator that has a growth, and correlate ``correlated``.

    ``breaks`` names, per indicator, the years whose growth is a statistical break and is left
    out of every estimate.
    """
    items = tuple(
        _calibrate_one(panel, code, breaks)
        for code in panel.indicators
        if np.isfinite(_growth(panel, code, breaks)).any()
    )
    k = len(correlated)
    growth_corr = np.eye(k)
    level_corr = np.eye(k)
    residuals = [_two_way(_growth(panel, code, breaks))[3] for code in correlated]
    last_logs = []
    for code in correlated:
        levels = panel.series(code)
        last_year = int(np.flatnonzero(np.isfinite(levels).any(axis=0))[-1])
        last_logs.append(np.log(levels[:, last_year]))
    for i in range(k):
        for j in range(i + 1, k):
            both = np.isfinite(residuals[i]) & np.isfinite(residuals[j])
            if both.sum() >= _MIN_PAIR_CELLS:
                r = np.corrcoef(residuals[i][both], residuals[j][both])[0, 1]
                growth_corr[i, j] = growth_corr[j, i] = r
            level_r = np.corrcoef(last_logs[i], last_logs[j])[0, 1]
            level_corr[i, j] = level_corr[j, i] = level_r
    return Calibration(
        indicators=items,
        correlated=tuple(correlated),
        growth_correlation=_freeze(_nearest_correlation(growth_corr)),
        level_correlation=_freeze(_nearest_correlation(level_corr)),
    )


def calibration_table(calibration: Calibration) -> str:
    """The calibration as a Markdown table (``python -m kaohe.demo.calibration`` prints it)."""
    lines = [
        "| panel indicator | years | growths | mean growth | common vol. | own vol. "
        "| own vol. (robust) | growth spread | level spread | median level |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for item in calibration.indicators:
        lines.append(
            f"| `{item.indicator}` | {item.first_year}–{item.last_year} | {item.n_growths} "
            f"| {item.mean_log_growth:.4f} | {item.common_volatility:.4f} "
            f"| {item.growth_volatility:.4f} | {item.robust_volatility:.4f} "
            f"| {item.growth_spread:.4f} | {item.level_spread:.3f} | {item.median_level:,.1f} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(calibration_table(calibrate(load_panel())))
