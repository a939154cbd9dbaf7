"""Deterministic evaluation inputs for the demo city: annual targets, ratings, survey results and
events — the non-statistical inputs the demo schemes read. Pure (numpy only)."""

from __future__ import annotations

import math

import numpy as np

from kaohe.demo.model import DemoCity

REFORM = ("A", "B", "C", "D")
PARTY = ("好", "较好", "一般", "差")
PRACTICE = ("", "city", "province", "national")
# The districts' values that come from a demo survey instead (`demo.surveys`, fed through the
# pipeline when the survey closes): (indicator, year).
SURVEY_FED = frozenset({("satisfaction", 2025)})


def _pick(rng: np.random.Generator, labels: tuple[str, ...], p: tuple[float, ...]) -> str:
    return str(labels[int(rng.choice(len(labels), p=np.asarray(p)))])


def evaluation_values(city: DemoCity, year: int) -> list[tuple[str, str, str, object]]:
    """(unit code, indicator code, period, value) for one year's full-year evaluation inputs.

    Targets follow the previous year's outcome (fiscal revenue +4–8 %, foreign capital +0–10 %);
    one district has a proven statistical-fraud case in the last year, so the demo shows a veto."""
    rng = np.random.default_rng([city.seed, year, 7])
    rows: list[tuple[str, str, str, object]] = []
    period = f"{year}Y"

    def previous(unit: str, code: str) -> float:
        try:
            return city.value(unit, code, f"{year - 1}Y")
        except (KeyError, ValueError):
            return math.nan

    last_year = max(city.years) - 1
    for index, unit in enumerate(city.districts):
        code = unit.code
        fiscal = previous(code, "fiscal_revenue")
        fdi = previous(code, "fdi_actual")
        if not math.isnan(fiscal):
            rows.append(
                (
                    code,
                    "fiscal_revenue_target",
                    period,
                    round(fiscal * (1.04 + 0.04 * rng.random()), 2),
                )
            )
        if not math.isnan(fdi):
            rows.append((code, "fdi_target", period, round(fdi * (1.0 + 0.1 * rng.random()), 2)))
        rows += [
            (
                code,
                "offensive_completion",
                period,
                round(float(np.clip(rng.normal(93, 5), 70, 100)), 1),
            ),
            (
                code,
                "satisfaction",
                period,
                round(float(np.clip(rng.normal(93.5, 2.5), 82, 99.5)), 2),
            ),
            (code, "reform_rating", period, _pick(rng, REFORM, (0.3, 0.45, 0.2, 0.05))),
            (code, "party_building_rating", period, _pick(rng, PARTY, (0.45, 0.4, 0.12, 0.03))),
            (code, "practice_level", period, _pick(rng, PRACTICE, (0.45, 0.3, 0.18, 0.07))),
            (code, "monthly_rank", period, int(rng.permutation(len(city.districts))[index] + 1)),
            (code, "serious_accidents", period, int(rng.poisson(0.3))),
            (code, "public_criticism", period, int(rng.poisson(0.2))),
            (code, "stat_fraud_cases", period, 1 if (year == last_year and index == 6) else 0),
            (code, "major_accidents", period, 0),
        ]
    for unit in city.departments:
        code = unit.code
        rows += [
            (
                code,
                "key_goal_completion",
                period,
                round(float(np.clip(rng.normal(97, 3), 85, 100)), 1),
            ),
            (code, "excellence_score", period, round(float(np.clip(rng.normal(88, 5), 70, 99)), 1)),
            (
                code,
                "offensive_completion",
                period,
                round(float(np.clip(rng.normal(93, 5), 70, 100)), 1),
            ),
            (code, "reform_rating", period, _pick(rng, REFORM, (0.3, 0.45, 0.2, 0.05))),
            (code, "biz_env_score", period, round(float(np.clip(rng.normal(86, 6), 65, 99)), 1)),
            (
                code,
                "satisfaction",
                period,
                round(float(np.clip(rng.normal(93.5, 2.5), 82, 99.5)), 2),
            ),
            (code, "party_building_rating", period, _pick(rng, PARTY, (0.45, 0.4, 0.12, 0.03))),
            (code, "practice_level", period, _pick(rng, PRACTICE, (0.55, 0.28, 0.13, 0.04))),
            (code, "public_criticism", period, int(rng.poisson(0.15))),
            (code, "discipline_cases", period, 0),
        ]
    # An empty practice level means "none adopted": it is simply not reported. The draws above
    # are made either way, so leaving out what a survey feeds changes no other value.
    districts = {u.code for u in city.districts}
    return [
        row
        for row in rows
        if row[3] != "" and not (row[0] in districts and (row[1], year) in SURVEY_FED)
    ]
