"""Reading an uploaded city map: a GeoJSON FeatureCollection of Polygon and MultiPolygon features,
each naming a unit by `properties.code`.

The whole file is checked before anything is stored; every problem is a `RowError` whose row is
the feature's number (1 = the first feature; 0 = the file as a whole), whose field is the
member at fault (`properties.code`, `geometry.coordinates`, …) and whose rule says what was
expected. What is kept is normalised: each feature's code and geometry, nothing else (names come
from the unit catalogue, in the reader's language)."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from kaohe.core.errors import BatchRejected, RowError

# The largest map accepted (bytes of the file). A city's district map simplified for a screen is
# a few hundred kilobytes; the limit stays below Django's request body limit (2.5 MB).
MAX_MAP_BYTES = 2 * 1024 * 1024
# A refused file lists at most this many problems (a wrong file need not be read to its end).
MAX_ERRORS = 50
GEOMETRY_TYPES = ("Polygon", "MultiPolygon")


@dataclass(frozen=True)
class CheckedMap:
    """A map that passed every rule, normalised, with its canonical text and fingerprint."""

    geojson: dict[str, Any]
    codes: list[str]
    text: str
    sha256: str

    @property
    def byte_size(self) -> int:
        return len(self.text.encode("utf-8"))


class _Errors:
    def __init__(self) -> None:
        self.found: list[RowError] = []

    def add(self, row: int, field: str, rule: str, value: Any = "") -> None:
        if len(self.found) < MAX_ERRORS:
            self.found.append(RowError(row, field, rule, _shown(value)))

    @property
    def full(self) -> bool:
        return len(self.found) >= MAX_ERRORS


def _shown(value: Any) -> str:
    if value is None or value == "":
        return ""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "…"


def _refuse_constant(name: str) -> float:
    raise ValueError(_("%(name)s is not a number GeoJSON allows") % {"name": name})


def _parse(content: bytes | str) -> Any:
    """The JSON document of an uploaded file; refuses the file whole when it is no JSON text."""
    if isinstance(content, bytes):
        if len(content) > MAX_MAP_BYTES:
            raise BatchRejected([_too_large(len(content))])
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise BatchRejected(
                [RowError(0, "file", _("is not UTF-8 text (byte %(at)s)") % {"at": exc.start + 1})]
            ) from exc
    elif len(content.encode("utf-8")) > MAX_MAP_BYTES:
        raise BatchRejected([_too_large(len(content.encode("utf-8")))])
    try:
        return json.loads(content, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        rule = _("is not valid JSON: %(msg)s at line %(line)s, column %(col)s") % {
            "msg": exc.msg,
            "line": exc.lineno,
            "col": exc.colno,
        }
        raise BatchRejected([RowError(0, "file", rule)]) from exc
    except (ValueError, RecursionError) as exc:
        rule = _("is not valid JSON: %(msg)s") % {"msg": str(exc) or _("nested too deeply")}
        raise BatchRejected([RowError(0, "file", rule)]) from exc


def _too_large(size: int) -> RowError:
    return RowError(
        0,
        "file",
        _("is larger than the limit of %(limit)s KiB") % {"limit": MAX_MAP_BYTES // 1024},
        _("%(size)s bytes") % {"size": size},
    )


def read_upload(stream: Any, size: int | None = None) -> bytes:
    """An uploaded file's bytes, read no further than the limit: a larger file is refused
    (by its `size` when the upload knows it) without being read whole."""
    if size is not None and size > MAX_MAP_BYTES:
        raise BatchRejected([_too_large(size)])
    data = stream.read(MAX_MAP_BYTES + 1)
    if len(data) > MAX_MAP_BYTES:
        raise BatchRejected([_too_large(size or len(data))])
    return bytes(data)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _position_problem(position: Any) -> str | None:
    if not isinstance(position, list) or not 2 <= len(position) <= 3:
        return _("is not a [longitude, latitude] pair")
    if not all(_number(v) for v in position):
        return _("is not a [longitude, latitude] pair of numbers")
    lon, lat = position[0], position[1]
    if not -180 <= lon <= 180:
        return _("has a longitude outside -180 to 180")
    if not -90 <= lat <= 90:
        return _("has a latitude outside -90 to 90")
    return None


def _polygon_problem(rings: Any, where: str) -> str | None:
    """What is wrong with one polygon's rings (None: nothing). `where` names the polygon."""
    if not isinstance(rings, list) or not rings:
        return _("%(where)s must be a list of linear rings") % {"where": where}
    for r, ring in enumerate(rings, start=1):
        at = {"where": where, "ring": r}
        if not isinstance(ring, list) or len(ring) < 4:
            return _("%(where)s, ring %(ring)s: a ring needs at least 4 positions") % at
        for p, position in enumerate(ring, start=1):
            problem = _position_problem(position)
            if problem:
                return _("%(where)s, ring %(ring)s, position %(n)s %(problem)s") % {
                    **at,
                    "n": p,
                    "problem": problem,
                }
        if ring[0][:2] != ring[-1][:2]:
            return (
                _("%(where)s, ring %(ring)s is not closed: its last position must repeat the first")
                % at
            )
    return None


def _geometry(geometry: Any, row: int, errors: _Errors) -> dict[str, Any] | None:
    if not isinstance(geometry, Mapping):
        errors.add(row, "geometry", _("must be a Polygon or MultiPolygon geometry object"))
        return None
    kind = geometry.get("type")
    if kind not in GEOMETRY_TYPES:
        errors.add(row, "geometry.type", _("must be Polygon or MultiPolygon"), kind)
        return None
    coordinates = geometry.get("coordinates")
    if kind == "Polygon":
        problem = _polygon_problem(coordinates, _("the polygon"))
    elif not isinstance(coordinates, list) or not coordinates:
        problem = _("a MultiPolygon must be a list of polygons")
    else:
        problem = next(
            (
                found
                for n, polygon in enumerate(coordinates, start=1)
                if (found := _polygon_problem(polygon, _("polygon %(n)s") % {"n": n}))
            ),
            None,
        )
    if problem:
        errors.add(row, "geometry.coordinates", problem)
        return None
    return {"type": kind, "coordinates": coordinates}


def check_city_map(content: bytes | str, *, unit_codes: Collection[str]) -> CheckedMap:
    """Check an uploaded map against every rule; raise `BatchRejected` naming each problem.

    `unit_codes`: the codes of the units that exist (a feature must name one of them)."""
    document = _parse(content)
    errors = _Errors()
    if not isinstance(document, Mapping) or document.get("type") != "FeatureCollection":
        got = document.get("type") if isinstance(document, Mapping) else type(document).__name__
        raise BatchRejected([RowError(0, "type", _("must be FeatureCollection"), _shown(got))])
    features = document.get("features")
    if not isinstance(features, list) or not features:
        raise BatchRejected([RowError(0, "features", _("must be a non-empty list of features"))])
    first_row: dict[str, int] = {}
    kept: list[dict[str, Any]] = []
    for row, feature in enumerate(features, start=1):
        if errors.full:
            break
        if not isinstance(feature, Mapping) or feature.get("type") != "Feature":
            got = feature.get("type") if isinstance(feature, Mapping) else feature
            errors.add(row, "type", _("must be Feature"), got)
            continue
        properties = feature.get("properties")
        code = properties.get("code") if isinstance(properties, Mapping) else None
        if not isinstance(code, str) or not code.strip():
            errors.add(row, "properties.code", _("must name a unit by its code"), code)
        elif code not in unit_codes:
            errors.add(row, "properties.code", _("names no unit"), code)
        elif code in first_row:
            errors.add(
                row,
                "properties.code",
                _("repeats the code of feature %(n)s: one feature per unit")
                % {"n": first_row[code]},
                code,
            )
        else:
            first_row[code] = row
        geometry = _geometry(feature.get("geometry"), row, errors)
        if geometry is not None and isinstance(code, str):
            kept.append({"type": "Feature", "properties": {"code": code}, "geometry": geometry})
    if errors.found:
        raise BatchRejected(errors.found)
    normalised = {"type": "FeatureCollection", "features": kept}
    text = json.dumps(normalised, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return CheckedMap(
        geojson=normalised,
        codes=[f["properties"]["code"] for f in kept],
        text=text,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )


def aspect_scale(geojson: Mapping[str, Any]) -> float:
    """How much narrower a degree of longitude is than one of latitude in the middle of the
    map (the cosine of its middle latitude), so that a drawn map keeps its true shape."""
    latitudes = [
        position[1]
        for feature in geojson.get("features") or []
        for polygon in _polygons(feature.get("geometry") or {})
        for ring in polygon
        for position in ring
    ]
    if not latitudes:
        return 1.0
    middle = (min(latitudes) + max(latitudes)) / 2
    return max(math.cos(math.radians(middle)), 0.1)


def _polygons(geometry: Mapping[str, Any]) -> list[Any]:
    if geometry.get("type") == "Polygon":
        return [geometry.get("coordinates") or []]
    if geometry.get("type") == "MultiPolygon":
        return list(geometry.get("coordinates") or [])
    return []
