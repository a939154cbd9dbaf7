"""Reads of cycles and time nodes that pages and services share."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from django.db.models import Q

from kaohe.core import sql
from kaohe.schemes.models import Cycle, TimeNode


def current_cycle() -> Cycle | None:
    """The latest cycle still open, else the latest closed one (None before the first)."""
    return (
        Cycle.objects.exclude(state=Cycle.State.CLOSED).order_by("year").last()
        or Cycle.objects.order_by("-year").first()
    )


def open_nodes() -> list[TimeNode]:
    """The time nodes of every cycle not yet closed, oldest first (values may still come in)."""
    return list(
        TimeNode.objects.exclude(cycle__state=Cycle.State.CLOSED)
        .select_related("cycle")
        .order_by("cycle__year", "order")
    )


class CycleRow(NamedTuple):
    """What the ingestion pipeline reads of a cycle (`node_rows`)."""

    pk: int
    year: int
    state: str


class NodeRow(NamedTuple):
    """What the ingestion pipeline reads of a time node: a plain row with the model's names and
    its cycle (a `CycleRow`), read as a `TimeNode` with its cycle loaded would be."""

    pk: int
    cycle_id: int
    cycle: CycleRow
    code: str
    period: str
    kind: str
    order: int
    locked: bool


Node = TimeNode | NodeRow  # what the steps below read alike


def node_rows(*, periods: Collection[str] = (), ids: Collection[int] = ()) -> list[NodeRow]:
    """Every time node of the cycles holding these periods or node ids and of the cycles a
    year before them, in TimeNode's order (year, order), each with its cycle (one query; one
    `CycleRow` per cycle)."""
    n, c, m, d = "n", "c", "m", "d"
    wanted, params = sql.among_any(TimeNode, m, {"period": periods, "id": ids})
    if not wanted:
        return []
    year = sql.column(Cycle, "year", c)
    years = (
        f"SELECT {sql.column(Cycle, 'year', d)} FROM {sql.table(TimeNode)} {m} "
        f"JOIN {sql.table(Cycle)} {d} "
        f"ON {sql.column(Cycle, 'id', d)} = {sql.column(TimeNode, 'cycle', m)} "
        f"WHERE {' OR '.join(wanted)}"
    )
    rows = sql.fetch(
        f"SELECT {sql.column(TimeNode, 'id', n)}, {sql.column(TimeNode, 'cycle', n)}, {year}, "
        f"{sql.column(Cycle, 'state', c)}, {sql.column(TimeNode, 'code', n)}, "
        f"{sql.column(TimeNode, 'period', n)}, {sql.column(TimeNode, 'kind', n)}, "
        f"{sql.column(TimeNode, 'order', n)}, {sql.column(TimeNode, 'locked', n)} "
        f"FROM {sql.table(TimeNode)} {n} JOIN {sql.table(Cycle)} {c} "
        f"ON {sql.column(Cycle, 'id', c)} = {sql.column(TimeNode, 'cycle', n)} "
        f"WHERE {year} IN ({years}) OR {year} + 1 IN ({years}) "
        f"ORDER BY {year}, {sql.column(TimeNode, 'order', n)}",
        params * 2,
    )
    cycles: dict[int, CycleRow] = {}
    out = []
    for pk, cycle_id, cycle_year, state, code, period, kind, order, locked in rows:
        cycle = cycles.get(cycle_id)
        if cycle is None:
            cycle = cycles[cycle_id] = CycleRow(cycle_id, cycle_year, state)
        out.append(NodeRow(pk, cycle_id, cycle, code, period, kind, order, bool(locked)))
    return out


@dataclass(frozen=True)
class Neighbours:
    """The ids of the nodes a node is read beside (None: there is none): the previous node of
    its cycle, the same node last year and its cycle's full-year node."""

    previous: int | None
    last_year: int | None
    year_end: int | None


def neighbour_nodes(
    nodes: Sequence[Node], *, among: Sequence[Node] | None = None
) -> dict[int, Neighbours]:
    """For each node (its cycle loaded): its `Neighbours`, all found with one query — or none
    when `among` (their cycles loaded) holds every node of these nodes' cycles and of the
    cycles a year before."""
    if not nodes:
        return {}
    codes = {n.code for n in nodes}
    if among is not None:
        cycles, years = {n.cycle_id for n in nodes}, {n.cycle.year - 1 for n in nodes}
        rows = sorted(
            (
                (n.pk, n.cycle_id, n.cycle.year, n.code, n.order, n.kind)
                for n in among
                if n.cycle_id in cycles or (n.cycle.year in years and n.code in codes)
            ),
            key=lambda row: (row[4], row[0]),  # the query's order: order, pk
        )
    else:
        rows = list(
            TimeNode.objects.filter(
                Q(cycle_id__in={n.cycle_id for n in nodes})
                | Q(cycle__year__in={n.cycle.year - 1 for n in nodes}, code__in=codes)
            )
            .order_by("order", "pk")
            .values_list("pk", "cycle_id", "cycle__year", "code", "order", "kind")
        )
    out = {}
    for node in nodes:
        previous = last_year = year_end = None
        monthly = node.kind == TimeNode.Kind.MONTH
        for pk, cycle_id, year, code, order, kind in rows:
            if cycle_id == node.cycle_id:
                # the previous period of the same series: a month's is the month before, a
                # cumulative figure's the cumulative one before (Q1 → H1 → Q3 → Y)
                if order < node.order and (kind == TimeNode.Kind.MONTH) == monthly:
                    previous = pk  # ordered by order: the last one before the node wins
                if code == "Y" and year_end is None:
                    year_end = pk
            elif year == node.cycle.year - 1 and code == node.code and last_year is None:
                last_year = pk
        out[node.pk] = Neighbours(previous, last_year, year_end)
    return out
