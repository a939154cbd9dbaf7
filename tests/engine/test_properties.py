"""Property tests (hypothesis): monotonicity, unit-order independence, ties, determinism."""

from __future__ import annotations

import numpy as np
from engine_helpers import one_leaf, run, scheme
from hypothesis import given, settings
from hypothesis import strategies as st

from kaohe.engine import InputTable, evaluate
from kaohe.engine.methods import group_rank

# indicator values as reported: two decimals, up to ±10,000
values = st.lists(
    st.integers(min_value=-1_000_000, max_value=1_000_000).map(lambda v: v / 100),
    min_size=2,
    max_size=25,
)

MONOTONE = [
    "{type: target, target: 5}",
    "{type: target, target: 5, mode: proportional, cap: 1.5}",
    "{type: rank}",
    "{type: target_rank, target: 0, base: 0.5}",
    "{type: band, target: 0, bonus_per_step: 1, bonus_cap: 3, penalty_per_step: 2}",
    "{type: efficacy, low: -100, satisfactory: 100}",
    "{type: interpolate, baseline: -50, benchmark: 50, floor: 0.6}",
    "{type: goalpost, min: -1000, max: 1000}",
    "{type: zscore}",
    "{type: frontier, mode: minmax}",
    "{type: identity}",
    "{type: rank, direction: lower}",
    "{type: goalpost, min: -1000, max: 1000, direction: lower}",
]


SCHEMES = [(one_leaf(m), "direction: lower" in m) for m in MONOTONE]


@settings(max_examples=30, deadline=None)
@given(
    x=values,
    i=st.integers(min_value=0, max_value=24),
    bump=st.integers(1, 10_000_000).map(lambda v: v / 100),
)
def test_a_better_input_never_lowers_the_score(x: list[float], i: int, bump: float) -> None:
    """On every monotone method, improving one unit's input (direction-aware) never lowers
    that unit's score."""
    i %= len(x)
    for s, lower in SCHEMES:
        better = list(x)
        better[i] = x[i] - bump if lower else x[i] + bump
        before = float(run(s, {"x": x}).points["x"][i])
        after = float(run(s, {"x": better}).points["x"][i])
        # a z-score is recomputed from a new mean and deviation; when two values nearly cancel,
        # float64 keeps ~9 digits of it — a tolerance of 1e-9 absorbs that rounding, not a drop
        assert after >= before - 1e-9 * max(1.0, abs(before)), s.root.children[0].method


@settings(max_examples=40, deadline=None)
@given(
    x=values,
    cats=st.lists(st.sampled_from("ab"), min_size=25, max_size=25),
    seed=st.integers(0, 2**32 - 1),
)
def test_result_is_independent_of_unit_order(x: list[float], cats: list[str], seed: int) -> None:
    """Shuffling the rows gives every unit the same fraction, total, rank and grade."""
    s = scheme(
        """
        kaohe_scheme: 1
        id: t
        root:
          children:
            - {id: r, points: 50, input: x, method: {type: rank}}
            - {id: z, points: 50, input: x, method: {type: zscore}}
        grades:
          - {code: top, min: 50, quota: 0.3}
          - {code: rest}
        """
    )
    units = [f"u{k}" for k in range(len(x))]
    categories = cats[: len(x)]
    base = run(s, {"x": x}, units=units, categories=categories)
    perm = np.random.default_rng(seed).permutation(len(x))
    shuffled = run(
        s,
        {"x": [x[k] for k in perm]},
        units=[units[k] for k in perm],
        categories=[categories[k] for k in perm],
    )
    assert shuffled.total.tobytes() == base.total[perm].tobytes()
    assert shuffled.rank.tobytes() == base.rank[perm].tobytes()
    assert list(shuffled.grade) == list(base.grade[perm])


@settings(max_examples=60, deadline=None)
@given(x=st.lists(st.integers(0, 5).map(float), min_size=1, max_size=30))
def test_ties_share_the_better_place(x: list[float]) -> None:
    """'min' ranking: a unit's place is 1 + the number of units strictly better."""
    arr = np.array(x)
    ranks = group_rank(arr, np.zeros(len(x), dtype=np.intp))
    expected = [1 + sum(v > xi for v in x) for xi in x]
    assert ranks.tolist() == expected


@settings(max_examples=20, deadline=None)
@given(x=values)
def test_deterministic_bit_for_bit(x: list[float]) -> None:
    """Two evaluations of the same input give identical bytes, robustness included."""
    s = one_leaf("{type: zscore}", extra="alternatives: [{type: rank}]")
    s2 = scheme(  # a robustness block with grades, so grade probabilities are compared too
        """
        kaohe_scheme: 1
        id: t
        root:
          children:
            - {id: a, points: 60, input: x, method: {type: zscore}, alternatives: [{type: rank}]}
            - {id: b, points: 40, input: x, method: {type: frontier, mode: minmax}}
        grades:
          - {code: top, min: 50, quota: 0.5}
          - {code: rest}
        robustness: {draws: 50, seed: 3}
        """
    )
    for sch in (s, s2):
        table = InputTable.build([f"u{k}" for k in range(len(x))], {"x": np.array(x)})
        a = evaluate(sch, table, robustness=True)
        b = evaluate(sch, table, robustness=True)
        assert a.total.tobytes() == b.total.tobytes()
        assert a.robustness is not None and b.robustness is not None
        assert a.robustness.rank_p95.tobytes() == b.robustness.rank_p95.tobytes()
        assert a.robustness.grade_probability.tobytes() == b.robustness.grade_probability.tobytes()
