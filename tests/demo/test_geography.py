"""The demo city's generated map: deterministic, one closed counter-clockwise polygon per unit,
the units tiling the invented outline without gaps or overlaps, the central districts smaller
than the county-level cities around them."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from kaohe.demo.geography import _outline, district_map, district_map_bytes

CENTRAL = [f"D{n:02d}" for n in range(1, 8)]
OUTER = ["D08", "D09", "D10"]
KM2_PER_SQUARE_DEGREE = 110.57 * 111.32 * np.cos(np.radians(28.85))


def area(ring: list[list[float]]) -> float:
    """Signed area (shoelace), in square degrees; positive when counter-clockwise."""
    xy = np.array(ring)
    return float(0.5 * np.sum(xy[:-1, 0] * xy[1:, 1] - xy[1:, 0] * xy[:-1, 1]))


def test_the_map_is_the_same_for_the_same_seed_and_another_for_another():  # type: ignore[no-untyped-def]
    first = district_map_bytes(CENTRAL, OUTER, seed=2025)
    assert first == district_map_bytes(CENTRAL, OUTER, seed=2025)
    assert first != district_map_bytes(CENTRAL, OUTER, seed=7)
    assert json.loads(first) == district_map(CENTRAL, OUTER, seed=2025)


def test_one_closed_counter_clockwise_polygon_per_unit():  # type: ignore[no-untyped-def]
    document = district_map(CENTRAL, OUTER)
    assert document["type"] == "FeatureCollection"
    assert [f["properties"] for f in document["features"]] == [
        {"code": code} for code in CENTRAL + OUTER
    ]
    for feature in document["features"]:
        assert feature["geometry"]["type"] == "Polygon"
        (ring,) = feature["geometry"]["coordinates"]
        assert len(ring) >= 4 and ring[0] == ring[-1]
        assert area(ring) > 0  # counter-clockwise, as RFC 7946 asks of an exterior ring
        lon, lat = np.array(ring).T
        assert lon.min() > 120.4 and lon.max() < 121.7
        assert lat.min() > 28.3 and lat.max() < 29.4


def test_the_units_tile_the_outline_and_the_centre_is_denser():  # type: ignore[no-untyped-def]
    document = district_map(CENTRAL, OUTER)
    areas = {
        f["properties"]["code"]: area(f["geometry"]["coordinates"][0]) * KM2_PER_SQUARE_DEGREE
        for f in document["features"]
    }
    outline = _outline(np.random.default_rng(2025))  # km, drawn first from the same seed
    closed = np.vstack([outline, outline[:1]])
    city = 0.5 * np.sum(closed[:-1, 0] * closed[1:, 1] - closed[1:, 0] * closed[:-1, 1])
    # the pieces add up to the city (to the rounding of their corners): no gap, no overlap
    assert sum(areas.values()) == pytest.approx(city, rel=2e-3)
    central = np.mean([areas[c] for c in CENTRAL])
    outer = np.mean([areas[c] for c in OUTER])
    assert outer > 1.5 * central
    assert areas["D01"] == min(areas.values())  # the old town at the centre


def test_neighbours_share_their_borders_exactly():  # type: ignore[no-untyped-def]
    document = district_map(CENTRAL, OUTER)
    edges: dict[tuple[tuple[float, ...], tuple[float, ...]], list[str]] = {}
    for feature in document["features"]:
        ring = feature["geometry"]["coordinates"][0]
        for a, b in itertools.pairwise(ring):
            key = (tuple(a), tuple(b)) if tuple(a) < tuple(b) else (tuple(b), tuple(a))
            edges.setdefault(key, []).append(feature["properties"]["code"])
    shared = [codes for codes in edges.values() if len(codes) == 2]
    assert all(len(codes) <= 2 for codes in edges.values())
    # D01, the centre, borders only districts; every one of its edges is shared
    d01 = [codes for codes in edges.values() if "D01" in codes]
    assert all(len(codes) == 2 for codes in d01)
    assert {c for codes in d01 for c in codes} - {"D01"} <= set(CENTRAL)
    assert len(shared) > 50


def test_the_generator_refuses_codes_it_cannot_draw():  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="distinct"):
        district_map(["D01"], [])
    with pytest.raises(ValueError, match="distinct"):
        district_map(["D01", "D01"], ["D02"])
