"""The batched leaf scoring of `evaluate` (batch.py) gives every leaf the same bits as scoring
it alone with `score_leaf` — on random schemes with missing values, ties and categories of
unequal size."""

from __future__ import annotations

import numpy as np
from engine_helpers import scheme
from hypothesis import given, settings
from hypothesis import strategies as st

from kaohe.engine import InputTable, batch, evaluate
from kaohe.engine.batch import GroupLayout, batch_key, group_mean_std, rank, scored_places
from kaohe.engine.context import Context, score_leaf
from kaohe.engine.methods import group_mean_std as one_group_mean_std
from kaohe.engine.methods import rank as one_rank

# every batched method; {a} and {b} are per-leaf numbers, so one batch holds different targets
METHODS = [
    "{{type: target, target: {a}}}",
    "{{type: target, target: {a}, mode: proportional, cap: 1.3}}",
    "{{type: target, target: {a}, direction: lower}}",
    "{{type: rank}}",
    "{{type: rank, step: 0.2, floor: 0.3}}",
    "{{type: rank, step: 0, floor: 0.2}}",
    "{{type: rank, step: 0.001, direction: lower}}",
    "{{type: band, target: {a}, bonus_per_step: 0.5, bonus_cap: 2, step: 0.1, "
    "penalty_per_step: 0.3}}",
    "{{type: band, target: {a}, step: 0.05, relative: true, whole_steps: true}}",
    "{{type: efficacy, low: {a}, satisfactory: {b}}}",
    "{{type: interpolate, baseline: {a}, benchmark: {b}, floor: 0.6}}",
    "{{type: goalpost, min: 0.01, max: 2, log: true}}",
    "{{type: goalpost, min: -1, max: 2, cap: false, direction: lower}}",
    "{{type: zscore}}",
    "{{type: zscore, clip_z: 1.5, direction: lower}}",
    "{{type: frontier}}",
    "{{type: frontier, mode: minmax, direction: lower}}",
    "{{type: events, per_event: 0.5}}",
    "{{type: ratio, full: {b}, cap: 1.2}}",
    "{{type: identity}}",
]

cells = st.one_of(
    st.integers(-20, 150).map(lambda v: v / 100),  # two decimals: many ties
    st.floats(-1.0, 2.0, allow_nan=False),
    st.just(float("nan")),
    st.just(-0.0),
)


@settings(max_examples=40, deadline=None)
@given(
    picks=st.lists(st.integers(0, len(METHODS) - 1), min_size=1, max_size=12),
    n=st.integers(1, 40),
    n_cats=st.integers(1, 4),
    data=st.data(),
)
def test_batched_leaves_equal_the_per_leaf_computation(
    picks: list[int], n: int, n_cats: int, data: st.DataObject
) -> None:
    leaves = []
    columns = {}
    for i, pick in enumerate(picks):
        a = round(0.2 + 0.05 * i, 3)
        method = METHODS[pick].format(a=a, b=round(a + 0.5, 3))
        leaves.append(f"- {{id: l{i}, points: {1 + i % 3}, input: x{i}, method: {method}}}")
        columns[f"x{i}"] = np.array(data.draw(st.lists(cells, min_size=n, max_size=n)))
    s = scheme(
        "kaohe_scheme: 1\nid: t\npoints: " + str(sum(1 + i % 3 for i in range(len(picks))))
        + "\nroot:\n  aggregate: sum\n  children:\n    " + "\n    ".join(leaves)
    )  # fmt: skip
    cats = data.draw(st.lists(st.integers(0, n_cats - 1), min_size=n, max_size=n))
    table = InputTable.build(
        [f"u{k}" for k in range(n)], columns, categories=[f"c{c}" for c in cats]
    )
    ctx = Context(s, table)
    saved = batch.STACK_UNITS
    try:
        # element-wise leaves stacked into blocks (few units) and read column by column (many)
        for stack_units in (saved, 0):
            batch.STACK_UNITS = stack_units
            result = evaluate(s, table)
            for leaf in s.leaves:
                assert batch_key(leaf, table.columns) is not None  # the batched path is tested
                assert leaf.method is not None
                alone = score_leaf(leaf, leaf.method, ctx)[0]
                assert result.fraction[leaf.id].tobytes() == alone.tobytes(), leaf.method
    finally:
        batch.STACK_UNITS = saved


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(st.lists(cells, min_size=30, max_size=30), min_size=1, max_size=5),
    cats=st.lists(st.integers(0, 2), min_size=30, max_size=30),
    step=st.sampled_from([0.0, 0.05, 0.1, 0.3, 1 / 3, 0.001]),
    floor=st.sampled_from([0.0, 0.2, 0.5, 1.0]),
    higher=st.booleans(),
)
def test_batched_rank_and_statistics_equal_the_kernels(
    rows: list[list[float]], cats: list[int], step: float, floor: float, higher: bool
) -> None:
    """Over a (k, N) block: the rank fractions (exact places only where they score above the
    floor) and the category mean and deviation, row by row against the one-leaf kernels."""
    x = np.array(rows)
    _, groups = np.unique(np.array(cats), return_inverse=True)
    groups = groups.astype(np.intp)
    layout = GroupLayout.of(groups)
    out = np.empty_like(x)
    rank(x, layout, out, step=step, floor=floor, higher=higher)
    mean, std = group_mean_std(x, layout)
    for r in range(len(x)):
        alone = one_rank(x[r], groups, step=step, floor=floor, higher=higher)[0]
        assert out[r].tobytes() == alone.tobytes()
        mu, sd = one_group_mean_std(x[r], groups)
        assert mean[r][groups].tobytes() == mu.tobytes()
        assert std[r][groups].tobytes() == sd.tobytes()


def test_scored_places_is_where_the_floor_starts() -> None:
    """The default rank step 0.05 tells 20 places apart: place 21 scores 1 − 0.05·20 = 0."""
    assert scored_places(0.05, 0.0, 1000) == 20
    assert scored_places(0.1, 0.3, 1000) == 7  # 1 − 0.1·7 = 0.3 (in float64: ≤ 0.3)
    assert scored_places(0.0, 0.2, 1000) is None  # step 0: every place scores 1
    assert scored_places(0.001, 0.0, 50) is None  # more places than the largest category
    for step, floor in ((0.05, 0.0), (0.1, 0.3), (0.07, 0.1), (1 / 3, 0.0)):
        m = scored_places(step, floor, 1000)
        assert m is not None
        assert 1.0 - step * m <= floor < 1.0 - step * (m - 1.0)
