"""The key projects world for every test of the register."""

from __future__ import annotations

import pytest

from kaohe.testing.projects import ProjectWorld, build_project_world
from kaohe.testing.world import World


@pytest.fixture
def pw(world: World, settings, tmp_path) -> ProjectWorld:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path
    return build_project_world(world)
