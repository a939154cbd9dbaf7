"""Schemes as versioned data: YAML in and out, published versions immutable, diffs, cycles."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from kaohe.engine.scheme import load_scheme
from kaohe.schemes import services
from kaohe.schemes.models import Cycle, SchemeVersion
from kaohe.testing.world import SCHEME_YAML

pytestmark = pytest.mark.django_db


def test_yaml_round_trip_is_canonical(world):  # type: ignore[no-untyped-def]
    version = world.version
    assert load_scheme(version.yaml_text).to_dict() == version.document
    again = services.parse_scheme_text(version.yaml_text)
    assert again.fingerprint == version.fingerprint
    assert again.yaml_text == version.yaml_text


def test_invalid_yaml_names_the_line(world):  # type: ignore[no-untyped-def]
    broken = SCHEME_YAML.replace(
        "method: {type: rank}\n    - id: party", "method: {type: rnak}\n    - id: party"
    )
    with pytest.raises(ValidationError) as caught:
        services.update_scheme_draft(world.version, acting_user=world.admin, yaml_text=broken)
    message = caught.value.message_dict["yaml_text"][0]
    assert message.startswith("line 20, column 26, root/development/gdp_size/method/type: must be")
    assert message.endswith("got 'rnak'")
    world.version.refresh_from_db()
    assert world.version.yaml_text == services.parse_scheme_text(SCHEME_YAML).yaml_text


def test_published_version_never_changes(world):  # type: ignore[no-untyped-def]
    version = services.publish_scheme_version(world.version, acting_user=world.admin)
    with pytest.raises(ValidationError, match="cannot change"):
        services.update_scheme_draft(version, acting_user=world.admin, yaml_text=SCHEME_YAML)
    version.fingerprint = "0" * 64
    with pytest.raises(ValueError, match="cannot change"):
        version.save()
    with pytest.raises(ValidationError, match="Only a draft"):
        services.publish_scheme_version(version, acting_user=world.admin)


def test_new_version_supersedes_on_publish_and_diffs(world):  # type: ignore[no-untyped-def]
    first = services.publish_scheme_version(world.version, acting_user=world.admin)
    second = services.create_scheme_version(
        first.scheme,
        acting_user=world.admin,
        yaml_text=SCHEME_YAML.replace("points: 50\n", "points: 55\n").replace(
            "points: 30\n", "points: 25\n"
        ),
        change_note="增速权重提高",
    )
    with pytest.raises(ValidationError, match="still a draft"):
        services.create_scheme_version(first.scheme, acting_user=world.admin)
    second = services.publish_scheme_version(second, acting_user=world.admin)
    first.refresh_from_db()
    assert (first.status, second.status) == ("superseded", "published")
    assert [
        (c["change"], c["path"], c["field"], c["before"], c["after"])
        for c in services.scheme_diff_rows(first.document, second.document)
    ] == [
        ("changed", "node:gdp_growth_score", "points", 50, 55),
        ("changed", "node:gdp_size", "points", 30, 25),
    ]


def test_publishing_needs_every_input_in_the_catalogue(world):  # type: ignore[no-untyped-def]
    text = SCHEME_YAML.replace("input: fiscal_revenue", "input: party_rating_score")
    services.update_scheme_draft(world.version, acting_user=world.admin, yaml_text=text)
    with pytest.raises(ValidationError, match="party_rating_score"):
        services.publish_scheme_version(world.version, acting_user=world.admin)
    assert SchemeVersion.objects.get(pk=world.version.pk).status == "draft"


def test_cycle_moves_forward_through_its_stages(world):  # type: ignore[no-untyped-def]
    cycle = world.cycle
    assert [n.period for n in cycle.time_nodes.all()] == ["2025Q1", "2025H1", "2025Q3", "2025Y"]
    seen = [cycle.state]
    while cycle.next_state:
        cycle = services.advance_cycle(cycle, acting_user=world.admin)
        seen.append(cycle.state)
    assert seen == [s.value for s in Cycle.State]
    with pytest.raises(ValidationError, match="closed"):
        services.advance_cycle(cycle, acting_user=world.admin)


def test_office_only_writes_schemes(world):  # type: ignore[no-untyped-def]
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.publish_scheme_version(world.version, acting_user=world.users["d1_head"])
    assert SchemeVersion.objects.get(pk=world.version.pk).status == "draft"


def test_scheme_pages_and_api(world, client):  # type: ignore[no-untyped-def]
    client.force_login(world.users["office"])
    page = client.get("/schemes/district-2025/")
    assert page.status_code == 200
    assert "gdp_growth_score" in page.content.decode()
    exported = client.get("/schemes/district-2025/v1/yaml/")
    assert exported["Content-Type"] == "application/yaml; charset=utf-8"
    assert exported.content.decode() == world.version.yaml_text
    saved = client.post(
        "/schemes/district-2025/save/",
        {"yaml_text": SCHEME_YAML.replace("target: 6", "target: 6.5"), "change_note": "调整目标"},
    )
    assert saved.status_code == 302
    world.version.refresh_from_db()
    assert "target: 6.5" in world.version.yaml_text
    api = client.post("/api/v1/schemes/district-2025/versions/1/publish/", {"reason": "考核委批准"})
    assert api.status_code == 200 and api.json()["status"] == "published"
    new = client.post(
        "/api/v1/schemes/district-2025/versions/",
        {"yaml_text": "kaohe_scheme: 1\nid: x\nroot: {children: []}\n"},
    )
    assert new.status_code == 400
    diff = client.get("/api/v1/schemes/district-2025/diff/1/1/")
    assert diff.json() == {"from": 1, "to": 1, "changes": []}
