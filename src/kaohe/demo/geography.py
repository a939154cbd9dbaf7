"""The demo city's map: an invented outline cut into its districts and county-level cities.

``district_map(central, outer, seed)`` draws an irregular city outline (a smooth, wavy closed
curve about 110 km across), places one seed point per unit — the urban districts close together
around the centre, the county-level cities in a ring further out, so they come out larger — and
gives each unit the part of the outline nearer to its seed than to any other (a Voronoi
partition, ``scipy.spatial.Voronoi``, each cell clipped to the outline); the long borders are
then bent a little so they do not look ruled. Neighbours share their borders exactly, and the
districts tile the city without gaps.

Deterministic: the same codes and seed give the same file, byte for byte. The coordinates are
longitude/latitude around an arbitrary point near the Zhejiang coast, only so that a map
projection has something to work with; the outline and the borders are invented and follow
nothing real. Pure numpy/scipy: the loader hands the result to the map service like an upload.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.spatial import Voronoi

# Where the invented city is placed (degrees) and how large it is (km from centre to edge).
CENTRE_LON, CENTRE_LAT = 121.05, 28.85
RADIUS_KM = 55.0
OUTLINE_POINTS = 144
DECIMALS = 4  # about 10 m: plenty for a screen, and a small file
# Borders between units longer than this (km) are bent a little (midpoint displacement, the same
# bends seen from both sides), so they do not look ruled; the outline's own steps are shorter.
BEND_FROM_KM = 5.0
BEND_LEVELS = 3
BEND_AMPLITUDE = 0.12

_KM_PER_DEGREE_LAT = 110.57
_KM_PER_DEGREE_LON = 111.32 * math.cos(math.radians(CENTRE_LAT))

Polygon = list[tuple[float, float]]


def _outline(rng: np.random.Generator) -> np.ndarray:
    """A closed, wavy, star-shaped curve around the origin (km), counter-clockwise."""
    theta = np.linspace(0.0, 2 * math.pi, OUTLINE_POINTS, endpoint=False)
    radius = np.ones_like(theta)
    # a few low harmonics give the city its shape, a few higher ones its ragged edge
    for harmonic, amplitude in ((2, 0.13), (3, 0.09), (5, 0.05), (8, 0.025), (13, 0.015)):
        radius += amplitude * np.sin(harmonic * theta + rng.uniform(0, 2 * math.pi))
    radius *= RADIUS_KM
    return np.column_stack([radius * np.cos(theta), radius * np.sin(theta)])


def _seeds(n_central: int, n_outer: int, rng: np.random.Generator) -> np.ndarray:
    """One seed per unit: the central districts around the centre, the outer units in a ring."""
    points = []
    if n_central:
        # the first central district holds the old town at the centre, the others ring it
        points.append(rng.normal(0.0, 0.03 * RADIUS_KM, 2))
        start = rng.uniform(0, 2 * math.pi)
        for k in range(n_central - 1):
            angle = start + 2 * math.pi * k / (n_central - 1) + rng.normal(0, 0.12)
            r = RADIUS_KM * rng.uniform(0.24, 0.34)
            points.append(np.array([r * math.cos(angle), r * math.sin(angle)]))
    start = rng.uniform(0, 2 * math.pi)
    for k in range(n_outer):
        angle = start + 2 * math.pi * k / max(n_outer, 1) + rng.normal(0, 0.15)
        r = RADIUS_KM * rng.uniform(0.68, 0.78)
        points.append(np.array([r * math.cos(angle), r * math.sin(angle)]))
    return np.array(points, dtype=float)


def _cells(seeds: np.ndarray) -> list[np.ndarray]:
    """Each seed's Voronoi cell as a convex polygon (counter-clockwise). Four far points around
    the city make every real cell bounded."""
    far = 20 * RADIUS_KM
    sentinels = np.array([[far, far], [-far, far], [-far, -far], [far, -far]])
    diagram = Voronoi(np.vstack([seeds, sentinels]))
    cells = []
    for i in range(len(seeds)):
        region = diagram.regions[diagram.point_region[i]]
        if not region or -1 in region:  # pragma: no cover - the sentinels prevent it
            raise ValueError("a unit's cell is unbounded")
        vertices = diagram.vertices[region]
        centre = vertices.mean(axis=0)
        order = np.argsort(np.arctan2(vertices[:, 1] - centre[1], vertices[:, 0] - centre[0]))
        cells.append(vertices[order])
    return cells


def _clip(subject: np.ndarray, window: np.ndarray) -> np.ndarray:
    """Sutherland–Hodgman: the part of `subject` (any simple polygon) inside the convex,
    counter-clockwise `window`."""
    output = [tuple(p) for p in subject]
    for i in range(len(window)):
        a, b = window[i], window[(i + 1) % len(window)]
        edge = b - a

        def inside(p: tuple[float, float], a: np.ndarray = a, edge: np.ndarray = edge) -> bool:
            return bool(edge[0] * (p[1] - a[1]) - edge[1] * (p[0] - a[0]) >= 0)

        def crossing(
            p: tuple[float, float],
            q: tuple[float, float],
            a: np.ndarray = a,
            edge: np.ndarray = edge,
        ) -> tuple[float, float]:
            d = (q[0] - p[0], q[1] - p[1])
            denominator = edge[0] * d[1] - edge[1] * d[0]
            t = (edge[1] * (p[0] - a[0]) - edge[0] * (p[1] - a[1])) / denominator
            return (p[0] + t * d[0], p[1] + t * d[1])

        points, output = output, []
        for j, current in enumerate(points):
            previous = points[j - 1]
            if inside(current):
                if not inside(previous):
                    output.append(crossing(previous, current))
                output.append(current)
            elif inside(previous):
                output.append(crossing(previous, current))
        if not output:
            break
    return np.array(output, dtype=float)


def _key(point: np.ndarray) -> tuple[int, int]:
    """A point to the metre, so that two neighbours name a shared corner alike."""
    return (round(float(point[0]) * 1000), round(float(point[1]) * 1000))


def _bend(p: np.ndarray, q: np.ndarray, seed: int) -> list[np.ndarray]:
    """Points strictly between p and q of a gently bent line from p to q. The bends depend on
    the two ends only (not on their order), so both units along a border draw the same line."""
    flipped = _key(p) > _key(q)
    a, b = (q, p) if flipped else (p, q)
    entropy = [seed, *(v + 2**31 for v in (*_key(a), *_key(b)))]
    rng = np.random.default_rng(entropy)
    line = [a, b]
    for level in range(BEND_LEVELS):
        bent = [line[0]]
        for start, end in itertools.pairwise(line):
            along = end - start
            normal = np.array([-along[1], along[0]])
            offset = rng.uniform(-1, 1) * BEND_AMPLITUDE / (level + 1)
            bent += [(start + end) / 2 + offset * normal, end]
        line = bent
    inner = line[1:-1]
    return inner[::-1] if flipped else inner


def _bent(polygon: np.ndarray, seed: int) -> np.ndarray:
    """The polygon with its long edges (the borders between units) bent."""
    points: list[np.ndarray] = []
    for i, p in enumerate(polygon):
        q = polygon[(i + 1) % len(polygon)]
        points.append(p)
        if float(np.hypot(*(q - p))) > BEND_FROM_KM:
            points += _bend(p, q, seed)
    return np.array(points, dtype=float)


def _ring(polygon: np.ndarray) -> list[list[float]]:
    """A closed GeoJSON ring in longitude/latitude, counter-clockwise, without repeated points."""
    lon = CENTRE_LON + polygon[:, 0] / _KM_PER_DEGREE_LON
    lat = CENTRE_LAT + polygon[:, 1] / _KM_PER_DEGREE_LAT
    ring: list[list[float]] = []
    for x, y in zip(lon, lat, strict=True):
        point = [round(float(x), DECIMALS), round(float(y), DECIMALS)]
        if not ring or point != ring[-1]:
            ring.append(point)
    if len(ring) > 1 and ring[0] == ring[-1]:
        ring.pop()
    area = sum(
        ring[k][0] * ring[(k + 1) % len(ring)][1] - ring[(k + 1) % len(ring)][0] * ring[k][1]
        for k in range(len(ring))
    )
    if area < 0:
        ring.reverse()
    return [*ring, ring[0]]


def district_map(central: Sequence[str], outer: Sequence[str], seed: int = 2025) -> dict[str, Any]:
    """The city's map as a GeoJSON FeatureCollection: one Polygon feature per code (central
    districts first, then the outer units), each with ``properties.code``."""
    codes = [*central, *outer]
    if len(set(codes)) != len(codes) or len(codes) < 2:
        raise ValueError("district_map needs at least two distinct unit codes")
    rng = np.random.default_rng(seed)
    outline = _outline(rng)
    cells = _cells(_seeds(len(central), len(outer), rng))
    features = []
    for code, cell in zip(codes, cells, strict=True):
        piece = _clip(outline, cell)
        if len(piece) < 3:  # pragma: no cover - every seed lies inside the outline
            raise ValueError(f"{code}: its cell misses the city outline")
        features.append(
            {
                "type": "Feature",
                "properties": {"code": code},
                "geometry": {"type": "Polygon", "coordinates": [_ring(_bent(piece, seed))]},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def district_map_bytes(central: Sequence[str], outer: Sequence[str], seed: int = 2025) -> bytes:
    """The map as the file an office would upload (UTF-8 JSON)."""
    document = district_map(central, outer, seed)
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
