"""Provisional standings: after each accepted batch, where every unit stands so far.

For each cycle the batch touched (one that is under way), each scheme with a published version
is evaluated on the current values at the cycle's latest period with data, and
`engine.provisional_standing` scores the part of the scheme that has data. The rows are a
cache replaced on every refresh, written inside the batch's transaction so that the batch, its
warnings and the standings become visible together.

Two batches at once (PostgreSQL): the refresh first locks the scheme versions it reads, and
reads the values only once it holds them. A second batch feeding the same scheme waits there
until the first commits, then reads the values with the first batch's in them — so the
standings the last commit leaves are those of every committed value, and the second batch
does not trip over the first one's rows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from kaohe.engine import InputTable, evaluate, load_scheme, provisional_standing
from kaohe.indicators.models import Indicator
from kaohe.observations.derived import formula_of
from kaohe.results.inputs import build_snapshot
from kaohe.results.models import ProvisionalStanding
from kaohe.results.services import scheme_units
from kaohe.schemes.models import Cycle, SchemeVersion, TimeNode
from kaohe.units.models import Unit

LIVE_STATES = (Cycle.State.GOAL_SETTING, Cycle.State.IN_PROGRESS, Cycle.State.YEAR_END)


def _indicator_codes(scheme: Any, catalogue: Mapping[str, Indicator] | None = None) -> set[str]:
    """Indicator codes a scheme reads, through derived indicators' formulas too (`catalogue`:
    every indicator by code, when the caller has read them)."""
    bases = {code.partition("@")[0] for code in scheme.input_codes}
    codes = set(bases)
    if catalogue is not None:
        formulas = [i.formula for code in bases if (i := catalogue.get(code)) and i.formula]
    else:
        formulas = list(
            Indicator.objects.filter(code__in=bases)
            .exclude(formula="")
            .values_list("formula", flat=True)
        )
    for formula in formulas:
        codes |= formula_of(formula).names
    return codes


def _units_of(category: Any, assessed: Sequence[Unit]) -> list[Unit]:
    """`scheme_units(category)` out of the active assessed units (in code order, categories
    loaded)."""
    return [
        u
        for u in assessed
        if u.category_id == category.pk
        or (u.category is not None and u.category.parent_id == category.pk)
    ]


def refresh_for_version(
    version: SchemeVersion,
    *,
    batch: Any = None,
    changed_codes: set[str] | None = None,
    catalogue: Mapping[str, Indicator] | None = None,
    units: Sequence[Unit] | None = None,
    time_nodes: Sequence[TimeNode] | None = None,
) -> int:
    """Recompute one scheme version's standings; returns the number of units ranked (0 and
    nothing written when the scheme reads none of `changed_codes`). `catalogue` (every
    indicator by code), `units` (the active assessed units in code order, categories loaded)
    and `time_nodes` (the cycle's) may be passed when the caller has read them."""
    scheme = _scheme_of(version)
    codes = _indicator_codes(scheme, catalogue)
    if changed_codes is not None and not changed_codes & codes:
        return 0
    cycle = version.scheme.cycle
    category = version.scheme.category
    units = scheme_units(category) if units is None else _units_of(category, units)
    ProvisionalStanding.objects.filter(scheme_version__scheme=version.scheme).delete()
    if not units:
        return 0
    now = timezone.now()
    snapshot = build_snapshot(
        scheme,
        cycle,
        units,
        moment=None,
        node_code=None,
        catalogue=catalogue,
        time_nodes=time_nodes,
    )
    if not snapshot.node_code:
        return 0
    table = InputTable.build(
        units=[u.code for u in units],
        columns=snapshot.columns,
        categories=[u.category.code if u.category else "" for u in units],
        label_codes=scheme.label_codes,
    )
    standing = provisional_standing(evaluate(scheme, table))
    leaves = [leaf.id for leaf in scheme.leaves]
    rows = [
        ProvisionalStanding(
            scheme_version=version,
            unit=unit,
            category_code=standing.categories[i],
            node_code=snapshot.node_code,
            score=None if standing.score[i] != standing.score[i] else float(standing.score[i]),
            rank=None if standing.rank[i] != standing.rank[i] else int(standing.rank[i]),
            coverage=float(standing.coverage[i]),
            missing=[leaf for leaf in leaves if standing.missing[leaf][i]],
            computed_at=now,
            batch=batch,
        )
        for i, unit in enumerate(units)
    ]
    ProvisionalStanding.objects.bulk_create(rows)
    return sum(r.rank is not None for r in rows)


@transaction.atomic(savepoint=False)
def refresh_provisional(
    time_node_ids: Iterable[int],
    *,
    changed_codes: set[str] | None = None,
    batch: Any = None,
    catalogue: Mapping[str, Indicator] | None = None,
    units: Sequence[Unit] | None = None,
    nodes: Mapping[int, TimeNode] | None = None,
) -> int:
    """Refresh the standings of every live cycle among these time nodes' cycles (the
    pipeline's last step before commit); returns the units ranked. The pipeline passes what it
    has read for the batch: every indicator by code (`catalogue`), the active assessed units
    in code order, categories loaded (`units`) and time nodes by id, their cycles loaded,
    holding every node of these nodes' cycles (`nodes`).

    The published versions are read locked (`SELECT … FOR UPDATE`, PostgreSQL) before any
    value: see the module's docstring."""
    ids = set(time_node_ids)
    versions = SchemeVersion.objects.published()
    if nodes is not None and ids <= nodes.keys():
        live = {nodes[pk].cycle_id for pk in ids if nodes[pk].cycle.state in LIVE_STATES}
        versions = versions.filter(scheme__cycle__in=live)
    else:
        nodes = None
        cycles = Cycle.objects.filter(time_nodes__in=ids, state__in=LIVE_STATES)
        versions = versions.filter(scheme__cycle__in=cycles)
    latest: dict[int, SchemeVersion] = {}
    for version in (
        versions.select_related("scheme__cycle", "scheme__category")
        .select_for_update(of=("self",))
        .defer("document", "yaml_text")
        .order_by("scheme_id", "-number")
    ):
        latest.setdefault(version.scheme_id, version)
    if catalogue is None:
        return sum(
            refresh_for_version(version, batch=batch, changed_codes=changed_codes)
            for version in latest.values()
        )
    reading = {
        pk: version
        for pk, version in latest.items()
        if changed_codes is None or changed_codes & _indicator_codes(_scheme_of(version), catalogue)
    }
    if not reading:
        return 0
    cycle_ids = {v.scheme.cycle_id for v in reading.values()}
    by_cycle: dict[int, list[TimeNode]] = {}
    if nodes is not None:
        # the cycles' nodes in TimeNode's order (year, order), as the query below gives them
        for node in sorted(nodes.values(), key=lambda n: (n.cycle.year, n.order)):
            if node.cycle_id in cycle_ids:
                by_cycle.setdefault(node.cycle_id, []).append(node)
    else:
        for node in TimeNode.objects.filter(cycle__in=cycle_ids):
            by_cycle.setdefault(node.cycle_id, []).append(node)
    return sum(
        refresh_for_version(
            version,
            batch=batch,
            changed_codes=changed_codes,
            catalogue=catalogue,
            units=units,
            time_nodes=by_cycle.get(version.scheme.cycle_id, []),
        )
        for version in reading.values()
    )


_SCHEMES: dict[tuple[int, str], Any] = {}


def _scheme_of(version: SchemeVersion) -> Any:
    """The loaded scheme of a published version (immutable, so loaded once per process)."""
    key = (version.pk, version.fingerprint)
    scheme = _SCHEMES.get(key)
    if scheme is None:
        if len(_SCHEMES) > 64:
            _SCHEMES.clear()
        scheme = _SCHEMES[key] = load_scheme(version.document)
    return scheme
