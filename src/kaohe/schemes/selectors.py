"""Reads of cycles and time nodes that pages and services share."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Q

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


@dataclass(frozen=True)
class Neighbours:
    """The ids of the nodes a node is read beside (None: there is none): the previous node of
    its cycle, the same node last year and its cycle's full-year node."""

    previous: int | None
    last_year: int | None
    year_end: int | None


def neighbour_nodes(
    nodes: Sequence[TimeNode], *, among: Sequence[TimeNode] | None = None
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
