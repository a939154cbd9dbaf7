"""Golden test: the UNDP Human Development Index 2022, every value and every rank."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from kaohe.engine import InputTable, evaluate, load_scheme

REPO = Path(__file__).resolve().parents[2]
SHARED = Path("/work/shared/data/hdi/hdr2022_components.csv")
PREPARED = REPO / "examples" / "hdi" / "hdr2022.csv"
SCHEME = REPO / "examples" / "hdi" / "hdi-2022.yaml"


def _rows() -> list[dict[str, str]]:
    path = SHARED if SHARED.exists() else PREPARED
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        row.setdefault("unit", row.get("iso3", ""))
    return rows


def test_hdi_2022_reproduces_every_published_value_and_rank() -> None:
    """SCORING-RULES.md: "HDI = geometric mean of the three. Rounded to 3 decimals it matches
    every published value; the published rank is the descending rank of the rounded value, ties
    sharing the better rank; a country with a missing component has no HDI and no rank." """
    rows = _rows()
    scheme = load_scheme(SCHEME.read_text(encoding="utf-8"))
    table = InputTable.build(
        [r["unit"] for r in rows],
        {c: np.array([r[c] for r in rows], dtype=object) for c in ("le", "eys", "mys", "gnipc")},
    )
    result = evaluate(scheme, table)
    assert len(rows) == 195
    published = [r["hdi_published"] for r in rows]
    ranks = [r["hdi_rank_published"] for r in rows]
    got = [None if np.isnan(v) else f"{v:.3f}" for v in result.total_rounded]
    got_rank = [None if np.isnan(v) else str(int(v)) for v in result.rank]
    assert got == [f"{float(p):.3f}" if p else None for p in published]
    assert got_rank == [r or None for r in ranks]
    assert sum(p == "" for p in published) == 2
    by_unit = dict(zip(result.units, result.reason, strict=True))
    assert by_unit["PRK"] == "missing input eys (eys_index)"
    assert by_unit["MCO"] == "missing input mys (mys_index)"
    # the life-expectancy index is (LE − 20) / (85 − 20), bit for bit
    i = result.units.index("NOR")
    le = float(next(r["le"] for r in rows if r["unit"] == "NOR"))
    assert float(result.fraction["health"][i]) == (le - 20.0) / (85.0 - 20.0)


def test_hdi_ties_share_the_better_rank() -> None:
    """Ties: the published ranking gives equal rounded values the same (better) rank."""
    rows = _rows()
    scheme = load_scheme(SCHEME.read_text(encoding="utf-8"))
    table = InputTable.build(
        [r["unit"] for r in rows],
        {c: np.array([r[c] for r in rows], dtype=object) for c in ("le", "eys", "mys", "gnipc")},
    )
    result = evaluate(scheme, table)
    ranks = result.rank[~np.isnan(result.rank)]
    values, counts = np.unique(ranks, return_counts=True)
    tied = values[counts > 1]
    assert len(tied) > 0  # the 2022 table does contain ties
    for r in tied:
        members = np.flatnonzero(result.rank == r)
        assert len(set(result.total_rounded[members].tolist())) == 1
        # the next rank skips the tied places ('min' method)
        bigger = ranks[ranks > r]
        if bigger.size:
            assert bigger.min() == r + len(members)
