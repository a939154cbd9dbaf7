"""The city map service: a GeoJSON upload is checked whole (each problem named by feature, field
and rule, nothing stored when any is found), stored as a new version (the old ones kept, never
changed) and audited."""

from __future__ import annotations

import copy
import io
import json
import math
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from kaohe.core.errors import BatchRejected
from kaohe.core.events import EventType
from kaohe.core.models import AuditEvent, ObjectChange
from kaohe.testing.maps import as_file, square, square_map
from kaohe.units.geojson import MAX_MAP_BYTES, aspect_scale, read_upload
from kaohe.units.models import CityMap
from kaohe.units.services import upload_city_map

pytestmark = pytest.mark.django_db


def upload(world: Any, content: bytes | str, note: str = "") -> CityMap:
    return upload_city_map(acting_user=world.users["office"], content=content, note=note)


def refused(world: Any, content: bytes | str) -> list[tuple[int, str, str, str]]:
    """The problems a refused upload names; asserts nothing was stored or audited."""
    events = AuditEvent.objects.count()
    with pytest.raises(BatchRejected) as caught:
        upload(world, content)
    assert CityMap.objects.count() == 0
    assert AuditEvent.objects.count() == events
    return [(e.row, e.field, e.rule, e.value) for e in caught.value.errors]


def test_a_valid_map_is_stored_normalised_as_version_one_and_audited(world):  # type: ignore[no-untyped-def]
    document = square_map(["D01", "D02"])
    document["name"] = "测试市"  # a foreign member: dropped
    document["features"][0]["properties"]["name"] = "东区"  # names come from the catalogue
    document["features"][1]["geometry"] = {
        "type": "MultiPolygon",
        "coordinates": [square(120.1, 30.0), square(120.3, 30.0, 0.05)],
    }
    stored = upload(world, as_file(document), note="首版")
    assert stored.version == 1
    assert stored.codes == ["D01", "D02"]
    assert stored.feature_count == 2
    assert stored.geojson == {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"code": "D01"},
                "geometry": {"type": "Polygon", "coordinates": square(120.0, 30.0)},
            },
            {
                "type": "Feature",
                "properties": {"code": "D02"},
                "geometry": {
                    "type": "MultiPolygon",
                    "coordinates": [square(120.1, 30.0), square(120.3, 30.0, 0.05)],
                },
            },
        ],
    }
    assert stored.byte_size == len(
        json.dumps(stored.geojson, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    )
    assert len(stored.sha256) == 64
    assert stored.created_by == world.users["office"]
    assert CityMap.current() == stored
    event = AuditEvent.objects.get(event_type=EventType.CITY_MAP_UPLOADED)
    assert event.acting_user == world.users["office"]
    assert event.object_id == str(stored.pk)
    assert event.reason == "首版"
    assert event.extra_data == {"previous_version": None}
    change = ObjectChange.objects.get(event=event)
    assert change.action == ObjectChange.Action.CREATE
    assert change.after["version"] == 1
    assert change.after["codes"] == ["D01", "D02"]
    assert "geojson" not in change.after  # the row keeps the geometry, the trail its fingerprint


def test_a_new_upload_is_a_new_version_and_the_old_one_is_kept(world):  # type: ignore[no-untyped-def]
    first = upload(world, as_file(square_map(["D01", "D02"])))
    second = upload(world, as_file(square_map(["D01", "D02", "DEPT_TJJ"], lon=121.0)))
    assert (first.version, second.version) == (1, 2)
    assert CityMap.current() == second
    first.refresh_from_db()
    assert first.codes == ["D01", "D02"]
    assert first.geojson["features"][0]["geometry"]["coordinates"] == square(120.0, 30.0)
    assert AuditEvent.objects.filter(event_type=EventType.CITY_MAP_UPLOADED).count() == 2
    latest = AuditEvent.objects.filter(event_type=EventType.CITY_MAP_UPLOADED).latest("pk")
    assert latest.extra_data == {"previous_version": 1}


def test_the_same_map_again_is_refused_as_nothing_new(world):  # type: ignore[no-untyped-def]
    upload(world, as_file(square_map(["D01", "D02"])))
    # the same map, written otherwise (spacing, an extra property): still the same map
    again = json.dumps(square_map(["D01", "D02"]), indent=2).replace(
        '"code": "D01"', '"code": "D01", "fill": "red"'
    )
    with pytest.raises(BatchRejected) as caught:
        upload(world, again)
    (error,) = caught.value.errors
    assert (error.row, error.field) == (0, "file")
    assert error.rule == "is the same map as version 1, the current one: nothing to store"
    assert CityMap.objects.count() == 1


def test_a_stored_version_never_changes_and_is_never_deleted(world):  # type: ignore[no-untyped-def]
    stored = upload(world, as_file(square_map(["D01"])))
    stored.note = "changed"
    with pytest.raises(ValueError, match="never changes"):
        stored.save()
    with pytest.raises(ValueError, match="kept"):
        stored.delete()
    assert CityMap.objects.get().note == ""


@pytest.mark.parametrize("who", ["d1_reporter", "committee", "auditor", "nobody"])
def test_only_the_office_uploads_a_map(world, who):  # type: ignore[no-untyped-def]
    events = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        upload_city_map(acting_user=world.users[who], content=as_file(square_map(["D01"])))
    assert CityMap.objects.count() == 0
    assert AuditEvent.objects.count() == events


def feature_map(**changes: Any) -> dict[str, Any]:
    """Two good squares; `changes` replace members of the second feature."""
    document = square_map(["D01", "D02"])
    document["features"][1].update(copy.deepcopy(changes))
    return document


def geometry(coordinates: Any, kind: str = "Polygon") -> dict[str, Any]:
    return {"type": kind, "coordinates": coordinates}


OPEN_RING = [[[120, 30], [120.1, 30], [120.1, 30.1], [120, 30.1]]]
BAD_FEATURES = {
    "not a feature": (
        {"type": "FeatureCollection", "features": [{"type": "Point"}]},
        (1, "type", "must be Feature", "Point"),
    ),
    "no code": (
        feature_map(properties={"name": "西区"}),
        (2, "properties.code", "must name a unit by its code", ""),
    ),
    "a code that is no text": (
        feature_map(properties={"code": 7}),
        (2, "properties.code", "must name a unit by its code", "7"),
    ),
    "an unknown code": (
        feature_map(properties={"code": "D99"}),
        (2, "properties.code", "names no unit", "D99"),
    ),
    "a repeated code": (
        feature_map(properties={"code": "D01"}),
        (2, "properties.code", "repeats the code of feature 1: one feature per unit", "D01"),
    ),
    "no geometry": (
        feature_map(geometry=None),
        (2, "geometry", "must be a Polygon or MultiPolygon geometry object", ""),
    ),
    "a point": (
        feature_map(geometry=geometry([120, 30], "Point")),
        (2, "geometry.type", "must be Polygon or MultiPolygon", "Point"),
    ),
    "a ring of three positions": (
        feature_map(geometry=geometry([[[120, 30], [120.1, 30], [120, 30]]])),
        (
            2,
            "geometry.coordinates",
            "the polygon, ring 1: a ring needs at least 4 positions",
            "",
        ),
    ),
    "an open ring": (
        feature_map(geometry=geometry(OPEN_RING)),
        (
            2,
            "geometry.coordinates",
            "the polygon, ring 1 is not closed: its last position must repeat the first",
            "",
        ),
    ),
    "a position that is no pair of numbers": (
        feature_map(geometry=geometry([[[120, 30], ["120.1", 30], [120.1, 30.1], [120, 30]]])),
        (
            2,
            "geometry.coordinates",
            "the polygon, ring 1, position 2 is not a [longitude, latitude] pair of numbers",
            "",
        ),
    ),
    "a longitude off the globe": (
        feature_map(geometry=geometry([[[120, 30], [190, 30], [120.1, 30.1], [120, 30]]])),
        (
            2,
            "geometry.coordinates",
            "the polygon, ring 1, position 2 has a longitude outside -180 to 180",
            "",
        ),
    ),
    "a latitude off the globe": (
        feature_map(geometry=geometry([[[120, 30], [120.1, 95], [120.1, 30.1], [120, 30]]])),
        (
            2,
            "geometry.coordinates",
            "the polygon, ring 1, position 2 has a latitude outside -90 to 90",
            "",
        ),
    ),
    "a bad polygon in a MultiPolygon": (
        feature_map(geometry=geometry([square(121, 30), OPEN_RING], "MultiPolygon")),
        (
            2,
            "geometry.coordinates",
            "polygon 2, ring 1 is not closed: its last position must repeat the first",
            "",
        ),
    ),
    "an empty MultiPolygon": (
        feature_map(geometry=geometry([], "MultiPolygon")),
        (2, "geometry.coordinates", "a MultiPolygon must be a list of polygons", ""),
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_FEATURES))
def test_each_bad_feature_is_named_by_number_field_and_rule(world, case):  # type: ignore[no-untyped-def]
    document, expected = BAD_FEATURES[case]
    assert refused(world, as_file(document)) == [expected]


BAD_FILES = {
    "not UTF-8": ('{"type": "Feature"}'.encode("utf-16"), "is not UTF-8 text (byte 1)"),
    "not JSON": (b'{"type": "FeatureCollection",', "is not valid JSON: "),
    "a NaN": (b'{"type": "FeatureCollection", "features": [NaN]}', "is not valid JSON: NaN"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_a_file_that_is_no_json_text_is_refused_whole(world, case):  # type: ignore[no-untyped-def]
    content, rule = BAD_FILES[case]
    ((row, field, got, _value),) = refused(world, content)
    assert (row, field) == (0, "file")
    assert got.startswith(rule)


def test_a_document_that_is_no_feature_collection_is_refused(world):  # type: ignore[no-untyped-def]
    feature = square_map(["D01"])["features"][0]
    assert refused(world, as_file(feature)) == [(0, "type", "must be FeatureCollection", "Feature")]
    assert refused(world, b"[1, 2]") == [(0, "type", "must be FeatureCollection", "list")]
    assert refused(world, as_file({"type": "FeatureCollection", "features": []})) == [
        (0, "features", "must be a non-empty list of features", "")
    ]


def test_a_file_over_the_limit_is_refused_before_it_is_read(world):  # type: ignore[no-untyped-def]
    padded = as_file(square_map(["D01"])) + b" " * MAX_MAP_BYTES
    assert refused(world, padded) == [
        (0, "file", "is larger than the limit of 2048 KiB", f"{len(padded)} bytes")
    ]

    class Unreadable(io.BytesIO):
        def read(self, *args: Any) -> bytes:
            raise AssertionError("a file known to be too large is not read")

    with pytest.raises(BatchRejected) as caught:
        read_upload(Unreadable(), MAX_MAP_BYTES + 1)
    assert caught.value.errors[0].value == f"{MAX_MAP_BYTES + 1} bytes"
    # without a known size, it reads one byte past the limit and no further
    assert len(read_upload(io.BytesIO(b"x" * 10))) == 10
    with pytest.raises(BatchRejected):
        read_upload(io.BytesIO(b"x" * (MAX_MAP_BYTES + 5)))


def test_every_problem_of_a_file_is_listed_at_once(world):  # type: ignore[no-untyped-def]
    document = square_map(["D01", "D99", "D01", "D02"])
    document["features"][3]["geometry"] = geometry([[120, 30]], "LineString")
    assert refused(world, as_file(document)) == [
        (2, "properties.code", "names no unit", "D99"),
        (3, "properties.code", "repeats the code of feature 1: one feature per unit", "D01"),
        (4, "geometry.type", "must be Polygon or MultiPolygon", "LineString"),
    ]


def test_a_drawn_map_keeps_its_shape_at_its_latitude() -> None:
    document = square_map(["D01", "D02"], lat=60.0)  # latitudes 60.0–60.1
    assert aspect_scale(document) == pytest.approx(math.cos(math.radians(60.05)))
    assert aspect_scale({"type": "FeatureCollection", "features": []}) == 1.0
