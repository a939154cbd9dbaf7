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


def neighbour_nodes(nodes: Sequence[TimeNode]) -> dict[int, Neighbours]:
    """For each node (its cycle loaded): its `Neighbours`, all found with one query."""
    if not nodes:
        return {}
    rows = list(
        TimeNode.objects.filter(
            Q(cycle_id__in={n.cycle_id for n in nodes})
            | Q(cycle__year__in={n.cycle.year - 1 for n in nodes}, code__in={n.code for n in nodes})
        )
        .order_by("order", "pk")
        .values_list("pk", "cycle_id", "cycle__year", "code", "order")
    )
    out = {}
    for node in nodes:
        previous = last_year = year_end = None
        for pk, cycle_id, year, code, order in rows:
            if cycle_id == node.cycle_id:
                if order < node.order:
                    previous = pk  # ordered by order: the last one before the node wins
                if code == "Y" and year_end is None:
                    year_end = pk
            elif year == node.cycle.year - 1 and code == node.code and last_year is None:
                last_year = pk
        out[node.pk] = Neighbours(previous, last_year, year_end)
    return out
