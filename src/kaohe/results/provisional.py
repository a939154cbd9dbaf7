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
from typing import Any, NamedTuple

from django.db import transaction
from django.utils import timezone

from kaohe.core import sql
from kaohe.engine import InputTable, evaluate, load_scheme, provisional_standing
from kaohe.indicators.models import Indicator
from kaohe.indicators.selectors import IndicatorRow
from kaohe.observations.derived import formula_of
from kaohe.results.inputs import build_snapshot
from kaohe.results.models import ProvisionalStanding
from kaohe.schemes.models import Cycle, Scheme, SchemeVersion
from kaohe.schemes.selectors import Node, node_rows
from kaohe.units.selectors import UnitRow, unit_rows

LIVE_STATES = (Cycle.State.GOAL_SETTING, Cycle.State.IN_PROGRESS, Cycle.State.YEAR_END)


class PublishedVersion(NamedTuple):
    """What a refresh reads of a published scheme version (`_published`)."""

    pk: int
    scheme_id: int
    number: int
    fingerprint: str
    cycle_id: int
    category_id: int


def _indicator_codes(
    scheme: Any, catalogue: Mapping[str, IndicatorRow | Indicator] | None = None
) -> set[str]:
    """Indicator codes a scheme reads, through derived indicators' formulas too (`catalogue`:
    every indicator by code, when the caller has read them)."""
    records = scheme.milestone_codes  # not indicators: the major tasks' milestone records
    bases = {code.partition("@")[0] for code in scheme.input_codes if code not in records}
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


def _read_codes(
    scheme: Any, catalogue: Mapping[str, IndicatorRow | Indicator] | None = None
) -> set[str]:
    """What a change to which makes the scheme's standings stale: its indicators (through
    formulas) and the major tasks its milestones leaves read."""
    return _indicator_codes(scheme, catalogue) | set(scheme.milestone_codes)


def _units_of(category_id: int, assessed: Sequence[UnitRow]) -> list[UnitRow]:
    """The units a scheme for this category scores (`results.services.scheme_units`: its own
    and its sub-categories'), out of the active assessed units (in code order)."""
    return [
        u
        for u in assessed
        if u.category_id == category_id
        or (u.category is not None and u.category.parent_id == category_id)
    ]


def _clear(scheme_id: int) -> None:
    """Delete a scheme's standings, of any of its versions (the cache is replaced whole)."""
    v = "v"
    with transaction.get_connection().cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {sql.table(ProvisionalStanding)} "
            f"WHERE {sql.column(ProvisionalStanding, 'scheme_version')} IN "
            f"(SELECT {sql.column(SchemeVersion, 'id', v)} FROM {sql.table(SchemeVersion)} {v} "
            f"WHERE {sql.column(SchemeVersion, 'scheme', v)} = %s)",
            [scheme_id],
        )


def refresh_for_version(
    version: PublishedVersion,
    *,
    batch: Any = None,
    changed_codes: set[str] | None = None,
    catalogue: Mapping[str, IndicatorRow] | None = None,
    units: Sequence[UnitRow],
    time_nodes: Sequence[Node],
) -> int:
    """Recompute one scheme version's standings; returns the number of units ranked (0 and
    nothing written when the scheme reads none of `changed_codes`). `units`: the active
    assessed units in code order; `time_nodes`: the version's cycle's, in their order;
    `catalogue` (every indicator by code) when the caller has read them."""
    scheme = _scheme_of(version)
    if changed_codes is not None and not changed_codes & _read_codes(scheme, catalogue):
        return 0
    units = _units_of(version.category_id, units)
    _clear(version.scheme_id)
    if not units:
        return 0
    now = timezone.now()
    snapshot = build_snapshot(
        scheme,
        None,
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
        milestone_codes=scheme.milestone_codes,
    )
    standing = provisional_standing(evaluate(scheme, table))
    leaves = [leaf.id for leaf in scheme.leaves]
    rows = [
        ProvisionalStanding(
            scheme_version_id=version.pk,
            unit_id=unit.pk,
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
    sql.insert(rows)
    return sum(r.rank is not None for r in rows)


def _published(cycle_ids: Iterable[int]) -> dict[int, PublishedVersion]:
    """The latest published version of every scheme of these cycles, by scheme id, read locked
    (`SELECT … FOR UPDATE`, PostgreSQL: see the module's docstring) — one query."""
    v, s = "v", "s"
    cycles, params = sql.among(sql.column(Scheme, "cycle", s), set(cycle_ids))
    scheme = sql.column(SchemeVersion, "scheme", v)
    number = sql.column(SchemeVersion, "number", v)
    rows = sql.fetch(
        f"SELECT {sql.column(SchemeVersion, 'id', v)}, {scheme}, {number}, "
        f"{sql.column(SchemeVersion, 'fingerprint', v)}, {sql.column(Scheme, 'cycle', s)}, "
        f"{sql.column(Scheme, 'category', s)} "
        f"FROM {sql.table(SchemeVersion)} {v} JOIN {sql.table(Scheme)} {s} "
        f"ON {sql.column(Scheme, 'id', s)} = {scheme} "
        f"WHERE {sql.column(SchemeVersion, 'status', v)} = %s AND {cycles} "
        f"ORDER BY {scheme}, {number} DESC{sql.lock_clause(v)}",
        [SchemeVersion.Status.PUBLISHED, *params],
    )
    latest: dict[int, PublishedVersion] = {}
    for row in rows:
        version = PublishedVersion(*row)
        latest.setdefault(version.scheme_id, version)
    return latest


@transaction.atomic(savepoint=False)
def refresh_provisional(
    time_node_ids: Iterable[int],
    *,
    changed_codes: set[str] | None = None,
    batch: Any = None,
    catalogue: Mapping[str, IndicatorRow] | None = None,
    units: Sequence[UnitRow] | None = None,
    nodes: Mapping[int, Node] | None = None,
) -> int:
    """Refresh the standings of every live cycle among these time nodes' cycles (the
    pipeline's last step before commit); returns the units ranked. The pipeline passes what it
    has read for the batch: every indicator by code (`catalogue`), the active assessed units
    in code order (`units`) and time nodes by id, their cycles with them, holding every node of
    these nodes' cycles (`nodes`); the rest is read here.

    The published versions are read locked (`SELECT … FOR UPDATE`, PostgreSQL) before any
    value: see the module's docstring."""
    ids = set(time_node_ids)
    if nodes is None or not ids <= nodes.keys():
        nodes = {n.pk: n for n in node_rows(ids=ids)}
    live = {
        nodes[pk].cycle_id for pk in ids if pk in nodes and nodes[pk].cycle.state in LIVE_STATES
    }
    if not live:
        return 0
    latest = _published(live)
    reading = {
        pk: version
        for pk, version in latest.items()
        if changed_codes is None or changed_codes & _read_codes(_scheme_of(version), catalogue)
    }
    if not reading:
        return 0
    if units is None:
        units = unit_rows(assessed=True)
    cycle_ids = {v.cycle_id for v in reading.values()}
    by_cycle: dict[int, list[Node]] = {}
    # the cycles' nodes in TimeNode's order (year, order)
    for node in sorted(nodes.values(), key=lambda n: (n.cycle.year, n.order)):
        if node.cycle_id in cycle_ids:
            by_cycle.setdefault(node.cycle_id, []).append(node)
    return sum(
        refresh_for_version(
            version,
            batch=batch,
            changed_codes=changed_codes,
            catalogue=catalogue,
            units=units,
            time_nodes=by_cycle.get(version.cycle_id, []),
        )
        for version in reading.values()
    )


_SCHEMES: dict[tuple[int, str], Any] = {}


def _scheme_of(version: PublishedVersion) -> Any:
    """The loaded scheme of a published version (immutable, so loaded once per process; its
    document is read on the first use only)."""
    key = (version.pk, version.fingerprint)
    scheme = _SCHEMES.get(key)
    if scheme is None:
        if len(_SCHEMES) > 64:
            _SCHEMES.clear()
        document = SchemeVersion.objects.values_list("document", flat=True).get(pk=version.pk)
        scheme = _SCHEMES[key] = load_scheme(document)
    return scheme
