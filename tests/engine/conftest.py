"""Engine tests run without Django (`pytest -p no:django tests/engine`): this overrides the
project-wide autouse fixture that switches Django's translation language, which the pure
engine never uses."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def english_messages() -> Iterator[None]:
    """No-op here: the engine's messages are plain English strings, no Django involved."""
    yield
