"""The pipeline's `Catalogue` holds every time node of its rows' cycles and of the cycles a year
before: the monitoring step finds each node's neighbours among them, and the provisional step
the nodes it ranks on, without a query of their own — and what they find is what the queries
find."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kaohe.observations.services import Catalogue, ValueRow
from kaohe.schemes import services as schemes
from kaohe.schemes.models import TimeNode
from kaohe.schemes.selectors import neighbour_nodes

pytestmark = pytest.mark.django_db


def test_the_neighbours_among_the_catalogue_are_those_the_query_finds(world):  # type: ignore[no-untyped-def]
    schemes.create_cycle(acting_user=world.admin, year=2026)
    schemes.create_cycle(acting_user=world.admin, year=2027)  # not read: no row of it, a year on
    rows = [ValueRow("D01", "gdp", "2026Q1", "1"), ValueRow("D02", "gdp", "2026Y", "1")]
    catalogue = Catalogue.load(rows)
    held = {(n.cycle.year, n.code) for n in catalogue.nodes.values()}
    codes = {"Q1", "H1", "Q3", "Y"}
    assert held == {(year, code) for year in (2025, 2026) for code in codes}
    touched = sorted(
        TimeNode.objects.filter(cycle__year=2026).select_related("cycle"), key=lambda n: n.order
    )
    queried = neighbour_nodes(touched)
    with CaptureQueriesContext(connection) as queries:
        found = neighbour_nodes(touched, among=list(catalogue.nodes_by_id.values()))
    assert len(queries) == 0
    assert found == queried
    # every node has a neighbour of each kind but Q1 (no earlier node in its year)
    assert [n.code for n in touched if found[n.pk].previous is None] == ["Q1"]
    assert all(found[n.pk].last_year is not None for n in touched)
