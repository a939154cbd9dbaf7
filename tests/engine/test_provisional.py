"""Provisional standings: the scheme re-aggregated over the leaves that have data so far."""

from __future__ import annotations

import numpy as np
import pytest
from engine_helpers import run, scheme
from hypothesis import given, settings
from hypothesis import strategies as st

from kaohe.engine.provisional import provisional_standing

NAN = float("nan")

TWO_SECTIONS = """
kaohe_scheme: 1
id: t
points: 100
root:
  aggregate: sum
  children:
    - id: economy
      points: 60
      aggregate: weighted_mean
      children:
        - {id: gdp, weight: 2, input: gdp, method: {type: goalpost, min: 0, max: 100}}
        - {id: tax, weight: 1, input: tax, method: {type: goalpost, min: 0, max: 100}}
    - id: survey
      points: 40
      input: satisfaction
      method: {type: goalpost, min: 0, max: 100}
"""


def test_year_end_inputs_missing_scores_the_known_part_on_the_scheme_scale() -> None:
    s = scheme(TWO_SECTIONS)
    res = run(s, {"gdp": [50.0, 80.0], "tax": [20.0, 80.0], "satisfaction": [NAN, NAN]})
    assert np.isnan(res.total).all()  # the full scheme cannot be scored yet
    p = provisional_standing(res)
    # economy only: (2×0.5 + 1×0.2)/3 = 0.4 → 40 of 100; (2×0.8 + 0.8)/3 = 0.8 → 80
    assert p.score.tolist() == [40.0, 80.0]
    assert p.rank.tolist() == [2.0, 1.0]
    assert p.coverage.tolist() == pytest.approx([0.6, 0.6])
    assert not p.counted["survey"].any()
    assert not any(m.any() for m in p.missing.values())


def test_complete_data_gives_the_scheme_total() -> None:
    s = scheme(TWO_SECTIONS)
    res = run(s, {"gdp": [50.0, 80.0, 10.0], "tax": [20.0, 80.0, 0.0], "satisfaction": [90, 70, 5]})
    p = provisional_standing(res)
    np.testing.assert_array_equal(p.score, res.total_rounded)
    np.testing.assert_array_equal(p.rank, res.rank)
    assert p.coverage.tolist() == [1.0, 1.0, 1.0]


def test_a_unit_late_with_a_counted_value_scores_zero_there_and_is_told() -> None:
    s = scheme(TWO_SECTIONS)
    res = run(s, {"gdp": [50.0, 80.0, 60.0], "tax": [20.0, NAN, 40.0], "satisfaction": [NAN] * 3})
    p = provisional_standing(res)
    # unit 1 has no tax value although two of three units have one: tax counts, it scores 0
    assert p.counted["tax"].all()
    assert p.missing["tax"].tolist() == [False, True, False]
    assert p.score[1] == pytest.approx(100 * (2 * 0.8 + 0) / 3, abs=0.005)


def test_a_leaf_most_units_lack_does_not_count_yet() -> None:
    s = scheme(TWO_SECTIONS)
    res = run(s, {"gdp": [50.0, 80.0, 60.0], "tax": [20.0, NAN, NAN], "satisfaction": [NAN] * 3})
    p = provisional_standing(res)  # 1 of 3 < min_share 0.5
    assert not p.counted["tax"].any()
    assert p.score.tolist() == [50.0, 80.0, 60.0]
    assert p.coverage.tolist() == pytest.approx([0.4, 0.4, 0.4])
    p_all = provisional_standing(res, min_share=0.3)
    assert p_all.counted["tax"].all()


def test_categories_decide_separately() -> None:
    s = scheme(TWO_SECTIONS)
    res = run(
        s,
        {"gdp": [50.0, 80.0, 60.0, 70.0], "tax": [20.0, 30.0, NAN, NAN], "satisfaction": [NAN] * 4},
        categories=["a", "a", "b", "b"],
    )
    p = provisional_standing(res)
    assert p.counted["tax"].tolist() == [True, True, False, False]
    assert p.rank.tolist() == [2.0, 1.0, 2.0, 1.0]


def test_nothing_known_gives_no_score_and_no_rank() -> None:
    s = scheme(TWO_SECTIONS)
    res = run(s, {"gdp": [NAN, NAN], "tax": [NAN, NAN], "satisfaction": [NAN, NAN]})
    p = provisional_standing(res)
    assert np.isnan(p.score).all() and np.isnan(p.rank).all()
    assert p.coverage.tolist() == [0.0, 0.0]


def test_geometric_group_ignores_a_missing_child() -> None:
    s = scheme(
        """
        kaohe_scheme: 1
        id: g
        points: 1
        root:
          aggregate: geometric
          children:
            - {id: a, weight: 1, input: a, method: {type: goalpost, min: 0, max: 1}}
            - {id: b, weight: 1, input: b, method: {type: goalpost, min: 0, max: 1}}
        """
    )
    res = run(s, {"a": [0.25, 0.64], "b": [NAN, NAN]})
    p = provisional_standing(res)
    assert p.score.tolist() == [0.25, 0.64]


def test_bad_share_is_refused() -> None:
    res = run(scheme(TWO_SECTIONS), {"gdp": [1.0], "tax": [1.0], "satisfaction": [1.0]})
    with pytest.raises(ValueError):
        provisional_standing(res, min_share=0)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(0, 100),
            st.one_of(st.just(NAN), st.floats(0, 100)),
        ),
        min_size=2,
        max_size=12,
    ),
    st.randoms(use_true_random=False),
)
def test_order_of_units_does_not_matter(rows: list[tuple[float, float]], rnd: object) -> None:
    s = scheme(TWO_SECTIONS)
    gdp = [r[0] for r in rows]
    tax = [r[1] for r in rows]
    n = len(rows)
    ids = [f"u{i}" for i in range(n)]
    res = run(s, {"gdp": gdp, "tax": tax, "satisfaction": [NAN] * n}, units=ids)
    order = list(range(n))
    rnd.shuffle(order)  # type: ignore[attr-defined]
    res2 = run(
        s,
        {"gdp": [gdp[i] for i in order], "tax": [tax[i] for i in order], "satisfaction": [NAN] * n},
        units=[ids[i] for i in order],
    )
    a, b = provisional_standing(res), provisional_standing(res2)
    for j, i in enumerate(order):
        assert a.score[i] == b.score[j] or (np.isnan(a.score[i]) and np.isnan(b.score[j]))
        assert a.rank[i] == b.rank[j] or (np.isnan(a.rank[i]) and np.isnan(b.rank[j]))
