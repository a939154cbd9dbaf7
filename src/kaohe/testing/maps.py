"""Small city maps for tests: one square per unit code, side by side, as GeoJSON."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any


def square(lon: float, lat: float, size: float = 0.1) -> list[list[list[float]]]:
    """A closed counter-clockwise square ring (the coordinates of a Polygon)."""
    return [
        [
            [lon, lat],
            [lon + size, lat],
            [lon + size, lat + size],
            [lon, lat + size],
            [lon, lat],
        ]
    ]


def square_map(codes: Sequence[str], *, lon: float = 120.0, lat: float = 30.0) -> dict[str, Any]:
    """A FeatureCollection with one square Polygon per code, west to east."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"code": code},
                "geometry": {"type": "Polygon", "coordinates": square(lon + 0.1 * i, lat)},
            }
            for i, code in enumerate(codes)
        ],
    }


def as_file(document: Any) -> bytes:
    """The document as an uploaded file's bytes."""
    return json.dumps(document, ensure_ascii=False).encode("utf-8")
